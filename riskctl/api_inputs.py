"""What the Python API accepts, as the files the library reads: a frame (polars DataFrame
or LazyFrame, pandas DataFrame) as a private temporary Parquet file, a strategy given as a
dict or `Strategy` as a YAML file."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import write_text
from riskctl.errors import UsageError
from riskctl.strategy.schema import Strategy
from riskctl.strategy.write import strategy_yaml

PathLike = str | Path
# a file path, a polars DataFrame or LazyFrame, or a pandas DataFrame (duck-typed: pandas
# is never imported by riskctl itself)
Table = str | Path | pl.DataFrame | pl.LazyFrame | Any
StrategyLike = str | Path | dict[str, Any] | Strategy


class Inputs:
    """Frames and in-memory strategies as the files the library reads: written once into a
    private temporary folder, which is removed when the result that still reads them is
    garbage-collected (`keep_for`), else when the call ends. A run records the digest and
    name of what it read and reads its rows again later (reports, tuning): a file is what
    makes that the same rows."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.kept = False

    def _place(self, name: str) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="riskctl-api-"))
        return self.folder / name

    def table(self, data: Table, name: str = "data") -> Path:
        if isinstance(data, str | Path):
            return Path(data)
        frame = as_frame(data)
        path = self._place(f"{name}.parquet")
        if isinstance(frame, pl.LazyFrame):
            try:
                frame.sink_parquet(path)
            except pl.exceptions.InvalidOperationError:  # a plan streaming cannot run
                frame.collect().write_parquet(path)
        else:
            frame.write_parquet(path)
        return path

    def strategy(self, strategy: StrategyLike, name: str) -> Path:
        if isinstance(strategy, str | Path):
            return Path(strategy)
        return write_text(strategy_yaml(strategy), self._place(f"{name}.yaml"))

    def keep_for(self, owner: object) -> None:
        if self.folder is not None:
            weakref.finalize(owner, shutil.rmtree, self.folder, True)
            self.kept = True

    def close(self) -> None:
        if self.folder is not None and not self.kept:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def inputs() -> Iterator[Inputs]:
    """The frames and in-memory strategies of one API call, placed as files."""
    made = Inputs()
    try:
        yield made
    finally:
        made.close()


def as_frame(data: Any) -> pl.DataFrame | pl.LazyFrame:
    """A polars frame from a polars DataFrame or LazyFrame, or from a pandas DataFrame
    (converted by `pl.from_pandas`, index dropped); UsageError for anything else."""
    if isinstance(data, pl.DataFrame | pl.LazyFrame):
        return data
    if type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        return pl.from_pandas(data)
    raise UsageError(
        f"data must be a file path or a polars or pandas DataFrame, not {type(data).__name__}",
        hint="pass a Parquet, CSV or NDJSON path, or a DataFrame",
    )
