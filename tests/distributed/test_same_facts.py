"""The facts the paths share give one answer on one machine, in bounded passes and on a local
two-process cluster: entity values -0.0 and 0.0 are one entity, a `--by` value spelled
`(none)` beside real missing values stays its own group, and 0/1 labels stored as text are
refused alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from riskctl.cli.app import app
from tests.distributed.conftest import SMALL, assert_same, json_of, split_parts

runner = CliRunner()
KEYS = ("user", "device")
GROUPS = {"(none)", "(missing)", "(no value)", "web", "app"}

SIGNED_ZEROS = """
time: ts
entities: {account: user, device: device, pair: [user, device]}
features:
  - {name: n_dev, count: rows, per: device, window: 1d}
  - {name: users_dev, distinct: user, per: device}
  - {name: amt_pair, sum: amount, per: pair, window: 2d}
  - {name: ring_n, ring: {nodes: account, links: [device]}}
  - {name: ring_bad, ring: {nodes: device, links: [account], measure: bad_rate},
     label: bad, label_maturity_days: 0.5}
"""


def signed_zero_events(seed: int, n: int) -> pl.DataFrame:
    """Float entity values where -0.0 and 0.0 are common, with NaN and nulls beside."""
    rng = np.random.default_rng(seed)
    pool = np.array([-0.0, 0.0, 1.0, -1.0, 2.0, np.nan])
    device = pool[rng.integers(0, len(pool), n)]
    user = np.where(rng.random(n) < 0.5, -0.0, 0.0) + rng.integers(0, 3, n) * (rng.random(n) < 0.4)
    seconds = rng.integers(0, 4 * 86_400 // 900, n) * 900
    return pl.DataFrame(
        {
            "ts": pl.Series((seconds + 1_767_225_600) * 1_000_000).cast(pl.Datetime("us")),
            "user": pl.Series(user).scatter(rng.integers(0, n, n // 20), None),
            "device": pl.Series(device).scatter(rng.integers(0, n, n // 20), None),
            "amount": rng.gamma(2.0, 30.0, n).round(2),
            "bad": (rng.random(n) < 0.1).astype(np.int8),
        }
    )


def invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


def features(spec: Path, data: Path, out: Path, *extra: str) -> pl.DataFrame:
    result = invoke("features", spec, "--data", data, "--out", out, "--json", *extra)
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.parquet")) if out.is_dir() else [out]
    return pl.read_parquet(files)


@pytest.mark.parametrize("seed", [11, 12])
def test_signed_zero_entity_values_are_one_entity_everywhere(seed, address, tmp_path):
    spec = tmp_path / "features.yaml"
    spec.write_text(SIGNED_ZEROS)
    df = signed_zero_events(seed, 900)
    one_file = tmp_path / "events.parquet"
    df.write_parquet(one_file)
    split_parts(df, tmp_path / "parts", (300, 250, 350))
    one = features(spec, one_file, tmp_path / "one.parquet")
    bounded = features(spec, one_file, tmp_path / "bounded.parquet", "--memory-limit", "1MiB")
    cluster = features(spec, tmp_path / "parts", tmp_path / "two", "--scheduler", address)
    assert_frame_equal(bounded, one)
    assert_frame_equal(cluster, one)
    # the oracle: the same events with every -0.0 written as 0.0
    plain = df.with_columns(
        pl.when(pl.col(c) == 0).then(0.0).otherwise(pl.col(c)).alias(c) for c in KEYS
    )
    assert any(np.signbit(df[c].drop_nulls().to_numpy()).sum() for c in KEYS)
    plain.write_parquet(tmp_path / "plain.parquet")
    want = features(spec, tmp_path / "plain.parquet", tmp_path / "plain-out.parquet")
    names = ["n_dev", "users_dev", "amt_pair", "ring_n", "ring_bad"]
    assert_frame_equal(one.select(names), want.select(names))


def with_channel(small_scored: Path, folder: Path) -> tuple[Path, Path, dict[str, int]]:
    """The scored history with a `channel` column: a real value spelled `(none)`, a real
    `(missing)` too, real nulls beside them, and plain values; as one file and as parts."""
    df = pl.read_parquet(small_scored)
    pool = ["(none)", "(missing)", None, "web", "app"]
    rng = np.random.default_rng(3)
    df = df.with_columns(channel=pl.Series([pool[i] for i in rng.integers(0, 5, df.height)]))
    folder.mkdir()
    one = folder / "scored.parquet"
    df.write_parquet(one)
    counts = {str(k): n for k, n in df.group_by("channel").len().iter_rows()}
    return one, split_parts(df, folder / "parts", SMALL), counts


def both(command: list[object], one: Path, parts: Path, address: str) -> tuple[dict, dict]:
    a = invoke(*command, "--data", one, "--json")
    b = invoke(*command, "--data", parts, "--json", "--scheduler", address)
    assert a.exit_code == b.exit_code == 0, (a.output, b.output)
    return json_of(a.output), json_of(b.output)


def test_a_by_value_spelled_none_stays_apart_from_missing_values_in_simulate(
    small_scored, address, example_strategies, tmp_path
):
    one, parts, counts = with_channel(small_scored, tmp_path / "data")
    strategy = example_strategies / "candidate.yaml"
    a, b = both(["simulate", strategy, "--by", "channel"], one, parts, address)
    a.pop("data"), b.pop("data")
    assert_same(a, b)
    groups = {g: m["rows"] for g, m in a["candidate"]["by"]["channel"].items()}
    immature = a["candidate"]["metrics"]["left_out_immature"]
    assert set(groups) == GROUPS
    assert sum(groups.values()) == 10_000 - immature
    assert groups["(no value)"] <= counts["None"] and groups["(none)"] <= counts["(none)"]


def test_a_by_value_spelled_none_stays_apart_from_missing_values_in_sweep(
    small_scored, address, example_strategies, tmp_path
):
    one, parts, counts = with_channel(small_scored, tmp_path / "data")
    plain = ["sweep", "--score", "score", "--label", "is_bad", "--by", "channel"]
    a, b = both(plain, one, parts, address)
    assert_same(a, b)
    segments = {c["segment"]: c["rows"] for c in a["curves"]}
    assert segments == {"(no value)" if k == "None" else k: n for k, n in counts.items()}
    strategy = ["sweep", "--strategy", example_strategies / "candidate.yaml", "--by", "channel"]
    a, b = both(strategy, one, parts, address)
    assert_same(a, b)
    assert {c["segment"] for c in a["curves"]} == {
        "(none)",
        "(missing)",
        "(no value)",
        "web",
        "app",
    }


def refusal(result: object) -> str:
    """The one error line, from the label column on (the file it names differs)."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 or lines[1].lstrip().startswith(("hint", "fix")), result.output
    return lines[0][lines[0].index("label column") :]


@pytest.mark.parametrize("command", ["simulate", "check", "sweep", "train"])
def test_text_01_labels_are_refused_alike(
    command, small_scored, history_parts, address, example_strategies, tmp_path
):
    if command == "train":
        df = pl.read_parquet(sorted(history_parts.glob("*/*.parquet")))
        args = ["train", "DATA", "--label", "is_bad", "--out", tmp_path / "det"]
    else:
        df = pl.read_parquet(small_scored)
        strategy = example_strategies / "candidate.yaml"
        args = {
            "simulate": ["simulate", strategy, "--data", "DATA"],
            "check": ["check", strategy, "--data", "DATA"],
            "sweep": ["sweep", "--data", "DATA", "--score", "score", "--label", "is_bad"],
        }[command]
    df = df.with_columns(pl.col("is_bad").cast(pl.String))
    one = tmp_path / "one.parquet"
    df.write_parquet(one)
    parts = split_parts(df, tmp_path / "parts", (df.height // 2, df.height - df.height // 2))
    a = invoke(*[one if x == "DATA" else x for x in args])
    b = invoke(*[parts if x == "DATA" else x for x in args], "--scheduler", address)
    assert refusal(a) == refusal(b)
    assert "as text" in refusal(a) or "not 0/1" in refusal(a)
