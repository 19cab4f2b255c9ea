"""The Python API for notebooks: the same steps the commands run, as functions that return
values (frozen dataclasses and polars frames) and raise `RiskctlError`s.

Data is a file path (Parquet, CSV, NDJSON) or a frame: polars `DataFrame` or `LazyFrame`,
or a pandas `DataFrame`. A strategy is a YAML path, a dict of the same keys, or a
`riskctl.Strategy`. Results have DataFrame views (`run.metrics()`, `run.rule_table()`,
`curve.curve()`, `tuned.metrics()`).

    import riskctl
    run = riskctl.simulate("strategies/candidate.yaml", frame,
                           baseline="strategies/baseline.yaml")
    run.metrics()                               # one row per metric, with 95% intervals
    riskctl.check(run)                          # guardrail verdicts
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from riskctl import API, executor
from riskctl.api_inputs import Inputs, PathLike, StrategyLike, Table, as_frame, inputs
from riskctl.data.io import scan_table
from riskctl.explain.batches import ExplainOptions, ExplainResult
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.model.detector import load_detector as _load_detector
from riskctl.model.score import score_frame
from riskctl.model.train import TrainResult, train_options
from riskctl.rules.options import options_of
from riskctl.rules.suggest import Suggestion
from riskctl.rules.write import write_suggested
from riskctl.simulation.simulate import SimulationRun
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.load import load_strategy as _load_strategy
from riskctl.strategy.schema import Strategy as Strategy  # part of the API
from riskctl.tuning.sweep import Curve
from riskctl.tuning.thresholds import Target, TuneResult
from riskctl.tuning.tune import tune_run


def load_strategy(strategy: StrategyLike) -> LoadedStrategy:
    """Load and validate a strategy: a YAML file, a dict of its keys, or a `Strategy`.

    Args:
        strategy: a path to a strategy YAML file, a dict with the same keys as the file,
            or a `riskctl.Strategy` model.

    Returns:
        A `LoadedStrategy`: `.strategy` (the validated `Strategy` model), `.path`,
        `.sha256` and the line of every key.

    Raises:
        ConfigError: an unknown key, a wrong value or bad YAML, naming file:line and a fix.
    """
    made = Inputs()
    loaded = _load_strategy(made.strategy(strategy, "strategy"))
    made.keep_for(loaded)
    return loaded


def simulate(
    candidate: StrategyLike,
    data: Table,
    baseline: StrategyLike | None = None,
    by: list[str] | None = None,
    scheduler: str | None = None,
    **roles: Any,
) -> SimulationRun:
    """Apply a strategy (and a baseline) to labelled history.

    Args:
        candidate: the strategy to judge (path, dict or `Strategy`).
        data: the labelled history (path, polars or pandas frame); raw events get the
            detectors' derived features.
        baseline: the current strategy to compare with (path, dict or `Strategy`).
        by: columns to break the metrics down by (`"segment"`: the strategy's segments).
        **roles: `label=`, `time=`, `amount=` when the strategy does not name them;
            `production=` (a `riskctl.strategy.schema.History`) for a history whose
            outcomes production chose; `context=` earlier events as context for derived
            features; `carry=` further columns to keep in `run.table`; `rows=` which rows
            count against a detector's recorded split (`test`, `not-train`, `all`);
            `timeout=` seconds on a cluster.
        scheduler: a Dask scheduler address (`tcp://host:8786`) to run on that cluster with
            the same numbers (`data` may then be a directory or glob of Parquet parts).

    Returns:
        A `SimulationRun`: `run.candidate.metrics` (every metric, with 95% intervals),
        `run.candidate.decisions` (one row per input row), with a baseline
        `run.comparison` (paired changes, swap set); as DataFrames `run.metrics()`,
        `run.rule_table()`, `run.segments()`, `run.swap_table()`.
    """
    with inputs() as made:
        run = executor.simulate(
            made.strategy(candidate, "candidate"),
            made.table(data),
            made.strategy(baseline, "baseline") if baseline is not None else None,
            by=by,
            scheduler=scheduler,
            **roles,
        )
        made.keep_for(run)
    return run


def check(
    run: SimulationRun,
    strict: bool = False,
    labels: str = "auto",
    own_only: bool = False,
    measured: SimulationRun | None = None,
) -> list[GuardrailResult]:
    """The candidate's guardrails judged on a simulation run.

    Args:
        run: a `simulate` result.
        strict: judge the point estimates, not the 95% intervals.
        labels: with unseen outcomes, `naive`, `bounds` or `estimate` (default `auto`:
            the control-group estimate when there is one).
        own_only: the candidate's guardrails alone; otherwise with a baseline the
            baseline's too, the stricter limit where both set one.
        measured: when the candidate changes how metrics are measured (label, time,
            costs, reviews...), the run of `simulate(..., measure_as_baseline=True)` for
            the baseline's guardrails; without it they fail as not checked.

    Returns:
        One `GuardrailResult` per limit (`.id`, `.passed`, `.message`, `.source`: whose
        limit); empty when there is nothing to check.
    """
    return check_guardrails(run, strict=strict, labels=labels, own_only=own_only, measured=measured)


def sweep(
    data: Table,
    score: str | None = None,
    label: str | None = None,
    strategy: StrategyLike | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> list[Curve]:
    """Exact trade-off curves of a score: every distinct threshold's catch rate and
    false-positive rate.

    Args:
        data: scored, labelled rows (path, polars or pandas frame).
        score: the score column (with a strategy: default the tuned action's).
        label: the label column (with a strategy: default the strategy's).
        strategy: sweep the score inside this strategy, whose rules and other thresholds
            stay as they are (path, dict or `Strategy`).
        scheduler: a Dask scheduler address: merge per-part histograms on that cluster.
        **options: `amount=`, `by=` (one curve per value), `action=`, `compact=`,
            `rows=`, `timeout=`.

    Returns:
        One `Curve` per segment: `.points` (or `.curve()` with a `segment` column) holds
        threshold, flagged, caught, catch rate and false-positive rate per point.
    """
    with inputs() as made:
        chosen = made.strategy(strategy, "strategy") if strategy is not None else None
        table = made.table(data)
        return executor.sweep(table, score, label, strategy=chosen, scheduler=scheduler, **options)[
            0
        ]


def tune(run: SimulationRun, target: str, value: float | None = None, **options: Any) -> TuneResult:
    """The threshold that meets a target, on a simulation run's rows.

    Args:
        run: a `simulate` result.
        target: `max_fpr`, `review_capacity`, `min_precision`, `min_catch_rate` (each with
            `value`) or `min_cost`.
        value: the target's limit.
        **options: `holdout=` (a fraction kept aside, latest rows), `by=`, `action=`,
            `score=`.

    Returns:
        A `TuneResult`: `.after` (the threshold), `.met`, and `.metrics()` before and after
        (and on the holdout) as a DataFrame.
    """
    return tune_run(run, Target(target, value), **options)


def train(
    data: Table, label: str, out: PathLike, scheduler: str | None = None, **options: Any
) -> TrainResult:
    """Train an XGBoost detector and write its directory (model and manifest).

    Args:
        data: labelled rows (path, polars or pandas frame).
        label: the label column (1 = bad).
        out: the detector directory to write.
        **options: `time=`, `exclude=`, `features_spec=` (a features YAML for raw events),
            `rounds=`, `seed=`, `config=`... as `riskctl train` takes them; `progress=`,
            `timeout=`.
        scheduler: a Dask scheduler address: train there with xgboost.dask.

    Returns:
        A `TrainResult`: `.detector` (ready to score), `.roles`, `.warnings`.
    """
    progress, timeout = options.pop("progress", None), options.pop("timeout", None)
    o = train_options(label, **options)
    with inputs() as made:
        table = made.table(data)
        return executor.train_detector(table, Path(out), o, progress, scheduler, timeout)


def load_detector(path: PathLike) -> Detector:
    """Load a detector directory, its integrity checked.

    Args:
        path: a directory written by `train` or `riskctl train`.

    Returns:
        A `Detector`: `.feature_names`, `.manifest`, `.score(frame)`.
    """
    return _load_detector(Path(path))


def score(model: Detector | PathLike, data: Table, column: str = "score") -> pl.DataFrame:
    """Score rows with a detector; raw events get its derived features first.

    Args:
        model: a `Detector` or its directory.
        data: the rows (path, polars or pandas frame).
        column: the name of the new score column.

    Returns:
        The rows (a polars DataFrame) with the detector's probability in `column`.
    """
    from riskctl.features.stored import with_stored_features  # raw events only: heavy

    det = model if isinstance(model, Detector) else _load_detector(Path(model))
    lazy = scan_table(data) if isinstance(data, str | Path) else as_frame(data).lazy()
    frame = with_stored_features(lazy, det.path, det.manifest, None).collect()
    return score_frame(det, frame, column)


def explain_table(
    model: PathLike,
    data: Table,
    out: PathLike | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> ExplainResult:
    """Exact SHAP contributions and reason codes per row.

    Args:
        model: a detector directory.
        data: the rows to explain (path, polars or pandas frame).
        out: where to write the contributions (Parquet or CSV); None writes nothing.
        **options: `top=`, `strategy=` (path, dict or `Strategy`: explain its decisions),
            `catalogue=`, `only_flagged=`, `summary=True` for global views.
        scheduler: a Dask scheduler address: explain each part on that cluster.

    Returns:
        An `ExplainResult`: rows in and explained, `.summary` with `summary=True`.
    """
    with inputs() as made:
        if options.get("strategy") is not None:
            options["strategy"] = made.strategy(options["strategy"], "strategy")
        where = Path(out) if out else None
        o = ExplainOptions(**options)
        return executor.explain(Path(model), made.table(data), where, o, scheduler=scheduler)


def write_report(
    run: SimulationRun, out: PathLike, model: Detector | PathLike | None = None, **options: Any
) -> Path:
    """Write the self-contained HTML report (or with `fmt="md"` its Markdown summary) of
    any simulation run.

    Args:
        run: a `simulate` result.
        out: the file to write.
        model: the detector whose reasons the report explains (a `Detector` or its
            directory; default: the strategy's own detector, if any). When the run did not
            keep its feature columns, the run is repeated with them.
        **options: `catalogue=` (reason codes), `fmt=`, `fpr_axis=` (`log` or `linear`),
            `show_ids=`,
            `command=` (the line shown as how the report was made).

    Returns:
        The path written.
    """
    from riskctl.report.build import report_for_run  # the report stack loads on demand

    det = _load_detector(Path(model)) if isinstance(model, str | Path) else model
    det = det or next(iter(run.detectors.values()), None)
    if det is not None and any(f not in run.table.columns for f in det.feature_names):
        run = _again(run, carry=[*det.feature_names, *det.ids])
    measured = executor.measured_as_baseline(run, **_inputs_of(run))
    command = options.pop("command", "riskctl (Python API)")
    guardrails = check_guardrails(run, measured=measured)
    return report_for_run(run, guardrails, det, Path(out), command, **options)


def suggest_rules(
    strategy: StrategyLike,
    data: Table,
    out: PathLike | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    **options: Any,
) -> Suggestion:
    """Rules for the bad rows a strategy lets through, chosen on the earlier rows and
    measured on the later ones (`riskctl rules suggest`).

    Args:
        strategy: the strategy running today (path, dict or `Strategy`).
        data: the labelled history (path, polars or pandas frame).
        out: write the strategy with the rules added in shadow mode there.
        scheduler: a Dask scheduler address to search on that cluster (the same result);
            `timeout=` seconds it may take.
        **options: `budget_fpr=` (0.002), `action=`, `max_rules=`, `max_conditions=`,
            `columns=`, `exclude=`, `holdout=` or `holdout_from=`, `folds=`, `min_folds=`,
            `seed=`, `attack=`, `label=`, `time=`, `amount=`, as the command's options.

    Returns:
        A `Suggestion`: `.rules` (each with its holdout change and intervals), `.together`,
        `.within_budget`, `.to_dict()` (the command's `--json`), `.table()` (one row per
        rule).
    """
    opts = options_of(options)
    with inputs() as made:
        where = made.strategy(strategy, "strategy")
        found = executor.suggest_rules(where, made.table(data), opts, scheduler, timeout)
        if out is not None:
            write_suggested(found, Path(out))
        made.keep_for(found)
    return found


def _inputs_of(run: SimulationRun) -> dict[str, Any]:
    """The files, roles and row choice `run` was simulated with."""
    roles = run.roles
    return {
        "candidate": run.candidate.loaded.path,
        "data": run.data_path,
        "baseline": run.baseline.loaded.path if run.baseline else None,
        "label": roles.label,
        "time": roles.time,
        "amount": roles.amount,
        "context": run.context_path,
        "production": roles.history,
        "rows": run.evaluation_rows.choice if run.evaluation_rows else None,
    }


def _again(run: SimulationRun, **change: Any) -> SimulationRun:
    """The same simulation (same files, roles, breakdowns and rows), with `change`."""
    return executor.simulate(**_inputs_of(run), by=list(run.candidate.by) or None, **change)


__all__ = list(API)  # the entry points, listed once in riskctl/__init__.py
