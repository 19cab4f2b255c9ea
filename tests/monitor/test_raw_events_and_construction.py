"""monitor on raw events derives the detector's features as every command does; features
that grow with the history's length drift by construction and are left out of the drift
verdicts; default limits judge a run without a `monitoring:` section; the report's footer
carries the command and the inputs' digests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import write_table
from riskctl.resources import examples_dir
from riskctl.synth.events import generate_events

runner = CliRunner()
SPEC = examples_dir() / "features.yaml"
GROWING = {"hours_since_device_first_seen", "buyer_orders_all", "ring_accounts"}


def _train(root: Path, data: Path, *extra: str) -> Path:
    out = root / f"detector-{data.stem}"
    result = runner.invoke(
        app,
        [
            "train", str(data), "--label", "is_bad", "--time", "event_time",
            "--rounds", "40", "--valid-fraction", "0.1",
            "--test-fraction", "0.1", "--out", str(out), "--json", "--quiet", *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("raw-monitor")
    events = generate_events(rows=12_000, seed=4, days=42).drop("attack")
    raw = write_table(events, root / "events.parquet")
    featured = root / "featured.parquet"
    result = runner.invoke(app, ["features", str(SPEC), "--data", str(raw), "--out", str(featured)])
    assert result.exit_code == 0, result.output
    return {
        "root": root,
        "raw": raw,
        "featured": featured,
        "spec_detector": _train(root, raw, "--features", str(SPEC)),
        "plain_detector": _train(root, featured),
    }


def _monitor(current: Path, detector: Path, *extra: object) -> tuple[int, dict]:
    args = ["monitor", "--current", current, "--detector", detector, "--every", "7d"]
    # the drift of the very rows the detector trained on: every row counts
    extra = ("--rows", "all", *extra)
    result = runner.invoke(app, [str(a) for a in [*args, "--sample", "0", "--json", *extra]])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_raw_events_get_the_detectors_features_and_growth_is_not_drift(made) -> None:
    code, out = _monitor(made["raw"], made["spec_detector"])
    marked = {d["column"] for d in out["drift"] if d["construction"]}
    assert marked >= GROWING, marked
    since = next(d for d in out["drift"] if d["column"] == "hours_since_device_first_seen")
    assert since["psi"] > 0.25  # it does move, by construction
    assert out["default_limits"] and out["thresholds"]
    judged = {t["id"].split(":", 1)[-1] for t in out["thresholds"]}
    assert not judged & marked
    assert "max_psi:amount" in {t["id"] for t in out["thresholds"] if t["passed"]}


def test_a_pre_featured_table_is_marked_by_its_trend(made) -> None:
    code, out = _monitor(made["featured"], made["plain_detector"])
    marked = {d["column"] for d in out["drift"] if d["construction"]}
    assert {"hours_since_device_first_seen", "buyer_orders_all"} <= marked, marked
    assert not marked & {"amount", "order_hour", "category", "payment_method"}
    crossed = {t["id"] for t in out["thresholds"] if not t["passed"]}
    assert "max_psi:hours_since_device_first_seen" not in crossed


def test_a_real_shift_still_crosses_a_default_limit(made, tmp_path: Path) -> None:
    events = pl.read_parquet(made["raw"])
    cut = events["event_time"].sort()[events.height // 2]
    late = pl.col("event_time") >= cut
    shifted = events.with_columns(
        pl.when(late).then(pl.col("amount") * 4).otherwise(pl.col("amount")).alias("amount")
    )
    path = write_table(shifted, tmp_path / "shifted.parquet")
    code, out = _monitor(path, made["spec_detector"])
    assert code == 1
    assert "max_psi:amount" in [t["id"] for t in out["thresholds"] if not t["passed"]]


def test_an_empty_monitoring_section_checks_nothing(made, tmp_path: Path) -> None:
    strategy = tmp_path / "s.yaml"
    strategy.write_text(
        "name: quiet\nactions: [block, allow]\nthresholds: {block: {score: 0.9}}\n"
        "label: is_bad\ntime: event_time\nmonitoring: {}\n"
    )
    code, out = _monitor(made["raw"], made["spec_detector"], "--strategy", strategy)
    assert code == 0 and out["thresholds"] == [] and not out["default_limits"]


def test_the_report_footer_has_the_command_and_digests(made, tmp_path: Path, monkeypatch) -> None:
    report = tmp_path / "m.html"
    argv = ["riskctl", "monitor", "--current", str(made["raw"]), "--detector",
            str(made["spec_detector"]), "--every", "7d", "--sample", "0", "--rows", "all",
            "--report", str(report)]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    result = runner.invoke(app, argv[1:])
    assert result.exit_code in (0, 1), result.output
    html = report.read_text()
    footer = html[html.index('<footer id="reproduce">') :]
    assert "--report" in footer and str(made["spec_detector"]) in footer
    digest = hashlib.sha256(made["raw"].read_bytes()).hexdigest()
    assert digest in footer and "detector model" in footer
