"""YAML config files (strategies, model settings): safe loading, pydantic validation, and
errors that say file:line, the key path and how to fix it."""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from riskctl.errors import ConfigError, Location
from riskctl.safeyaml import parse_yaml, read_yaml_text
from riskctl.tempfiles import note_input

KeyPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedYaml(Generic[M]):
    """A validated model and where each of its keys stands in the file."""

    model: M
    path: Path
    lines: dict[KeyPath, int]

    def where(self, *key_path: str | int) -> Location:
        return Location(
            self.path, line_of(self.lines, key_path), format_key_path(key_path, self.model)
        )


def load_yaml(path: Path, root: type[M], what: str, docs: str) -> LoadedYaml[M]:
    """Parse `path` with the safe loader and validate it as `root`; raise ConfigError."""
    data, node = read_yaml(path, what, docs)
    if not isinstance(data, dict) or node is None:
        raise ConfigError(
            f"expected a mapping of {what} keys", Location(path, 1), hint=f"see {docs}"
        )
    lines = _line_map(node)
    try:
        model = root.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, root, path, lines, data, docs) from None
    return LoadedYaml(model, path, lines)


def read_yaml(path: Path, what: str = "YAML", docs: str | None = None) -> tuple[Any, Any]:
    """The plain data of a YAML file riskctl reads, and its node tree (for line numbers).

    Every YAML file goes through here: see `riskctl.safeyaml` for what is refused."""
    path = Path(path)
    if not path.exists() or path.is_dir():  # a pipe or a device: refused by read_yaml_text
        hint = f"pass a YAML file; {docs} describes the format" if docs else None
        kind = "a directory, not a" if path.is_dir() else "no such"
        raise ConfigError(f"{kind} {what} file", Location(path), hint=hint)
    note_input(path)
    return parse_yaml(read_yaml_text(path), path)


def line_map(node: Any) -> dict[KeyPath, int]:
    """Every key path in a document from `read_yaml` -> the 1-based line where it starts."""
    return _line_map(node) if node is not None else {}


def _line_map(node: Node, path: KeyPath = ()) -> dict[KeyPath, int]:
    """Every key path in the document -> the 1-based line where it starts."""
    lines: dict[KeyPath, int] = {path: node.start_mark.line + 1}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines.update(_line_map(value, child))
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, SequenceNode):
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
    node: Any = data
    for i, key in enumerate(items):
        child = _child(node, key)
        if isinstance(key, int):
            name = _child(child, "name")
            parent = str(items[i - 1]) if i else ""
            label = parent[:-1] if parent.endswith("s") else parent
            if parts and isinstance(name, str) and name:
                parts[-1] = f"{label} '{name}'"
            elif parts:
                parts[-1] += f"[{key}]"
        else:
            parts.append(str(key))
        node = child
    return ": ".join(parts) if parts else ""


def _child(node: Any, key: str | int) -> Any:
    """One step into a validated model or plain data, None where there is nothing; never
    dumps the whole model (a spec of thousands of items would make every error quadratic)."""
    if node is None:
        return None
    if isinstance(node, BaseModel):
        return node.__dict__.get(key) if isinstance(key, str) else None
    with contextlib.suppress(IndexError, KeyError, TypeError):
        return node[key]
    return None


def _config_error(
    exc: ValidationError,
    root: type[BaseModel],
    path: Path,
    lines: dict[KeyPath, int],
    data: Any,
    docs: str,
) -> ConfigError:
    # a typo'd key also makes the key it meant "missing": report the typo, it is the cause
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(err["loc"])
    where = Location(path, line_of(lines, loc), format_key_path(loc, data))
    if err["type"] == "extra_forbidden":
        key = str(loc[-1])
        fields = _fields_at(root, loc[:-1])
        close = difflib.get_close_matches(key, fields, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"see {docs} for the keys"
        parent = Location(path, line_of(lines, loc), format_key_path(loc[:-1], data))
        return ConfigError(f"unknown key '{key}'", parent, hint=hint)
    if err["type"] == "missing":
        parent = Location(path, line_of(lines, loc[:-1]) or 1, format_key_path(loc[:-1], data))
        return ConfigError(f"missing required key '{loc[-1]}'", parent)
    quote = None
    if err["type"] == "string_type" and isinstance(err.get("input"), bool):
        quote = "quote it: YAML reads yes/no/on/off as true/false"
    return ConfigError(err["msg"].removeprefix("Value error, "), where, hint=quote)


def _fields_at(root: type[BaseModel], loc: KeyPath) -> list[str]:
    """Field names of the model found at `loc`, for did-you-mean hints."""
    model: Any = root
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
