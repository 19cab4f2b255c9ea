"""Reading tables lazily and writing every output atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.csvcheck import check_csv, check_width
from riskctl.data.dates import parse_date_strings, slash_date_columns
from riskctl.data.memory import TABLE_COPIES, check_fits
from riskctl.data.output import check_output_file
from riskctl.data.separators import TAB_SUFFIXES, separator_of
from riskctl.errors import DataError, UsageError, first_line, name_list
from riskctl.escape import CSV_FORMULA_START, for_csv_cell
from riskctl.files import check_input_file
from riskctl.tempfiles import note_input, partial_dir, partial_file, untrack_partial

TABLE_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",  # tab-separated (see csvcheck.separator_of)
    ".tab": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "json",
}


def written_separator(path: Path) -> str:
    """Tabs in a `.tsv` or `.tab` file riskctl writes, else commas."""
    return "\t" if path.suffix.lower() in TAB_SUFFIXES else ","


def table_format(path: Path) -> str:
    fmt = TABLE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(TABLE_SUFFIXES))
        raise DataError(f"{path}: unknown table format '{path.suffix}'", hint=f"use one of {known}")
    return fmt


def scan_table(path: Path | str, ragged_ok: bool = False) -> pl.LazyFrame:
    """A lazy view of a Parquet, CSV or NDJSON table; fails early and clearly.

    `ragged_ok` (for describing a file, never for deciding on it): CSV lines with too few
    fields, such as an interrupted export's last line, read as rows with missing values."""
    path = Path(path)
    if not path.exists():
        raise DataError(
            f"{path}: no such file",
            hint="check the path, or create it with `riskctl data generate --out FILE`",
        )
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a table file")
    check_input_file(path)
    fmt = table_format(path)
    note_input(path)
    try:
        if fmt == "parquet":
            lf = pl.scan_parquet(path)
        elif fmt == "csv":
            blank = check_csv(path, ragged_ok)  # UTF-8, no ragged line, no header name twice
            # slash dates stay text here and parse_date_strings reads them month first with
            # one format per column: polars' own guess reads `1/2/2026` day-first and fails
            # on `01/02/26`. ISO dates it parses itself (and leniently on a cut last line).
            lf = without_rows(_scan_csv(path, ragged_ok), blank)
        elif fmt == "json":  # a JSON array of row objects: read whole, there is no scanner
            lf = pl.read_json(path).lazy()
        else:  # exporters leave out keys whose value is null: every line decides the types
            lf = pl.scan_ndjson(path, infer_schema_length=None)
        check_width(path, len(lf.collect_schema()))
        lf = parse_date_strings(lf)
        lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{path}: cannot read as {fmt}: {first_line(exc)}") from exc
    return lf


CSV_SAMPLE = 10_000  # rows looked at for numbers spelled as text


def _scan_csv(path: Path, ragged_ok: bool) -> pl.LazyFrame:
    """The CSV, lazily. Slash dates stay text here and parse_date_strings reads them month
    first with one format per column (polars' own guess reads `1/2/2026` day-first and fails
    on `01/02/26`); ISO dates polars parses itself (and leniently on a cut last line).

    Every column's type comes from every row, as for NDJSON: a column of whole numbers for
    ten thousand rows and then `1.5` is a column of floats for every command, never an
    error half-way. A column with no value at all is read as numbers (all missing, as in a
    Parquet file: last night's orders, none labelled yet). Numbers with NaN or infinity
    spelled `nan`, `Infinity`... (numpy, Spark) are numbers."""
    dates: dict[str, Any] = {name: pl.String for name in slash_date_columns(path)}

    def scan(overrides: dict[str, Any], infer: int | None) -> pl.LazyFrame:
        return pl.scan_csv(
            path,
            separator=separator_of(path),
            try_parse_dates=True,
            schema_overrides={**dates, **overrides},
            infer_schema_length=infer,
            truncate_ragged_lines=ragged_ok,
        )

    lf = scan({}, CSV_SAMPLE)
    schema = lf.collect_schema()
    text = [c for c, t in schema.items() if t == pl.String and c not in dates]
    sample = lf.select(text).head(CSV_SAMPLE).collect() if text else pl.DataFrame()
    unseen = [c for c in text if sample.height and sample[c].null_count() == sample.height]
    numbers = [c for c, t in schema.items() if t.is_numeric() and c not in dates]
    overrides = _types_of_every_row(scan, numbers, unseen)
    if overrides:
        lf = scan(overrides, CSV_SAMPLE)
    spelled = spelled_numbers(sample.drop(unseen)) if sample.height else []
    return lf.with_columns(numbers_from_text(c) for c in spelled) if spelled else lf


_WHOLE = r"^[+-]?\d+$"


def _types_of_every_row(scan: Any, numbers: list[str], unseen: list[str]) -> dict[str, pl.DataType]:
    """Types, from every row, for the columns the first rows cannot decide: number columns
    with a later value of another kind (`1.5` after whole numbers; text after numbers) and
    columns with no value in the first rows. One streaming pass confirms the number columns
    (the usual case); only when it fails, or for unseen columns, are they read as text and
    each given the narrowest type all its values fit: whole numbers, numbers, else text. A
    column with no value at all is numbers (all missing)."""
    suspects = list(unseen)
    if numbers:
        try:
            scan({}, CSV_SAMPLE).select(pl.col(numbers).null_count()).collect(engine="streaming")
        except pl.exceptions.PolarsError:
            suspects += numbers
    if not suspects:
        return {}
    lf = scan(dict.fromkeys(suspects, pl.String), CSV_SAMPLE)
    value = {c: pl.col(c).str.strip_chars() for c in suspects}
    checks = [
        *(
            (value[c].str.contains(_WHOLE) | value[c].is_null()).all().alias(f"w{i}")
            for i, c in enumerate(suspects)
        ),
        *(
            (value[c].cast(pl.Float64, strict=False).is_not_null() | value[c].is_null())
            .all()
            .alias(f"f{i}")
            for i, c in enumerate(suspects)
        ),
    ]
    found = lf.select(checks).collect(engine="streaming").row(0, named=True)
    types: dict[str, pl.DataType] = {}
    for i, c in enumerate(suspects):
        if found[f"w{i}"] and c not in unseen:
            types[c] = pl.Int64()
        elif found[f"f{i}"] or found[f"w{i}"]:
            types[c] = pl.Float64()  # an unseen column of whole numbers too: nulls first
        elif c in numbers:
            types[c] = pl.String()  # numbers, then text: the commands name the column
    return types


NON_FINITE_WORDS = {"infinity": "inf", "+infinity": "inf", "-infinity": "-inf", "+inf": "inf"}
NON_FINITE_WORDS |= {"+nan": "nan", "-nan": "nan"}
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([e][+-]?\d+)?$"


def spelled_numbers(sample: pl.DataFrame) -> list[str]:
    """Text columns whose values are all numbers, some NaN or infinity in another spelling
    than polars reads (`nan`, `NAN`, `Infinity`, `-INF`)."""
    found = []
    for name in sample.columns:
        values = sample[name].drop_nulls().str.strip_chars().str.to_lowercase()
        words = values.is_in(["nan", "inf", "-inf", *NON_FINITE_WORDS])
        if len(values) and words.any() and (words | values.str.contains(_NUMBER)).all():
            found.append(name)
    return found


def numbers_from_text(name: str) -> pl.Expr:
    text = pl.col(name).str.strip_chars().str.to_lowercase()
    return text.replace(NON_FINITE_WORDS).cast(pl.Float64).alias(name)


def without_rows(lf: pl.LazyFrame, rows: list[int]) -> pl.LazyFrame:
    """`lf` without the rows at these positions (blank CSV lines, which are no rows)."""
    if not rows:
        return lf
    index = "__riskctl_row__"
    while index in lf.collect_schema().names():
        index += "_"
    return lf.with_row_index(index).filter(~pl.col(index).is_in(rows)).drop(index)


def read_table(
    path: Path | str, copies: int | None = TABLE_COPIES, held: float = 0.0
) -> pl.DataFrame:
    """The whole table in memory, once `check_fits` says `copies` of it fit beside `held`
    bytes (None: the caller has budgeted the memory itself)."""
    lf = scan_table(path)
    if copies is not None:
        check_fits(lf, str(path), copies, held)
    return lf.collect()


def check_named_columns(flag: str, names: Sequence[str], columns: list[str]) -> None:
    """UsageError unless every column a flag names is in the data (an empty name included)."""
    import difflib

    if any(not n.strip() for n in names):
        raise UsageError(f"{flag} was given an empty column name", hint=f"pass {flag} COLUMN")
    unknown = [n for n in names if n not in columns]
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], columns, n=1)
    raise UsageError(
        f"{flag} names unknown columns: {', '.join(repr(n) for n in unknown)}",
        hint=f"did you mean `{close[0]}`?" if close else "columns are: " + name_list(columns),
    )


def require_columns(schema_names: list[str], wanted: dict[str, str], source: str) -> None:
    """Raise a DataError naming every role column the table lacks."""
    import difflib

    missing = [(role, col) for role, col in wanted.items() if col not in schema_names]
    if not missing:
        return
    role, col = missing[0]
    close = difflib.get_close_matches(col, schema_names, n=1)
    hint = (
        f"did you mean `{close[0]}`?"
        if close
        else (f"pass the right column with --{role}; columns are: " + name_list(schema_names))
    )
    others = "".join(f", {r} column '{c}'" for r, c in missing[1:])
    raise DataError(f"{source}: no {role} column '{col}'{others}", hint=hint)


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only on success.

    `target` is checked first (not an input, its folder exists and is writable); the
    temporary file is removed on any failure, and by the command line's handler on
    Ctrl-C or SIGTERM, so nothing half-written is ever left behind."""
    target = check_output_file(target)
    try:
        tmp = partial_file(f".{target.name}.", target.parent, ".tmp")
    except OSError as exc:
        raise DataError(f"{target}: cannot write: {exc.strerror or exc}") from None
    # mkstemp makes the file private; an output should get the usual permissions
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise DataError(f"{target}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        untrack_partial(tmp)


def write_table(df: pl.DataFrame, path: Path | str) -> Path:
    path = Path(path)
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            # statistics off: the file's bytes then depend only on the data (reproducible)
            df.write_parquet(tmp, compression="zstd", statistics=False)
        elif fmt == "csv":
            for_csv(df.lazy()).collect().write_csv(tmp, separator=written_separator(path))
        elif fmt == "json":
            df.write_json(tmp)
        else:
            df.write_ndjson(tmp)
    return path


_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


def for_csv(lf: pl.LazyFrame) -> pl.LazyFrame:
    """A table as riskctl writes it to CSV: lists (reason codes) joined with "; ", and text
    a spreadsheet would run as a formula (a cell or header starting with `= + - @` or their
    fullwidth forms, after any leading whitespace, or with a tab, CR or LF) given a leading
    `'`, as spreadsheet exports do (`riskctl.escape.for_csv_cell`).
    Numbers, dates and booleans are written as they are. Reading the file back keeps the
    `'`: it is part of the text from then on."""
    schema = lf.collect_schema()
    lists = [c for c, t in schema.items() if isinstance(t, pl.List)]
    text = [c for c, t in schema.items() if isinstance(t, _TEXT_TYPES)]
    lf = lf.with_columns(pl.col(c).list.join("; ") for c in lists)
    lf = lf.with_columns(_csv_text(c) for c in [*lists, *text])
    names = {c: for_csv_cell(c) for c in schema.names()}
    renamed = {c: n for c, n in names.items() if n != c}
    if not renamed:
        return lf
    if len(set(names.values())) < len(names):
        clash = next(c for c in renamed if renamed[c] in names)
        raise DataError(
            f"cannot write CSV: column {clash!r} would be written as {renamed[clash]!r}, "
            "which is another column's name",
            hint="rename one of the two columns, or write Parquet",
        )
    return lf.rename(renamed)


def _csv_text(name: str) -> pl.Expr:
    col = pl.col(name).cast(pl.String)
    formula = col.str.contains(CSV_FORMULA_START)
    return pl.when(formula).then(pl.lit("'") + col).otherwise(col).alias(name)


class BatchWriter:
    """Collects tables batch by batch and writes them, in order, as one file at the end.

    Each batch goes to a Parquet part in a temporary folder beside the output; on success
    polars streams the parts into the output (so memory stays bounded) and renames it into
    place. On failure nothing is left at the output path.
    """

    def __init__(self, out: Path, metadata: dict[str, str] | None = None) -> None:
        self.out = Path(out)
        self.metadata = metadata  # Parquet key-value metadata (other formats have none)
        self.fmt = table_format(self.out)
        check_output_file(self.out)
        try:
            self.parts_dir = partial_dir(f".{self.out.name}.parts-", self.out.parent)
        except OSError as exc:
            raise DataError(f"{self.out}: cannot write: {exc.strerror or exc}") from None
        self.parts: list[Path] = []
        self.schema: pl.Schema | None = None

    def write(self, batch: pl.DataFrame) -> None:
        part = self.parts_dir / f"part-{len(self.parts):08d}.parquet"
        batch.write_parquet(part)
        self.parts.append(part)

    def finish(self) -> Path:
        if not self.parts:
            raise DataError(f"{self.out}: nothing to write (no rows)")
        merged = pl.scan_parquet(self.parts)
        with atomic_path(self.out) as tmp:
            if self.fmt == "parquet":
                merged.sink_parquet(tmp, statistics=False, metadata=self.metadata)
            elif self.fmt == "csv":
                for_csv(merged).sink_csv(tmp, separator=written_separator(self.out))
            elif self.fmt == "json":  # one array: it has to be whole in memory once
                merged.collect().write_json(tmp)
            else:
                merged.sink_ndjson(tmp)
        return self.out

    def close(self) -> None:
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        untrack_partial(self.parts_dir)

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_text(text: str, path: Path | str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def sha256_file(path: Path | str) -> str:
    check_input_file(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
