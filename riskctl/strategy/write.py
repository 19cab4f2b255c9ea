"""Writing a changed strategy: the file's comments, order and layout kept (round-trip YAML),
only the changed values replaced."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from riskctl.data.io import write_text
from riskctl.data.values import NONE
from riskctl.errors import UsageError
from riskctl.strategy.schema import Strategy
from riskctl.yamlconfig import parse_yaml, read_yaml_text


def _round_trip(source: Path) -> tuple[YAML, Any]:
    """The file as editable round-trip data, with its comments.

    The text must first pass riskctl's safe loader (plain data, no duplicate keys, no
    alias bombs); ruamel's round-trip parser then builds only maps, lists and scalars too.
    """
    text = read_yaml_text(Path(source))
    parse_yaml(text, Path(source))
    parser = YAML(typ="rt")
    parser.preserve_quotes = True
    parser.width = 100
    # the file's own indentation (`- item` under its key, or indented), so that no line but
    # the changed ones moves; riskctl's style for a file with no block list
    _, items, dash = load_yaml_guess_indent(text)
    if items and dash is not None:
        parser.indent(mapping=2, sequence=items, offset=dash)
    else:
        parser.indent(mapping=2, sequence=4, offset=2)
    return parser, parser.load(text)


def _set(holder: CommentedMap, action: str, column: str, value: float) -> None:
    thresholds = holder.get("thresholds")
    if thresholds is None:
        thresholds = CommentedMap()
        holder["thresholds"] = thresholds
    per_action = thresholds.get(action)
    if per_action is None:
        per_action = CommentedMap()
        per_action.fa.set_flow_style()
        thresholds[action] = per_action
    # written exactly: a rounded threshold could flag or unflag the rows at that score
    per_action[column] = float(value)


def _dump(parser: YAML, data: object, out: Path) -> Path:
    buffer = io.StringIO()
    parser.dump(data, buffer)
    return write_text(buffer.getvalue(), out)


def set_thresholds(source: Path, out: Path, changes: list[tuple[str, str, float]]) -> Path:
    """Write `source` to `out` with each (action, score column) threshold set to its value."""
    parser, data = _round_trip(source)
    for action, column, value in changes:
        _set(data, action, column, value)
    return _dump(parser, data, out)


def set_segment_thresholds(
    source: Path,
    out: Path,
    action: str,
    column: str,
    existing: dict[str, float],
    new: list[tuple[str, str, float]],
) -> Path:
    """Per-segment thresholds: `existing` segment name -> value (`(none)`: the base
    threshold), `new` (name, when, value) segments appended after the file's own."""
    parser, data = _round_trip(source)
    if NONE in existing:
        _set(data, action, column, existing[NONE])
    for segment in data.get("segments") or []:
        if segment.get("name") in existing:
            _set(segment, action, column, existing[segment["name"]])
    if new:
        if data.get("segments") is None:
            data["segments"] = CommentedSeq()
        for name, when, value in new:
            entry = CommentedMap()
            entry["name"] = name
            entry["when"] = when
            _set(entry, action, column, value)
            data["segments"].append(entry)
    return _dump(parser, data, out)


def add_rules(source: Path, out: Path, rules: list[tuple[dict[str, str], str]]) -> Path:
    """Write `source` to `out` with each rule (its fields) appended to `rules:`, under a
    comment line of its own (`comment`; may be several lines)."""
    parser, data = _round_trip(source)
    if data.get("rules") is None:
        data["rules"] = CommentedSeq()
    listed = data["rules"]
    for fields, comment in rules:
        entry = CommentedMap()
        for key, value in fields.items():
            entry[key] = value
        listed.append(entry)
        listed.yaml_set_comment_before_after_key(len(listed) - 1, before=comment, indent=2)
    return _dump(parser, data, out)


def strategy_yaml(strategy: dict[str, Any] | Strategy) -> str:
    """A strategy given in memory as the YAML of a strategy file. Detector paths in it are
    relative to the working directory (in a file they are relative to the file)."""
    if isinstance(strategy, Strategy):
        raw: Any = strategy.model_dump(mode="json", exclude_defaults=True)
    elif isinstance(strategy, dict):
        raw = dict(strategy)
    else:
        raise UsageError(
            "a strategy must be a YAML path, a dict or a riskctl.Strategy, "
            f"not {type(strategy).__name__}"
        )
    if isinstance(raw.get("detectors"), dict):
        raw["detectors"] = {
            k: str(Path(v).resolve()) if isinstance(v, str | Path) else v
            for k, v in raw["detectors"].items()
        }
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = False
    dumper.allow_unicode = True
    text = io.StringIO()
    try:
        dumper.dump(raw, text)
    except YAMLError as exc:
        raise UsageError(
            f"the strategy dict holds a value that is not plain data: {exc}",
            hint="use str, int, float, bool, list and dict values only",
        ) from None
    return text.getvalue()
