"""Field separators of delimited text tables: a comma for `.csv`, a tab for `.tsv` and
`.tab`, or the one `riskctl --separator` gives for every table read. Imports nothing heavy
(the command line checks the option before anything loads)."""

from __future__ import annotations

import os
from pathlib import Path

from riskctl.errors import DataError

SEPARATOR_ENV = "RISKCTL_SEPARATOR"  # set by `riskctl --separator`
TAB_SUFFIXES = (".tsv", ".tab")
LIKELY_SEPARATORS = {";": "';'", "\t": "tab", "|": "'|'", ",": "','"}


def separator_of(path: Path) -> str:
    """The field separator of a delimited text table: `--separator` (RISKCTL_SEPARATOR) when
    given, else a tab for `.tsv` and `.tab` files and a comma for `.csv`."""
    chosen = os.environ.get(SEPARATOR_ENV)
    if chosen:
        return "\t" if chosen in ("\\t", "tab", "TAB") else chosen
    return "\t" if path.suffix.lower() in TAB_SUFFIXES else ","


def check_separator(value: str) -> str:
    """A `--separator` value: one character (or `tab`, or `\\t`)."""
    if value in ("\\t", "tab", "TAB", "\t"):
        return "\t"
    if len(value) != 1 or value in ('"', "\n", "\r"):
        raise DataError(
            f"--separator {value!r}: one character separates fields, e.g. ';', '|' or tab",
            hint="write --separator ';' (or --separator tab)",
        )
    return value
