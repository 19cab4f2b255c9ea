"""Loading a strategy file: safe YAML, schema validation, errors that say file:line."""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.io import sha256_file
from riskctl.errors import ConfigError, Location
from riskctl.sqlsafe import sql_expr
from riskctl.strategy.characters import action_name_problem, ascii_lookalike, odd_characters, shown
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
    check_characters(loaded)
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


FREE_TEXT = ("description", "reason")  # prose: any script, but nothing invisible


def check_characters(loaded: LoadedStrategy) -> None:
    """No text in the strategy holds a character that does not show what it is: action
    names are ASCII; names, columns and conditions hold no invisible or look-alike
    character (see `riskctl.strategy.characters`); prose holds no invisible one."""
    for i, action in enumerate(loaded.strategy.actions):
        problem = action_name_problem(action)
        if problem is not None:
            raise ConfigError(problem[0], loaded.where("actions", i), hint=problem[1])
    _walk(loaded, loaded.strategy.model_dump(), ())


def _walk(loaded: LoadedStrategy, node: object, path: tuple[str | int, ...]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _check_text(loaded, str(key), (*path, key), "the key", words=True)
            _walk(loaded, value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(loaded, value, (*path, i))
    elif isinstance(node, str):
        prose = bool(path) and path[-1] in FREE_TEXT
        condition = bool(path) and path[-1] == "when"
        what = "the condition" if condition else "the text"
        _check_text(loaded, node, path, what, words=not prose, one_line=not prose and not condition)


def _check_text(
    loaded: LoadedStrategy,
    text: str,
    path: tuple[str | int, ...],
    what: str,
    words: bool,
    one_line: bool = True,
) -> None:
    """Refuse `text` at the first character that does not show what it is; names (not
    prose, not conditions) are one line as well."""
    odd = odd_characters(text, words=words, first=True, one_line=one_line)
    if not odd:
        return
    first = odd[0]
    token = _token(text, first.position)
    effect = (
        "the condition does not test what it reads as"
        if what == "the condition"
        else "it is not the text it reads as"
    )
    where = loaded.where(*path)
    if where.key_path:  # the key path names the item, which may be the odd text itself
        where = Location(where.file, where.line, shown(where.key_path))
    if first.kind == "decomposed":
        composed = unicodedata.normalize("NFC", token)
        raise ConfigError(
            f"{what} holds {first.describe()}, in `{shown(token)}`: it never equals the "
            "composed text data holds",
            where,
            hint=f"retype it in NFC / composed form, as `{shown(composed)}`",
        )
    meant = " ".join(ascii_lookalike(token).split())  # on one line
    raise ConfigError(
        f"{what} holds {first.describe()}, in `{shown(token)}`: {effect}",
        where,
        hint=f"retype it as `{meant}`" if meant else "delete it",
    )


def _token(text: str, position: int, width: int = 60) -> str:
    """The space-separated part of `text` around `position`, at most `width` characters."""
    start = text.rfind(" ", 0, position) + 1
    end = text.find(" ", position)
    end = len(text) if end < 0 else end
    if end - start > width:
        start, end = max(start, position - width // 2), min(end, position + width // 2)
    return text[start:end]
