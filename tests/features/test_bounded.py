"""The bounded-memory path (row chunks, entity hash buckets, row-numbered results joined back)
gives exactly what computing the whole table at once gives, on random tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.memory import parse_size
from riskctl.errors import RiskctlError, UsageError
from riskctl.features import add_features, load_spec
from riskctl.features.bounded import plan, run_bounded
from riskctl.features.bounded import run_bounded as bounded_run
from riskctl.features.budget import ChunkPlan
from riskctl.features.compute import Context
from riskctl.features.run import features_file
from tests.features.test_cli import CASES, write_case
from tests.features.test_cli import events as events  # noqa: F401 - a fixture
from tests.features.test_oracle import SPEC, START, STEP, duckdb_counts, fast, frame, tables

LATE = """\
  - {name: busy_device, expr: "rows_dev_24h >= 3 AND ring_size > 1"}
  - {name: gap_hours, expr: "gap / 3600"}
  - {name: gap_sum_dev, sum: gap_hours, per: device, window: 7d}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("bounded") / "features.yaml"
    path.write_text(SPEC + LATE)
    return load_spec(path)


def bounded(df: pl.DataFrame, spec, folder: Path, split: ChunkPlan, skip: int = 0) -> pl.DataFrame:
    source = folder / "in.parquet"
    df.write_parquet(source)
    out = folder / "out.parquet"
    ctx = Context(spec.model, spec, spec.path.parent)
    result = run_bounded(ctx, pl.scan_parquet(source), skip, out, split)
    got = pl.read_parquet(out)
    assert result.rows == got.height == df.height - skip
    assert sorted(p.name for p in folder.iterdir()) == ["in.parquet", "out.parquet"]  # no leftovers
    out.unlink()
    return got


@fast
@given(tables, st.integers(1, 20), st.integers(1, 6))
def test_bounded_equals_all_at_once(tmp_path_factory, spec, rows, chunk_rows, buckets) -> None:
    df = frame(rows)
    want = add_features(df, spec).frame
    got = bounded(df, spec, tmp_path_factory.mktemp("b"), ChunkPlan(chunk_rows, buckets))
    assert_frame_equal(got, want)


@fast
@given(tables, st.integers(0, 300), st.integers(1, 9))
def test_bounded_with_history(tmp_path_factory, spec, rows, cut, chunk_rows) -> None:
    df = frame(rows).sort("t")
    at = START + cut * STEP
    history, new = df.filter(pl.col("t") < at), df.filter(pl.col("t") >= at)
    want = add_features(new, spec, context=history).frame
    folder = tmp_path_factory.mktemp("h")
    if new.height == 0:
        return
    got = bounded(pl.concat([history, new]), spec, folder, ChunkPlan(chunk_rows, 3), history.height)
    assert_frame_equal(got, want)


def skewed(n: int, seed: int) -> pl.DataFrame:
    """Pareto-skewed keys (a few very busy devices and IPs) and many ties in time."""
    rng = np.random.default_rng(seed)

    def ids(prefix: str, values: int) -> list[str | None]:
        x = (rng.pareto(1.2, n) * values / 50).astype(np.int64) % values
        return [None if v == 1 else f"{prefix}{v}" for v in x.tolist()]

    rows = zip(
        np.sort(rng.integers(0, 3000, n)).tolist(),
        ids("a", n // 8),
        ids("d", n // 6),
        ids("i", n // 20),
        (rng.integers(0, 1000, n) / 4).tolist(),
        rng.integers(0, 2, n).tolist(),
        strict=True,
    )
    return frame(list(rows))


def test_skewed_keys_match_duckdb_and_the_bounded_path(tmp_path: Path, spec) -> None:
    df = skewed(30_000, 3)
    got = add_features(df, spec).frame
    want = duckdb_counts(df)
    for name in want.columns[1:]:
        assert got[name].cast(pl.Int64).to_list() == want[name].cast(pl.Int64).to_list(), name
    assert_frame_equal(bounded(df, spec, tmp_path, ChunkPlan(4_000, 7)), got)


def test_features_file_picks_the_bounded_path_under_a_limit(tmp_path: Path, spec) -> None:
    df = skewed(3_000, 4)
    df.head(1000).write_csv(tmp_path / "old.csv")
    df.slice(1000).write_csv(tmp_path / "new.csv")
    runs = {}
    for limit in (None, 1):
        out = tmp_path / f"out-{limit}.csv"
        runs[limit] = features_file(
            spec.path, tmp_path / "new.csv", out, context=tmp_path / "old.csv", memory_limit=limit
        )
    assert runs[None].features == runs[1].features
    assert runs[None].rows == runs[1].rows == 2000 and runs[1].context_rows == 1000
    assert_frame_equal(pl.read_csv(tmp_path / "out-None.csv"), pl.read_csv(tmp_path / "out-1.csv"))


def test_plan_puts_expressions_over_windows_last(spec) -> None:
    steps = plan(spec.model)
    assert "busy_device" in steps.last and "gap_hours" in steps.first
    assert "gap_sum_dev" in steps.per_entity["device"]
    assert steps.rings == ["ring_size", "ring_bad"]


def test_a_window_over_a_window_column_needs_the_whole_table(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "time: t\nentities: {k: k}\nfeatures:\n  - {name: n, count: rows, per: k}\n"
        "  - {name: s, sum: n, per: k}\n"
    )
    with pytest.raises(UsageError, match="'s' reads 'n', a window or ring column"):
        plan(load_spec(path).model)


def test_memory_sizes() -> None:
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("500MB") == 500_000_000
    assert parse_size("1.5g") == 1_500_000_000
    for bad in ("lots", "2XB", "10", "-1GiB"):
        with pytest.raises(UsageError):
            parse_size(bad)


def test_cli_memory_limit_and_its_bad_value(tmp_path: Path, monkeypatch) -> None:
    import riskctl.features.run as run

    calls = []
    monkeypatch.setattr(run, "run_bounded", lambda *a, **k: calls.append(1) or bounded_run(*a, **k))
    runner = CliRunner()
    spec = tmp_path / "features.yaml"
    spec.write_text(SPEC)
    skewed(3000, 5).write_parquet(tmp_path / "events.parquet")
    args = ["features", str(spec), "--data", str(tmp_path / "events.parquet")]
    for limit, out in (("1MiB", "a.parquet"), ("64GiB", "b.parquet")):
        done = runner.invoke(app, [*args, "--out", str(tmp_path / out), "--memory-limit", limit])
        assert done.exit_code == 0, done.output
    assert calls == [1]  # 1MiB: bounded passes; 64GiB: all at once
    assert_frame_equal(
        pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")
    )
    done = runner.invoke(
        app, [*args, "--out", str(tmp_path / "c.parquet"), "--memory-limit", "2 lots"]
    )
    assert done.exit_code == 2 and "bad memory size '2 lots'" in done.output
    assert not (tmp_path / "c.parquet").exists()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_in_bounded_passes(tmp_path: Path, events: Path, case: dict) -> None:
    """The same messages when the work runs in bounded passes, and nothing left behind."""
    spec = write_case(tmp_path, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RiskctlError) as caught:
        features_file(spec, events, tmp_path / "out.parquet", memory_limit=1)
    flat = " ".join(str(caught.value).split())
    for needle in case["expect"]:
        assert needle.format(spec=spec) in flat, flat
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("limit", [None, 1])
def test_context_that_does_not_fit_is_named(tmp_path: Path, limit: int | None) -> None:
    times = ["2026-01-01 00:00:00", "2026-01-02 00:00:00"]
    pl.DataFrame({"t": times, "k": ["a", "b"]}).write_csv(tmp_path / "new.csv")
    pl.DataFrame({"t": ["2025-12-01 00:00:00"], "k": [[1, 2]]}).write_parquet(tmp_path / "old.pq")
    spec = tmp_path / "f.yaml"
    spec.write_text("time: t\nentities: {k: k}\nfeatures:\n  - {name: n, count: rows, per: k}\n")
    with pytest.raises(RiskctlError, match="context and data do not fit together"):
        features_file(
            spec, tmp_path / "new.csv", tmp_path / "o.csv", tmp_path / "old.pq", memory_limit=limit
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.yaml", "new.csv", "old.pq"]
