"""Scoring a table with a detector, in batches, so memory stays bounded on any file size.

Batches stream out of polars' engine in input order and are scored one at a time; the
output is written only once every batch has scored (see BatchWriter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from riskctl.data.io import BatchWriter, check_named_columns, scan_table, table_format
from riskctl.errors import DataError, UsageError
from riskctl.model.detector import Detector, load_detector

SCORE_ROWS = 200_000  # rows scored at a time


@dataclass(frozen=True)
class ScoreSummary:
    path: Path
    rows: int
    columns: list[str]
    unseen: dict[str, int] = field(default_factory=dict)  # feature -> values unseen in training


SCORED_BY = "riskctl.scored_by"  # Parquet metadata: the detector directory that scored
SCORE_COLUMN = "riskctl.score_column"


def score_frame(detector: Detector, df: pl.DataFrame, column: str = "score") -> pl.DataFrame:
    """`df` with one more column: the detector's probability for each row."""
    return df.with_columns(pl.Series(column, detector.score(df), dtype=pl.Float64))


def carried_columns(detector: Detector, names: list[str], keep: list[str]) -> list[str]:
    """The input's id, label and time columns, then `keep`, in that order, once each."""
    ids = detector.ids or [c for c in names if c.endswith("_id")]
    wanted = [detector.label, detector.time, *ids, *keep]
    out: list[str] = []
    for c in wanted:
        if c and c in names and c not in out:
            out.append(c)
    return out


def check_score_column(data: Path, column: str, names: list[str], replace: bool) -> None:
    """Refuse an empty score column name, or one the table has unless `replace`."""
    if not column.strip():
        raise UsageError("--column: the score column needs a name", hint="e.g. --column score_v2")
    if column in names and not replace:
        raise DataError(
            f"{data}: already has a '{column}' column",
            hint="write the score under another name with --column NAME, or overwrite it "
            "with --replace",
        )


def score_file(
    detector_dir: Path,
    data: Path,
    out: Path,
    keep: list[str] | None = None,
    column: str = "score",
    batch_rows: int = SCORE_ROWS,
    progress: Callable[[int, int], None] | None = None,
    keep_all: bool = False,
    context: Path | None = None,
    replace: bool = False,
) -> ScoreSummary:
    """Score `data` into `out`: id/label/time columns, `keep`, then `column`; with
    `keep_all` every input column, in input order, then `column`. A `column` the table
    already has is refused, or with `replace` left out of the carried columns (the new score
    takes its place at the end)."""
    detector = load_detector(detector_dir)
    table_format(out)
    from riskctl.features.stored import with_stored_features  # raw data only: heavy

    lf = with_stored_features(scan_table(data), detector.path, detector.manifest, context)
    names = lf.collect_schema().names()
    check_named_columns("--keep", keep or [], names)
    missing = [f for f in detector.feature_names if f not in names]
    if missing:
        raise DataError(
            f"{data}: lacks the detector's feature columns: {', '.join(missing)}",
            hint="score a table with the columns the detector was trained on",
        )
    check_score_column(data, column, names, replace)
    carried = names if keep_all else carried_columns(detector, names, keep or [])
    carried = [c for c in carried if c != column]
    needed = list(dict.fromkeys([*carried, *detector.feature_names]))
    total = lf.select(pl.len()).collect().item()
    unseen: dict[str, int] = {}
    done = 0
    scored_by = {SCORED_BY: str(detector.path.resolve()), SCORE_COLUMN: column}
    with BatchWriter(out, scored_by) as writer:
        for batch in lf.select(needed).collect_batches(chunk_size=batch_rows):
            scores, batch_unseen = detector.score_encoded(batch)
            for name, n in batch_unseen.items():
                unseen[name] = unseen.get(name, 0) + n
            writer.write(
                batch.select(carried).with_columns(pl.Series(column, scores, dtype=pl.Float64))
            )
            done += batch.height
            if progress:
                progress(done, total)
        if done == 0:
            writer.write(
                pl.DataFrame(
                    schema={**{c: lf.collect_schema()[c] for c in carried}, column: pl.Float64}
                )
            )
        writer.finish()
    return ScoreSummary(out, done, [*carried, column], unseen)
