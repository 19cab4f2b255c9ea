"""How a cluster run splits labelled rows into training and validation: a time cut-off
found from the merged per-partition counts of event times (every row at the cut-off time
and every row without a time validates), or a per-class random draw per partition."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.model.train import TrainOptions


@dataclass(frozen=True)
class TrainSurvey:
    sha256: str
    rows: int
    unlabelled: int
    invalid: int  # label values other than 0 and 1
    bad: int
    times: pl.DataFrame  # labelled rows per distinct event time (time, n)
    sample: pl.DataFrame


@dataclass(frozen=True)
class Split:
    """Which labelled rows validate: at or after `cutoff` (time), or drawn per partition."""

    kind: str
    valid_fraction: float
    seed: int
    time: str | None
    cutoff: Any = None


@dataclass(frozen=True)
class LabelCounts:
    """What `_params` reads of the training labels (their number and their sum), without
    gathering them."""

    n: int
    bad: int

    def __len__(self) -> int:
        return self.n

    def sum(self) -> int:
        return self.bad


def in_valid(df: pl.DataFrame, split: Split, index: int, label: str) -> np.ndarray:
    """Per labelled row of partition `index`: does it validate?"""
    if split.kind == "time":
        t = df[str(split.time)]
        return (t.is_null() | (t >= split.cutoff)).to_numpy()
    y = df[label].cast(pl.Int64).to_numpy()
    rng = np.random.default_rng([split.seed, index])
    valid = np.zeros(len(y), dtype=bool)
    for cls in (0, 1):
        members = np.flatnonzero(y == cls)
        take = int(round(len(members) * split.valid_fraction))
        valid[rng.permutation(members)[:take]] = True
    return valid


def choose_split(surveys: list[TrainSurvey], o: TrainOptions) -> Split:
    kind = o.split or ("time" if o.time else "random")
    if kind not in ("time", "random"):
        raise UsageError(f"--split must be time or random, not {kind!r}")
    if kind == "time" and not o.time:
        raise UsageError("--split time needs --time COL", hint="or use --split random")
    split = Split(kind, o.valid_fraction, o.seed, o.time)
    if kind == "random" or o.time is None:
        return split
    times = _times(surveys, o.time).group_by(o.time).agg(pl.col("n").sum())
    labelled = int(times["n"].sum())
    n_valid = max(int(round(labelled * o.valid_fraction)), 1)
    nulls = int(times.filter(pl.col(o.time).is_null())["n"].sum())
    ordered = times.filter(pl.col(o.time).is_not_null()).sort(o.time, descending=True)
    reached = ordered.with_columns(cum=pl.col("n").cum_sum() + nulls).filter(
        pl.col("cum") >= n_valid
    )
    cutoff = reached[o.time][0] if reached.height else ordered[o.time][-1]
    return replace(split, cutoff=cutoff)


def _times(surveys: list[TrainSurvey], time: str) -> pl.DataFrame:
    return pl.concat([s.times for s in surveys]).group_by(time, "bad").agg(pl.col("n").sum())


def train_counts(surveys: list[TrainSurvey], split: Split) -> LabelCounts:
    """Training rows and bad training rows, from the survey and the split."""
    if split.kind == "time":
        t = _times(surveys, str(split.time))
        train = t.filter(pl.col(str(split.time)) < split.cutoff)
        return LabelCounts(int(train["n"].sum()), int(train.filter(pl.col("bad") == 1)["n"].sum()))
    n = bad = 0
    for s in surveys:
        labelled = s.rows - s.unlabelled
        valid_bad = int(round(s.bad * split.valid_fraction))
        valid_good = int(round((labelled - s.bad) * split.valid_fraction))
        n += labelled - valid_bad - valid_good
        bad += s.bad - valid_bad
    return LabelCounts(n, bad)
