"""The Python API for notebooks: the same steps the commands run, as functions that return
values (frozen dataclasses and polars frames) and raise `RiskctlError`s.

    import riskctl
    run = riskctl.simulate("strategies/candidate.yaml", "scored.parquet",
                           baseline="strategies/baseline.yaml")
    run.candidate.metrics.catch_rate          # Proportion(value, low, high, k, n)
    riskctl.check(run)                         # guardrail verdicts
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from riskctl import API, executor
from riskctl.explain.batches import ExplainOptions, ExplainResult
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.model.detector import load_detector as _load_detector
from riskctl.model.score import score_frame
from riskctl.model.train import TrainResult, train_options
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import SimulationRun
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.load import load_strategy as _load_strategy
from riskctl.tuning.sweep import Curve
from riskctl.tuning.thresholds import Target, TuneResult
from riskctl.tuning.tune import tune_run

PathLike = str | Path


def load_strategy(path: PathLike) -> LoadedStrategy:
    """Load and validate a strategy YAML file (errors name file:line and a fix)."""
    return _load_strategy(Path(path))


def simulate(
    candidate: PathLike,
    data: PathLike,
    baseline: PathLike | None = None,
    by: list[str] | None = None,
    scheduler: str | None = None,
    **roles: Any,
) -> SimulationRun:
    """Apply a strategy (and a baseline) to history: decisions, metrics with 95% intervals,
    the rule table, and with a baseline the paired change and the swap set. `roles`:
    `label=`, `time=`, `amount=` when the strategy does not name them; `production=` (a
    `riskctl.strategy.schema.History`) for a history production chose outcomes of;
    `measure_as_baseline=True` for the candidate measured the baseline's way. `scheduler`:
    a Dask scheduler address (`tcp://host:8786`) to run on that cluster with the same
    numbers (`data` may then be a directory or glob of Parquet parts; `timeout=` seconds)."""
    return executor.simulate(
        Path(candidate),
        Path(data),
        Path(baseline) if baseline else None,
        by=by,
        scheduler=scheduler,
        **roles,
    )


def check(
    run: SimulationRun,
    strict: bool = False,
    labels: str = "auto",
    own_only: bool = False,
    measured: SimulationRun | None = None,
) -> list[GuardrailResult]:
    """The candidate's guardrails judged on the run (on 95% intervals unless `strict`), and
    with a baseline the baseline's too, the stricter limit where both set one (`own_only`:
    the candidate's alone; each result's `source` says whose limit it is); `labels`: naive,
    bounds or estimate when some outcomes were unseen (default: the control-group estimate
    when there is one). An empty list means there was nothing to check. When the candidate
    changes how metrics are measured (label, time, costs, reviews...), the baseline's
    guardrails need `measured`, the run of `simulate(..., measure_as_baseline=True)`;
    without it they fail as not checked."""
    return check_guardrails(run, strict=strict, labels=labels, own_only=own_only, measured=measured)


def sweep(
    data: PathLike,
    score: str | None = None,
    label: str | None = None,
    strategy: PathLike | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> list[Curve]:
    """Exact trade-off curves of a score (one per `by=` segment), alone or inside a
    strategy whose rules and other thresholds stay as they are (`scheduler`: on that Dask
    cluster)."""
    return executor.sweep(
        Path(data),
        score,
        label,
        strategy=Path(strategy) if strategy else None,
        scheduler=scheduler,
        **options,
    )[0]


def tune(run: SimulationRun, target: str, value: float | None = None, **options: Any) -> TuneResult:
    """The threshold that meets a target: `max_fpr`, `review_capacity`, `min_precision`,
    `min_catch_rate` (with `value`) or `min_cost`; `holdout=`, `by=`, `action=`, `score=`."""
    return tune_run(run, Target(target, value), **options)


def train(
    data: PathLike, label: str, out: PathLike, scheduler: str | None = None, **options: Any
) -> TrainResult:
    """Train an XGBoost detector and write its directory (model + manifest); `scheduler`:
    on that Dask cluster (xgboost.dask)."""
    progress, timeout = options.pop("progress", None), options.pop("timeout", None)
    o = train_options(label, **options)
    return executor.train_detector(Path(data), Path(out), o, progress, scheduler, timeout)


def load_detector(path: PathLike) -> Detector:
    """Load a detector directory (integrity checked)."""
    return _load_detector(Path(path))


def score(model: Detector | PathLike, frame: pl.DataFrame, column: str = "score") -> pl.DataFrame:
    """`frame` with the detector's probability per row in `column`."""
    det = model if isinstance(model, Detector) else _load_detector(Path(model))
    return score_frame(det, frame, column)


def explain_table(
    model: PathLike,
    data: PathLike,
    out: PathLike | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> ExplainResult:
    """Exact SHAP contributions and reason codes per row (`top=`, `strategy=`,
    `only_flagged=`, `summary=True` for global views; `scheduler`: on that Dask cluster)."""
    o = ExplainOptions(**options)
    where = Path(out) if out else None
    return executor.explain(Path(model), Path(data), where, o, scheduler=scheduler)


def write_report(
    run: SimulationRun, out: PathLike, model: Detector | None = None, **options: Any
) -> Path:
    """Write the self-contained HTML report (or `fmt="md"`) of a simulation run."""
    return report_for_run(
        run, check_guardrails(run), model, Path(out), "riskctl (Python API)", **options
    )


__all__ = list(API)  # the one list of entry points, in riskctl/__init__.py
