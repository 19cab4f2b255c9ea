"""Loading a strategy file: safe YAML, schema validation, errors that say file:line."""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from riskctl.data.io import sha256_file
from riskctl.errors import ConfigError, Location
from riskctl.strategy.schema import Strategy

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedStrategy:
    strategy: Strategy
    path: Path
    lines: dict[KeyPath, int]
    sha256: str

    def where(self, *key_path: str | int) -> Location:
        return Location(self.path, line_of(self.lines, key_path), format_key_path(key_path,
                                                                                  self.strategy))

    @property
    def name(self) -> str:
        return self.strategy.name

    def detector_path(self, score_column: str) -> Path:
        return (self.path.parent / self.strategy.detectors[score_column]).resolve()


def _line_map(node: yaml.Node, path: KeyPath = ()) -> dict[KeyPath, int]:
    """Every key path in the document -> the 1-based line where it starts."""
    lines: dict[KeyPath, int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines.update(_line_map(value, child))
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, i)))
    return lines


def line_of(lines: dict[KeyPath, int], key_path: KeyPath) -> int | None:
    path = tuple(key_path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def format_key_path(key_path: KeyPath, data: Any = None) -> str:
    """`rules[1].when` reads as `rule 'device_farm': when` when the item has a name."""
    parts: list[str] = []
    items = list(key_path)
    node: Any = data.model_dump() if isinstance(data, BaseModel) else data
    for i, key in enumerate(items):
        if isinstance(key, int):
            name = None
            with contextlib.suppress(IndexError, KeyError, TypeError):
                name = node[key].get("name") if isinstance(node[key], dict) else None
            parent = str(items[i - 1]) if i else ""
            label = parent[:-1] if parent.endswith("s") else parent
            if parts and name:
                parts[-1] = f"{label} '{name}'"
            elif parts:
                parts[-1] += f"[{key}]"
        else:
            parts.append(str(key))
        if node is not None:
            try:
                node = node[key]
            except (IndexError, KeyError, TypeError):
                node = None
    return ": ".join(parts) if parts else ""


def load_strategy(path: Path | str) -> LoadedStrategy:
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such strategy file", Location(path),
                          hint="pass a YAML file such as strategies/candidate.yaml")
    text = path.read_text(encoding="utf-8-sig")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"not valid YAML: {exc.problem or exc.context}",
                          Location(path, line)) from exc
    if not isinstance(data, dict) or node is None:
        raise ConfigError("expected a mapping of strategy keys (name, actions, ...)",
                          Location(path, 1))
    lines = _line_map(node)
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, path, lines, data) from None
    loaded = LoadedStrategy(strategy, path, lines, sha256_file(path))
    _check_semantics(loaded)
    return loaded


def _config_error(exc: ValidationError, path: Path, lines: dict[KeyPath, int],
                  data: Any) -> ConfigError:
    # a typo'd key also makes the key it meant "missing": report the typo, it is the cause
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(err["loc"])
    where = Location(path, line_of(lines, loc), format_key_path(loc, data))
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(key, fields, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "see strategies/README.md for the keys"
        parent = Location(path, line_of(lines, loc), format_key_path(loc[:-1], data))
        return ConfigError(f"unknown key '{key}'", parent, hint=hint)
    if err["type"] == "missing":
        parent = Location(path, line_of(lines, loc[:-1]) or 1, format_key_path(loc[:-1], data))
        return ConfigError(f"missing required key '{loc[-1]}'", parent)
    quote = None
    if err["type"] == "string_type" and isinstance(err.get("input"), bool):
        quote = "quote it: YAML reads yes/no/on/off as true/false"
    return ConfigError(err["msg"].removeprefix("Value error, "), where, hint=quote)


def _fields_at(loc: KeyPath) -> list[str]:
    """Field names of the model found at `loc`, for did-you-mean hints."""
    model: Any = Strategy
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        inner = [a for a in getattr(ann, "__args__", ()) if hasattr(a, "model_fields")]
        model = inner[0] if inner else ann
    return list(getattr(model, "model_fields", {}))


def _check_semantics(loaded: LoadedStrategy) -> None:
    s = loaded.strategy
    known = set(s.actions)
    hint = "actions are: " + ", ".join(s.actions)
    for action in s.thresholds:
        if action not in known:
            raise ConfigError(f"unknown action '{action}'", loaded.where("thresholds", action),
                              hint=hint)
    for i, seg in enumerate(s.segments):
        for action in seg.thresholds:
            if action not in known:
                raise ConfigError(f"unknown action '{action}'",
                                  loaded.where("segments", i, "thresholds", action), hint=hint)
    seen: set[str] = set()
    for i, rule in enumerate(s.rules):
        if rule.action not in known:
            raise ConfigError(f"unknown action '{rule.action}'",
                              loaded.where("rules", i, "action"), hint=hint)
        if rule.name in seen:
            raise ConfigError(f"duplicate rule name '{rule.name}'", loaded.where("rules", i,
                                                                                 "name"))
        seen.add(rule.name)
