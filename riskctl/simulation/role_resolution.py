"""Who speaks for an evaluated table's roles: the detectors its strategies name, the label,
time and amount columns (flags first, then the strategies, then a detector's manifest), and
which label value means bad."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from riskctl.data.labels import BAD_HOW, binary_label, label_expr
from riskctl.errors import ConfigError
from riskctl.model.detector import Detector, load_detector
from riskctl.simulation.roles import Roles
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import History


def resolve_roles(
    loaded: list[LoadedStrategy],
    detectors: dict[str, Detector],
    label: str | None,
    time: str | None,
    amount: str | None,
    history: History | None = None,
) -> Roles:
    """Flags win, then the strategy's `label:`/`time:`/`history:`, then a detector's manifest."""

    def pick(flag: str | None, attr: str) -> str | None:
        if flag:
            return flag
        for ls in loaded:
            if getattr(ls.strategy, attr):
                return getattr(ls.strategy, attr)
        for det in detectors.values():
            if getattr(det, attr, None):
                return getattr(det, attr)
        return None

    for ls in loaded:  # detectors named by the strategies speak for roles even when unused
        for column in ls.strategy.detectors:
            path = ls.detector_path(column)
            if column not in detectors and (path / "manifest.json").is_file():
                detectors = {**detectors, column: load_detector(path)}
    chosen_label = pick(label, "label")
    if chosen_label is None:
        raise ConfigError("no label column", hint="pass --label or set `label:` in the strategy")
    if history is None:
        history = next((ls.strategy.history for ls in loaded if ls.strategy.history), None)
    return Roles(chosen_label, pick(time, "time"), amount or pick(None, "amount"), history)


def load_detectors(loaded: list[LoadedStrategy], columns: list[str]) -> dict[str, Detector]:
    """Detectors for the score columns the data lacks, each loaded once."""
    detectors: dict[str, Detector] = {}
    for ls in loaded:
        for column, _ in ls.strategy.detectors.items():
            if column in columns or column in detectors:
                continue
            path = ls.detector_path(column)
            if not path.exists():
                raise ConfigError(
                    f"detector for '{column}' not found at {path}",
                    ls.where("detectors", column),
                    hint="train it with `riskctl train`, or score the data first",
                )
            detectors[column] = load_detector(path)
    return detectors


def bad_value(
    loaded: list[LoadedStrategy], detectors: dict[str, Detector], label: str
) -> str | None:
    """The label value that means bad: a strategy's `bad:`, else that of a detector trained
    on the same label column; None for 0/1 labels."""
    for ls in loaded:
        if ls.strategy.bad is not None:
            return ls.strategy.bad
    for det in detectors.values():
        if det.label == label and det.manifest.get("bad") is not None:
            return str(det.manifest["bad"])
    return None


def coded_label(lf: pl.LazyFrame, label: str, bad: str | None, data: Path) -> pl.LazyFrame:
    """With a bad value named, the label recoded to 1 = bad, 0 = good (missing stays
    missing, for the usual checks); the value must occur."""
    if bad is None or label not in lf.collect_schema():
        return lf
    binary_label(lf.select(label).collect()[label], bad, str(data), BAD_HOW)
    return lf.with_columns(label_expr(label, lf.collect_schema()[label], bad).alias(label))
