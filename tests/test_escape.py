"""The one escaper per medium, each checked against a reader of that medium: Rich's markup
parser, a CommonMark parser with GitHub's tables, GitHub's workflow-command encoding, an XML
parser, and a CSV reader over the table writer."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.markup import escape as rich_escape
from rich.markup import render

from riskctl.data.io import write_table
from riskctl.escape import (
    for_ci_log,
    for_csv_cell,
    for_github_message,
    for_github_property,
    for_json_log,
    for_markdown,
    for_markdown_cell,
    for_markdown_code,
    for_terminal,
    for_xml,
    visible,
)
from riskctl.output.markdown import table

# names a pull request or a data file could carry: every medium's own syntax
HOSTILE = [
    "x\n::error file=a.yaml,line=1::spoofed",
    "::stop-commands::tok",
    "%0A::error::encoded",
    "`code` | pipe | **bold**",
    "[/]oops",
    "[gold]",
    "[bold red]x[/bold red]",
    ":x: :white_check_mark:",
    "\x1b[2Kcleared\x1b[8mhidden\x1b[0m",
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "\u202eevil\u202c reversed",
    "zero\u200bwidth",
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a link](http://evil.example/)",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "===",
    "    indented",
    "$x^2$",
    "~~struck~~",
    "&#124; &amp;",
    "back\\slash\\",
    "tab\there\rcr\x0bvt\x0cff\x85nel\u2028ls\u2029ps",
    "\x00nul\x7fdel\x9bcsi",
    "\ud800lone surrogate",
    "\ufffe\uffff",
]

# text as hypothesis draws it: each medium's punctuation, controls, format characters
ALPHABET = st.sampled_from(
    list("ab z09_-+=@#!|`*[]<>()~$&%:,/\\.'\"{}")
    + ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u202e"]
    + ["\u200b", "\u200d", "\ufeff", "é", "中", "🙂", "\ufffe"]
)
TEXT = st.text(ALPHABET, max_size=40)


def hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch in "\ufffe\uffff"


def one_line(text: str) -> str:
    for brk in ("\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t"):
        text = text.replace(brk, " ")
    return text


# -- visible ---------------------------------------------------------------------------------


@given(TEXT)
def test_visible_leaves_nothing_hidden_and_printable_text_alone(text: str) -> None:
    shown = visible(text)
    assert not any(hidden(ch) for ch in shown)
    assert shown == "".join(
        ch.encode("unicode_escape", "backslashreplace").decode() if hidden(ch) else ch
        for ch in text
    )


def test_visible_keeps_only_what_it_is_asked_to_keep() -> None:
    assert visible("a\nb\x1b\u202e\t", keep="\n\t") == "a\nb\\x1b\\u202e\t"
    assert visible("a\nb", keep="\n") == "a\nb"


def test_visible_shows_codes() -> None:
    assert visible("a\x1b[2Kb\u202ec\nd") == "a\\x1b[2Kb\\u202ec\\nd"
    assert visible("plain text, é 中") == "plain text, é 中"


# -- terminal --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_text_renders_as_itself(text: str) -> None:
    shown = for_ci_log(visible(text))
    assert render(f"[bold]{for_terminal(text)}[/]", emoji=False).plain == shown
    # on its own, a trailing backslash shows twice (Rich escapes it against what follows)
    alone = render(for_terminal(text), emoji=False).plain
    assert alone == shown or alone == shown + "\\"


@pytest.mark.parametrize("text", ["\\[", "a\\[b", "\\\\[", "x \\[ y [bold]z[/]", "\\\\", "a\\\\\\"])
def test_a_backslash_before_a_loose_bracket_shows(text: str) -> None:
    assert render(f"[red]{for_terminal(text)}[/red] x", emoji=False).plain == text + " x"


@given(TEXT)
def test_terminal_agrees_with_rich(text: str) -> None:
    shown = for_ci_log(visible(text))
    if "\\" not in shown:  # Rich's escape loses backslashes before a loose `[` or markup
        assert for_terminal(text) == rich_escape(shown)
    markup = f"[red]{for_terminal(text)}[/red] [dim]x[/]"
    assert render(markup, emoji=False).plain == for_ci_log(visible(text)) + " x"


# -- CI logs ---------------------------------------------------------------------------------

# every character .NET's String.TrimStart() removes (Char.IsWhiteSpace), which GitHub's runner
# applies before it looks for `::`, and the invisible ones that may lead a line
DOTNET_SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
DOTNET_SPACES += "\u2028\u2029\u202f\u205f\u3000"
LEADING = DOTNET_SPACES + "\x1c\x1d\x1e\x1f\ufeff\u200b\u2060\u180e"


def runs_as_command(line: str) -> bool:
    """What GitHub's runner (ActionCommand.TryParseV2 and the legacy TryParse) and Azure's
    agent look for in one line of output."""
    return line.lstrip(DOTNET_SPACES).startswith("::") or "##[" in line or "##vso[" in line.lower()


def log_lines(text: str) -> list[str]:
    return re.split("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text)


RUNNER_HOSTILE = [
    "##[error]x",
    "cand ##[error]Guardrails bypassed",
    "\\##[add-mask]FAILED",
    "###[error]",
    "x ##vso[task.setvariable variable=a]1",
    "##VSO[task.complete]",
    "\u00a0::error::NBSP",
    "\u3000::error::ideographic",
    "\ufeff::error::bom",
    "\u200b \u2003::warning::zw",
    "a\n::error::nl",
    "a\r \u00a0::error::cr",
    "\u2028::error::ls",
    "\x1c::error::fs",
]


@pytest.mark.parametrize("text", RUNNER_HOSTILE)
def test_ci_log_lines_are_never_commands(text: str) -> None:
    assert not any(runs_as_command(line) for line in log_lines(for_ci_log(text)))


@given(st.text(st.sampled_from(["#", "[", ":", "v", "S", "o", "\\", "a", *LEADING]), max_size=16))
def test_ci_log_against_the_runner(text: str) -> None:
    safe = for_ci_log(text)
    assert not any(runs_as_command(line) for line in log_lines(safe))
    assert for_ci_log(safe) == safe  # applied twice (a value, then the console): no change
    # only backslashes are added: the text is still there
    assert safe.replace("\\", "") == text.replace("\\", "")


@given(TEXT)
def test_terminal_text_is_never_a_command(text: str) -> None:
    plain = render(for_terminal(text), emoji=False).plain
    assert not any(runs_as_command(line) for line in log_lines(plain))


@given(st.lists(st.text(st.sampled_from([*'#[vsoVSO:a "\\', "\xa0", "é"])), max_size=5))
def test_json_log_reads_back_the_same(values: list[str]) -> None:
    dumped = for_json_log(json.dumps({"values": values, "key ##[x": 1}, indent=2))
    assert json.loads(dumped) == {"values": values, "key ##[x": 1}
    assert not any(runs_as_command(line) for line in dumped.splitlines())


# -- Markdown --------------------------------------------------------------------------------

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def inline_text(token) -> str:
    """The text a reader sees in an inline token; fails on anything but text."""
    parts = []
    for child in token.children:
        assert child.type in ("text", "code_inline"), (child.type, token.content)
        parts.append(child.content)
    return "".join(parts)


def cells(markdown: str) -> list[list[str]]:
    tokens = MD.parse(markdown)
    rows, row = [], None
    for tok in tokens:
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(inline_text(tok))
        elif tok.type == "tr_close":
            rows.append(row)
            row = None
    return rows


def seen(text: str) -> str:
    """What a Markdown reader shows of a value: one line, nothing hidden, no outer spaces."""
    return visible(one_line(text)).strip(" ")


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_cell_keeps_the_table_and_shows_the_value(text: str) -> None:
    table = f"| a | b | c |\n| --- | --- | --- |\n| 1 | {for_markdown_cell(text)} | 3 |\n"
    assert cells(table) == [["a", "b", "c"], ["1", seen(text), "3"]]


@given(TEXT, TEXT)
@settings(max_examples=300, deadline=None)
def test_markdown_cells_against_a_reader(a: str, b: str) -> None:
    lines = table([a, "x"], [[b, a], ["y", b]])
    assert cells("\n".join(lines) + "\n") == [[seen(a), "x"], [seen(b), seen(a)], ["y", seen(b)]]


@pytest.mark.parametrize("prefix", ["", "## ", "> ", "- ", "Text: "])
@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_line_is_one_block_of_text(prefix: str, text: str) -> None:
    tokens = MD.parse(f"{prefix}{for_markdown(text)} end\n")
    blocks = [t.type for t in tokens if t.type.endswith("_open")]
    expected = {
        "": ["paragraph_open"],
        "## ": ["heading_open"],
        "> ": ["blockquote_open", "paragraph_open"],
        "- ": ["bullet_list_open", "list_item_open", "paragraph_open"],
        "Text: ": ["paragraph_open"],
    }[prefix]
    assert blocks == expected
    (inline,) = [t for t in tokens if t.type == "inline"]
    assert inline_text(inline) == (prefix if prefix == "Text: " else "") + seen(text) + " end"


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_markdown_line_against_a_reader(text: str) -> None:
    tokens = MD.parse(f"### {for_markdown(text)} x\n")
    assert [t.type for t in tokens] == ["heading_open", "inline", "heading_close"]
    assert inline_text(tokens[1]) == (visible(one_line(text)).lstrip(" ") + " x").strip(" ")


@given(TEXT)
def test_markdown_code_span_against_a_reader(text: str) -> None:
    span = for_markdown_code(text)
    tokens = MD.parse(f"### name {span} x\n")
    children = tokens[1].children
    if not one_line(text).strip(" "):
        assert span == ""
        return
    codes = [c for c in children if c.type == "code_inline"]
    assert len(codes) == 1 and codes[0].content == visible(one_line(text))


@given(TEXT, TEXT)
def test_markdown_code_span_in_a_table_cell_against_a_reader(a: str, b: str) -> None:
    """Two code-span cells keep the row's columns, and each reads back as its value."""
    row = f"| {for_markdown_code(a, cell=True)} | {for_markdown_code(b, cell=True)} |"
    tokens = MD.parse(f"| h | k |\n| --- | --- |\n{row}\n")
    assert sum(t.type == "td_open" for t in tokens) == 2
    cells = [t for t in tokens if t.type == "inline"][2:]
    for cell, text in zip(cells, (a, b), strict=True):
        codes = [c.content for c in cell.children or [] if c.type == "code_inline"]
        if one_line(text).strip(" "):
            assert codes == [visible(one_line(text))]
        else:
            assert codes == []


def test_names_keep_their_underscores() -> None:
    assert for_markdown("account_age_days") == "account_age_days"
    assert for_markdown("_x_") == "\\_x\\_"


# -- GitHub workflow commands ----------------------------------------------------------------


def decode_message(text: str) -> str:
    """What the runner makes of a message (its own decoding, in its order)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def decode_property(text: str) -> str:
    text = text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
    return text.replace("%2C", ",").replace("%25", "%")


@given(TEXT)
def test_github_message_is_one_line_and_decodes_back(text: str) -> None:
    message = for_github_message(text)
    assert "\n" not in message and "\r" not in message
    assert not any(hidden(ch) for ch in message)
    lines = text.replace("\r\n", "\n")
    for brk in ("\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"):
        lines = lines.replace(brk, "\n")
    assert decode_message(message) == "\n".join(visible(x) for x in lines.split("\n"))


@given(TEXT)
def test_github_property_cannot_end_the_properties(text: str) -> None:
    prop = for_github_property(text)
    assert not set(prop) & {"\n", "\r", ":", ","}
    assert decode_property(prop) == decode_message(for_github_message(text))


# -- XML -------------------------------------------------------------------------------------


@given(TEXT)
def test_xml_text_parses_back(text: str) -> None:
    element = ET.Element("t", name=for_xml(text))
    element.text = for_xml(text)
    back = ET.fromstring(ET.tostring(element, encoding="unicode"))
    shown = for_ci_log(visible(text))
    assert back.get("name") == shown and back.text == (shown or None)
    assert not runs_as_command(shown)


# -- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (" =1+1", "' =1+1"),
        ("\u3000=1+1", "'\u3000=1+1"),
        ("\xa0 \u2003+1", "'\xa0 \u2003+1"),
        ("\ufeff\u200b@SUM(A1)", "'\ufeff\u200b@SUM(A1)"),
        ("\n=1+1", "'\n=1+1"),
        ("\r\n-1", "'\r\n-1"),
        ("\n", "'\n"),
        ("\nplain", "'\nplain"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("\ufe661", "'\ufe661"),
        ("\u22121", "'\u22121"),
        (" a=1", " a=1"),
        ("1-2", "1-2"),
        ("a\n=1", "a\n=1"),
    ],
)
def test_csv_cell(value: str, written: str) -> None:
    assert for_csv_cell(value) == written


CSV_TEXT = st.text(
    st.sampled_from(
        [*"=+-@\t\r ab,\"'\n|;", "\u3000", "\xa0", "\ufeff", "\uff1d", "\uff20", "\x1c"]
    ),
    max_size=8,
)


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4))
@settings(max_examples=300, deadline=None)
def test_the_formula_rule_means_the_same_to_python_and_polars(text: str) -> None:
    from riskctl.escape import CSV_FORMULA_START

    in_polars = pl.Series([text]).str.contains(CSV_FORMULA_START).item()
    assert in_polars == (for_csv_cell(text) != text)


@pytest.mark.parametrize("sign", "=+-@\uff1d\uff0b\uff0d\uff20")
@pytest.mark.parametrize("lead", ["", " ", "\t", "\u3000", "\xa0", "\n", "\r\n", " \u2009\ufeff"])
def test_a_spreadsheet_that_trims_the_cell_still_sees_text(lead: str, sign: str) -> None:
    """What an importer reads back from the CSV file, trimmed of leading whitespace (and
    fullwidth signs folded to ASCII), never starts a formula."""
    import tempfile
    import unicodedata as ud

    value = f"{lead}{sign}1+1"
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(pl.DataFrame({"v": [value]}), Path(tmp) / "t.csv")
        with open(path, newline="", encoding="utf-8") as fh:
            cell = list(csv.reader(fh))[1][0]
    assert cell == f"'{value}"
    trimmed = ud.normalize("NFKC", cell).lstrip().lstrip("\ufeff\u2009 ")
    assert not trimmed.startswith(("=", "+", "-", "@"))


@given(st.lists(st.one_of(st.none(), CSV_TEXT), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None)
def test_the_table_writer_escapes_like_for_csv_cell(values: list[str | None]) -> None:
    """Text columns (plain, categorical, lists) through the one CSV writer, read back with
    Python's csv module: each cell is `for_csv_cell` of its value; numbers are untouched."""
    import tempfile

    n = len(values)
    df = pl.DataFrame(
        {
            "text": pl.Series(values, dtype=pl.String),
            "cat": pl.Series(values, dtype=pl.String).cast(pl.Categorical),
            "codes": pl.Series([[v or "", "=b"] for v in values]),
            "num": [-1.5] * n,
            "int": [-3] * n,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(df, Path(tmp) / "t.csv")
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    assert rows[0] == ["text", "cat", "codes", "num", "int"]
    for row, v in zip(rows[1:], values, strict=True):
        shown = "" if v is None else for_csv_cell(v)
        assert row == [shown, shown, for_csv_cell(f"{v or ''}; =b"), "-1.5", "-3"]


def test_csv_headers_are_escaped_and_a_clash_is_bad_input(tmp_path: Path) -> None:
    from riskctl.errors import DataError

    path = write_table(pl.DataFrame({"=HYPERLINK(1)": ["x"], "n": [1]}), tmp_path / "a.csv")
    assert path.read_text().splitlines()[0] == "'=HYPERLINK(1),n"
    with pytest.raises(DataError, match="another column's name"):
        write_table(pl.DataFrame({"=a": [1], "'=a": [2]}), tmp_path / "b.csv")
    assert not (tmp_path / "b.csv").exists()
