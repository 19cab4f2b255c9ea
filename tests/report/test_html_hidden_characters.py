"""Every HTML page riskctl writes (report, monitor report, data profile) shows each value
with the characters a reader cannot see as their codes: autoescape escapes `<&>"'`, and
`riskctl.escape.visible` (the page environment's finalize) the rest. A page never holds a
raw control character (C0, C1, ESC sequences), bidi override, zero-width or other format
character, whatever the data's values and column names hold."""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()

# data values and a column name a data file could hold
VALUES = [
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\u202eevil\u202c",
    "zero\u200bwidth\ufeff",
    "c1 \x9b31m \x85nel",
    "esc \x1b[2Kcleared\x1b[8m",
    "nul\x00del\x7f",
    "ls\u2028ps\u2029",
    "lri\u2066x\u2069 lrm\u200e",
    "<script>alert(1)</script>",
    "plain",
]
COLUMN = "amt[eur]<x>\x1b[31m\u202e\n::error::COL"


def hidden(ch: str) -> bool:
    """A character a reader of the page cannot see (the page's own newlines and tabs
    aside)."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") and ch not in "\n\t\r"


class _Text(HTMLParser):
    """Text and attribute values of a page, the inlined chart library left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        self.parts += [v for _, v in attrs if v]

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if not (self._script and len(data) > 100_000):  # the vega bundle: vendor code
            self.parts.append(data)


def assert_nothing_hidden(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(page)
    text = "\n".join(parser.parts)
    bad = sorted({f"U+{ord(c):04X}" for c in text if hidden(c)})
    assert not bad, f"{path.name}: raw hidden characters {bad}"
    # and in the page's bytes outside the bundle: no escape sequence or bidi override at all
    outside = "".join(p for p in parser.parts)
    assert "\x1b" not in outside and "\u202e" not in outside
    return text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, scored_path: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hidden_html")
    df = pl.read_parquet(scored_path).head(3000)
    n = df.height
    # the reference spreads rows over all values, the current piles them on the first
    # ones: every value moves, so each shows in the drift and attribution tables
    ref = [VALUES[i % len(VALUES)] for i in range(n)]
    cur = [VALUES[(i % 7) % 3] for i in range(n)]
    reference, current = folder / "ref.parquet", folder / "cur.parquet"
    df.with_columns(pl.Series("kind", ref), pl.Series(COLUMN, ref)).write_parquet(reference)
    df.with_columns(pl.Series("kind", cur), pl.Series(COLUMN, cur)).write_parquet(current)
    strategy = {
        "name": "html <b>check</b> & 'quotes'",
        "actions": ["block", "review", "allow"],
        "thresholds": {"block": {"score": 0.9}, "review": {"score": 0.5}},
        "label": "is_bad",
        "monitoring": {"max_psi": 0.0},
    }
    cand = folder / "cand.yaml"
    cand.write_text(yaml.safe_dump(strategy), encoding="utf-8")
    return {"reference": reference, "current": current, "cand": cand, "dir": folder}


def test_report_page(hostile: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(
        app,
        ["report", str(hostile["cand"]), "--data", str(hostile["current"]), "--by", "kind",
         "--by", COLUMN, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = assert_nothing_hidden(out)
    assert "\\u202eevil" in text and "\\x1b]8;;http://evil.example" in text
    assert "<script>alert(1)" not in out.read_text(encoding="utf-8")  # autoescape holds


def test_monitor_page(hostile: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    result = runner.invoke(
        app,
        ["monitor", "--current", str(hostile["current"]), "--reference",
         str(hostile["reference"]), "--strategy", str(hostile["cand"]), "--by", "kind",
         "--by", COLUMN, "--sample", "0", "--report", str(out)],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    text = assert_nothing_hidden(out)
    assert "\\x1b]8;;http://evil.example" in text and "\\u202eevil" in text


def test_profile_page(hostile: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    result = runner.invoke(app, ["data", "profile", str(hostile["current"]), "--html", str(out)])
    assert result.exit_code == 0, result.output
    text = assert_nothing_hidden(out)
    assert "amt[eur]<x>\\x1b[31m\\u202e\\n::error::COL" in text


def test_a_template_cannot_print_a_hidden_character(hostile: dict[str, Path], tmp_path: Path):
    """Values a `--templates` template escapes itself (`|e`), marks safe (`|safe`) or turns
    into attributes (`|xmlattr`) are shown with their codes too; its own line breaks stay."""
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "report.html.j2").write_text(
        '<p>{{ "\\x1b[31m\\u202eE"|e }}</p>\n<p>{{ "\\u200bS\\x9b"|safe }}</p>\n'
        '<p{{ {"title": "\\u2066A\\x1b"}|xmlattr }}></p>\n'
        '<p>{{ ctx.candidate_name ~ "\\nbreak" }}</p>\n',
        encoding="utf-8",
    )
    out = tmp_path / "t.html"
    result = runner.invoke(
        app,
        ["report", str(hostile["cand"]), "--data", str(hostile["current"]), "--out", str(out),
         "--templates", str(templates)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert not [c for c in page if hidden(c)], repr(page)
    assert "\\x1b[31m\\u202eE" in page and "\\u200bS\\x9b" in page and "\\u2066A\\x1b" in page
    assert "\\nbreak</p>\n" in page  # a value's line break is a code; the template's stay
