"""One engine, two executors: each step runs on this machine, or on the Dask cluster at
`scheduler` with the same results.

`scheduler`: a Dask scheduler address (`tcp://host:8786`); None: this machine (the command
line reads RISKCTL_SCHEDULER, the library does not). `timeout`: seconds a cluster job may
take (default: RISKCTL_DASK_TIMEOUT, else 3600). On a cluster, data may be a directory or glob of
Parquet parts; what runs on one machine only is refused by name (never silently ignored).
The cluster modules (and Dask) load only when a cluster is used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from riskctl.data.output import check_output_dir, check_output_file
from riskctl.distributed.cluster import ClusterOptions, cluster_options
from riskctl.explain.batches import ExplainOptions, ExplainResult, explain_file
from riskctl.features.run import FeaturesRun, features_file
from riskctl.gate.baseline_limits import needs_baseline_measure
from riskctl.model.score import ScoreSummary, score_file
from riskctl.model.train import TrainOptions, TrainResult, train
from riskctl.output.json import write_metrics, write_simulation
from riskctl.rules.options import Options
from riskctl.rules.suggest import Suggestion
from riskctl.rules.suggest import suggest_rules as rules_here
from riskctl.simulation.evaluation_rows import EvaluationRows
from riskctl.simulation.simulate import SimulationRun, run_simulation
from riskctl.strategy.schema import History
from riskctl.tuning.sweep import Curve
from riskctl.tuning.tradeoff import sweep_rows

Progress = Callable[[int, int], None]


def _cluster(scheduler: str | None, timeout: float | None) -> ClusterOptions | None:
    return cluster_options(scheduler, timeout, from_environment=False)


def refuse_on_cluster(
    scheduler: str | None, timeout: float | None, given: dict[str, object]
) -> None:
    """With a cluster, the first option of `given` (name -> value) that is set is refused:
    it runs on one machine only."""
    if _cluster(scheduler, timeout) is not None:
        from riskctl.distributed.limits import one_machine_only

        one_machine_only(given)


def suggest_rules(
    strategy: Path,
    data: Path,
    opts: Options,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> Suggestion:
    """`riskctl rules suggest` here, or with every pass over the rows on the cluster (the
    same rules and numbers; no shadow run is kept for a report)."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        return rules_here(strategy, data, opts)
    from riskctl.distributed.rules_search import suggest_on_cluster

    return suggest_on_cluster(strategy, data, opts, cluster)


def simulate(
    candidate: Path,
    data: Path,
    baseline: Path | None = None,
    label: str | None = None,
    time: str | None = None,
    amount: str | None = None,
    by: list[str] | None = None,
    data_sha256: str | None = None,
    carry: list[str] | None = None,
    context: Path | None = None,
    production: History | None = None,
    measure_as_baseline: bool = False,
    out: Path | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    rows: str | None = None,
) -> SimulationRun:
    """`run_simulation` here, or on the cluster (its run holds no rows: `run.table` is
    empty); with `out`, the per-row decisions and the metrics written there (on a cluster,
    decisions/ and baseline_decisions/ as partitioned Parquet). `rows`: which rows count
    against the detectors' recorded splits (see `riskctl.simulation.evaluation_rows`)."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        run = run_simulation(
            candidate, data, baseline, label, time, amount, by, data_sha256, carry, context,
            production, measure_as_baseline, rows,
        )  # fmt: skip
        if out is not None:
            write_simulation(run, out)
        return run
    from riskctl.distributed.limits import one_machine_only
    from riskctl.distributed.simulate import simulate_dataset

    one_machine_only({"production": production, "carry": carry, "rows": rows})
    run = simulate_dataset(
        candidate, data, cluster, baseline, label, time, amount, by, data_sha256, out,
        context=context, measure_as_baseline=measure_as_baseline,
    )  # fmt: skip
    if out is not None:
        write_metrics(run, out)
    return run


def measured_as_baseline(
    run: SimulationRun,
    candidate: Path,
    data: Path,
    baseline: Path | None = None,
    label: str | None = None,
    time: str | None = None,
    amount: str | None = None,
    data_sha256: str | None = None,
    context: Path | None = None,
    production: History | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    own_only: bool = False,
    rows: str | None = None,
) -> SimulationRun | None:
    """The candidate's decisions measured with the baseline's measurement settings (label,
    bad, time, amount, costs, reviews, maturity, history), when the baseline's guardrails
    are judged on `run` and those settings differ (`needs_baseline_measure`); else None.
    The arguments are those `run` was simulated with."""
    if not needs_baseline_measure(run, own_only):
        return None
    return simulate(
        candidate, data, baseline, label, time, amount, None, data_sha256, None, context,
        production, True, scheduler=scheduler, timeout=timeout, rows=rows,
    )  # fmt: skip


def sweep(
    data: Path,
    score: str | None,
    label: str | None,
    amount: str | None = None,
    by: str | None = None,
    strategy: Path | None = None,
    action: str | None = None,
    compact: bool = False,
    history: History | None = None,
    labels: str = "auto",
    scheduler: str | None = None,
    timeout: float | None = None,
    rows: str | None = None,
) -> tuple[list[Curve], EvaluationRows | None]:
    """`sweep_rows` here, or on the cluster from merged per-part score histograms (which
    matches no rows against a detector's split: the second value is None there)."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        args = (data, score, label, amount, by, strategy, action, compact, history, labels)
        return sweep_rows(*args, rows)
    from riskctl.distributed.limits import one_machine_only
    from riskctl.distributed.sweep import sweep_dataset

    one_machine_only({"history": history, "labels": labels, "rows": rows})
    return sweep_dataset(data, cluster, score, label, amount, by, strategy, action, compact), None


def features(
    spec: Path,
    data: Path,
    out: Path,
    context: Path | None = None,
    progress: Progress | None = None,
    memory_limit: int | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> FeaturesRun:
    """`features_file` here, or on the cluster (`out`: a directory of one part per part)."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        check_output_file(out)
        return features_file(spec, data, out, context, progress, memory_limit)
    from riskctl.distributed.features import features_dataset
    from riskctl.distributed.limits import one_machine_only

    one_machine_only({"memory_limit": memory_limit})
    return features_dataset(spec, data, out, cluster, context, progress)


def train_detector(
    data: Path,
    out: Path,
    options: TrainOptions,
    progress: Progress | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> TrainResult:
    """`model.train.train` here, or on the cluster with xgboost.dask (the same detector
    directory)."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        return train(data, out, options, progress)
    from riskctl.distributed.train import train_dataset

    return train_dataset(data, out, options, cluster)


def score(
    detector: Path,
    data: Path,
    out: Path,
    keep: list[str] | None = None,
    keep_all: bool = False,
    context: Path | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    column: str = "score",
    replace: bool = False,
) -> ScoreSummary:
    """`score_file` here, or each part on the cluster into `out/part-NNNNN.parquet`.
    `column`: the score's name; `replace`: overwrite a column of that name in the data."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        check_output_file(out)
        return score_file(
            detector, data, out, keep=keep, column=column, progress=progress,
            keep_all=keep_all, context=context, replace=replace,
        )  # fmt: skip
    from riskctl.distributed.rows import score_dataset

    check_output_dir(out, create=False)
    return score_dataset(
        detector, data, out, cluster, keep, column, progress=progress, keep_all=keep_all,
        context=context, replace=replace,
    )  # fmt: skip


def explain(
    detector: Path,
    data: Path,
    out: Path | None,
    options: ExplainOptions,
    progress: Progress | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> ExplainResult:
    """`explain_file` here, or each part on the cluster into `out/part-NNNNN.parquet`."""
    cluster = _cluster(scheduler, timeout)
    if cluster is None:
        if out is not None:
            check_output_file(out)
        return explain_file(detector, data, out, options, progress)
    from riskctl.distributed.rows import explain_dataset

    if out is not None:
        check_output_dir(out, create=False)
    return explain_dataset(detector, data, out, cluster, options, progress)
