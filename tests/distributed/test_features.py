"""`features --scheduler` on a local two-process cluster gives the one-machine columns, row for
row, on random event tables (ties in time, missing entities, composite keys, several windows,
distinct counts, since, rings, derived columns read by later ones, history as context)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.distributed.features_plan import plan
from riskctl.features.spec import load_spec
from tests.distributed.conftest import assert_same, json_of, split_parts

runner = CliRunner()

SPEC = """
time: ts
entities: {account: user, device: device, ip: ip, pair: [user, ip]}
features:
  - {name: n_dev_1h, count: rows, per: device, window: 1h}
  - {name: users_dev_7d, distinct: user, per: device, window: 7d}
  - {name: amt_user_24h, sum: amount, per: account, window: 24h}
  - {name: mean_ip_all, mean: amount, per: ip}
  - {name: paid_user, count: amount, per: account, window: 2h}
  - {name: since_user, since_last: minutes, per: account}
  - {name: first_ip, since_first: hours, per: ip}
  - {name: pair_n, count: rows, per: pair, window: 30m}
  - {name: big, expr: "amount * 2 + n_dev_1h"}
  - {name: big_ip_1d, sum: big, per: ip, window: 1d}
  - {name: ring_size, ring: {nodes: account, links: [device, ip]}}
  - {name: ring_bad, ring: {nodes: account, links: [device], measure: bad_rate},
     label: bad, label_maturity_days: 0.5}
  - {name: ring_twice, expr: "ring_size * 2"}
"""


RINGS = """
time: ts
entities: {account: user, device: device, ip: ip, place: [device, ip]}
features:
  - {name: r_place, ring: {nodes: account, links: [place]}}
  - {name: r_bad, ring: {nodes: account, links: [ip, device], measure: bad_rate},
     label: bad, label_maturity_days: 0.01}
  - {name: r_dev_bad, ring: {nodes: device, links: [ip], measure: bad_rate},
     label: bad, label_maturity_days: 2}
"""


def events(seed: int, n: int, scale: int = 1) -> pl.DataFrame:
    """Times on a coarse grid (many ties), entities from small pools with nulls."""
    rng = np.random.default_rng(seed)

    def pool(prefix: str, size: int, null: float) -> list[str | None]:
        values = [f"{prefix}{v}" for v in rng.integers(0, size, n)]
        return [None if m else v for v, m in zip(values, rng.random(n) < null, strict=True)]

    seconds = rng.integers(0, 5 * 86_400 // 600, n) * 600
    amount = rng.gamma(2.0, 30.0, n).round(2)
    return pl.DataFrame(
        {
            "ts": pl.Series((seconds + 1_767_225_600) * 1_000_000).cast(pl.Datetime("us")),
            "user": pool("u", max(n // (6 * scale), 2), 0.05),
            "device": pool("d", max(n // (10 * scale), 2), 0.15),
            "ip": pool("i", max(n // (8 * scale), 2), 0.1),
            "amount": pl.Series(np.where(rng.random(n) < 0.1, np.nan, amount)).fill_nan(None),
            "bad": (rng.random(n) < 0.08).astype(np.int8),
        }
    )


def features(spec: Path, data: Path, out: Path, *extra: str) -> dict:
    result = runner.invoke(
        app, ["features", str(spec), "--data", str(data), "--out", str(out), "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    return json_of(result.output)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "features.yaml"
    path.write_text(SPEC)
    return path


def test_the_spec_splits_into_passes_in_dependency_order(spec):
    passes = plan(load_spec(spec).model)
    assert len(passes) == 3
    first = {x.entity: x.names for x in passes[0].exchanges}
    assert first["device"] == ["n_dev_1h", "users_dev_7d"] and set(first) == {
        "device",
        "account",
        "ip",
        "pair",
    }
    assert passes[1].row == ["big"] and [x.entity for x in passes[1].exchanges] == ["ip", "", ""]
    assert passes[2].row == ["ring_twice"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equal_to_one_machine(seed, spec, address, tmp_path):
    df = events(seed, 1_200)
    one_file, parts = tmp_path / "events.parquet", tmp_path / "parts"
    df.write_parquet(one_file)
    split_parts(df, parts, (500, 1, 300, 399))
    a = features(spec, one_file, tmp_path / "one.parquet")
    b = features(spec, parts, tmp_path / "two", "--scheduler", address)
    want = pl.read_parquet(tmp_path / "one.parquet")
    got = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert len(list((tmp_path / "two").glob("*.parquet"))) == 4
    assert_frame_equal(got, want)
    assert got["ring_size"].max() > 2 and got["users_dev_7d"].null_count() > 0
    a.pop("path"), b.pop("path")
    assert a == b


@pytest.mark.parametrize("seed,n,scale", [(4, 400, 1), (5, 900, 4), (6, 1_500, 20)])
def test_rings_equal_to_one_machine(seed, n, scale, address, tmp_path):
    spec = tmp_path / "rings.yaml"
    spec.write_text(RINGS)
    df = events(seed, n, scale)
    df.write_parquet(tmp_path / "events.parquet")
    split_parts(df, tmp_path / "parts", (n // 3, n // 2, n - n // 3 - n // 2))
    features(spec, tmp_path / "events.parquet", tmp_path / "one.parquet")
    features(spec, tmp_path / "parts", tmp_path / "two", "--scheduler", address)
    want = pl.read_parquet(tmp_path / "one.parquet")
    got = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert_frame_equal(got, want)
    assert want["r_bad"].max() > 0 and want["r_place"].n_unique() > 3


def test_history_is_context_on_the_cluster(spec, address, tmp_path):
    df = events(7, 1_000).sort("ts", maintain_order=True)
    cut = df["ts"].unique().sort()[450]
    earlier, later = df.filter(pl.col("ts") < cut), df.filter(pl.col("ts") >= cut)
    earlier = earlier.drop("amount")  # history without a column the data has
    later = later.drop("bad")  # the data without the ring's label: history holds it
    earlier.write_parquet(tmp_path / "hist.parquet")
    later.write_parquet(tmp_path / "new.parquet")
    split_parts(earlier, tmp_path / "hist", (250, earlier.height - 250))
    split_parts(later, tmp_path / "new", (150, later.height - 150))
    a = features(
        spec,
        tmp_path / "new.parquet",
        tmp_path / "one.parquet",
        "--history",
        tmp_path / "hist.parquet",
    )
    b = features(
        spec,
        tmp_path / "new",
        tmp_path / "two",
        "--history",
        tmp_path / "hist",
        "--scheduler",
        address,
    )
    assert a["history_rows"] == b["history_rows"] == earlier.height
    assert b["rows"] == later.height
    got = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    want = pl.read_parquet(tmp_path / "one.parquet")
    assert_frame_equal(got, want)
    assert want["ring_bad"].max() > 0
    split_parts(df, tmp_path / "all", (500, 500))
    overlapping = runner.invoke(
        app,
        ["features", str(spec), "--data", str(tmp_path / "all"), "--history"]
        + [str(tmp_path / "all"), "--out", str(tmp_path / "three"), "--scheduler", address],
    )
    assert overlapping.exit_code == 2 and "must end before the data starts" in overlapping.output


def _features_of_parts(spec: Path, tmp_path: Path, address: str):
    """`riskctl features` on the cluster over `tmp_path/parts`, into `tmp_path/o`."""
    parts, out = str(tmp_path / "parts"), str(tmp_path / "o")
    args = ["features", str(spec), "--data", parts, "--out", out, "--scheduler", address]
    return runner.invoke(app, args)


def test_a_spec_that_does_not_fit_is_one_line_before_any_work(spec, address, tmp_path):
    df = events(3, 200).drop("device")
    split_parts(df, tmp_path / "parts", (100, 100))
    result = _features_of_parts(spec, tmp_path, address)
    assert result.exit_code == 2, result.output
    assert "device" in result.output and not (tmp_path / "o").exists()


def test_a_missing_time_on_a_worker_names_the_part_and_row(spec, address, tmp_path):
    df = events(8, 300).with_columns(
        pl.when(pl.int_range(pl.len()) == 250).then(None).otherwise(pl.col("ts")).alias("ts")
    )
    split_parts(df, tmp_path / "parts", (200, 100))
    result = _features_of_parts(spec, tmp_path, address)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "day=2" in lines[0] and "first in row 51" in lines[0]
    assert not (tmp_path / "o").exists()


def test_raw_events_scored_and_explained_through_a_detector_that_derives(spec, address, tmp_path):
    df = events(9, 1_600).sort("ts", maintain_order=True)
    cut = df["ts"][1_000]
    earlier, later = df.filter(pl.col("ts") < cut), df.filter(pl.col("ts") >= cut)
    earlier.write_parquet(tmp_path / "train.parquet")
    det = tmp_path / "det"
    trained = runner.invoke(
        app,
        ["train", str(tmp_path / "train.parquet"), "--label", "bad", "--time", "ts"]
        + ["--features", str(spec), "--rounds", "15", "--out", str(det), "-q"],
    )
    assert trained.exit_code == 0, trained.output
    earlier.write_parquet(tmp_path / "hist.parquet")
    later.write_parquet(tmp_path / "new.parquet")
    split_parts(earlier, tmp_path / "hist", (400, earlier.height - 400))
    split_parts(later, tmp_path / "new", (250, later.height - 250))
    for command in ("score", "explain"):
        one = runner.invoke(
            app,
            [command, str(det), str(tmp_path / "new.parquet"), "--out"]
            + [str(tmp_path / f"{command}1.parquet"), "--history", str(tmp_path / "hist.parquet")],
        )
        assert one.exit_code == 0, one.output
        two = runner.invoke(
            app,
            [command, str(det), str(tmp_path / "new"), "--out", str(tmp_path / f"{command}2")]
            + ["--history", str(tmp_path / "hist"), "--scheduler", address],
        )
        assert two.exit_code == 0, two.output
        want = pl.read_parquet(tmp_path / f"{command}1.parquet")
        got = pl.read_parquet(sorted((tmp_path / f"{command}2").glob("*.parquet")))
        assert_frame_equal(got, want)
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(
        f"name: derived\ndetectors: {{score: {det}}}\nactions: [block, review, allow]\n"
        "thresholds: {block: {score: 0.6}, review: {score: 0.3}}\n"
        "label: bad\ntime: ts\namount: amount\n"
    )
    sims = []
    for data, hist, extra in (
        ("new.parquet", "hist.parquet", []),
        ("new", "hist", ["--scheduler", address]),
    ):
        done = runner.invoke(
            app,
            ["simulate", str(strategy), "--data", str(tmp_path / data), "--json"]
            + ["--history", str(tmp_path / hist), *extra],
        )
        assert done.exit_code == 0, done.output
        sims.append(json_of(done.output))
    # one machine matches the rows against the detector's split (a cluster does not): all new
    assert sims[0].pop("evaluation_rows")["counts"]["new"] == later.height
    for sim in sims:
        sim.pop("data")
    assert sims[0]["candidate"]["metrics"]["rows"] > 0
    assert_same(sims[0], sims[1])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_train_from_raw_events_on_the_cluster_keeps_the_spec(spec, address, tmp_path):
    df = events(10, 3_000)
    df.write_parquet(tmp_path / "events.parquet")
    split_parts(df, tmp_path / "parts", (1_000, 2_000))
    args = ["--label", "bad", "--time", "ts", "--features", str(spec), "--rounds", "10"]
    one = runner.invoke(
        app, ["train", str(tmp_path / "events.parquet"), *args, "--out", str(tmp_path / "a")]
    )
    two = runner.invoke(
        app,
        ["train", str(tmp_path / "parts"), *args, "--out", str(tmp_path / "b")]
        + ["--scheduler", address],
    )
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    a, b = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("a", "b"))
    assert b["derived_features"]["features"] == a["derived_features"]["features"]
    assert [f["name"] for f in b["features"]] == [f["name"] for f in a["features"]]
    # rows tied at the cut-off time go to the later slice on the cluster (times on a grid)
    assert 0 <= b["split"]["test_rows"] - a["split"]["test_rows"] <= 10
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert hidden == []


def test_the_shipped_example_spec_on_generated_events(address, tmp_path):
    from riskctl.resources import examples_dir
    from riskctl.synth.events import generate_events

    df = generate_events(rows=4_000, seed=3, days=20)
    df.write_parquet(tmp_path / "events.parquet")
    split_parts(df, tmp_path / "parts", (1_000, 1_500, 1_500))
    spec = examples_dir() / "features.yaml"
    features(spec, tmp_path / "events.parquet", tmp_path / "one.parquet")
    features(spec, tmp_path / "parts", tmp_path / "two", "--scheduler", address)
    got = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert_frame_equal(got, pl.read_parquet(tmp_path / "one.parquet"))
