"""A simulation as plain data (JSON) and as files (decisions Parquet + metrics JSON)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from riskctl.data.io import write_table, write_text
from riskctl.data.output import check_output_dir
from riskctl.simulation.simulate import Simulation, SimulationRun


def finite(obj: Any) -> Any:
    """JSON has no NaN: numbers that do not exist (no interval, no data) become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def _sim(sim: Simulation) -> dict[str, Any]:
    return {
        "strategy": sim.loaded.name,
        "path": str(sim.loaded.path),
        "sha256": sim.loaded.sha256,
        "metrics": sim.metrics.to_dict(),
        "rules": [r.to_dict() for r in sim.rules],
        "by": {
            column: {value: m.to_dict() for value, m in groups.items()}
            for column, groups in sim.by.items()
        },
        "daily": [{**row, "day": str(row["day"])} for row in sim.daily.to_dicts()],
        "warnings": [str(w) for w in sim.warnings],
    }


def run_to_dict(run: SimulationRun) -> dict[str, Any]:
    """`candidate` and, with a baseline, `baseline` and `delta`, each holding `metrics`."""
    out: dict[str, Any] = {
        "data": {
            "path": str(run.data_path),
            "sha256": run.data_sha256,
            "label": run.roles.label,
            "time": run.roles.time,
            "amount": run.roles.amount,
            "history": run.roles.history.model_dump() if run.roles.history else None,
        },
        "candidate": _sim(run.candidate),
    }
    if run.evaluation_rows is not None:  # rows kept against a detector's recorded split
        out["evaluation_rows"] = run.evaluation_rows.to_dict()
    if run.baseline is not None and run.comparison is not None:
        out["baseline"] = _sim(run.baseline)
        out["delta"] = run.comparison.to_dict()
    return finite(out)


def write_simulation(run: SimulationRun, out_dir: Path) -> None:
    """decisions.parquet (and baseline_decisions.parquet) with the fired rules and thresholds
    of each row in `matched`, and metrics.json."""
    check_output_dir(out_dir)
    for sim, name in ((run.candidate, "decisions"), (run.baseline, "baseline_decisions")):
        if sim is not None:
            frame = sim.decisions.with_columns(sim.schema.matched_list())
            write_table(frame, out_dir / f"{name}.parquet")
    write_metrics(run, out_dir)


def write_metrics(run: SimulationRun, out_dir: Path) -> None:
    """metrics.json: the run as `run_to_dict` gives it."""
    write_text(json.dumps(run_to_dict(run), indent=2, default=str) + "\n", out_dir / "metrics.json")
