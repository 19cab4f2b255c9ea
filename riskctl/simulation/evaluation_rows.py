"""Which rows an evaluation reads, when some were a detector's own training rows.

`riskctl train` records which input row went to which slice (train, early stopping, test)
in the detector's split file, with a digest of each row's own columns and, when the
detector has a unique id column, its id. A table evaluated later (simulated, checked,
tuned, swept, reported, monitored) is matched against that record: by row number when it
is the very file the detector was trained on (same sha256), else by the row digest (when
the table has every column the digest read), else by the id column (ids alone may repeat
across unrelated tables, so they speak only when the digest cannot).

Scores on training and early-stopping rows flatter the detector (it learnt them, or
stopped when they looked best), so by default those rows are left out (`not-train`);
`test` keeps only the recorded test rows; `all` keeps every row, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.errors import DataError, UsageError
from riskctl.model.detector import MANIFEST_FILE, Detector, load_detector
from riskctl.model.evaluation import DIGEST_COLUMN, ID_COLUMN, ROW, SPLIT_FILE
from riskctl.model.score import SCORED_BY
from riskctl.model.split import SLICE_NAMES, TEST, digest_expr
from riskctl.strategy.load import LoadedStrategy

CHOICES = ("test", "not-train", "all")
DEFAULT = "not-train"
NEW = 3  # a row the detector's split does not hold (or holds unlabelled): it never saw it
KINDS = (*SLICE_NAMES, "new")
_INDEX = "__riskctl_evaluated_row"


@dataclass(frozen=True)
class EvaluationRows:
    """Which rows were evaluated, out of which, and what the detectors had done with them."""

    choice: str
    detectors: tuple[str, ...]  # detector directories whose split was matched
    matched_by: tuple[str, ...]  # per detector: how its rows were found
    counts: dict[str, int]  # rows of the table per kind: train, early_stopping, test, new
    kept: int  # rows evaluated

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def trained_on(self) -> int:
        """Rows that trained a detector or stopped its training."""
        return self.counts["train"] + self.counts["early_stopping"]

    def described(self) -> str:
        """Which rows the numbers come from, in words."""
        c = self.counts
        parts = f"{c['train']:,} train, {c['early_stopping']:,} early-stopping, {c['test']:,} test"
        which = {
            "test": "the detector's test rows only",
            "not-train": "rows the detector did not train on (test and new)",
            "all": "every row, training rows included",
        }[self.choice]
        return (
            f"--rows {self.choice}: {self.kept:,} of {self.total:,} rows, {which}; the table "
            f"holds {parts} and {c['new']:,} new rows (matched by {', '.join(self.matched_by)})"
        )

    @property
    def warning(self) -> str | None:
        """Loud when training rows are in the table; None when the detectors never saw it."""
        if not self.trained_on:
            return None
        c = self.counts
        head = (
            f"{self.trained_on:,} of {self.total:,} rows were the detector's own training rows "
            f"({c['train']:,} train, {c['early_stopping']:,} early-stopping; "
            f"{c['test']:,} test, {c['new']:,} new)"
        )
        if self.choice == "all":
            return (
                f"{head}: the numbers include them and flatter the detector; "
                "--rows not-train measures on held-out rows only"
            )
        return (
            f"{head}: left out (--rows {self.choice}), the numbers come from the other "
            f"{self.kept:,} rows; --rows all includes them"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.choice,
            "kept": self.kept,
            "total": self.total,
            "counts": dict(self.counts),
            "detectors": list(self.detectors),
            "matched_by": list(self.matched_by),
            "described": self.described(),
            "warning": self.warning,
        }


def check_choice(choice: str | None) -> str | None:
    if choice is not None and choice not in CHOICES:
        raise UsageError(
            f"--rows must be test, not-train or all, not {choice!r}",
            hint="not-train (the default) leaves out the detector's training rows",
        )
    return choice


def named_detectors(
    loaded: list[LoadedStrategy], detectors: dict[str, Detector], data: Path | None = None
) -> list[Detector]:
    """Every detector the strategies name that exists (loaded or not), and the one that
    scored `data` (`riskctl score` records it in a Parquet file), each once."""
    found = {str(Path(d.path).resolve()): d for d in detectors.values()}
    paths = [ls.detector_path(column) for ls in loaded for column in ls.strategy.detectors]
    for path in [*paths, *([scored_by(data)] if data is not None else [])]:
        if path is not None and str(path) not in found and (path / MANIFEST_FILE).is_file():
            found[str(path)] = load_detector(path)
    return list(found.values())


def scored_by(data: Path) -> Path | None:
    """The detector directory `riskctl score` recorded in a Parquet file it wrote."""
    if Path(data).suffix.lower() != ".parquet" or not Path(data).is_file():
        return None
    try:
        recorded = pl.read_parquet_metadata(data).get(SCORED_BY)
    except (OSError, pl.exceptions.PolarsError):
        return None  # not a readable Parquet footer: the read proper will say why
    return Path(recorded).resolve() if recorded else None


def slice_codes(
    det: Detector, lf: pl.LazyFrame, data_sha256: Callable[[], str | None]
) -> tuple[np.ndarray, str] | None:
    """Per row of `lf`: TRAIN, EARLY_STOPPING, TEST or NEW by `det`'s recorded split, and
    how the rows were matched (`data_sha256` gives the table file's digest, asked only when
    a split is recorded); None when the split is not recorded or cannot be matched."""
    path = Path(det.path) / SPLIT_FILE
    if not path.is_file():
        return None
    record = pl.read_parquet(path)
    codes = {name: i for i, name in enumerate(SLICE_NAMES)}
    record = record.with_columns(
        pl.col("slice").replace_strict(codes, default=NEW, return_dtype=pl.Int8).alias("code")
    )
    names = lf.collect_schema().names()
    keys = det.manifest.get("split", {}).get("keys") or {}
    if data_sha256() == det.manifest.get("data_sha256"):
        key, how = lf.select(pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW)), "row number"
        record = record.with_columns(pl.col(ROW).cast(pl.Int64))
    elif DIGEST_COLUMN in record.columns and all(
        c in names for c in keys.get("digest_columns", [])
    ):
        columns = tuple(keys["digest_columns"])
        key = lf.select(digest_expr(lf.collect_schema(), columns).alias(ROW))
        how = "row digest"
        record = record.drop(ROW).rename({DIGEST_COLUMN: ROW}).drop_nulls(ROW)
    elif keys.get("id_column") in names and ID_COLUMN in record.columns:
        column = keys["id_column"]
        key, how = lf.select(pl.col(column).cast(pl.String).alias(ID_COLUMN)), f"'{column}'"
        record = record.drop(ROW).rename({ID_COLUMN: ROW}).drop_nulls(ROW)
        key = key.rename({ID_COLUMN: ROW})
    else:
        return None
    # copies of a row share a slice; should they not, the most trained-on one speaks
    lookup = record.group_by(ROW).agg(pl.col("code").min())
    joined = key.join(lookup.lazy(), on=ROW, how="left", maintain_order="left")
    found = joined.select(pl.col("code").fill_null(NEW)).collect(engine="streaming")
    return found["code"].to_numpy().astype(np.int8), how


def choose_rows(
    lf: pl.LazyFrame,
    detectors: list[Detector],
    choice: str | None,
    data_sha256: Callable[[], str | None],
    source: Path | str,
) -> tuple[pl.LazyFrame, EvaluationRows | None]:
    """`lf` restricted to the rows `choice` keeps (default not-train), and what was kept;
    unchanged with None when no detector's split can be matched (`all`, or no choice)."""
    check_choice(choice)
    matched = [(d, m) for d in detectors if (m := slice_codes(d, lf, data_sha256)) is not None]
    if not matched:
        if choice in ("test", "not-train"):
            raise UsageError(
                f"--rows {choice} needs a detector's recorded split, and none matches {source}",
                hint="name the detector in the strategy's `detectors:` (trained by this "
                "riskctl, with its split.parquet), or pass --rows all",
            )
        return lf, None
    code = np.minimum.reduce([m[0] for _, m in matched])
    choice = choice or DEFAULT
    keep = {"test": code == TEST, "not-train": code >= TEST, "all": np.ones(len(code), bool)}
    mask = keep[choice]
    counts = {kind: int((code == i).sum()) for i, kind in enumerate(KINDS)}
    chosen = EvaluationRows(
        choice,
        tuple(str(d.path) for d, _ in matched),
        tuple(m[1] for _, m in matched),
        counts,
        int(mask.sum()),
    )
    if not mask.any():
        raise DataError(
            f"{source}: --rows {choice} keeps none of its {len(code):,} rows: {chosen.described()}",
            hint="evaluate on rows the detector did not train on, or pass --rows all "
            "(its numbers then flatter the detector)",
        )
    if mask.all():
        return lf, chosen
    index = pl.Series(_INDEX, np.flatnonzero(mask), dtype=pl.UInt32).implode()
    return lf.with_row_index(_INDEX).filter(pl.col(_INDEX).is_in(index)).drop(_INDEX), chosen
