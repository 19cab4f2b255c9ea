"""`monitoring: new_blocks:`: monitor exits 1 when a new dense block appears in the current
rows, 0 on the same history without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.synth.events import generate_events
from riskctl.synth.lockstep import plant_lockstep

STRATEGY = """name: nightly
actions: [review, allow]
rules:
  - {name: big, when: "amount > 5000", action: review}
label: is_bad
time: event_time
monitoring:
  new_blocks: {accounts: buyer_id, items: [seller_id], window: 1d, max_p_value: 0.001}
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("new_blocks")
    clean = generate_events(40_000, seed=8, days=20)
    planted, _ = plant_lockstep(clean, 2, seed=8)
    clean.write_parquet(folder / "clean.parquet")
    planted.write_parquet(folder / "planted.parquet")
    (folder / "s.yaml").write_text(STRATEGY)
    return folder / "clean.parquet", folder / "planted.parquet", folder / "s.yaml"


def _monitor(current: Path, strategy: Path):
    reference = current.with_name("clean.parquet")
    args = ["monitor", "--current", str(current), "--reference", str(reference)]
    args += ["--strategy", str(strategy), "--json"]
    return CliRunner().invoke(app, args)


def test_a_new_block_crosses_the_limit(tables) -> None:
    _, planted, strategy = tables
    result = _monitor(planted, strategy)
    assert result.exit_code == 1, result.output
    assert '"id": "new_blocks"' in result.output and '"passed": false' in result.output


def test_no_new_block_no_alarm(tables) -> None:
    clean, _, strategy = tables
    result = _monitor(clean, strategy)
    assert result.exit_code == 0, result.output
    assert '"id": "new_blocks"' in result.output
