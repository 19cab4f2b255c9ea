"""Every name and value from a strategy or data is a code span in every Markdown output,
headings and table cells alike, so GitHub shows it literally: an emoji code, a bare URL
(`www.` or `https://`), an `@mention`, an issue reference or an email address in a name
never renders as a verdict, a link or a notification. riskctl's own words stay plain."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

# each payload carries a marker (the word in capitals) that must only ever be seen inside a
# code span; names a strategy accepts (printable, one line)
NAMES = [
    ":white_check_mark: PASSED www.evil.example/pwn @octocat =cmd|' /C calc'!A0 VERDICT",
    ":x: https://evil.example/LINK",
    "@MENTION and #1234",
    "mail EMAIL@evil.example",
    "tick `code` | pipe | ``two`` GRAVE",
    "[a](http://evil.example/) MDLINK",
]
MARKERS = ["VERDICT", "LINK", "MENTION", "EMAIL", "GRAVE", "MDLINK"]
# GitHub's own readings of text outside code: emoji codes, autolinks, mentions, references
GITHUB_ACTIVE = re.compile(r":[a-z0-9_+-]+:|www\.|https?://|@\w|#\d|\w@\w")


def outside_code(markdown: str) -> tuple[str, str, int]:
    """The text GitHub reads outside code spans, the text inside them, and the number of
    table cells per row (one number for every table, else a row lost its columns)."""
    tokens = MD.parse(markdown)
    outside, inside = [], []
    for t in tokens:
        assert t.type not in ("html_block", "html_inline", "code_block", "fence"), t
        for child in t.children or []:
            assert child.type not in ("link_open", "image", "html_inline"), child
            (inside if child.type == "code_inline" else outside).append(child.content)
    return "\n".join(outside), "\n".join(inside), _cells_per_row(tokens)


def _cells_per_row(tokens) -> int:
    counts, n, inside_row = set(), 0, False
    for t in tokens:
        if t.type == "table_open":
            widths = []
        if t.type == "tr_open":
            n, inside_row = 0, True
        elif t.type in ("td_open", "th_open") and inside_row:
            n += 1
        elif t.type == "tr_close":
            widths.append(n)
        elif t.type == "table_close":
            counts.add(len(set(widths)))
    assert counts <= {1}, "a table row lost or gained columns"
    return len(counts)


def assert_literal(markdown: str, where: str, markers: list[str]) -> None:
    outside, inside, _ = outside_code(markdown)
    for marker in markers:
        assert marker not in outside, f"{where}: {marker} outside a code span:\n{outside}"
        assert marker in inside, f"{where}: {marker} vanished"
    riskctl_words = GITHUB_ACTIVE.findall(outside)
    assert set(riskctl_words) <= {":rotating_light:", ":warning:"}, f"{where}: {riskctl_words}"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def strategy(name: str, rules: list[str], segments: list[str]) -> dict:
    return {
        "name": name,
        "actions": ["block", "review", "allow"],
        "thresholds": {"block": {"score": 0.9}, "review": {"score": 0.5}},
        "segments": [
            {"name": s, "when": f"amount > {5000 + i}", "thresholds": {"review": {"score": 0.4}}}
            for i, s in enumerate(segments)
        ],
        "rules": [
            {"name": r, "when": f"amount > {100 + 10 * i}", "action": "review"}
            for i, r in enumerate(rules)
        ],
        "label": "is_bad",
        "guardrails": {"max_false_positive_rate": 0.0001, "min_catch_rate": 0.01},
        "monitoring": {"max_psi": 0.0},
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, scored_path: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mdlit")
    df = pl.read_parquet(scored_path).head(4000)
    n = df.height
    ref = [NAMES[i % len(NAMES)] for i in range(n)]
    cur = [NAMES[(i % 5) % 2] for i in range(n)]  # the first values grow: all of them move
    column = ":x: www.evil.example/COLUMN @octocat"
    reference, current = folder / "ref.parquet", folder / "cur.parquet"
    df.with_columns(pl.Series("kind", ref), pl.Series(column, ref)).write_parquet(reference)
    df.with_columns(pl.Series("kind", cur), pl.Series(column, cur)).write_parquet(current)
    cand, base = folder / "cand.yaml", folder / "base.yaml"
    cand.write_text(yaml.safe_dump(strategy(NAMES[0], NAMES, NAMES[2:4])), encoding="utf-8")
    base.write_text(yaml.safe_dump(strategy(NAMES[1], NAMES[3:], [])), encoding="utf-8")
    return {"ref": reference, "cur": current, "cand": cand, "base": base, "column": column}


def test_check_markdown(files: dict, tmp_path: Path) -> None:
    md = tmp_path / "c.md"
    result = invoke(
        "check", files["cand"], "--baseline", files["base"], "--data", files["cur"],
        "--markdown", md,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text = md.read_text(encoding="utf-8")
    assert_literal(text, "check --markdown", ["VERDICT", "LINK"])  # check has no rule table
    assert "**riskctl check: FAILED**" in text  # riskctl's own verdict stays Markdown


def test_report_markdown(files: dict, tmp_path: Path) -> None:
    md = tmp_path / "r.md"
    result = invoke(
        "report", files["cand"], "--baseline", files["base"], "--data", files["cur"],
        "--format", "md", "--out", md,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert_literal(text, "report --format md", MARKERS)
    heading = text.splitlines()[0]
    assert heading.startswith("## `") and heading.endswith("`")
    assert " vs " in heading


def test_diff_markdown(files: dict) -> None:
    result = invoke("diff", files["base"], files["cand"], "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, "diff --format markdown", MARKERS)


def test_monitor_markdown(files: dict, tmp_path: Path) -> None:
    md = tmp_path / "m.md"
    common = (
        "monitor", "--current", files["cur"], "--reference", files["ref"],
        "--strategy", files["cand"], "--by", "kind", "--by", files["column"], "--sample", 0,
    )  # fmt: skip
    result = invoke(*common, "--markdown", md)
    assert result.exit_code in (0, 1), result.output
    text = md.read_text(encoding="utf-8")
    assert_literal(text, "monitor --markdown", ["VERDICT", "LINK", "COLUMN"])
    printed = invoke(*common, "--format", "md")
    assert_literal(printed.stdout, "monitor --format md", ["VERDICT", "LINK", "COLUMN"])
