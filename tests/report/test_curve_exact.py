"""The report's trade-off curve is the exact curve where strategies operate.

The curve drawn in the HTML report (the line's data in the chart spec the page embeds) is
compared with `riskctl sweep --all-points`, the exact curve, at every operating point the
chart draws: each strategy's dot and each threshold the strategies set. The histories are
random, with the curve steep at low false-positive rates (most bad rows score above nearly
every good row) and tens of thousands of distinct scores, so a line sampled evenly along FPR
cuts straight across the region where the strategies sit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation

runner = CliRunner()
TOLERANCE = 0.005  # half a point of catch rate


def history(path: Path, seed: int, goods: int = 90_000, bads: int = 2_000) -> Path:
    rng = np.random.default_rng(seed)
    good = rng.beta(1.0, 40.0, goods)
    burst = rng.random(bads) < 0.6  # most bad rows score above nearly every good row
    bad = np.where(burst, rng.beta(40.0, 1.5, bads), rng.beta(2.0, 12.0, bads))
    score = np.r_[good, bad]
    frame = pl.DataFrame(
        {
            "score": score,
            "is_bad": np.r_[np.zeros(goods, np.int8), np.ones(bads, np.int8)],
            "amount": np.round(rng.lognormal(4.0, 1.0, goods + bads), 2),
        }
    )
    frame.write_parquet(path)
    return path


def thresholds_at(path: Path, fprs: list[float]) -> list[float]:
    """Scores whose threshold flags about these shares of the good rows."""
    frame = pl.read_parquet(path)
    good = np.sort(frame.filter(pl.col("is_bad") == 0)["score"].to_numpy())[::-1]
    return [round(float(good[int(f * len(good))]), 6) for f in fprs]


def strategy(path: Path, name: str, thresholds: dict[str, float]) -> Path:
    body = ", ".join(f"{a}: {{score: {t}}}" for a, t in thresholds.items())
    actions = [*thresholds, "allow"]
    path.write_text(
        f"name: {name}\nactions: [{', '.join(actions)}]\nthresholds: {{{body}}}\n"
        "label: is_bad\namount: amount\n"
    )
    return path


def embedded_spec(html: str, chart: str) -> dict:
    start = html.index(f'vegaEmbed("#vis-{chart}", ') + len(f'vegaEmbed("#vis-{chart}", ')
    spec, _ = json.JSONDecoder().raw_decode(html[start:])
    return spec


def layers(spec: dict) -> list[dict]:
    """Every unit spec of a (possibly concatenated, layered) chart, with its panel index."""
    panels = spec.get("hconcat", [spec])
    return [
        {**unit, "panel": i} for i, panel in enumerate(panels) for unit in panel.get("layer", [])
    ]


def data_of(unit: dict, spec: dict) -> list[dict]:
    data = unit["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def mark(unit: dict) -> str:
    return unit["mark"] if isinstance(unit["mark"], str) else unit["mark"]["type"]


def drawn_range(line: list[dict], x_field: str, y_field: str, x: float) -> tuple[float, float]:
    """The catch rates the drawn line passes through at false-positive rate `x`."""
    xs = [p[x_field] for p in line]
    ys = [p[y_field] for p in line]
    hits = []
    for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:], strict=False):
        if min(x0, x1) - 1e-12 <= x <= max(x0, x1) + 1e-12:
            if x1 == x0:
                hits += [y0, y1]
            else:
                hits.append(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    assert hits, f"the line does not reach {x}"
    return min(hits), max(hits)


def off_by(line: list[dict], x_field: str, y_field: str, x: float, exact: float) -> float:
    low, high = drawn_range(line, x_field, y_field, x)
    return max(0.0, low - exact, exact - high)


def exact_point(points: list[dict], threshold: float) -> dict:
    """The sweep's point for `score >= threshold`: the lowest distinct score at or above."""
    at = [p for p in points if p["threshold"] is not None and p["threshold"] >= threshold]
    return at[-1]


def sweep_points(data: Path) -> list[dict]:
    result = runner.invoke(
        app,
        [
            "sweep",
            "--data",
            str(data),
            "--score",
            "score",
            "--label",
            "is_bad",
            "--amount",
            "amount",
            "--all-points",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["points"]


def build_report(tmp: Path, seed: int, fprs: list[float], **options: str) -> tuple[str, Path, list]:
    data = history(tmp / "d.parquet", seed)
    t = thresholds_at(data, fprs)
    cand = strategy(tmp / "c.yaml", "cand", {"block": t[0], "review": t[2]})
    base = strategy(tmp / "b.yaml", "base", {"review": t[1]})
    run = run_simulation(cand, data, baseline=base)
    out = report_for_run(run, check_guardrails(run), None, tmp / "r.html", "x", **options)
    return out.read_text(), data, t


PANELS = [
    ("false_positive_rate", "catch_rate"),
    ("good_amount_impacted_rate", "amount_catch_rate"),
]


def assert_exact_at_operating_points(html: str, data: Path, thresholds: list[float]) -> int:
    spec = embedded_spec(html, "tradeoff")
    exact = sweep_points(data)
    checked = 0
    for panel, (x_field, y_field) in enumerate(PANELS):
        units = [u for u in layers(spec) if u["panel"] == panel]
        line = next(data_of(u, spec) for u in units if mark(u) == "line")
        dots = next(data_of(u, spec) for u in units if mark(u) == "point")
        assert len(line) <= 5_000, "the drawn line holds a bounded number of points"
        for dot in dots:
            err = off_by(line, x_field, y_field, dot[x_field], dot[y_field])
            assert err <= TOLERANCE, (panel, dot, err)
            checked += 1
        for t in thresholds:
            point = exact_point(exact, t)
            err = off_by(line, x_field, y_field, point[x_field], point[y_field])
            assert err <= TOLERANCE, (panel, t, point[x_field], point[y_field], err)
            checked += 1
    return checked


@pytest.mark.parametrize("seed", [3])
def test_drawn_curve_equals_sweep_at_every_operating_point(tmp_path: Path, seed: int) -> None:
    html, data, thresholds = build_report(tmp_path, seed, [0.0005, 0.001, 0.002])
    assert assert_exact_at_operating_points(html, data, thresholds) == 2 * (
        2 + 3
    )  # two dots and three thresholds per panel


@pytest.mark.parametrize("axis", ["log", "linear"])
def test_either_axis_draws_the_exact_curve(tmp_path: Path, axis: str) -> None:
    html, data, thresholds = build_report(tmp_path, 5, [0.001, 0.003, 0.01], fpr_axis=axis)
    assert_exact_at_operating_points(html, data, thresholds)
    spec = embedded_spec(html, "tradeoff")
    scale = spec["hconcat"][0]["layer"][1]["encoding"]["x"]["scale"]
    assert scale.get("type", "linear") == ("symlog" if axis == "log" else "linear")


def test_the_default_axis_is_log_and_a_bad_axis_is_refused(tmp_path: Path) -> None:
    data = history(tmp_path / "d.parquet", 1, goods=2_000, bads=100)
    cand = strategy(tmp_path / "c.yaml", "cand", {"review": 0.5})
    result = runner.invoke(
        app, ["report", str(cand), "--data", str(data), "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    spec = embedded_spec((tmp_path / "r.html").read_text(), "tradeoff")
    assert re.search(r'"type": ?"symlog"', json.dumps(spec))
    result = runner.invoke(
        app,
        ["report", str(cand), "--data", str(data), "--out", str(tmp_path / "x.html")]
        + ["--fpr-axis", "square"],
    )
    assert result.exit_code == 2
    assert "--fpr-axis must be log or linear" in result.output
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("seed", range(6))
def test_sampled_line_stays_within_a_fifth_of_a_point_everywhere(seed: int) -> None:
    """Past ALL_POINTS thresholds, every exact vertex in the region shown is within 1/STEPS
    of catch rate of the drawn line, with a bounded number of points."""
    from riskctl.model.ranking import tradeoff_curve
    from riskctl.report.curve_points import ALL_POINTS, STEPS, drawn_indices

    rng = np.random.default_rng(seed)
    n = int(rng.integers(50_000, 250_000))
    score = np.round(rng.random(n), int(rng.integers(3, 7)))  # ties too
    label = rng.random(n) < score ** float(rng.uniform(2, 30))
    c = tradeoff_curve(score, label)
    x, y = c.false_positive_rate, c.catch_rate
    max_x = float(rng.choice([0.002, 0.02, 0.2, 1.0]))
    idx = drawn_indices(x, y, max_x)
    assert len(idx) <= 4_000  # a few thousand at most, however many thresholds
    shown = np.flatnonzero(x <= max_x)
    if len(shown) <= ALL_POINTS:
        assert set(shown) <= set(idx.tolist())
    line = [{"x": 0.0, "y": 0.0}] + [{"x": x[i], "y": y[i]} for i in idx]
    for i in shown[:: max(1, len(shown) // 300)]:
        assert off_by(line, "x", "y", x[i], y[i]) <= 1 / STEPS + 1e-12, i
