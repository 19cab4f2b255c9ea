"""The `discover` case: 1M raw events over 30 days with 20 planted lockstep blocks; time and
peak memory of `riskctl discover` (daily windows), and how many planted blocks it finds in
its top 20 with at least 90% of their accounts."""

from __future__ import annotations

import json
from pathlib import Path


def make_planted(rows: int, path: Path) -> Path:
    """Events with planted blocks, and beside them (`.truth.json`) each block's accounts."""
    truth = path.with_suffix(".truth.json")
    if path.exists() and truth.exists():
        return path
    from riskctl.synth.events import generate_events
    from riskctl.synth.lockstep import plant_lockstep

    df, blocks = plant_lockstep(generate_events(rows, seed=27, days=30), 20, seed=27)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path)
    truth.write_text(json.dumps(blocks))
    return path


def case_riskctl_discover(data: str, out: str) -> None:
    """`riskctl discover --window 1d` with --out; the recovery goes to `out`.json."""
    from riskctl.data.io import write_table
    from riskctl.discover.run import DiscoverOptions, discover

    opts = DiscoverOptions(accounts="buyer_id", items=("seller_id",), time="event_time")
    result = discover(Path(data), opts)
    write_table(result.members, Path(out))
    truth = json.loads(Path(data).with_suffix(".truth.json").read_text())
    found = sum(
        max(len(set(t) & set(b.account_ids)) for b in result.blocks) >= 0.9 * len(t) for t in truth
    )
    Path(out).with_suffix(".json").write_text(json.dumps({"planted": len(truth), "found": found}))
