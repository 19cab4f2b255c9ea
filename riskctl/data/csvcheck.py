"""A CSV file is read only when it is regular: UTF-8 text, one value per header name on every
line, and no header name twice. polars alone would pad short rows with missing values, rename
a repeated header (`amount_duplicated_0`) and fail on other text encodings without saying
where: here each problem is one DataError naming the line.

The check is one vectorised pass (polars counts the separators on each line); only a file
with quoted fields or an irregular line gets a second, exact pass with Python's csv module.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import polars as pl

from riskctl.data.notices import notice
from riskctl.data.separators import LIKELY_SEPARATORS, separator_of
from riskctl.errors import DataError

UNIT_SEPARATOR = "\x1f"  # never in ordinary text: each whole line is one value
MAX_COLUMNS = 10_000  # columns in a table riskctl reads (any format)
MAX_HEADER_BYTES = 4 * 1024**2  # a CSV header line longer than this has too many columns


def check_width(path: Path, columns: int) -> None:
    """A table with more than MAX_COLUMNS columns is refused before it is read: each column
    costs time in every step, and a file of a million columns would take minutes to say
    that a flag names an unknown one."""
    if columns > MAX_COLUMNS:
        raise DataError(
            f"{path}: {columns:,} columns, more than riskctl reads (at most {MAX_COLUMNS:,})",
            hint="write the columns you need to a new file first",
        )


def check_csv(path: Path, ragged_ok: bool = False) -> list[int]:
    """Raise on the first irregular line (unless `ragged_ok`). Returns the rows, numbered
    from 0 as polars numbers them, that are no rows: blank lines (polars reads each as a row
    of nulls, where pandas and DuckDB see no row at all) and, unless `ragged_ok`, a last line
    cut off mid-row, which every command drops with a warning (see `cut_last_line`)."""
    if ragged_ok:
        _header_checked(path)
        return _layout(path)[1]
    irregular, blank = _layout(path)
    for line, n, width in irregular:
        raise DataError(
            f"{path}: line {line} has {n} fields, the header has {width}",
            hint="fix or remove that line (an interrupted export?), or quote values "
            "that contain commas",
        )
    cut = cut_last_line(path)
    if cut is None:
        return blank
    line, n, width, row = cut
    notice(
        f"{path}: the last line (line {line}) is cut off mid-row ({n} of {width} fields, no "
        "line break at the end: an interrupted export?); it was left out"
    )
    return sorted({*blank, row})


def cut_last_line(path: Path) -> tuple[int, int, int, int] | None:
    """(line number, fields, header fields, row number from 0) of a last line cut off
    mid-row: the file ends without a line break and its last line has fewer fields than the
    header. None for a complete file."""
    if not _truncated_end(path):
        return None
    header = _header(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator_of(path))
        next(reader, None)
        rows, last, line = 0, None, 1
        for row in reader:
            rows, last, line = rows + 1, row, reader.line_num
    if last is None or not last or len(last) >= len(header):
        return None
    return line, len(last), len(header), rows - 1


def irregular_lines(path: Path) -> list[tuple[int, int, int]]:
    """(line number, fields, header fields) of each line whose field count is not the
    header's, in file order; a short last line of a file cut off mid-row is not one."""
    return _layout(path)[0]


def _layout(path: Path) -> tuple[list[tuple[int, int, int]], list[int]]:
    """The irregular lines and the blank rows: one vectorised pass over the lines, and an
    exact one with Python's csv module only for quoted fields or an irregular line."""
    header = _header_checked(path)
    lines = _lines(path)
    if lines is None:
        return [], []
    fields = lines.str.count_matches(separator_of(path), literal=True) + 1
    nonblank = lines.str.len_bytes() > 0
    ok = (fields == len(header)) | ~nonblank
    if _truncated_end(path) and len(ok):  # an export cut off mid-line: its last row is short
        ok = ok.scatter(len(ok) - 1, bool(fields[-1] <= len(header)))
    quoted = bool(lines.str.contains('"', literal=True).any())
    if bool(ok.all()) and not quoted:
        return [], (~nonblank).arg_true().to_list()
    return _exact_layout(path, len(header))


def _header_checked(path: Path) -> list[str]:
    header = _header(path)
    repeated = [name for name, n in Counter(header).items() if n > 1]
    if repeated:
        raise DataError(
            f"{path}: duplicate column name {', '.join(repr(n) for n in repeated)} in the "
            "header (line 1)",
            hint="give every column its own name",
        )
    return header


def _truncated_end(path: Path) -> bool:
    """The file does not end with a line break: its last line was cut off (an export that
    stopped mid-row). That row is read with its missing values null, like any unlabelled row,
    and reports count it; a short line anywhere else is an error."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return False
        fh.seek(-1, 2)
        return fh.read(1) not in (b"\n", b"\r")


def _header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(MAX_HEADER_BYTES + 1)
    if len(first) > MAX_HEADER_BYTES:
        raise DataError(
            f"{path}: the header line is longer than {MAX_HEADER_BYTES // 1024**2} MiB, too many "
            f"columns (riskctl reads at most {MAX_COLUMNS:,})",
            hint="write the columns you need to a new file first",
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(path, 1) from None
    if not text.strip():
        raise DataError(f"{path}: empty file, or no header on line 1")
    sep = separator_of(path)
    header = next(csv.reader([text.rstrip("\r\n")], delimiter=sep))
    check_width(path, len(header))
    _check_one_column(path, header, sep)
    return header


def _check_one_column(path: Path, header: list[str], sep: str) -> None:
    """A header read as one column that holds another likely separator: the file is
    separated by that one (a European `;` export, a tab-separated file named .csv)."""
    if len(header) != 1:
        return
    other = next((c for c in LIKELY_SEPARATORS if c != sep and c in header[0]), None)
    if other is None:
        return
    shown = header[0] if len(header[0]) <= 60 else header[0][:57] + "..."
    flag = "tab" if other == "\t" else f"'{other}'"
    raise DataError(
        f"{path}: the header reads as one column {shown!r}, which holds "
        f"{LIKELY_SEPARATORS[other]} characters: the fields are separated by "
        f"{LIKELY_SEPARATORS[other]}, not {LIKELY_SEPARATORS.get(sep, repr(sep))}",
        hint=f"pass --separator {flag} (riskctl --separator {flag} COMMAND ...)",
    )


def _lines(path: Path) -> pl.Series | None:
    try:
        df = pl.read_csv(
            path,
            has_header=False,
            separator=UNIT_SEPARATOR,
            quote_char=None,
            schema={"line": pl.String},
            encoding="utf8",
            skip_rows=1,
        )
    except pl.exceptions.ComputeError as exc:
        if "utf-8" in str(exc).lower():
            raise _not_utf8(path, _first_bad_line(path)) from None
        return None  # not for this check to judge: reading the table reports it
    except pl.exceptions.NoDataError:
        return None
    return df["line"].fill_null("").str.strip_suffix("\r")


def _exact_layout(path: Path, width: int) -> tuple[list[tuple[int, int, int]], list[int]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator_of(path))
        next(reader, None)
        start = reader.line_num + 1
        numbered = []
        for row in reader:
            numbered.append((start, len(row)))
            start = reader.line_num + 1
    cut = _truncated_end(path)
    last = len(numbered) - 1
    irregular = [
        (line, n, width)
        for i, (line, n) in enumerate(numbered)
        if n and n != width and not (cut and i == last and n < width)
    ]
    return irregular, [i for i, (_, n) in enumerate(numbered) if n == 0]


def _first_bad_line(path: Path) -> int:
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _not_utf8(path: Path, line: int) -> DataError:
    return DataError(
        f"{path}: line {line} is not UTF-8 text (riskctl reads CSV as UTF-8)",
        hint=f"convert the file first, e.g. `iconv -f latin1 -t utf-8 {path} > utf8.csv`",
    )
