"""The one YAML parser for every file riskctl reads: plain data only, never code.

ruamel.yaml's safe loader builds only maps, lists and scalars, and reads scalars as PyYAML's
safe loader does (YAML 1.1: `yes`/`no`/`on`/`off` are booleans, `1e3` is text). On top of
it this refuses:

* a key given twice in one mapping (YAML would silently keep the last one, so a reviewer
  reads one value and riskctl uses another): the error names both lines;
* a document that aliases expand beyond `MAX_NODES` nodes (an alias bomb, "billion
  laughs"), or an alias that contains itself; the check counts each distinct node once, so
  it is fast however large the expansion would be; a document without aliases that simply
  holds more than `MAX_NODES` values is refused too, and says so;
* files over `MAX_BYTES`, nesting deeper than Python can walk, text that is not UTF-8, and
  more than one document in a file.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import ParserError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import ScannerError
from ruamel.yaml.tag import Tag

from riskctl.errors import ConfigError, DataError, Location
from riskctl.files import check_input_file

MAX_BYTES = 10_000_000
MAX_NODES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"
# How plain scalars are typed: YAML 1.1 as PyYAML's safe loader reads it (ruamel's own 1.1
# rules would also read `y`/`n` as booleans and `1e3` as a number)
_SCALARS: list[tuple[str, str, str]] = [
    (
        "bool",
        "yYnNtTfFoO",
        r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
    ),
    (
        "float",
        "-+0123456789.",
        r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
    ),
    (
        "int",
        "-+0123456789",
        r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
    ),
    ("merge", "<", r"<<"),
    ("null", "~nN", r"~|null|Null|NULL|"),  # and the empty scalar
    (
        "timestamp",
        "0123456789",
        r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
        r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?"
        r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
    ),
    ("value", "=", r"="),
]


def _scalar_rules() -> dict[str, list[tuple[Tag, re.Pattern[str]]]]:
    """First character of a plain scalar -> (tag, pattern) to try in order; one Tag object
    per kind, shared by every node (ruamel decodes a new Tag's name character by character)."""
    table: dict[str, list[tuple[Tag, re.Pattern[str]]]] = {}
    for kind, first, pattern in _SCALARS:
        rule = (Tag(suffix=f"tag:yaml.org,2002:{kind}"), re.compile(f"^(?:{pattern})$"))
        for key in [*first, *([""] if kind == "null" else [])]:
            table.setdefault(key, []).append(rule)
    return table


_RULES = _scalar_rules()


class _Resolver(VersionedResolver):
    """ruamel's resolver with the scalar rules above, whatever version a file declares."""

    @property
    def processing_version(self) -> Any:
        return (1, 1)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            for tag, regexp in _RULES.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        if kind is ScalarNode:
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG


def read_yaml_text(path: Path) -> str:
    """A YAML file's text: UTF-8 (a byte-order mark allowed), at most MAX_BYTES."""
    try:
        check_input_file(path)
    except DataError as exc:
        raise ConfigError(exc.message.removeprefix(f"{path}: "), Location(path), exc.hint) from None
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(
                f"{size:,} bytes is too large for a YAML config file (at most {MAX_BYTES:,})",
                Location(path),
            )
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text (byte {exc.start})", Location(path), hint="save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", Location(path)) from None


def parse_yaml(text: str, path: Path) -> tuple[Any, Node | None]:
    """(data, node tree) of one YAML document; ConfigError with file:line on anything else."""
    try:
        return _parse(text, path, pure=False)
    except ConfigError as exc:
        if not exc.detail.startswith("not valid YAML"):
            raise
    # the pure-Python parser words syntax errors better ("expected ',' or ']', but got ':'")
    return _parse(text, path, pure=True)


def _parse(text: str, path: Path, pure: bool) -> tuple[Any, Node | None]:
    # pure=False: the C parser of ruamel.yaml.clib where it is installed (same nodes, faster)
    loader = YAML(typ="safe", pure=pure)
    loader.Resolver = _Resolver
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the library never prints
            node = loader.compose(text)
            if node is None:
                return None, None
            _check(node, path)
            return loader.constructor.construct_document(node), node
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        opened = exc.context_mark.line + 1 if exc.context_mark else None
        said = exc.problem or exc.context or ""
        if not isinstance(exc, ScannerError | ParserError):
            raise ConfigError(f"not valid YAML: {said}", Location(path, line)) from None
        detail, at, hint = syntax_error_words(text, line, opened, said)
        raise ConfigError(f"not valid YAML: {detail}", Location(path, at), hint=hint) from None
    except YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", Location(path)) from None
    except RecursionError:
        raise ConfigError(
            "not valid YAML: nested too deeply", Location(path), hint="flatten the file"
        ) from None


def _check(root: Node, path: Path) -> None:
    """Refuse duplicate keys, self-containing aliases and documents that expand too far.

    `sizes` memoises each distinct node's expanded size, so an alias bomb costs one visit
    per node written in the file, not one per node it would expand to."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    aliased = False  # a node met twice: the document uses aliases

    def size(node: Node) -> int:
        nonlocal aliased
        key = id(node)
        if key in sizes:
            aliased = True
            return sizes[key]
        if key in visiting:
            raise ConfigError(
                "an alias refers to the node that contains it",
                Location(path, node.start_mark.line + 1),
                hint="write the value out instead of using an alias",
            )
        visiting.add(key)
        total = 1
        if isinstance(node, MappingNode):
            _duplicate_keys(node, path)
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        visiting.discard(key)
        if total > MAX_NODES and aliased:
            raise ConfigError(
                f"aliases expand this document to more than {MAX_NODES:,} values",
                Location(path, node.start_mark.line + 1),
                hint="write the values out instead of nesting aliases",
            )
        if total > MAX_NODES:
            raise ConfigError(
                f"more than {MAX_NODES:,} values in one document, too many for a config file",
                Location(path, node.start_mark.line + 1),
                hint="keep long lists of values in a table, not in the YAML file",
            )
        sizes[key] = total
        return total

    size(root)


def _duplicate_keys(node: MappingNode, path: Path) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        tag = str(key.tag)
        if not isinstance(key, ScalarNode) or tag == MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        first = seen.get((tag, key.value))
        if first is None:
            seen[(tag, key.value)] = line
        else:
            raise ConfigError(
                f"duplicate key '{key.value}' (also at line {first})",
                Location(path, line),
                hint="YAML would keep only the last one: remove or rename one of them",
            )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(lines: list[str], upto: int) -> list[tuple[int, str]]:
    """(1-based number, text) of the lines holding YAML up to line `upto`: no blank lines,
    no comments."""
    return [
        (n, t) for n, t in enumerate(lines[:upto], 1) if t.strip() and not t.strip().startswith("#")
    ]


def syntax_error_words(
    text: str, line: int | None, opened: int | None, said: str
) -> tuple[str, int | None, str]:
    """(what is wrong in words, its line, how to fix it) for a YAML syntax error the parser
    reported at `line` (`opened`: where the construct it was reading began; `said`: its own
    words, kept when nothing clearer is found). Judged from the text itself, so any parser's
    report reads the same: a tab, a missing colon, an unclosed bracket or quote, a key out
    of line with its neighbours."""
    lines = text.splitlines()
    upto = min(max(line or len(lines), opened or 0), len(lines))
    seen = _content(lines, upto)
    for n, t in seen:
        if "\t" in t[: len(t) - len(t.lstrip(" \t"))]:
            return (
                f"line {n} is indented with a tab",
                n,
                "YAML indents with spaces only: replace the tab with spaces",
            )
    start = opened or line or 1
    for n, t in seen:
        if n >= start - 1 and _no_colon(t):
            key = t.strip().split()[0]
            return (
                f"line {n} has no ':' after `{key}`",
                n,
                f"write `{key}: value`, with a colon and a space after the key",
            )
    unclosed = _unclosed(lines, opened)
    if unclosed is not None:
        return unclosed
    if line is not None and line <= len(lines):
        before = [(n, t) for n, t in seen if n < line]
        if before:
            n, above = before[-1]
            width, theirs = _indent(lines[line - 1]), _indent(above)
            item = above.lstrip().startswith("- ") and not lines[line - 1].lstrip().startswith("-")
            theirs += 2 if item else 0  # the keys of a list item start after its "- "
            if width != theirs:
                return (
                    f"line {line} is indented by {width} space{'' if width == 1 else 's'}, "
                    f"out of line with line {n} ({theirs})",
                    line,
                    "keys of one mapping start in the same column: fix the spaces before the key",
                )
    return (
        said,
        line,
        "check the indentation (spaces that line up), a ': ' after each key, and that "
        "brackets and quotes close",
    )


def _unclosed(lines: list[str], opened: int | None) -> tuple[str, int | None, str] | None:
    """A bracket or quote opened on line `opened` and not closed there."""
    if not opened or opened > len(lines):
        return None
    first = lines[opened - 1]
    for char in ("[", "{", "'", '"'):
        close = {"[": "]", "{": "}"}.get(char, char)
        if first.count(char) % 2 if close == char else first.count(char) > first.count(close):
            return (
                f"the `{char}` opened on line {opened} is not closed",
                opened,
                f"close it with `{close}` on the same line",
            )
    return None


def _no_colon(text: str) -> bool:
    """A block line that should be `key: value` but has no colon before any bracket or
    quote (a list item or the continuation of a bracketed value is left alone)."""
    t = text.strip()
    head = t
    for char in "[{'\"":
        head = head.split(char)[0]
    if not head.strip() or t.startswith(("-", "|", ">")) or any(c in head for c in ":,]}"):
        return False
    return " " in t or _indent(text) > 0
