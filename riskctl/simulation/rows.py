"""The rows a simulation reads: the columns it needs, checked, read once."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import require_columns
from riskctl.data.memory import MODEL_COPIES, TABLE_COPIES, check_fits
from riskctl.data.values import (
    OTHER_LABEL,
    check_amount,
    check_amount_sum,
    check_labels,
    check_rows,
    check_scores,
    check_time,
    label_code,
    read_labels,
)
from riskctl.model.detector import Detector
from riskctl.model.score import score_frame
from riskctl.outcomes.coverage import history_columns
from riskctl.outcomes.history import check_history
from riskctl.simulation.by_values import check_by_values
from riskctl.simulation.cells import AMOUNT_SQ, BAD, DAY, LABEL, ROWS
from riskctl.simulation.roles import Roles
from riskctl.strategy.decisions import SEGMENT
from riskctl.strategy.engine import CompiledStrategy, compile_strategy, condition_columns
from riskctl.strategy.load import LoadedStrategy


class Rows:
    """The rows a simulation reads: lazily for aggregates, materialised on first use."""

    def __init__(
        self,
        lf: pl.LazyFrame,
        columns: list[str],
        source: Path | str,
        roles: Roles,
        detectors: dict[str, Detector],
    ) -> None:
        self._lf, self.columns, self.source = lf, columns, source
        self.roles, self.detectors = roles, detectors
        self.scores: list[str] = []  # score columns that decide: checked before they do
        self.part = False  # one part of a dataset: may be empty (the whole may not)

    def lazy(self) -> pl.LazyFrame:
        """Scored rows need the table in memory; pre-scored ones stream from the file,
        their label coded 1, 0, null or OTHER_LABEL (checked once the pass is done)."""
        if self.detectors or "table" in self.__dict__:
            return self.table.lazy()
        code = label_code(self.roles.label, self._check_types())
        return self._lf.select(self.columns).with_columns(code.alias(self.roles.label))

    def _check_types(self) -> pl.DataType:
        """What the schema alone can tell: a label, time or score column of the wrong type.
        Returns the label's type."""
        schema = self._lf.collect_schema()
        label = schema[self.roles.label]
        if not (label.is_numeric() or label == pl.Boolean):
            self._check_in_memory([self.roles.label])
        if self.roles.time and not schema[self.roles.time].is_temporal():
            self._check_in_memory([self.roles.time])
        if any(not schema[c].is_numeric() for c in self.scores if c in schema):
            self._check_in_memory(self.scores)
        amount = self.roles.amount
        if amount and amount in schema and schema[amount].is_nested():  # a struct panics polars
            self._check_in_memory([amount])
        return label

    def _check_in_memory(self, columns: list[str]) -> None:
        """The eager checks on the few columns concerned: they name the problem exactly."""
        wanted = [c for c in dict.fromkeys(columns) if c in self.columns]
        selected = self._lf.select(wanted)
        check_fits(selected, str(self.source), TABLE_COPIES)
        frame = selected.collect()
        if self.roles.label in wanted:
            check_labels(frame, self.roles.label, self.source)
        if self.roles.time in wanted:
            check_time(frame, self.roles.time, self.source)
        check_scores(frame, [c for c in self.scores if c in wanted], self.source)
        if self.roles.amount in wanted:
            check_amount(frame, self.roles.amount, self.source)

    def verify(self, cells: pl.DataFrame) -> None:
        """After the streaming pass: no rows, labels other than 0/1 or missing, unreadable
        times, unusable scores or NaN/infinite amounts stop here, with the eager checks'
        exact messages."""
        if not self.part:
            check_rows(cells.head(0) if cells[ROWS].sum() == 0 else cells, self.source)
        label = cells[LABEL]
        suspect = [self.roles.label] if (label == OTHER_LABEL).any() else []
        if self.roles.time and cells.filter(pl.col(DAY).is_null())[ROWS].sum():
            suspect.append(self.roles.time)
        counted = [*self.scores, *([self.roles.amount] if self.roles.amount else [])]
        suspect += [c for c in counted if BAD + c in cells.columns and cells[BAD + c].sum()]
        if suspect:
            self._check_in_memory(suspect)
        if self.roles.amount:  # finite amounts whose sums overflow
            check_amount_sum(float(cells[AMOUNT_SQ].sum()), self.roles.amount, self.source)

    def want(self, columns: list[str]) -> None:
        """Columns a consumer needs in `table` besides the simulation's own (e.g. the
        features a report explains): read with the rest, or added once if already read."""
        present = set(self._lf.collect_schema().names())
        missing = [c for c in dict.fromkeys(columns) if c in present and c not in self.columns]
        if not missing:
            return
        self.columns = [*self.columns, *missing]
        if "table" in self.__dict__:
            extra = self._lf.select(missing).collect()
            self.__dict__["table"] = self.__dict__["table"].hstack(extra)

    @cached_property
    def table(self) -> pl.DataFrame:
        selected = self._lf.select(self.columns)
        check_fits(selected, str(self.source), MODEL_COPIES)
        table = selected.collect()
        if not self.part:
            check_rows(table, self.source)
        label = read_labels(table, self.roles.label, self.source)
        check_time(table, self.roles.time, self.source)
        if self.roles.amount:
            check_amount(table, self.roles.amount, self.source)
        table = table.with_columns(label)
        for column, det in self.detectors.items():
            table = score_frame(det, table, column)
        check_scores(table, self.scores, self.source)
        return table


def read_rows(
    lf: pl.LazyFrame,
    data: Path,
    loaded: list[LoadedStrategy],
    detectors: dict[str, Detector],
    roles: Roles,
    by: list[str] | None,
    carry: list[str] | None = None,
    part: bool = False,
) -> tuple[Rows, list[CompiledStrategy], list[str]]:
    """The rows of `lf` every strategy, metric, detector and the caller use (checked; scored
    where a detector must), the strategies compiled, and the id columns. `part`: `lf` is
    one part of a table (an empty part adds no cells; its --by values are checked whole)."""
    selected, compiled, ids = plan_columns(lf, data, loaded, detectors, roles, by, carry)
    if not part:
        check_by_values(lf, by)
    rows = Rows(lf, selected, data, roles, detectors)
    rows.part = part
    rows.scores = list(dict.fromkeys(c for ls in loaded for c in ls.strategy.score_columns()))
    if detectors:  # scoring reads the rows anyway: check them in memory, before deciding
        _ = rows.table
    return rows, compiled, ids


def plan_columns(
    lf: pl.LazyFrame,
    data: Path,
    loaded: list[LoadedStrategy],
    detectors: dict[str, Detector],
    roles: Roles,
    by: list[str] | None,
    carry: list[str] | None,
) -> tuple[list[str], list[CompiledStrategy], list[str]]:
    """The columns the strategies, metrics and caller use; every strategy compiled against
    the whole schema first (errors suggest any column)."""
    full = lf.collect_schema()
    columns = full.names()
    wanted = {
        "label": roles.label,
        **({"time": roles.time} if roles.time else {}),
        **({"amount": roles.amount} if roles.amount else {}),
    }
    require_columns(columns, wanted, str(data))
    for column in by or []:
        if column != SEGMENT and column not in columns:
            require_columns(columns, {"by": column}, str(data))
    check_history(roles.history, lf, loaded, data)
    types: dict[str, Any] = dict(full)
    types.update({c: pl.Float64 for c in detectors})
    types[roles.label] = pl.Int8
    compiled = [compile_strategy(ls, pl.Schema(types)) for ls in loaded]
    needed = [*wanted.values(), *history_columns(roles.history)]
    needed += [c for c in by or [] if c != SEGMENT]
    for ls in loaded:
        needed += ls.strategy.score_columns() + condition_columns(ls)
    for det in detectors.values():
        needed += det.feature_names
    ids = _id_columns(columns, detectors)
    needed += ids + list(carry or [])
    return [c for c in dict.fromkeys(needed) if c in full], compiled, ids


def _id_columns(names: list[str], detectors: dict[str, Detector]) -> list[str]:
    """The id column examples in reports show: a detector's first id, else a `*_id` one."""
    declared = [c for det in detectors.values() for c in det.ids]
    candidates = declared or [n for n in names if n.endswith("_id")]
    return [c for c in candidates if c in names][:1]
