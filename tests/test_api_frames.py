"""The notebook API takes data as a path, a polars DataFrame or LazyFrame, or a pandas
DataFrame, and strategies as a path, a dict or a `Strategy`: every form gives the same
result. Results have DataFrame views; `write_report` works on any run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

import riskctl
from riskctl.errors import ConfigError, UsageError

pd = pytest.importorskip("pandas")

FORMS: dict[str, Callable[[Path], Any]] = {
    "path": lambda p: p,
    "str": str,
    "polars": pl.read_parquet,
    "lazy": pl.scan_parquet,
    "pandas": lambda p: pl.read_parquet(p).to_pandas(),
}


@pytest.fixture(scope="module")
def runs(scored_path: Path, example_strategies: Path) -> dict[str, Any]:
    cand, base = example_strategies / "candidate.yaml", example_strategies / "baseline.yaml"
    return {
        form: riskctl.simulate(cand, make(scored_path), baseline=base, by=["segment"])
        for form, make in FORMS.items()
    }


def test_simulate_gives_the_same_run_for_every_form_of_data(runs: dict[str, Any]) -> None:
    first = runs["path"]
    assert first.metrics().height > 5 and first.rule_table().height > 0
    for form, run in runs.items():
        assert_frame_equal(run.metrics(), first.metrics(), check_exact=True), form
        assert_frame_equal(run.rule_table(), first.rule_table(), check_exact=True), form
        assert_frame_equal(run.segments(), first.segments(), check_exact=True), form
        assert_frame_equal(run.swap_table(), first.swap_table(), check_exact=True), form
        assert_frame_equal(run.candidate.decisions, first.candidate.decisions), form


def test_the_metrics_view_is_the_run(runs: dict[str, Any]) -> None:
    run = runs["path"]
    view = run.metrics()
    row = view.filter(pl.col("metric") == "catch_rate").row(0, named=True)
    catch = run.candidate.metrics.catch_rate
    assert (row["candidate"], row["candidate_low"], row["candidate_high"]) == (
        catch.value,
        catch.low,
        catch.high,
    )
    delta = run.comparison.delta["false_positive_rate"]
    row = view.filter(pl.col("metric") == "false_positive_rate").row(0, named=True)
    assert (row["change"], row["change_low"], row["change_high"]) == (
        delta.value,
        delta.low,
        delta.high,
    )
    assert run.rule_table()["hits"].to_list() == [r.hits for r in run.candidate.rules]
    assert run.rule_table("baseline").height == len(run.baseline.rules)
    with pytest.raises(UsageError):
        run.rule_table("other")


def test_a_strategy_as_dict_or_model_equals_the_file(
    scored_path: Path, example_strategies: Path, runs: dict[str, Any]
) -> None:
    cand, base = example_strategies / "candidate.yaml", example_strategies / "baseline.yaml"
    raw = yaml.safe_load(cand.read_text())
    model = riskctl.Strategy.model_validate(raw)
    base_model = riskctl.load_strategy(base).strategy
    for candidate, baseline in [(raw, base), (model, base_model), (model, base)]:
        run = riskctl.simulate(candidate, scored_path, baseline=baseline, by=["segment"])
        assert_frame_equal(run.metrics(), runs["path"].metrics(), check_exact=True)
        assert_frame_equal(run.rule_table(), runs["path"].rule_table(), check_exact=True)
    assert riskctl.load_strategy(raw).strategy == riskctl.load_strategy(cand).strategy
    with pytest.raises(ConfigError, match="actions"):
        riskctl.load_strategy({**raw, "actions": ["allow"]})


def test_sweep_and_tune_for_every_form(
    scored_path: Path, example_strategies: Path, runs: dict[str, Any]
) -> None:
    first = riskctl.sweep(scored_path, score="score", label="is_bad")[0].curve()
    assert first.height > 10 and first["segment"].null_count() == first.height
    inside = example_strategies / "candidate.yaml"
    inside_first = riskctl.sweep(scored_path, strategy=inside)[0].points
    for form, make in FORMS.items():
        curve = riskctl.sweep(make(scored_path), score="score", label="is_bad")[0].curve()
        assert_frame_equal(curve, first, check_exact=True), form
        raw = yaml.safe_load(inside.read_text())
        within = riskctl.sweep(make(scored_path), strategy=raw)[0].points
        assert_frame_equal(within, inside_first, check_exact=True), form
    tuned = {form: riskctl.tune(run, "max_fpr", 0.01, holdout=0.3) for form, run in runs.items()}
    for form, result in tuned.items():
        assert result.after == tuned["path"].after, form
        assert_frame_equal(result.metrics(), tuned["path"].metrics(), check_exact=True)
    assert {"before", "after", "holdout_after"} <= set(tuned["path"].metrics().columns)


def test_score_and_explain_for_every_form(
    tmp_path: Path, scored_path: Path, detector, example_strategies: Path
) -> None:
    rows = tmp_path / "rows.parquet"
    pl.read_parquet(scored_path).head(300).drop("score").write_parquet(rows)
    first = riskctl.score(detector, rows)
    expected = pl.read_parquet(scored_path).head(300)["score"]
    assert first["score"].to_list() == pytest.approx(expected.to_list())
    explained = {}
    for form, make in FORMS.items():
        assert_frame_equal(riskctl.score(detector.path, make(rows)), first), form
        out = tmp_path / f"{form}.parquet"
        strategy = yaml.safe_load((example_strategies / "candidate.yaml").read_text())
        result = riskctl.explain_table(detector.path, make(rows), out, top=2, strategy=strategy)
        assert result.rows_in == 300
        explained[form] = pl.read_parquet(out)
    for form, frame in explained.items():
        assert_frame_equal(frame, explained["path"]), form


def test_train_on_a_frame_equals_training_on_its_file(tmp_path: Path, history_path: Path) -> None:
    small = tmp_path / "small.parquet"
    pl.read_parquet(history_path).head(6000).write_parquet(small)
    options = {"time": "event_time", "exclude": ["attack"], "rounds": 15, "seed": 3}
    scores = {}
    for form in ("path", "polars", "pandas"):
        result = riskctl.train(FORMS[form](small), "is_bad", tmp_path / form, **options)
        scores[form] = riskctl.score(result.detector, small)["score"]
    assert scores["polars"].to_list() == scores["path"].to_list()
    assert scores["pandas"].to_list() == scores["path"].to_list()


def test_write_report_works_on_any_run(
    tmp_path: Path, scored_path: Path, example_strategies: Path, detector
) -> None:
    frame = pl.read_parquet(scored_path)
    run = riskctl.simulate(example_strategies / "candidate.yaml", frame)  # no features kept
    assert any(f not in run.table.columns for f in detector.feature_names)
    html = riskctl.write_report(run, tmp_path / "r.html", detector.path)
    text = html.read_text()
    assert "<html" in text.lower() and detector.feature_names[0] in text
    md = riskctl.write_report(run, tmp_path / "r.md", fmt="md")
    assert md.read_text().startswith("#")


def test_other_data_is_refused_in_words(scored_path: Path, example_strategies: Path) -> None:
    with pytest.raises(UsageError, match="file path or a polars or pandas DataFrame, not list"):
        riskctl.simulate(example_strategies / "candidate.yaml", [1, 2, 3])
    with pytest.raises(UsageError, match="a YAML path, a dict or a riskctl.Strategy"):
        riskctl.simulate(42, scored_path)


def test_the_package_lists_its_api_and_pandas_stays_unloaded() -> None:
    assert set(riskctl.API) <= set(dir(riskctl)) and set(riskctl.API) <= set(riskctl.__all__)
    assert "Any" not in dir(riskctl) and "API" not in dir(riskctl)
    for name in riskctl.API:
        doc = getattr(riskctl, name).__doc__ or ""
        assert len(doc) > 40, name
        if name != "Strategy":
            assert "Returns:" in doc and ("Args:" in doc), name
    code = (
        "import sys, polars as pl, riskctl, riskctl.api; "
        "riskctl.api.as_frame(pl.DataFrame({'a': [1]})); print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False"], out.stderr
