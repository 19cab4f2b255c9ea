"""How a cluster run splits labelled rows into the three slices of one-machine training
(train, early stopping, test): two time cut-offs found from the merged per-partition counts
of event times (every row at a cut-off time goes to the later slice; rows without a time to
the test slice), or a random draw per row from its digest (`model.split.row_digest`), so the
copies of a row, in any partition, land in one slice (duplicates include the time, so a
time split keeps them together too)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.model.boosting import LabelCounts
from riskctl.model.split import EARLY_STOPPING, TEST, TRAIN, check_fractions, row_digest
from riskctl.model.train import TrainOptions


@dataclass(frozen=True)
class TrainSurvey:
    sha256: str
    rows: int
    unlabelled: int
    labels: pl.Series  # the distinct label values of the labelled rows
    bad: int
    times: pl.DataFrame  # labelled rows per distinct event time (time, n)
    sample: pl.DataFrame


@dataclass(frozen=True)
class Split:
    """Which slice each labelled row is in: by time (early stopping from `cutoff`, test from
    `test_cutoff`), or drawn per row from its digest over the `same` columns (without them,
    per partition and class)."""

    kind: str
    valid_fraction: float
    seed: int
    time: str | None
    cutoff: Any = None
    test_fraction: float = 0.2
    test_cutoff: Any = None
    same: tuple[str, ...] = ()  # the columns duplicates agree on (`duplicate_columns`)
    duplicates: int = 0  # labelled rows that repeat an earlier one, over all partitions
    drawn: tuple[LabelCounts, ...] = ()  # a random split's rows per slice (train, es, test)


def slice_of(df: pl.DataFrame, split: Split, index: int, label: str) -> np.ndarray:
    """Per labelled row of partition `index`: TRAIN, EARLY_STOPPING or TEST."""
    if split.kind == "time":
        t = df[str(split.time)]
        out = np.where((t >= split.cutoff).fill_null(False).to_numpy(), EARLY_STOPPING, TRAIN)
        out[(t.is_null() | (t >= split.test_cutoff)).to_numpy()] = TEST
        return out.astype(np.int8)
    if split.same:  # by the row's digest: every copy of a row draws the same slice
        u = row_digest(df, split.same, split.seed + 1).cast(pl.Float64).to_numpy() / 2.0**64
        out = np.full(df.height, TRAIN, dtype=np.int8)
        out[u < split.test_fraction + split.valid_fraction] = EARLY_STOPPING
        out[u < split.test_fraction] = TEST
        return out
    y = df[label].cast(pl.Int64).to_numpy()
    rng = np.random.default_rng([split.seed, index])
    out = np.full(len(y), TRAIN, dtype=np.int8)
    for cls in (0, 1):
        members = rng.permutation(np.flatnonzero(y == cls))
        n_test, n_valid = _taken(len(members), split)
        out[members[:n_test]] = TEST
        out[members[n_test : n_test + n_valid]] = EARLY_STOPPING
    return out


def _taken(n: int, split: Split) -> tuple[int, int]:
    """Rows of one class of one partition drawn for the test and early-stopping slices."""
    return int(round(n * split.test_fraction)), int(round(n * split.valid_fraction))


def choose_split(surveys: list[TrainSurvey], o: TrainOptions) -> Split:
    kind = o.split or ("time" if o.time else "random")
    check_fractions(o.valid_fraction, o.test_fraction)
    if kind not in ("time", "random"):
        raise UsageError(f"--split must be time or random, not {kind!r}")
    if kind == "time" and not o.time:
        raise UsageError("--split time needs --time COL", hint="or use --split random")
    split = Split(kind, o.valid_fraction, o.seed, o.time, test_fraction=o.test_fraction)
    if kind == "random" or o.time is None:
        return split
    time = o.time
    times = _times(surveys, time).group_by(time).agg(pl.col("n").sum())
    labelled = int(times["n"].sum())
    nulls = int(times.filter(pl.col(o.time).is_null())["n"].sum())
    ordered = times.filter(pl.col(o.time).is_not_null()).sort(o.time, descending=True)
    latest = ordered.with_columns(cum=pl.col("n").cum_sum() + nulls)

    def cut(fraction: float) -> Any:
        reached = latest.filter(pl.col("cum") >= max(int(round(labelled * fraction)), 1))
        return reached[time][0] if reached.height else ordered[time][-1]

    return replace(
        split, cutoff=cut(o.valid_fraction + o.test_fraction), test_cutoff=cut(o.test_fraction)
    )


def _times(surveys: list[TrainSurvey], time: str) -> pl.DataFrame:
    return pl.concat([s.times for s in surveys]).group_by(time, "bad").agg(pl.col("n").sum())


def slice_counts(surveys: list[TrainSurvey], split: Split) -> list[LabelCounts]:
    """Rows and bad rows of each slice (train, early stopping, test), from the survey and
    the split, without reading the rows again."""
    if split.kind == "time":
        t = _times(surveys, str(split.time)).with_columns(
            slice=pl.when(
                pl.col(str(split.time)).is_null() | (pl.col(str(split.time)) >= split.test_cutoff)
            )
            .then(TEST)
            .when(pl.col(str(split.time)) >= split.cutoff)
            .then(EARLY_STOPPING)
            .otherwise(TRAIN)
        )
        out = []
        for which in (TRAIN, EARLY_STOPPING, TEST):
            rows = t.filter(pl.col("slice") == which)
            out.append(
                LabelCounts(int(rows["n"].sum()), int(rows.filter(pl.col("bad") == 1)["n"].sum()))
            )
        return out
    if split.drawn:
        return list(split.drawn)
    n, bad = [0, 0, 0], [0, 0, 0]
    for s in surveys:
        for cls_rows, is_bad in ((s.bad, 1), (s.rows - s.unlabelled - s.bad, 0)):
            n_test, n_valid = _taken(cls_rows, split)
            for which, k in (
                (TEST, n_test),
                (EARLY_STOPPING, n_valid),
                (TRAIN, cls_rows - n_test - n_valid),
            ):
                n[which] += k
                bad[which] += k * is_bad
    return [LabelCounts(n[i], bad[i]) for i in (TRAIN, EARLY_STOPPING, TEST)]


def digests_part(
    df: pl.DataFrame, split: Split, index: int, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """A partition's labelled rows: their distinct digests (duplicates are counted over all
    partitions), and rows and bad rows per slice, shape (3, 2)."""
    digest = row_digest(df, split.same).unique().to_numpy()
    which = slice_of(df, split, index, label)
    bad = df[label].cast(pl.Int64).to_numpy()
    counts = np.zeros((3, 2), dtype=np.int64)
    for s in (TRAIN, EARLY_STOPPING, TEST):
        members = which == s
        counts[s] = int(members.sum()), int(bad[members].sum())
    return digest, counts


def with_duplicates(split: Split, found: list[tuple[np.ndarray, np.ndarray]], rows: int) -> Split:
    """`split` with the number of duplicate rows among the `rows` labelled rows, and (for a
    random split) its rows per slice, from every partition's `digests_part`."""
    distinct = len(np.unique(np.concatenate([d for d, _ in found]))) if found else 0
    total = sum((c for _, c in found), np.zeros((3, 2), dtype=np.int64))
    drawn = tuple(LabelCounts(int(n), int(b)) for n, b in total)
    return replace(split, duplicates=rows - distinct, drawn=drawn if split.kind == "random" else ())
