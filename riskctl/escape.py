"""Every text that leaves riskctl, escaped for where it goes: one function per medium.

Names, conditions, column names and data values come from strategy files, data and pull
requests. Whatever they hold, they reach each medium as the text they are, and never as
that medium's commands:

* `visible`: characters a reader cannot see (C0 and C1 controls, escape sequences, bidi
  overrides, zero-width and other format characters, line and paragraph separators,
  lone surrogates, noncharacters) shown as their codes (`\\x1b`, `\\u202e`).
* `for_terminal`: `visible`, then `for_ci_log`, then Rich markup escaped (`[/]` prints as
  `[/]`).
* `for_ci_log`, `for_json_log`: a line of a CI log that no runner reads as a command (GitHub's
  `::cmd::` and `##[cmd]`, Azure's `##vso[cmd]`).
* `for_markdown`, `for_markdown_cell`: one line of GitHub-flavoured Markdown text (riskctl's
  own words and numbers), punctuation that means something escaped with a backslash;
  `for_markdown_code` a code span for every name and value from a strategy or data, in
  headings, sentences and table cells.
* `for_github_message`, `for_github_property`: GitHub workflow commands (`::error ...::`).
* `for_xml`: text for XML (JUnit), which cannot hold most controls at all (and, as
  reporters print it into CI logs, `for_ci_log`).
* `for_chart`: a Vega-Lite spec (a report's charts), every string in it `visible`.
* `for_csv_cell` (and `CSV_FORMULA_START` for the table writer): spreadsheet formulas.
HTML is escaped by Jinja's autoescape; JSON by the JSON encoder.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# general categories a reader cannot see: controls, format characters (bidi overrides,
# zero-width spaces), surrogates, line and paragraph separators
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# line breaks a Markdown or workflow-command reader would start a new line at
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")


def _hidden(ch: str) -> bool:
    cp = ord(ch)
    return (
        unicodedata.category(ch) in _HIDDEN_CATEGORIES
        or 0xFDD0 <= cp <= 0xFDEF
        or (cp & 0xFFFE) == 0xFFFE  # U+FFFE, U+FFFF and their twins in every plane
    )


def code(ch: str) -> str:
    """How riskctl writes a character a reader cannot see: `\\x1b`, `\\n`, `\\u202e`."""
    return ch.encode("unicode_escape", "backslashreplace").decode("ascii")


def visible(text: object, keep: str = "") -> str:
    """`text` with each character a reader cannot see shown as its code: ESC as `\\x1b`,
    a newline as `\\n`, a right-to-left override as `\\u202e`. Printable text (spaces
    included) is unchanged, and so are the characters in `keep` (a document's own line
    breaks, `"\\n\\r\\t"`, in markup riskctl writes)."""
    text = str(text)
    probe = text.translate(dict.fromkeys(map(ord, keep))) if keep else text
    if probe.isprintable():  # the usual case: nothing hidden, nothing to look at
        return text
    return "".join(code(ch) if _hidden(ch) and ch not in keep else ch for ch in text)


# -- CI logs ---------------------------------------------------------------------------------

# GitHub's runner reads the legacy `##[cmd]` form, and Azure's agent `##vso[cmd]`, anywhere in
# a line: the `#` before such a `#` gets a backslash after it (`#\#[`)
_RUNNER_ANYWHERE = re.compile(r"#(?=#(?:[vV][sS][oO])?\[)")
# GitHub's runner trims a line's leading whitespace (every Unicode space) before it looks for
# `::`; the invisible characters that may lead a line count as whitespace here too
_LEADING_BLANK = r"[\s\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
# (a line starts after any line break: .NET's ReadLine also ends a line at a lone CR)
_LINE_START = r"(?:\A|(?<=[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]))"
_RUNNER_LEADING = re.compile(rf"{_LINE_START}({_LEADING_BLANK}*)(?=::)")
# in JSON, where `\#` is no escape, the `[` of `##[` or `##vso[` is written as `\u005b`
_RUNNER_JSON = re.compile(r"(##(?:[vV][sS][oO])?)\[")


def for_ci_log(text: str) -> str:
    """Text whose lines no CI runner reads as a command: `##[` and `##vso[` (in any case)
    anywhere get a backslash between their two `#` (`#\\#[`), and a `::` after a line's
    leading whitespace (any Unicode space, and invisible characters) a backslash before it
    (`\\::`). Everything else is unchanged."""
    text = _RUNNER_ANYWHERE.sub("#\\\\", text)
    return _RUNNER_LEADING.sub(lambda m: m[1] + "\\", text)


def for_json_log(text: str) -> str:
    """JSON text (as `json.dumps` writes it, ASCII only) that no CI runner reads as a
    command: the `[` of `##[` or `##vso[` written as `\\u005b`, which any JSON reader reads
    back as `[`. (An ASCII JSON line starts with a quote or a bracket, never `::`.)"""
    return _RUNNER_JSON.sub(lambda m: m[1] + "\\u005b", text)


# -- terminal --------------------------------------------------------------------------------


# a Rich markup tag (`[bold]`, `[/]`, `[link=...]`) with the backslashes before it: the
# syntax rich.markup parses (tests check the two agree on every string)
_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
# backslashes before a `[` that opens no tag: Rich reads the last as escaping the `[`, so
# one more keeps them all
_LOOSE_BRACKET = re.compile(r"(\\+)(\[)(?![a-z#/@][^[]*?])")


def for_terminal(text: object) -> str:
    """Text to put inside Rich markup: nothing hidden (`visible`), no CI runner command
    (`for_ci_log`: `##[` shows as `#\\#[`, a leading `::` as `\\::`), no markup (`[gold]` and
    `[/]` print as they are), as `rich.markup.escape` does. The consoles turn emoji codes off,
    so `:x:` stays `:x:`."""
    plain = for_ci_log(visible(text))
    plain = _LOOSE_BRACKET.sub(lambda m: f"{m[1]}\\{m[2]}", plain)  # `\[` shows as `\[`
    escaped = _RICH_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", plain)
    trailing = len(escaped) - len(escaped.rstrip("\\"))
    # trailing backslashes would escape the markup after them: doubled, they show as they are
    return escaped + "\\" * trailing


# -- Markdown ---------------------------------------------------------------------------------

# what inline Markdown (GitHub's: tables, strikethrough, math) gives a meaning to anywhere;
# `_` only where it can open or close emphasis (`account_age_days` stays as it is)
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>#!|~$&]|(?<![^\W_])_|_(?![^\W_])")
# what means something only at the start of a line: list items, setext underlines
_MD_LEADING = re.compile(r"^(?:([-+=])|(\d+)([.)]))")


def _md_inline(text: object) -> str:
    # a line's leading spaces are no text (four of them would start a code block)
    one_line = _LINE_BREAKS.sub(" ", str(text)).replace("\t", " ").lstrip(" ")
    return _MD_SPECIAL.sub(lambda m: "\\" + m[0], visible(one_line))


def for_markdown_cell(text: object) -> str:
    """A Markdown table cell showing `text` as it is: line breaks become spaces, hidden
    characters their codes, and Markdown's punctuation (`|`, backticks, `*_[]<>#!~$&`, the
    backslash) is backslash-escaped, so a row keeps its number of columns and no value can
    start a link, an HTML tag, emphasis or a code span."""
    return _md_inline(text)


def for_markdown(text: object) -> str:
    """One line of Markdown text (a heading, a list item, a quote, a paragraph) showing
    `text` as it is: as `for_markdown_cell`, and a leading `-`, `+`, `=` or `1.` escaped too,
    so it cannot start a list or underline a heading."""
    return _MD_LEADING.sub(_leading, _md_inline(text))


def _leading(m: re.Match[str]) -> str:
    if m[1]:
        return f"\\{m[1]}"  # `- x` would be a list item, `=` a heading's underline
    return f"{m[2]}\\{m[3]}"  # `1. x` an ordered list


def for_markdown_code(text: object, cell: bool = False) -> str:
    """`text` as one Markdown code span (its fence longer than any run of backticks inside),
    for every name or value from a strategy or data in a heading, a sentence or (with
    `cell=True`) a table cell: GitHub shows a code span literally, so `:x:` is no emoji,
    `www.example.com` or `https://...` no link, `@user` no mention, `#12` no reference, and
    nothing is HTML. In a table cell each `|` is written `\\|`, which GitHub's table reader
    turns back into `|` inside the span, so the row keeps its columns."""
    content = visible(_LINE_BREAKS.sub(" ", str(text)).replace("\t", " "))
    if not content.strip(" "):
        return ""  # a code span cannot hold only spaces
    longest = max((len(run) for run in re.findall("`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content[0] in "` " or content[-1] in "` ":
        content = f" {content} "  # a reader strips one space on each side
    if cell:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


# -- GitHub workflow commands -----------------------------------------------------------------


def for_github_message(text: object) -> str:
    """The message of a workflow command (`::error file=...::MESSAGE`): `%`, CR and LF
    percent-encoded as GitHub's toolkit does, so a value can never start a line (and so a
    command) of its own; other hidden characters shown as their codes."""
    text = _LINE_BREAKS.sub("\n", str(text))
    lines = [visible(line) for line in text.split("\n")]
    return "%0A".join(line.replace("%", "%25") for line in lines)


def for_github_property(text: object) -> str:
    """A property value of a workflow command (`file=`, `title=`): as a message, and `:`
    and `,` encoded too, so a value cannot end the properties or add one."""
    return for_github_message(text).replace(":", "%3A").replace(",", "%2C")


# -- XML --------------------------------------------------------------------------------------


def for_xml(text: object) -> str:
    """Text for an XML attribute or element (the XML writer escapes `<&>"`): XML 1.0 cannot
    hold most control characters at all, escaped or not, so every hidden character is shown
    as its code (`visible`); and, as test reporters print test names and messages into CI
    logs, no runner command (`for_ci_log`)."""
    return for_ci_log(visible(text))


# -- charts ----------------------------------------------------------------------------------


def for_chart(spec: Any) -> Any:
    """A Vega-Lite spec with every string in it (keys and values: titles, field names, data
    values) `visible`. Vega builds tooltip expressions from titles, which a line break makes
    unparseable, and its renderer aborts on an escape character in a label; riskctl's own
    strings (fields, formats, colours) are printable and stay as they are."""
    if isinstance(spec, str):
        return visible(spec)
    if isinstance(spec, dict):
        return {visible(k) if isinstance(k, str) else k: for_chart(v) for k, v in spec.items()}
    if isinstance(spec, list | tuple):
        return [for_chart(v) for v in spec]
    return spec


# -- CSV --------------------------------------------------------------------------------------

# a text cell a spreadsheet may run as a formula (OWASP), also where an importer trims the
# cell first: `= + - @` (or their fullwidth and small forms, or a minus sign) after any
# leading whitespace (every Unicode space, line breaks, invisible characters), or a cell
# starting with a tab, CR or LF. Written for Python's `re` and polars' (Rust) regex alike.
_CSV_BLANK = r"[\s\x1c-\x1f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
_CSV_SIGNS = r"[=+\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212]"
CSV_FORMULA_START = rf"^(?:[\t\r\n]|{_CSV_BLANK}*{_CSV_SIGNS})"
_CSV_FORMULA = re.compile(CSV_FORMULA_START)


def for_csv_cell(text: str) -> str:
    """A CSV text cell a spreadsheet shows and never runs: a cell starting with `= + - @`
    (or `＝ ＋ － ＠`, their small forms `﹦ ﹢ ﹣ ﹫`, or `−`), after any leading whitespace or
    invisible characters, or starting with a tab, CR or LF, gets a `'` before it, as
    spreadsheet exports do. The table writer applies the same rule to whole text columns
    with `CSV_FORMULA_START`; numbers are never touched."""
    return f"'{text}" if _CSV_FORMULA.match(text) else text
