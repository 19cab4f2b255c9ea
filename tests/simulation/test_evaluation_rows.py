"""Evaluation rows: a table holding a detector's own training rows is matched against its
recorded split, and by default measured on the rows it did not train on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.errors import DataError, UsageError
from riskctl.model.detector import Detector
from riskctl.model.score import score_file
from riskctl.model.train import train_detector
from riskctl.simulation.evaluation_rows import scored_by
from riskctl.simulation.simulate import run_simulation

STRATEGY = """name: s
detectors: {{score: {detector}}}
actions: [block, review, allow]
thresholds:
  block: {{score: 0.8}}
  review: {{score: 0.3}}
label: is_bad
time: event_time
amount: amount
"""


@pytest.fixture(scope="module", params=[[], ["order_id"]], ids=["with-id", "without-id"])
def part(request, tmp_path_factory: pytest.TempPathFactory, history: pl.DataFrame):
    """A detector trained on the earlier 60% of a 12,000-row history (with or without its
    id column), the whole history (its row number in `at`), and the strategy naming the
    detector."""
    work = tmp_path_factory.mktemp("evaluation-rows")
    whole = history.head(12_000).drop(request.param).sort("event_time").with_row_index("at")
    cut = whole["event_time"][int(whole.height * 0.6)]
    trained_on = whole.filter(pl.col("event_time") < cut)
    trained_on.drop("at").write_parquet(work / "train.parquet")
    det = train_detector(
        work / "train.parquet",
        label="is_bad",
        time="event_time",
        exclude=["attack"],
        out=work / "detector",
        seed=3,
        rounds=40,
    ).detector
    strategy = work / "s.yaml"
    strategy.write_text(STRATEGY.format(detector=det.path), encoding="utf-8")
    return work, det, whole, trained_on, strategy


def _learnt(det: Detector, trained_on: pl.DataFrame) -> pl.Series:
    """The rows of the whole history (by `at`) that trained or stopped the detector."""
    split = pl.read_parquet(det.path / "split.parquet")
    rows = split.filter(pl.col("slice").is_in(["train", "early_stopping"]))["row"]
    return trained_on["at"].gather(rows)


def _metrics(run) -> dict[str, float]:
    m = run.candidate.metrics
    return {
        "rows": m.rows,
        "flagged": m.flagged,
        "catch": m.catch_rate.value,
        "fpr": m.false_positive_rate.value,
    }


@pytest.mark.parametrize("missing", [[], ["ip"]], ids=["every-column", "a-column-missing"])
def test_default_leaves_out_training_rows_and_equals_the_held_out_rows_alone(
    part, missing: list[str]
) -> None:
    """Matched by the row digest, or by the id when a column the digest read is missing;
    with neither, the split is not known and every row counts."""
    work, det, whole, trained_on, strategy = part
    data = work / f"whole{len(missing)}.parquet"
    whole.drop("at", *missing).write_parquet(data)
    run = run_simulation(strategy, data)
    chosen = run.evaluation_rows
    by_id = "order_id" in whole.columns
    if missing and not by_id:
        assert chosen is None and run.candidate.metrics.rows == whole.height
        return
    assert chosen is not None and chosen.choice == "not-train"
    learnt = _learnt(det, trained_on)
    assert chosen.trained_on == len(learnt) > 0
    assert chosen.kept == whole.height - len(learnt)
    assert chosen.matched_by == (("'order_id'",) if missing else ("row digest",))
    assert "training rows" in (chosen.warning or "")
    # the oracle: the held-out rows, filtered by hand
    held = work / f"held{len(missing)}.parquet"
    whole.filter(~pl.col("at").is_in(learnt.implode())).drop("at", *missing).write_parquet(held)
    oracle = run_simulation(strategy, held, rows="all")
    assert _metrics(run) == _metrics(oracle)
    assert oracle.evaluation_rows is not None and oracle.evaluation_rows.trained_on == 0
    assert oracle.evaluation_rows.warning is None


def test_all_keeps_every_row_and_warns(part) -> None:
    work, det, whole, trained_on, strategy = part
    data = work / "whole-all.parquet"
    whole.drop("at").write_parquet(data)
    run = run_simulation(strategy, data, rows="all")
    assert run.candidate.metrics.rows == whole.height
    assert run.evaluation_rows is not None
    assert "flatter" in (run.evaluation_rows.warning or "")


def test_test_keeps_only_the_recorded_test_rows(part) -> None:
    work, det, whole, trained_on, strategy = part
    data = work / "whole-test.parquet"
    whole.drop("at").write_parquet(data)
    run = run_simulation(strategy, data, rows="test")
    split = pl.read_parquet(det.path / "split.parquet")
    assert run.candidate.metrics.rows == int((split["slice"] == "test").sum())


def test_the_training_file_itself_is_matched_by_row_number(part) -> None:
    work, det, whole, trained_on, strategy = part
    run = run_simulation(strategy, work / "train.parquet")
    assert run.evaluation_rows is not None
    assert run.evaluation_rows.matched_by == ("row number",)
    assert run.evaluation_rows.counts["new"] == 0
    split = pl.read_parquet(det.path / "split.parquet")
    assert run.evaluation_rows.kept == int((split["slice"] == "test").sum())


def test_rows_the_detector_never_saw_are_kept_without_a_warning(part) -> None:
    work, det, whole, trained_on, strategy = part
    later = work / "later.parquet"
    rest = whole.filter(~pl.col("at").is_in(trained_on["at"].implode())).drop("at")
    rest.write_parquet(later)
    run = run_simulation(strategy, later)
    assert run.evaluation_rows is not None
    assert run.evaluation_rows.counts["new"] == rest.height == run.candidate.metrics.rows
    assert run.evaluation_rows.warning is None
    with pytest.raises(DataError, match="keeps none"):
        run_simulation(strategy, later, rows="test")


def test_without_a_recorded_split_only_all_is_possible(tmp_path: Path, part) -> None:
    work, det, whole, trained_on, strategy = part
    data = work / "whole-none.parquet"
    whole.drop("at").write_parquet(data)
    plain = tmp_path / "plain.yaml"
    plain.write_text(STRATEGY.format(detector="./nowhere").replace("detectors:", "x_:"))
    plain.write_text(
        "name: p\nactions: [review, allow]\nrules:\n  - name: big\n    when: amount > 500\n"
        "    action: review\nlabel: is_bad\n"
    )
    assert run_simulation(plain, data).evaluation_rows is None
    with pytest.raises(UsageError, match="recorded split"):
        run_simulation(plain, data, rows="test")
    with pytest.raises(UsageError, match="--rows must be"):
        run_simulation(plain, data, rows="some")
    assert np.isfinite(run_simulation(plain, data, rows="all").candidate.metrics.rows)


def test_a_table_riskctl_scored_names_its_detector(tmp_path: Path, part) -> None:
    """`riskctl score` records the detector in the Parquet file it writes: a strategy that
    names no detector still has the training rows left out."""
    work, det, whole, trained_on, strategy = part
    data = tmp_path / "whole.parquet"
    whole.drop("at").write_parquet(data)
    scored = tmp_path / "scored.parquet"
    score_file(det.path, data, scored, keep_all=True)
    assert scored_by(scored) == det.path.resolve()
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "name: p\nactions: [review, allow]\nthresholds:\n  review: {score: 0.3}\n"
        "label: is_bad\ntime: event_time\n"
    )
    run = run_simulation(plain, scored)
    learnt = _learnt(det, trained_on)
    assert run.evaluation_rows is not None
    assert run.evaluation_rows.trained_on == len(learnt)
    assert run.candidate.metrics.rows == whole.height - len(learnt)
    assert scored_by(data) is None
