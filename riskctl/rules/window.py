"""The search window, reduced to what the rule search reads from it: per period, the bad
and good rows with a usable label; a seeded sample of its rows (where thresholds, common and
risky values, id-like and leaking columns are read); and the beam's rows (every open bad row
and a seeded sample of open good ones: the rows the strategy lets through).

A table's parts each reduce their own rows (`summarise`, rows drawn by their position in
the whole search window, `rules.draws`) and the summaries, merged in order
(`merge_summaries`), are the whole table's: one machine and a cluster search the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from riskctl.outcomes.coverage import Coverage
from riskctl.rules.draws import draws

SAMPLE_ROWS = 200_000  # rows read for thresholds, values and the column checks
BEAM_ROWS = 120_000  # open good rows the beam search counts on (about)
SAMPLE, BEAM = 0, 1  # the two independent streams of draws of one seed


@dataclass(frozen=True)
class SearchRows:
    """The search window's rows of a table or of one part of it: their columns, label
    (1 bad, 0 good, -1 no usable label), whether the strategy lets them through (`open`)
    and their period; `offset`: the position of the first among the whole window's rows."""

    table: pl.DataFrame
    label: np.ndarray
    open: np.ndarray
    fold: np.ndarray
    offset: int = 0


@dataclass(frozen=True)
class WindowSummary:
    bad: np.ndarray  # per period: rows labelled bad
    good: np.ndarray  # per period: rows labelled good
    sample: pl.DataFrame  # the sampled rows' candidate columns
    sample_label: np.ndarray
    beam: pl.DataFrame  # the open bad rows and sampled open good rows
    beam_label: np.ndarray
    size: int  # the search window's rows


def usable_labels(coverage: Coverage, label: pl.Series) -> np.ndarray:
    """Per row: 1 bad, 0 good, -1 no usable label (unlabelled, immature, blocked)."""
    values = coverage.labels(label)
    return np.where(np.isnan(values), -1, values).astype(np.int8)


def shares(total: int) -> tuple[float, float]:
    """The sampled share of the search window's `total` rows, and of its open good rows."""
    return min(1.0, SAMPLE_ROWS / max(1, total)), min(1.0, BEAM_ROWS / max(1, total))


def summarise(
    rows: SearchRows, columns: list[str], share: tuple[float, float], folds: int, seed: int
) -> WindowSummary:
    """`rows` reduced (their `columns`); `share`: `shares` of the whole search window."""
    n = rows.table.height
    sample_share, beam_share = share
    sampled = draws(seed, SAMPLE, rows.offset, n) < sample_share
    bad, good = rows.open & (rows.label == 1), rows.open & (rows.label == 0)
    beam = bad | (good & (draws(seed, BEAM, rows.offset, n) < beam_share))
    table = rows.table.select(columns).with_columns(
        pl.col(c).cast(pl.String)
        for c, t in rows.table.select(columns).schema.items()
        if isinstance(t, pl.Categorical | pl.Enum)
    )  # one kind for text, whatever each part's categories
    return WindowSummary(
        _per_fold(rows.fold[rows.label == 1], folds),
        _per_fold(rows.fold[rows.label == 0], folds),
        table.filter(pl.Series(sampled)),
        rows.label[sampled],
        table.filter(pl.Series(beam)),
        rows.label[beam],
        n,
    )


def _per_fold(fold: np.ndarray, folds: int) -> np.ndarray:
    return np.bincount(fold, minlength=folds)[:folds].astype(np.int64)


def merge_summaries(parts: list[WindowSummary]) -> WindowSummary:
    """The summary of a table from its parts' summaries, in the parts' order."""
    return WindowSummary(
        np.sum([p.bad for p in parts], axis=0),
        np.sum([p.good for p in parts], axis=0),
        pl.concat([p.sample for p in parts], how="vertical_relaxed"),
        np.concatenate([p.sample_label for p in parts]),
        pl.concat([p.beam for p in parts], how="vertical_relaxed"),
        np.concatenate([p.beam_label for p in parts]),
        sum(p.size for p in parts),
    )
