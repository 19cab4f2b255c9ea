"""The Python API chooses the executor as the command line does: `scheduler=` runs a step on
that Dask cluster with the one-machine numbers; without it, the step runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

import riskctl
from riskctl.errors import UsageError
from riskctl.output.json import run_to_dict
from riskctl.simulation.simulate import SimulationRun
from riskctl.strategy.schema import History
from tests.distributed.conftest import assert_same


def _facts(run: SimulationRun) -> dict:
    facts = json.loads(json.dumps(run_to_dict(run), default=str))
    facts.pop("data")  # the path and digest of a file and of a set of parts differ
    return facts


def test_simulate_on_a_cluster_from_python(
    small_scored: Path, scored_parts: Path, address: str, example_strategies: Path
) -> None:
    strategy, baseline = (example_strategies / f"{n}.yaml" for n in ("candidate", "baseline"))
    here = riskctl.simulate(strategy, small_scored, baseline=baseline, by=["segment"])
    there = riskctl.simulate(
        strategy, scored_parts, baseline=baseline, by=["segment"], scheduler=address
    )
    assert here.candidate.metrics.rows == there.candidate.metrics.rows > 0
    assert_same(_facts(here), _facts(there))


def test_sweep_on_a_cluster_from_python(
    small_scored: Path, scored_parts: Path, address: str
) -> None:
    options = {"score": "score", "label": "is_bad", "amount": "amount", "by": "category"}
    here = riskctl.sweep(small_scored, **options)
    there = riskctl.sweep(scored_parts, scheduler=address, **options)
    assert [c.segment for c in here] == [c.segment for c in there] and len(here) > 1
    for a, b in zip(here, there, strict=True):
        assert (a.rows, a.bad, a.no_label) == (b.rows, b.bad, b.no_label)
        money = [c for c in a.points.columns if "amount" in c]  # sums in another order
        assert money and a.points.columns == b.points.columns
        assert_frame_equal(a.points.drop(money), b.points.drop(money), check_exact=True)
        assert_frame_equal(a.points[money], b.points[money], rel_tol=1e-9, abs_tol=1e-9)


def test_what_runs_here_only_is_refused_by_name_on_a_cluster(
    scored_parts: Path, address: str, example_strategies: Path
) -> None:
    production = History(decision="decision")
    with pytest.raises(UsageError, match="production runs on one machine only"):
        riskctl.simulate(
            example_strategies / "candidate.yaml",
            scored_parts,
            production=production,
            scheduler=address,
        )


def test_without_a_scheduler_the_library_runs_here(
    small_scored: Path, example_strategies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment variable is the command line's: the library reads no environment."""
    monkeypatch.setenv("RISKCTL_SCHEDULER", "tcp://127.0.0.1:9")  # nothing listens there
    run = riskctl.simulate(example_strategies / "candidate.yaml", small_scored)
    assert not run.table.is_empty()
