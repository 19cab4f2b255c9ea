"""Loading a strategy file: safe YAML, schema validation, errors that say file:line."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.io import sha256_file
from riskctl.errors import ConfigError, Location
from riskctl.sqlsafe import sql_expr
from riskctl.strategy.schema import Strategy
from riskctl.yamlconfig import KeyPath, format_key_path, line_of, load_yaml


@dataclass(frozen=True)
class LoadedStrategy:
    strategy: Strategy
    path: Path
    lines: dict[KeyPath, int]
    sha256: str

    def where(self, *key_path: str | int) -> Location:
        return Location(
            self.path, line_of(self.lines, key_path), format_key_path(key_path, self.strategy)
        )

    @property
    def name(self) -> str:
        return self.strategy.name

    def detector_path(self, score_column: str) -> Path:
        return (self.path.parent / self.strategy.detectors[score_column]).resolve()


def load_strategy(path: Path | str) -> LoadedStrategy:
    path = Path(path)
    raw = load_yaml(path, Strategy, "strategy", "strategies/README.md")
    loaded = LoadedStrategy(raw.model, path, raw.lines, sha256_file(path))
    _check_semantics(loaded)
    return loaded


def _check_condition(sql: str, where: Location) -> None:
    # polars' own parse errors are reported by the command, with the data's columns
    with contextlib.suppress(pl.exceptions.PolarsError):
        sql_expr(sql, where)


def _check_semantics(loaded: LoadedStrategy) -> None:
    s = loaded.strategy
    # every condition only computes on the row's columns (riskctl.sqlsafe), checked before
    # any command reads data: a table function is refused without touching anything
    for i, rule in enumerate(s.rules):
        _check_condition(rule.when, loaded.where("rules", i, "when"))
    for i, seg in enumerate(s.segments):
        _check_condition(seg.when, loaded.where("segments", i, "when"))
    known = set(s.actions)
    hint = "actions are: " + ", ".join(s.actions)
    for action in s.thresholds:
        if action not in known:
            raise ConfigError(
                f"unknown action '{action}'", loaded.where("thresholds", action), hint=hint
            )
    for i, seg in enumerate(s.segments):
        for action in seg.thresholds:
            if action not in known:
                raise ConfigError(
                    f"unknown action '{action}'",
                    loaded.where("segments", i, "thresholds", action),
                    hint=hint,
                )
    for i, action in enumerate(s.reviews or []):
        if action not in known:
            raise ConfigError(f"unknown action '{action}'", loaded.where("reviews", i), hint=hint)
        if action == s.pass_action:
            raise ConfigError(
                f"'{action}' is the pass action: it cannot send rows to review",
                loaded.where("reviews", i),
                hint="list the actions that queue a row for a person, e.g. reviews: [hold]",
            )
    seen: set[str] = set()
    for i, rule in enumerate(s.rules):
        if rule.action not in known:
            raise ConfigError(
                f"unknown action '{rule.action}'", loaded.where("rules", i, "action"), hint=hint
            )
        if rule.name in seen:
            raise ConfigError(
                f"duplicate rule name '{rule.name}'", loaded.where("rules", i, "name")
            )
        seen.add(rule.name)
