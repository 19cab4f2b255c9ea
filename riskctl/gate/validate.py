"""`riskctl validate`: strategies and reason catalogues checked before anything runs.

Schema, SQL conditions, and columns: against `--data` when given, else against the
detectors' manifests, else the SQL is only parsed. Rule reason codes must exist in the
catalogue; catalogue features must be the detector's; features with no catalogue entry are
listed (their reasons fall back to generated text).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import scan_table
from riskctl.errors import ConfigError, RiskctlError
from riskctl.explain.catalogue import EMPTY, Catalogue, load_catalogue
from riskctl.gate.lint import lint
from riskctl.model.detector import Detector, load_detector
from riskctl.strategy.conditions import parse_condition
from riskctl.strategy.engine import compile_strategy
from riskctl.strategy.load import LoadedStrategy, load_strategy
from riskctl.yamlconfig import read_yaml

REASON_CODE = re.compile(r"^[A-Z][A-Z0-9_]*\d+$")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None
    level: str  # "error" | "warning" | "note"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_catalogue(path: Path) -> bool:
    try:
        data, _ = read_yaml(path)
    except RiskctlError:
        return False  # loading it as a strategy then reports what is wrong
    return isinstance(data, dict) and "reasons" in data and "actions" not in data


def _error(path: Path, exc: RiskctlError) -> Finding:
    if isinstance(exc, ConfigError) and exc.location is not None:
        hint = f" ({exc.hint})" if exc.hint else ""
        key = f"{exc.location.key_path}: " if exc.location.key_path else ""
        return Finding(
            str(exc.location.file), exc.location.line, "error", f"{key}{exc.detail}{hint}"
        )
    return Finding(str(path), None, "error", str(exc))


def _columns(
    loaded: LoadedStrategy, data_schema: pl.Schema | None, detectors: list[Detector]
) -> pl.Schema | None:
    if data_schema is not None:
        return data_schema
    mine = list(detectors)
    for column in loaded.strategy.detectors:
        path = loaded.detector_path(column)
        if path.exists():
            mine.append(load_detector(path))
    if not mine:
        return None
    types: dict[str, Any] = {}
    for det in mine:
        for r in det.manifest.get("roles", []):
            types[r["column"]] = _dtype(r.get("dtype", "String"))
    for column in loaded.strategy.score_columns():
        types.setdefault(column, pl.Float64)
    return pl.Schema(types)


def _dtype(name: str) -> Any:
    base = name.split("(")[0]
    return getattr(pl, base, pl.String) if base != "Datetime" else pl.Datetime("us")


def validate_paths(
    paths: list[Path],
    data: Path | None = None,
    detector: Path | None = None,
    reasons: Path | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    data_schema = scan_table(data).collect_schema() if data else None
    detectors = [load_detector(detector)] if detector else []
    catalogue: Catalogue = EMPTY
    catalogue_paths = [p for p in paths if _is_catalogue(p)] + ([reasons] if reasons else [])
    for path in catalogue_paths:
        try:
            catalogue = load_catalogue(path)
            for det in detectors:
                catalogue.check_columns(
                    det.feature_names + [r["column"] for r in det.manifest.get("roles", [])]
                )
                missing = catalogue.uncatalogued(det.feature_names)
                if missing:
                    findings.append(
                        Finding(
                            str(path),
                            None,
                            "note",
                            "no entry for features "
                            + ", ".join(missing)
                            + " (generated text is used)",
                        )
                    )
        except RiskctlError as exc:
            findings.append(_error(path, exc))
    for path in paths:
        if path in catalogue_paths:
            continue
        try:
            loaded = load_strategy(path)
            schema = _columns(loaded, data_schema, detectors)
            if schema is not None:
                compile_strategy(loaded, schema)
            else:
                _parse_only(loaded)
            findings += _not_checked(path, loaded, data_schema, schema, bool(catalogue_paths))
            findings += _reason_codes(loaded, catalogue, bool(catalogue_paths))
            findings += [Finding(str(path), ln, "warning", m) for ln, m in lint(loaded)]
        except RiskctlError as exc:
            findings.append(_error(path, exc))
    return findings


NOT_CHECKED = "not checked: "


def _not_checked(
    path: Path,
    loaded: LoadedStrategy,
    data_schema: pl.Schema | None,
    schema: pl.Schema | None,
    have_catalogue: bool,
) -> list[Finding]:
    """Notes naming the checks that could not be made without a table or catalogue."""
    notes = []
    if schema is None:
        notes.append(
            "columns (that every column the rules, segments and thresholds name exists, "
            "with a type its comparisons fit): pass --data TABLE, or --detector DIR"
        )
    elif data_schema is None:
        notes.append(
            "columns the detectors do not know (only the detectors' manifests were read): "
            "pass --data TABLE"
        )
    if not have_catalogue and any(r.reason for r in loaded.strategy.rules):
        notes.append("rule reason codes against a catalogue: pass --reasons CATALOGUE")
    return [Finding(str(path), None, "note", NOT_CHECKED + n) for n in notes]


def _parse_only(loaded: LoadedStrategy) -> None:
    """No columns to check against: the conditions must still parse as SQL."""
    for i, rule in enumerate(loaded.strategy.rules):
        _parse(rule.when, loaded, ("rules", i, "when"))
    for i, seg in enumerate(loaded.strategy.segments):
        _parse(seg.when, loaded, ("segments", i, "when"))


def _parse(sql: str, loaded: LoadedStrategy, key: tuple[str | int, ...]) -> None:
    parse_condition(sql, loaded.where(*key))


def _reason_codes(
    loaded: LoadedStrategy, catalogue: Catalogue, have_catalogue: bool
) -> list[Finding]:
    if not have_catalogue:
        return []
    out = []
    for i, rule in enumerate(loaded.strategy.rules):
        if rule.reason and REASON_CODE.match(rule.reason) and rule.reason not in catalogue.by_code:
            where = loaded.where("rules", i, "reason")
            out.append(
                Finding(
                    str(loaded.path),
                    where.line,
                    "error",
                    f"{where.key_path}: reason code '{rule.reason}' is not in the catalogue",
                )
            )
    return out
