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

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from riskctl import API
from riskctl.data.io import scan_table, write_text
from riskctl.errors import UsageError
from riskctl.explain.batches import ExplainOptions, ExplainResult, explain_file
from riskctl.gate.baseline_limits import check_guardrails, needs_baseline_measure
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.model.detector import load_detector as _load_detector
from riskctl.model.score import score_frame
from riskctl.model.train import TrainResult, train_detector
from riskctl.simulation.simulate import SimulationRun, run_simulation
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.load import load_strategy as _load_strategy
from riskctl.strategy.schema import Strategy
from riskctl.tuning.sweep import Curve
from riskctl.tuning.thresholds import Target, TuneResult
from riskctl.tuning.tradeoff import sweep_file
from riskctl.tuning.tune import tune_run

PathLike = str | Path
# a file path, a polars DataFrame or LazyFrame, or a pandas DataFrame (duck-typed: pandas
# is never imported by riskctl itself)
Table = str | Path | pl.DataFrame | pl.LazyFrame | Any
StrategyLike = str | Path | dict[str, Any] | Strategy


class _Inputs:
    """Frames and in-memory strategies as the files the library reads: written once into a
    private temporary folder, which is removed when the result that still reads them is
    garbage-collected (`keep_for`), else when the call ends. A run records the digest and
    name of what it read and reads its rows again later (reports, tuning): a file is what
    makes that the same rows."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.kept = False

    def _place(self, name: str) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="riskctl-api-"))
        return self.folder / name

    def table(self, data: Table, name: str = "data") -> Path:
        if isinstance(data, str | Path):
            return Path(data)
        frame = as_frame(data)
        path = self._place(f"{name}.parquet")
        if isinstance(frame, pl.LazyFrame):
            try:
                frame.sink_parquet(path)
            except pl.exceptions.InvalidOperationError:  # a plan streaming cannot run
                frame.collect().write_parquet(path)
        else:
            frame.write_parquet(path)
        return path

    def strategy(self, strategy: StrategyLike, name: str) -> Path:
        if isinstance(strategy, str | Path):
            return Path(strategy)
        return write_text(strategy_yaml(strategy), self._place(f"{name}.yaml"))

    def keep_for(self, owner: object) -> None:
        if self.folder is not None:
            weakref.finalize(owner, shutil.rmtree, self.folder, True)
            self.kept = True

    def close(self) -> None:
        if self.folder is not None and not self.kept:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def _inputs() -> Iterator[_Inputs]:
    made = _Inputs()
    try:
        yield made
    finally:
        made.close()


def as_frame(data: Any) -> pl.DataFrame | pl.LazyFrame:
    """A polars frame from a polars DataFrame or LazyFrame, or from a pandas DataFrame
    (converted by `pl.from_pandas`, index dropped); UsageError for anything else."""
    if isinstance(data, pl.DataFrame | pl.LazyFrame):
        return data
    if type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        return pl.from_pandas(data)
    raise UsageError(
        f"data must be a file path or a polars or pandas DataFrame, not {type(data).__name__}",
        hint="pass a Parquet, CSV or NDJSON path, or a DataFrame",
    )


def strategy_yaml(strategy: dict[str, Any] | Strategy) -> str:
    """A strategy given in memory as the YAML of a strategy file. Detector paths in it are
    relative to the working directory (in a file they are relative to the file)."""
    import yaml

    if isinstance(strategy, Strategy):
        raw: Any = strategy.model_dump(mode="json", exclude_defaults=True)
    elif isinstance(strategy, dict):
        raw = dict(strategy)
    else:
        raise UsageError(
            "a strategy must be a YAML path, a dict or a riskctl.Strategy, "
            f"not {type(strategy).__name__}"
        )
    if isinstance(raw.get("detectors"), dict):
        raw["detectors"] = {
            k: str(Path(v).resolve()) if isinstance(v, str | Path) else v
            for k, v in raw["detectors"].items()
        }
    try:
        return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        raise UsageError(
            f"the strategy dict holds a value that is not plain data: {exc}",
            hint="use str, int, float, bool, list and dict values only",
        ) from None


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
    made = _Inputs()
    loaded = _load_strategy(made.strategy(strategy, "strategy"))
    made.keep_for(loaded)
    return loaded


def simulate(
    candidate: StrategyLike,
    data: Table,
    baseline: StrategyLike | None = None,
    by: list[str] | None = None,
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
            outcomes production chose; `history=` earlier events as context for derived
            features; `carry=` further columns to keep in `run.table`.

    Returns:
        A `SimulationRun`: `run.candidate.metrics` (every metric, with 95% intervals),
        `run.candidate.decisions` (one row per input row), with a baseline
        `run.comparison` (paired changes, swap set); as DataFrames `run.metrics()`,
        `run.rule_table()`, `run.segments()`, `run.swap_table()`.
    """
    with _inputs() as made:
        run = run_simulation(
            made.strategy(candidate, "candidate"),
            made.table(data),
            made.strategy(baseline, "baseline") if baseline is not None else None,
            by=by,
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
        **options: `amount=`, `by=` (one curve per value), `action=`, `compact=`.

    Returns:
        One `Curve` per segment: `.points` (or `.curve()` with a `segment` column) holds
        threshold, flagged, caught, catch rate and false-positive rate per point.
    """
    with _inputs() as made:
        chosen = made.strategy(strategy, "strategy") if strategy is not None else None
        return sweep_file(made.table(data), score, label, strategy=chosen, **options)


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


def train(data: Table, label: str, out: PathLike, **options: Any) -> TrainResult:
    """Train an XGBoost detector and write its directory (model and manifest).

    Args:
        data: labelled rows (path, polars or pandas frame).
        label: the label column (1 = bad).
        out: the detector directory to write.
        **options: `time=`, `exclude=`, `features_spec=` (a features YAML for raw events),
            `rounds=`, `seed=`, `config=`... as `riskctl train` takes them.

    Returns:
        A `TrainResult`: `.detector` (ready to score), `.roles`, `.warnings`.
    """
    with _inputs() as made:
        return train_detector(made.table(data), label=label, out=Path(out), **options)


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
    model: PathLike, data: Table, out: PathLike | None = None, **options: Any
) -> ExplainResult:
    """Exact SHAP contributions and reason codes per row.

    Args:
        model: a detector directory.
        data: the rows to explain (path, polars or pandas frame).
        out: where to write the contributions (Parquet or CSV); None writes nothing.
        **options: `top=`, `strategy=` (path, dict or `Strategy`: explain its decisions),
            `catalogue=`, `only_flagged=`, `summary=True` for global views.

    Returns:
        An `ExplainResult`: rows in and explained, `.summary` with `summary=True`.
    """
    with _inputs() as made:
        if options.get("strategy") is not None:
            options["strategy"] = made.strategy(options["strategy"], "strategy")
        return explain_file(
            Path(model), made.table(data), Path(out) if out else None, ExplainOptions(**options)
        )


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
        **options: `catalogue=` (reason codes), `fmt=`, `log_fpr=`, `show_ids=`,
            `command=` (the line shown as how the report was made).

    Returns:
        The path written.
    """
    from riskctl.report.build import report_for_run  # the report stack loads on demand

    det = _load_detector(Path(model)) if isinstance(model, str | Path) else model
    det = det or next(iter(run.detectors.values()), None)
    if det is not None and any(f not in run.table.columns for f in det.feature_names):
        run = _again(run, carry=[*det.feature_names, *(det.manifest.get("ids") or [])])
    measured = _again(run, measure_as_baseline=True) if needs_baseline_measure(run) else None
    command = options.pop("command", "riskctl (Python API)")
    guardrails = check_guardrails(run, measured=measured)
    return report_for_run(run, guardrails, det, Path(out), command, **options)


def _again(run: SimulationRun, **change: Any) -> SimulationRun:
    """The same simulation (same files, roles and breakdowns), with `change`."""
    roles = run.roles
    return run_simulation(
        run.candidate.loaded.path,
        run.data_path,
        baseline=run.baseline.loaded.path if run.baseline else None,
        label=roles.label,
        time=roles.time,
        amount=roles.amount,
        by=list(run.candidate.by) or None,
        history=run.history_path,
        production=roles.history,
        **change,
    )


__all__ = list(API)  # the entry points, listed once in riskctl/__init__.py
