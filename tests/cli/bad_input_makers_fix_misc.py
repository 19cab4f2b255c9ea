"""Input makers for `cases/fix_misc.yaml`: detectors trained on text codes that numbers
cannot tell apart (`03` and `3`), with the codes read back as numbers from a CSV, and
report templates that would build huge bytes, texts or integers.

A case gives `codes` (the trained text codes) and `values` (the codes of the table that is
written to CSV, where they read back as numbers); a template case gives `template` (and
may give `template_file`)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker

from riskctl.model.train import train_detector
from riskctl.synth.generate import generate_history

_CACHE: dict[tuple[str, ...], Path] = {}


def _with_codes(df: pl.DataFrame, codes: list[str]) -> pl.DataFrame:
    column = pl.Series("store_code", [codes[i % len(codes)] for i in range(df.height)])
    return df.with_columns(column)


def _trained(codes: list[str]) -> Path:
    """A detector with a text categorical `store_code` holding `codes` (trained once)."""
    key = tuple(codes)
    if key not in _CACHE:
        root = Path(tempfile.mkdtemp(prefix="riskctl-fix-misc-"))
        atexit.register(shutil.rmtree, root, True)
        data = root / "history.parquet"
        _with_codes(generate_history(rows=3000, seed=9), codes).write_parquet(data)
        train_detector(
            data, label="is_bad", time="event_time", exclude=["attack"], out=root / "det", rounds=15
        )
        _CACHE[key] = root / "det"
    return _CACHE[key]


@maker("text_code_detector")
def _text_code_detector(i: Inputs) -> Path:
    return Path(shutil.copytree(_trained(list(i.case["codes"])), i.dir / "code_det"))


@maker("codes_as_numbers_csv")
def _codes_as_numbers_csv(i: Inputs) -> Path:
    """The case's `values` as text codes, exported to CSV: they read back as numbers."""
    df = _with_codes(generate_history(rows=200, seed=10), list(i.case["values"]))
    return i.table("codes.csv", df.drop("is_bad", "attack"))


@maker("bomb_templates")
def _bomb_templates(i: Inputs) -> Path:
    """A --templates folder whose part `template_file` (default: the report's data part) is
    the case's `template`."""
    folder = i.dir / "templates"
    folder.mkdir()
    name = i.case.get("template_file", "_data.html.j2")
    (folder / name).write_text(i.case["template"], encoding="utf-8")
    return folder
