"""Every part of a dataset must hold the columns the first part holds, of the same kind: a
part that differs is named with the column and the first part, before any value of it is
read (otherwise a string column in one part reads as a failed cast blamed on the strategy,
and a missing one as a typo of some other column)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from riskctl.data.io import scan_table
from riskctl.errors import DataError

HINT = (
    "every part of a dataset needs the same columns and types (times in the same time "
    "zone, or all without one): rewrite or drop that part"
)


def kind(dtype: pl.DataType) -> str:
    """What a column holds, as far as riskctl reads it: widths and units may differ between
    parts (Int32 beside Int64, ms beside us); an all-null part's column fits any kind."""
    if dtype == pl.Null:
        return ""
    if dtype == pl.Boolean:
        return "booleans"
    if dtype.is_numeric():
        return "numbers"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone:
        # a zone decides which day a time falls on: parts must agree on it
        return f"times in time zone {dtype.time_zone}"
    if isinstance(dtype, pl.Datetime | pl.Date):
        return "times without a time zone"
    if dtype == pl.Time:
        return "times of day"
    if dtype.is_temporal():
        return "durations"
    return str(dtype)


def check_time_zones(parts: Sequence[Path]) -> None:
    """Refuse parts whose time columns disagree on their time zone (one aware and one
    naive, or two zones), naming both parts and their types: read together, rows would
    move to another day silently. Columns a part lacks are checked elsewhere."""
    first: dict[str, tuple[Path, pl.DataType]] = {}
    for part in parts:
        schema = scan_table(part).collect_schema()
        for column, dtype in schema.items():
            if not dtype.is_temporal() or dtype == pl.Duration:
                continue
            seen = first.setdefault(column, (Path(part), dtype))
            if kind(seen[1]) != kind(dtype):
                raise DataError(
                    f"{part}: column '{column}' holds {dtype} ({kind(dtype)}), but "
                    f"{seen[1]} ({kind(seen[1])}) in {seen[0]}",
                    hint="write every part with the same time zone (or every part without "
                    "one) before reading them together",
                )


@dataclass(frozen=True)
class FirstPart:
    """The first part of a dataset: the schema every other part is held to."""

    path: Path
    kinds: dict[str, str] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, path: Path, columns: Iterable[str] | None = None) -> FirstPart:
        """`columns`: those a command reads (None: all of them)."""
        schema = scan_table(path).collect_schema()
        names = [c for c in (schema.names() if columns is None else columns) if c in schema]
        return cls(
            path,
            {c: kind(schema[c]) for c in names},
            {c: str(schema[c]) for c in names},
        )

    def check(self, part: Path, schema: pl.Schema) -> None:
        """Raise DataError naming `part`, the column and the first part where they differ."""
        if Path(part) == self.path:
            return
        for column, first in self.kinds.items():
            if column not in schema:
                raise DataError(
                    f"{part}: has no column '{column}', which the first part {self.path} has",
                    hint=HINT,
                )
            here = kind(schema[column])
            if first and here and here != first:
                raise DataError(
                    f"{part}: column '{column}' holds {schema[column]} ({here}), but "
                    f"{self.dtypes[column]} ({first}) in the first part {self.path}",
                    hint=HINT,
                )
