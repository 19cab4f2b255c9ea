"""Unlabelled, immature and blocked rows through the commands: a truncated export, a
history written as production saw it, and the `history:` section's errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.io import write_table
from riskctl.model.detector import Detector

runner = CliRunner()

STRATEGY = """name: {name}
actions: [block, review, allow]
thresholds:
  block: {{score: {block}}}
  review: {{score: {review}}}
label: is_bad
time: event_time
amount: amount
guardrails:
  max_false_positive_rate: 0.5
  min_catch_rate: 0.01
{extra}"""


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def strategy(tmp_path: Path, name: str, block: float, review: float, extra: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(STRATEGY.format(name=name, block=block, review=review, extra=extra))
    return path


@pytest.fixture
def truncated(tmp_path: Path, scored_path: Path) -> Path:
    """A CSV export whose last line was cut before its label."""
    df = pl.read_parquet(scored_path).select("order_id", "event_time", "amount", "score", "is_bad")
    path = tmp_path / "export.csv"
    df.head(4000).write_csv(path)
    lines = path.read_text().rstrip("\n").split("\n")
    lines[-1] = lines[-1][: lines[-1].rfind(",") + 1]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_truncated_export_simulates_checks_and_tunes(tmp_path: Path, truncated: Path) -> None:
    cand = strategy(tmp_path, "c", 0.9, 0.5)
    result = invoke("simulate", cand, "--data", truncated, "--json")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["candidate"]["metrics"]
    assert m["rows"] == 4000 and m["bad"] + m["good"] == 3999
    assert m["no_label"] == {"total": 1, "unlabelled": 1, "immature": 0, "blocked": 0}
    human = invoke("simulate", cand, "--data", truncated)
    assert "1 row with no usable label (1 unlabelled)" in " ".join(human.stdout.split())
    result = invoke("check", cand, "--data", truncated, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["candidate"]["metrics"]["no_label"]["unlabelled"] == 1
    out = tmp_path / "tuned.yaml"
    result = invoke("tune", cand, "--data", truncated, "--max-fpr", 0.02, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["before"]["rows"] == 4000 and body["before"]["no_label"]["unlabelled"] == 1
    assert any("no usable label" in n for n in body["notes"]) and out.exists()
    result = invoke("sweep", "--data", truncated, "--score", "score", "--label", "is_bad", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["no_label"] == 1


def test_nan_labels_are_unlabelled_rows(tmp_path: Path, scored_path: Path) -> None:
    df = pl.read_parquet(scored_path).head(3000)
    nan = df.with_columns(
        pl.when(pl.int_range(pl.len()) % 100 == 0)
        .then(float("nan"))
        .otherwise(pl.col("is_bad").cast(pl.Float64))
        .alias("is_bad")
    )
    path = tmp_path / "nan.parquet"
    nan.write_parquet(path)
    result = invoke("simulate", strategy(tmp_path, "c", 0.9, 0.5), "--data", path, "--json")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["candidate"]["metrics"]
    assert m["no_label"]["unlabelled"] == 30 and m["rows"] == 3000
    assert m["alert_rate"] == pytest.approx(float((df["score"] >= 0.5).mean()))


def test_other_label_values_still_fail(tmp_path: Path, scored_path: Path) -> None:
    df = pl.read_parquet(scored_path).head(100).with_columns(pl.lit(2).alias("is_bad"))
    path = tmp_path / "two.parquet"
    df.write_parquet(path)
    result = invoke("simulate", strategy(tmp_path, "c", 0.9, 0.5), "--data", path)
    assert result.exit_code == 2 and "values other than 0 and 1" in result.output


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, detector: Detector) -> Path:
    """History as a production strategy (block >= 0.5) recorded it, 20% control group: new
    rows (another seed than the detector's training history)."""
    root = tmp_path_factory.mktemp("production")
    prod = root / "production.yaml"
    prod.write_text(
        "name: prod\nactions: [block, review, allow]\n"
        f"detectors: {{score: {detector.path}}}\n"
        "thresholds: {block: {score: 0.5}, review: {score: 0.3}}\nlabel: is_bad\n"
    )
    out = root / "prod.parquet"
    result = invoke(
        "data", "generate", "--rows", 30000, "--seed", 12, "--production", prod,
        "--control-rate", 0.2, "--out", out, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["production"]
    assert summary["hidden"] > 0 and summary["truth"] == "true_is_bad"
    return out


HISTORY = "history: {decision: prod_action, control: in_control, propensity: p_allow}\n"


def test_a_production_history_gives_estimates_that_cover_the_truth(
    tmp_path: Path, production: Path, detector: Detector
) -> None:
    df = pl.read_parquet(production)
    hidden = df["is_bad"].is_null()
    assert (hidden == (df["prod_action"].eq("block") & ~df["in_control"])).all()
    assert df.filter(~hidden)["is_bad"].equals(df.filter(~hidden)["true_is_bad"])
    extra = f"detectors: {{score: {detector.path}}}\n" + HISTORY
    cand = strategy(tmp_path, "c", 0.7, 0.4, extra)
    result = invoke("simulate", cand, "--data", production, "--json")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["candidate"]["metrics"]
    assert m["no_label"]["blocked"] == int(hidden.sum())
    from riskctl.model.score import score_frame

    scored = score_frame(detector, df)
    flagged = (scored["score"] >= 0.4).to_numpy()
    y = df["true_is_bad"].to_numpy()
    truth = {
        "catch_rate": flagged[y == 1].mean(),
        "false_positive_rate": flagged[y == 0].mean(),
    }
    for key, value in truth.items():
        ways = m["estimates"][key]
        assert ways["estimate"]["low"] <= value <= ways["estimate"]["high"], (key, ways, value)
        assert ways["bounds"][0] <= value <= ways["bounds"][1]
        assert ways["naive"]["value"] < value  # the candidate flags what production blocked
    # check judges the estimate by default, naive or bounds on request
    result = invoke("check", cand, "--data", production, "--json")
    assert {g["labels"] for g in json.loads(result.stdout)["guardrails"]} == {"estimate"}
    result = invoke("check", cand, "--data", production, "--json", "--labels", "bounds")
    rails = {g["name"]: g for g in json.loads(result.stdout)["guardrails"]}
    assert rails["max_false_positive_rate"]["value"] == pytest.approx(
        m["estimates"]["false_positive_rate"]["bounds"][1]
    )
    assert rails["min_catch_rate"]["value"] == pytest.approx(
        m["estimates"]["catch_rate"]["bounds"][0]
    )


def test_flags_and_the_section_agree_and_swap_cells_show_unknown_outcomes(
    tmp_path: Path, production: Path, detector: Detector
) -> None:
    det = f"detectors: {{score: {detector.path}}}\n"
    cand = strategy(tmp_path, "c", 0.7, 0.4, det + HISTORY)
    base = strategy(tmp_path, "b", 0.8, 0.5, det)
    by_section = invoke("simulate", cand, "-b", base, "--data", production, "--json")
    plain = strategy(tmp_path, "p", 0.7, 0.4, det)
    by_flags = invoke(
        "simulate", plain, "-b", base, "--data", production, "--json", "--decision",
        "prod_action", "--control", "in_control", "--propensity", "p_allow",
    )  # fmt: skip
    a, b = json.loads(by_section.stdout), json.loads(by_flags.stdout)
    assert a["delta"]["estimates"] == b["delta"]["estimates"]
    unknown = [c for c in a["delta"]["swap_set"] if c["label"] is None]
    assert sum(c["rows"] for c in unknown) == a["candidate"]["metrics"]["no_label"]["total"]
    assert a["delta"]["estimates"]["catch_rate"]["estimate"] is not None


def test_history_errors_say_where(tmp_path: Path, production: Path, detector: Detector) -> None:
    extra = f"detectors: {{score: {detector.path}}}\nhistory:\n  decision: prod_acton\n"
    cand = strategy(tmp_path, "c", 0.7, 0.4, extra)
    result = invoke("simulate", cand, "--data", production)
    assert result.exit_code == 2
    line = cand.read_text().splitlines().index("  decision: prod_acton") + 1
    assert f"c.yaml:{line}" in result.output and "prod_action" in result.output
    result = invoke("simulate", cand, "--data", production, "--control", "in_control")
    assert result.exit_code == 2 and "need --decision" in result.output
    plain = strategy(tmp_path, "p", 0.7, 0.4, f"detectors: {{score: {detector.path}}}\n")
    result = invoke(
        "check", plain, "--data", production, "--decision", "prod_action", "--labels", "estimate"
    )
    assert result.exit_code == 2 and "needs a control group" in result.output
    result = invoke("simulate", plain, "--data", production, "--decision", "nope")
    assert result.exit_code == 2 and "--decision" in result.output
    # a column that exists but is not production's actions
    result = invoke("simulate", plain, "--data", production, "--decision", "amount")
    assert result.exit_code == 2 and "not actions" in result.output
    result = invoke("simulate", plain, "--data", production, "--decision", "category")
    assert result.exit_code == 2 and "holds no action of the strategy" in result.output
    result = invoke("simulate", plain, "--data", production, "--decision", "prod_action",
                    "--no-outcome", "blok")  # fmt: skip
    assert result.exit_code == 2 and "did you mean `block`?" in result.output
    shouted = tmp_path / "shouted.parquet"
    pl.read_parquet(production).with_columns(
        pl.col("prod_action").replace("block", "BLOCK")
    ).write_parquet(shouted)
    result = invoke("simulate", plain, "--data", shouted, "--decision", "prod_action")
    assert result.exit_code == 2 and "writes the action 'block' as 'BLOCK'" in result.output
    result = invoke(
        "sweep",
        "--data",
        production,
        "--score",
        "score",
        "--label",
        "is_bad",
        "--decision",
        "amount",
    )
    assert result.exit_code == 2 and "not actions" in result.output


def test_a_weighted_curve_differs_from_the_naive_one(
    tmp_path: Path, production: Path, detector: Detector
) -> None:
    cand = strategy(tmp_path, "c", 0.7, 0.4, f"detectors: {{score: {detector.path}}}\n" + HISTORY)
    curves = {}
    for labels in ("naive", "estimate"):
        result = invoke(
            "sweep", "--data", production, "--strategy", cand, "--labels", labels, "--json"
        )
        assert result.exit_code == 0, result.output
        curves[labels] = json.loads(result.stdout)["points"]
    naive, weighted = curves["naive"][0], curves["estimate"][0]
    # the starting point (rows blocked whatever the review threshold) catches more once the
    # rows production blocked are weighted back in
    assert weighted["catch_rate"] > naive["catch_rate"]
    assert np.isclose(weighted["alert_rate"], naive["alert_rate"])


def test_the_report_shows_what_the_history_could_not_see(
    tmp_path: Path, production: Path, detector: Detector
) -> None:
    from html.parser import HTMLParser

    det = f"detectors: {{score: {detector.path}}}\n"
    cand = strategy(tmp_path, "c", 0.7, 0.4, det + HISTORY)
    base = strategy(tmp_path, "b", 0.8, 0.5, det)
    out = tmp_path / "r.html"
    result = invoke("report", cand, "-b", base, "--data", production, "--out", out)
    assert result.exit_code == 0, result.output

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.attrs: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "tr":
                self.attrs.append(dict(attrs))

    parser = Rows()
    text = out.read_text()
    parser.feed(text)
    keys = {k: v for a in parser.attrs for k, v in a.items() if k.startswith("data-")}
    assert 'id="unseen"' in text and "What this history could not see" in text
    assert keys["data-no-label"] == "blocked by production"
    marked = [a for a in parser.attrs if "data-estimate" in a]
    assert {a["data-estimate"] for a in marked} >= {
        "candidate:catch_rate",
        "baseline:false_positive_rate",
        "change:catch_rate",
    }
    assert len([a for a in parser.attrs if "data-swap-unknown" in a]) == 4
    assert len([a for a in parser.attrs if "data-sizing" in a]) == 2


def test_data_without_unseen_outcomes_has_no_such_section(tmp_path: Path, scored_path) -> None:
    out = tmp_path / "r.html"
    cand = strategy(tmp_path, "c", 0.7, 0.4)
    result = invoke("report", cand, "--data", scored_path, "--out", out)
    assert result.exit_code == 0, result.output
    assert 'id="unseen"' not in out.read_text()


def test_explain_reads_rows_with_no_label(tmp_path: Path, scored_path: Path, detector) -> None:
    df = pl.read_parquet(scored_path).head(500)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) >= 490).then(None).otherwise("is_bad"))
    data = tmp_path / "nl.parquet"
    df.write_parquet(data)
    out = tmp_path / "ex.parquet"
    result = invoke("explain", detector.path, data, "--out", out, "--summary")
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(out).height == 500


@pytest.mark.parametrize("kind", ["null_labels", "nan_labels"])
@pytest.mark.parametrize("command", ["simulate", "check", "tune"])
def test_null_and_nan_labels_are_valid_input_everywhere(
    kind: str, command: str, tmp_path: Path, history_path: Path, scored_path: Path, detector
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bad_input_makers import MAKERS, Inputs, strategy_text

    inputs = Inputs(tmp_path / "in", history_path, scored_path, detector.path, Path("."))
    inputs.dir.mkdir()
    data, simple = MAKERS[kind](inputs), MAKERS["simple"](inputs)
    if command == "check":  # a gate with no guardrail to check refuses to run
        simple = inputs.text("guarded.yaml", strategy_text("guardrails:\n  min_catch_rate: 0.01"))
    extra = ["--max-fpr", 0.05, "--out", tmp_path / "t.yaml"] if command == "tune" else []
    result = invoke(command, simple, "--data", data, "--json", *extra)
    assert result.exit_code in (0, 1), result.output  # 1: a guardrail or target not met
    body = json.loads(result.stdout)
    metrics = body["before"] if command == "tune" else body["candidate"]["metrics"]
    assert metrics["no_label"]["unlabelled"] == 250 and metrics["rows"] == 1000


def test_production_history_uses_the_strategys_own_column_names(
    tmp_path: Path, detector: Detector
) -> None:
    prod = tmp_path / "named.yaml"
    prod.write_text(
        "name: prod\nactions: [block, allow]\n"
        f"detectors: {{score: {detector.path}}}\n"
        "thresholds: {block: {score: 0.5}}\nlabel: is_bad\n"
        "history: {decision: my_action, control: ctl}\n"
    )
    out = tmp_path / "named.parquet"
    result = invoke("data", "generate", "--rows", 4000, "--production", prod, "--out", out)
    assert result.exit_code == 0, result.output
    assert {"my_action", "ctl", "p_allow"} <= set(pl.read_parquet(out).columns)
    assert invoke("simulate", prod, "--data", out).exit_code == 0


def test_no_stopped_row_in_the_control_group_means_no_estimate(
    tmp_path: Path, production: Path, detector: Detector
) -> None:
    """A control group that let none of the stopped rows through cannot stand in for them:
    the estimate is absent and says why, instead of equalling the naive value."""
    df = pl.read_parquet(production)
    stopped = pl.col("prod_action") == "block"
    cut = df.with_columns(
        pl.when(stopped).then(False).otherwise(pl.col("in_control")).alias("in_control"),
        pl.when(stopped).then(None).otherwise(pl.col("is_bad")).alias("is_bad"),
    )
    path = write_table(cut, tmp_path / "no-control-stopped.parquet")
    cand = strategy(tmp_path, "c", 0.7, 0.4, f"detectors: {{score: {detector.path}}}\n" + HISTORY)
    result = invoke("simulate", cand, "--data", path, "--json")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["candidate"]["metrics"]
    assert m["estimates"]["catch_rate"]["estimate"] is None
    assert any("no unbiased estimate" in n for n in m["notes"]), m["notes"]
    text = invoke("simulate", cand, "--data", path).output
    assert "not estimable" in text and "no unbiased estimate" in " ".join(text.split())
