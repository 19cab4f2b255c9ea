"""Duplicate rows are counted and kept on one side of the split (grouped by a row digest),
on one machine and on the cluster alike: copies of a row never reach both the train and the
test slices, where they would inflate the test metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.distributed.train_split import Split as ClusterSplit
from riskctl.distributed.train_split import digests_part, slice_of, with_duplicates
from riskctl.errors import DataError
from riskctl.model.detector import load_detector
from riskctl.model.split import TEST, TRAIN, count_duplicates, row_digest, split_rows
from riskctl.report.detector_section import detector_evaluation
from riskctl.synth.generate import generate_history


def _copies(seed: int = 0, n: int = 600, copies: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    one = pl.DataFrame(
        {
            "x": rng.normal(size=n),
            "k": rng.choice(["a", "b", "c"], size=n),
            "is_bad": (rng.random(n) < 0.2).astype(np.int8),
        }
    )
    return pl.concat([one] * copies)


def test_the_digest_ignores_widths_units_and_categorical_codes() -> None:
    a = pl.DataFrame({"n": [1, 2], "t": ["x", "y"]}, schema={"n": pl.Int32, "t": pl.String})
    b = pl.DataFrame({"n": [1.0, 2.0], "t": ["x", "y"]}).with_columns(
        pl.col("t").cast(pl.Categorical)
    )
    assert row_digest(a, ("n", "t")).equals(row_digest(b, ("n", "t")))
    assert not row_digest(a, ("n", "t")).equals(row_digest(a, ("n", "t"), seed=1))
    times = pl.Series("w", ["2026-01-01 10:00"]).str.to_datetime()
    ms = pl.DataFrame({"w": times.cast(pl.Datetime("ms"))})
    us = pl.DataFrame({"w": times.cast(pl.Datetime("us"))})
    assert row_digest(ms, ("w",)).equals(row_digest(us, ("w",)))


@pytest.mark.parametrize("seed", range(3))
def test_copies_stay_on_one_side_and_are_counted(seed: int) -> None:
    df = _copies(seed)
    y = df["is_bad"].to_numpy()
    same = ("x", "k", "is_bad")
    digest = row_digest(df, same).to_numpy()
    split = split_rows(df, y, "random", (0.2, 0.2), seed, same=same)
    assert split.duplicates == count_duplicates(row_digest(df, same)) == 1200
    assert split.describe()["duplicate_rows"] == 1200
    assert not set(digest[split.rows(TRAIN)]) & set(digest[split.rows(TEST)])
    # the control: without the digest, copies land on both sides
    plain = split_rows(df, y, "random", (0.2, 0.2), seed)
    leaked = set(digest[plain.rows(TRAIN)]) & set(digest[plain.rows(TEST)])
    assert len(leaked) > 0.5 * len(set(digest[plain.rows(TEST)]))
    assert plain.duplicates == 0


def test_the_cluster_draw_keeps_copies_together_across_partitions() -> None:
    df = _copies(1)
    same = ("x", "k", "is_bad")
    split = ClusterSplit("random", 0.2, 7, None, test_fraction=0.2, same=same)
    parts = [df[:700], df[700:1300], df[1300:]]  # copies sit in other partitions
    found = [digests_part(p, split, i, "is_bad") for i, p in enumerate(parts)]
    split = with_duplicates(split, found, df.height)
    assert split.duplicates == 1200
    slices = np.concatenate([slice_of(p, split, i, "is_bad") for i, p in enumerate(parts)])
    digest = row_digest(df, same).to_numpy()
    for d in np.unique(digest):
        assert len(set(slices[digest == d])) == 1
    assert sum(c.n for c in split.drawn) == df.height
    share = np.bincount(slices, minlength=3) / df.height
    assert abs(share[TEST] - 0.2) < 0.06 and abs(share[TRAIN] - 0.6) < 0.06


@pytest.fixture(scope="module")
def one_and_three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("copies")
    one = generate_history(rows=6_000, seed=2)
    one.write_parquet(root / "one.parquet")
    pl.concat([one] * 3).write_parquet(root / "three.parquet")
    return root / "one.parquet", root / "three.parquet"


def _train(data: Path, out: Path) -> dict:
    args = ["train", str(data), "--label", "is_bad", "--exclude", "attack", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--rounds", "60", "-q"])
    assert result.exit_code == 0, result.output
    return {"output": result.output, **json.loads((out / "manifest.json").read_text())}


def test_three_copies_do_not_inflate_the_test_auc(one_and_three, tmp_path) -> None:
    one = _train(one_and_three[0], tmp_path / "one")
    three = _train(one_and_three[1], tmp_path / "three")
    assert one["split"]["duplicate_rows"] == 0 and "repeat an earlier row" not in one["output"]
    assert three["split"]["duplicate_rows"] == 12_000
    assert "12,000 rows repeat an earlier row" in three["output"]
    auc1, auc3 = one["metrics"]["roc_auc"], three["metrics"]["roc_auc"]
    assert abs(auc3 - auc1) < 0.015, (auc1, auc3)
    section = detector_evaluation(load_detector(tmp_path / "three"))
    assert section is not None and "12,000 duplicate rows kept with their copies" in section.split


def test_a_slice_left_without_bad_rows_by_copies_says_so() -> None:
    """Every bad row is one row copied 50 times: the copies go to one slice together."""
    rng = np.random.default_rng(0)
    good = pl.DataFrame({"x": rng.normal(size=400), "is_bad": np.zeros(400, dtype=np.int8)})
    bad = pl.DataFrame({"x": [9.0] * 50, "is_bad": np.ones(50, dtype=np.int8)})
    df = pl.concat([good, bad])
    with pytest.raises(DataError) as err:
        split_rows(df, df["is_bad"].to_numpy(), "random", (0.2, 0.2), 0, same=("x", "is_bad"))
    assert "49 duplicate rows link the rows into 401 groups, the largest with 50" in str(err.value)
