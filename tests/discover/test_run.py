"""`discover` end to end: planted blocks recovered, random graphs quiet, and the properties
(row order, repeatability, earlier windows fixed when later rows arrive)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.discover.null import assess, benjamini_hochberg
from riskctl.discover.peel import peel_blocks
from riskctl.discover.run import Block, DiscoverOptions, discover
from riskctl.synth.events import generate_events
from riskctl.synth.lockstep import plant_lockstep

OPTS = DiscoverOptions(accounts="buyer_id", items=("seller_id",), time="event_time")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame, list[list[str]]]:
    df, truth = plant_lockstep(generate_events(60_000, seed=11, days=20), 10, seed=11)
    path = tmp_path_factory.mktemp("discover") / "events.parquet"
    df.write_parquet(path)
    return path, df, truth


def _recovered(blocks: list[Block], truth: list[list[str]]) -> int:
    """Planted blocks with at least 90% of their accounts in one reported block."""
    found = 0
    for accounts in truth:
        best = max((len(set(accounts) & set(b.account_ids)) for b in blocks), default=0)
        found += best >= 0.9 * len(accounts)
    return found


def test_planted_lockstep_blocks_are_found_in_the_top_20(planted) -> None:
    path, _, truth = planted
    result = discover(path, OPTS)
    assert len(result.blocks) == 20
    assert _recovered(result.blocks, truth) >= 0.9 * len(truth)
    # the blocks holding them are clearly surprising and come first, with a draft rule
    holding = [
        b for b in result.blocks if any(len(set(t) & set(b.account_ids)) >= 9 for t in truth)
    ]
    assert all(b.p_value < 0.01 and " IN (" in b.draft_rule for b in holding)
    assert [b.block for b in holding] == list(range(1, len(holding) + 1))


def test_without_planted_blocks_the_recovery_check_fails(planted, tmp_path: Path) -> None:
    """The recovery measure can fail: the same truth on the unplanted history finds nothing."""
    _, df, truth = planted
    clean = df.filter(pl.col("attack") != "lockstep")
    path = tmp_path / "clean.parquet"
    clean.write_parquet(path)
    assert _recovered(discover(path, OPTS).blocks, truth) == 0


def _random_graph(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Accounts of geometric activity on items of lognormal popularity: skewed degrees,
    no structure."""
    n_acct, n_item = int(rng.integers(300, 1500)), int(rng.integers(50, 400))
    activity = rng.geometric(0.35, n_acct)
    pop = rng.lognormal(0, 1.3, n_item)
    ea = np.repeat(np.arange(n_acct), activity)
    ei = rng.choice(n_item, len(ea), p=pop / pop.sum())
    pairs = np.unique(np.stack([ea, ei], 1), axis=0)
    return pairs[:, 0], pairs[:, 1], n_acct, n_item


def _run_p_values(ea, ei, n_acct, n_item) -> list[float]:
    blocks = peel_blocks(ea, ei, n_acct, n_item, min_accounts=5, max_blocks=30)
    return [p for _, p in assess(ea, ei, n_acct, n_item, blocks)]


def test_random_graphs_report_a_block_at_p_below_005_in_at_most_5pc_of_runs() -> None:
    runs, flagged = 200, 0
    for seed in range(runs):
        ea, ei, n_acct, n_item = _random_graph(np.random.default_rng(seed))
        flagged += min(_run_p_values(ea, ei, n_acct, n_item), default=1.0) < 0.05
    assert flagged <= 0.05 * runs


def test_the_same_graphs_with_a_planted_block_are_flagged() -> None:
    """The null test can fail: a 12 x 6 lockstep block in the same graphs is found."""
    flagged = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        ea, ei, n_acct, n_item = _random_graph(rng)
        block_a = rng.choice(n_acct, 12, replace=False)
        block_i = rng.choice(n_item, 6, replace=False)
        pa, pi = np.meshgrid(block_a, block_i)
        pairs = np.unique(np.stack([np.r_[ea, pa.ravel()], np.r_[ei, pi.ravel()]], 1), axis=0)
        flagged += min(_run_p_values(pairs[:, 0], pairs[:, 1], n_acct, n_item)) < 1e-6
    assert flagged >= 0.8 * 30  # a block merged into a busy core can stay hidden


def test_benjamini_hochberg_against_its_definition() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.001])
    q = benjamini_hochberg(p)
    # sorted p: 0.001, 0.01, 0.03, 0.04, 0.5 -> p * m / rank, then the running minimum
    expected = {0.001: 0.005, 0.01: 0.025, 0.03: 0.04 * 5 / 4, 0.04: 0.05, 0.5: 0.5}
    assert q == pytest.approx([expected[x] for x in p])


def _key(b: Block) -> tuple:
    return (
        b.window_start,
        tuple(b.account_ids),
        tuple(b.entities),
        b.rows,
        round(b.density, 9),
        b.p_value,
        b.burst_ratio,
        b.new,
        b.draft_rule,
    )


def test_row_order_does_not_matter_and_runs_repeat(planted, tmp_path: Path) -> None:
    path, df, _ = planted
    shuffled = tmp_path / "shuffled.parquet"
    df.sample(fraction=1.0, shuffle=True, seed=5).write_parquet(shuffled)
    first = discover(path, OPTS)
    again = discover(path, OPTS)
    other = discover(shuffled, OPTS)
    assert [_key(b) for b in first.blocks] == [_key(b) for b in again.blocks]
    assert [_key(b) for b in first.blocks] == [_key(b) for b in other.blocks]
    assert first.members.equals(other.members)


def test_earlier_windows_keep_their_blocks_when_later_rows_arrive(planted, tmp_path: Path) -> None:
    path, df, _ = planted
    cut = datetime(2026, 6, 12)
    early = tmp_path / "early.parquet"
    df.filter(pl.col("event_time") < cut).write_parquet(early)
    opts = DiscoverOptions(accounts="buyer_id", items=("seller_id",), time="event_time", top=1000)
    before = {_key(b) for b in discover(early, opts).blocks if b.window_end <= cut}
    after = {_key(b) for b in discover(path, opts).blocks if b.window_end <= cut}
    assert before and before == after


def test_rows_with_a_missing_account_or_entity_take_no_part(planted, tmp_path: Path) -> None:
    path, df, truth = planted
    holes = tmp_path / "holes.parquet"
    # background rows lose their seller (one in three) or their buyer (one in five)
    i, background = pl.int_range(pl.len()), pl.col("attack") != "lockstep"
    no_seller, no_buyer = background & (i % 3 == 0), background & (i % 5 == 1)
    df.with_columns(
        pl.when(no_seller).then(None).otherwise(pl.col("seller_id")).alias("seller_id"),
        pl.when(no_buyer).then(None).otherwise(pl.col("buyer_id")).alias("buyer_id"),
    ).write_parquet(holes)
    dropped = df.select((no_seller | no_buyer).sum()).item()
    result = discover(holes, OPTS)
    assert result.used_rows == df.height - dropped
    assert result.members["item"].null_count() == 0
    assert result.members["account"].null_count() == 0
    assert _recovered(result.blocks, truth) >= 0.9 * len(truth)


def test_composite_and_several_entity_kinds(planted) -> None:
    path, _, truth = planted
    opts = DiscoverOptions(
        accounts="buyer_id", items=("seller_id", "device_id+ip"), time="event_time"
    )
    result = discover(path, opts)
    kinds = {k for b in result.blocks for k, _ in b.entities}
    assert kinds <= {"seller_id", "device_id+ip"}
    assert _recovered(result.blocks, truth) >= 0.9 * len(truth)
    composite = [v for b in result.blocks for k, v in b.entities if k == "device_id+ip"]
    assert all("|" in v for v in composite)


def test_windows_step_and_burst(planted) -> None:
    path, _, _ = planted
    opts = DiscoverOptions(
        accounts="buyer_id", items=("seller_id",), time="event_time", window="2d", every="1d"
    )
    result = discover(path, opts)
    assert result.windows == 20
    for b in result.blocks:
        assert b.window_end - b.window_start == timedelta(days=2)
        # no previous step for the first window; no whole previous window before day 3
        assert (b.new is None) == (b.window_start == datetime(2026, 6, 1))
        assert (b.burst_ratio is None) == (b.window_start < datetime(2026, 6, 3))
