"""The one YAML parser for every file riskctl reads: plain data only, never code.

PyYAML's safe loader builds only maps, lists and scalars. On top of it this refuses:

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

from pathlib import Path
from typing import Any

import yaml

from riskctl.errors import ConfigError, DataError, Location
from riskctl.files import check_input_file

MAX_BYTES = 10_000_000
MAX_NODES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml's parser when PyYAML was built with it (same safe constructor, much faster)
FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse_yaml(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one YAML document; ConfigError with file:line on anything else."""
    try:
        return _parse(text, path, FastLoader)
    except ConfigError as exc:
        if not exc.detail.startswith("not valid YAML") or FastLoader is yaml.SafeLoader:
            raise
    # the pure-Python parser words syntax errors better ("expected ',' or ']', but got ':'")
    return _parse(text, path, yaml.SafeLoader)


def _parse(text: str, path: Path, loader_class: Any) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check(node, path)
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        opened = exc.context_mark.line + 1 if exc.context_mark else None
        said = exc.problem or exc.context or ""
        if not isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError):
            raise ConfigError(f"not valid YAML: {said}", Location(path, line)) from None
        detail, at, hint = syntax_error_words(text, line, opened, said)
        raise ConfigError(f"not valid YAML: {detail}", Location(path, at), hint=hint) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", Location(path)) from None
    except RecursionError:
        raise ConfigError(
            "not valid YAML: nested too deeply", Location(path), hint="flatten the file"
        ) from None
    finally:
        loader.dispose()


def _check(root: yaml.Node, path: Path) -> None:
    """Refuse duplicate keys, self-containing aliases and documents that expand too far.

    `sizes` memoises each distinct node's expanded size, so an alias bomb costs one visit
    per node written in the file, not one per node it would expand to."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    aliased = False  # a node met twice: the document uses aliases

    def size(node: yaml.Node) -> int:
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
        if isinstance(node, yaml.MappingNode):
            _duplicate_keys(node, path)
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
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


def _duplicate_keys(node: yaml.MappingNode, path: Path) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        first = seen.get((key.tag, key.value))
        if first is None:
            seen[(key.tag, key.value)] = line
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
