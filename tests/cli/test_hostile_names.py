"""Hostile names and values through every output of every command that shows them.

A strategy from a pull request names itself, its rules and its segments; a data file names
its columns and holds its values. Whatever they hold (newlines, workflow commands, Rich
markup, emoji codes, terminal escapes, bidi overrides, Markdown, HTML, spreadsheet
formulas), every output must show them as text: no raw control character, no line a CI
runner reads as a command, Markdown tables that keep their columns and no injected heading
or verdict, the value still visible, and never an internal error.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.cli.console import err, out

runner = CliRunner()
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

# one hostile text per medium's syntax; each carries a marker that must stay visible
NAMES = [
    "nl\n::error file=x.yaml,line=1::spoofed%0A::warning::two",
    "stop ::stop-commands::tok",
    "tick `code` | pipe | **PASSED**",
    "[/]oops",
    "[gold]",
    "emoji :x: :white_check_mark:",
    "esc \x1b[2Kcleared\x1b[8mhidden\x1b[0m \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "bidi \u202eevil\u202c \u200bzw",
    "=cmd|' /C calc'!A0",
    "html <script>alert(1)</script>",
    "md # heading\n### riskctl check: PASSED\n- [link](http://evil.example/)",
    "c1 \x9b31m \x85nel \u2028ls",
    "::warning file=a.yaml::lead",
]
MARKERS = ["spoofed", "stop-commands", "code", "[/]oops", "[gold]", ":x:", "cleared"]
MARKERS += ["evil", "calc", "alert(1)", "heading", "c1", "lead"]
COLUMN = "seg [gold]\x1b[31m\n::error::col"


def hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") and ch != "\n"


def one_line(text: str) -> str:
    """A strategy refuses names holding line breaks or characters you cannot see (see
    test_names_with_hidden_characters_are_refused): its names keep every other payload."""
    return "".join(" " if hidden(c) or c == "\n" else c for c in text)


# names a strategy can hold; data values and column names keep the full set
STRATEGY_NAMES = [one_line(name) for name in NAMES]


def invoke(*args: object, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture(autouse=True)
def wide_consoles():
    """Wide enough that no table wraps a value across lines."""
    widths = out.width, err.width
    out.width = err.width = 2000
    yield
    out.width, err.width = widths


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, scored_path: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    df = pl.read_parquet(scored_path).head(4000)
    values = [NAMES[i % len(NAMES)] for i in range(df.height)]
    df = df.with_columns(pl.Series(COLUMN, values), pl.Series("note", values))
    data = folder / "data.parquet"
    df.write_parquet(data)
    rules = [
        {"name": name, "when": f"amount > {100 + 10 * i}", "action": "review"}
        for i, name in enumerate(STRATEGY_NAMES)
    ]
    strategy = {
        "name": " / ".join(STRATEGY_NAMES[:6]),
        "actions": ["block", "review", "allow"],
        "thresholds": {"block": {"score": 0.9}, "review": {"score": 0.5}},
        "segments": [
            {"name": STRATEGY_NAMES[i], "when": f"amount > {5000 + i}", "thresholds": {}}
            for i in (2, 4)
        ],
        "rules": rules,
        "label": "is_bad",
        "guardrails": {"max_false_positive_rate": 0.0001, "min_catch_rate": 0.01},
        "monitoring": {"max_psi": 0.0},
    }
    cand = folder / "cand.yaml"
    cand.write_text(yaml.safe_dump(strategy, allow_unicode=False), encoding="utf-8")
    base = folder / "base.yaml"
    base.write_text(
        yaml.safe_dump({**strategy, "name": STRATEGY_NAMES[8], "rules": rules[3:]}),
        encoding="utf-8",
    )
    # a broken rule in a file whose name is hostile too
    broken = folder / "bad\n::error file=x::name,=x.yaml"
    bad = {**strategy, "rules": [{**rules[0], "when": "no_such_column > 1"}]}
    broken.write_text(yaml.safe_dump(bad), encoding="utf-8")
    return {"data": data, "cand": cand, "base": base, "broken": broken, "dir": folder}


def assert_text_safe(text: str, where: str, annotations: bool = False) -> None:
    """No raw control character; no line a CI runner would run as a command."""
    bad = sorted({f"U+{ord(c):04X}" for c in text if hidden(c)})
    assert not bad, f"{where}: raw control characters {bad}"
    for line in text.splitlines():
        stripped = line.lstrip()
        if annotations and stripped.startswith("::"):
            assert re.fullmatch(
                r"::(error|warning|notice) file=[^:,\r\n]*(,line=\d+)?::[^\r\n]*", line
            ), line
        else:
            assert not stripped.startswith(("::", "##[", "##vso[")), f"{where}: {line!r}"


def assert_visible(text: str, where: str) -> None:
    missing = [m for m in MARKERS if m not in text]
    assert not missing, f"{where}: {missing} vanished"


def assert_markdown_safe(text: str, where: str, headings: int) -> str:
    """Tables keep their columns, no HTML, link, or injected heading; returns what a reader
    sees."""
    assert_text_safe(text, where)
    table_width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            table_width = None
            continue
        pipes = len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))
        table_width = table_width or pipes
        assert pipes == table_width, f"{where}: a row with {pipes} pipes, not {table_width}"
    tokens = MD.parse(text)
    assert sum(t.type == "heading_open" for t in tokens) == headings, f"{where}: headings"
    shown = []
    for t in tokens:
        assert t.type not in ("html_block", "html_inline"), f"{where}: raw HTML"
        for child in t.children or []:
            assert child.type not in ("html_inline", "link_open", "image"), f"{where}: {child}"
            shown.append(child.content)
    return " ".join(shown)


@pytest.mark.parametrize("name", [n for n in NAMES if n != one_line(n)])
def test_names_with_hidden_characters_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.yaml"
    rule = {"name": name, "when": "amount > 1", "action": "review"}
    text = {"name": "s", "actions": ["review", "allow"], "rules": [rule]}
    path.write_text(yaml.safe_dump(text), encoding="utf-8")
    for fmt in ("text", "github"):
        result = invoke("validate", path, "--format", fmt)
        assert result.exit_code == 2, result.output
        assert_text_safe(result.output, f"validate {fmt}", annotations=fmt == "github")
        assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_validate_text_json_and_github(hostile: dict[str, Path]) -> None:
    ok = invoke("validate", hostile["cand"], "--data", hostile["data"])
    assert ok.exit_code == 0, ok.output
    assert_text_safe(ok.output, "validate")
    args = ("validate", hostile["broken"], "--data", hostile["data"])
    text = invoke(*args)
    github = invoke(*args, "--format", "github")
    as_json = invoke(*args, "--json")
    for result in (text, github, as_json):
        assert result.exit_code == 2, result.output
    assert_text_safe(text.output, "validate text")
    assert "nl ::error" in text.output and "no_such_column" in text.output
    assert "bad\\n::error" in text.output  # the file name is shown, its line break as a code
    assert_text_safe(github.stdout, "validate github", annotations=True)
    findings = json.loads(as_json.stdout)["findings"]
    assert len(github.stdout.splitlines()) == len(findings) >= 1
    assert {f["message"] for f in findings} == {
        line.split("::", 2)[2].replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
        for line in github.stdout.splitlines()
    }


def test_simulate_and_check_every_format(
    hostile: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    common = (hostile["cand"], "--baseline", hostile["base"], "--data", hostile["data"])
    sim = invoke("simulate", *common, "--by", COLUMN, "--by", "segment")
    assert sim.exit_code == 0, sim.output
    assert_text_safe(sim.output, "simulate")
    assert_visible(sim.output, "simulate")
    assert "emoji :x:" in sim.output and "❌" not in sim.output
    sim_json = invoke("simulate", *common, "--by", COLUMN, "--json")
    assert sim_json.exit_code == 0 and json.loads(sim_json.stdout)["candidate"]["by"][COLUMN]
    md, junit = tmp_path / "c.md", tmp_path / "c.xml"
    check = invoke("check", *common, "--markdown", md, "--junit", junit)
    assert check.exit_code == 1, check.output  # the guardrails are set to fail
    assert_text_safe(check.output, "check")
    assert "[/]oops" in check.output
    shown = assert_markdown_safe(md.read_text(encoding="utf-8"), "check --markdown", 1)
    assert "[gold]" in shown and "FAILED" in shown
    assert md.read_text(encoding="utf-8").count("riskctl check: ") == 1
    assert summary.read_text(encoding="utf-8") == md.read_text(encoding="utf-8")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert_text_safe(ET.tostring(suite, encoding="unicode"), "junit")
    assert "[/]oops" in suite.get("name", "")
    check_json = invoke("check", *common, "--json")
    assert check_json.exit_code == 1 and json.loads(check_json.stdout)["passed"] is False


def test_report_markdown_and_html(hostile: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "r.md"
    common = (hostile["cand"], "--baseline", hostile["base"], "--data", hostile["data"])
    result = invoke("report", *common, "--format", "md", "--out", md)
    assert result.exit_code == 0, result.output
    assert_text_safe(result.output, "report")
    shown = assert_markdown_safe(md.read_text(encoding="utf-8"), "report --format md", 1)
    assert_visible(shown, "report --format md")
    html = tmp_path / "r.html"
    result = invoke("report", *common, "--by", COLUMN, "--out", html)
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "alert(1)" in page


def test_monitor_every_format(hostile: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "m.md"
    common = (
        "monitor", "--current", hostile["data"], "--reference", hostile["data"],
        "--strategy", hostile["cand"], "--by", COLUMN, "--sample", 0,
    )  # fmt: skip
    text = invoke(*common, "--markdown", md)
    assert text.exit_code in (0, 1), text.output
    assert_text_safe(text.output, "monitor")
    assert "[gold]" in text.output
    printed = invoke(*common, "--format", "md")
    assert printed.exit_code == text.exit_code, printed.output
    assert_markdown_safe(printed.stdout, "monitor --format md", 1)
    shown = assert_markdown_safe(md.read_text(encoding="utf-8"), "monitor --markdown", 1)
    assert "[gold]" in shown
    as_json = invoke(*common, "--json")
    assert as_json.exit_code == text.exit_code and json.loads(as_json.stdout)


def test_diff_every_format(hostile: dict[str, Path]) -> None:
    for fmt in ("text", "markdown", "json"):
        result = invoke("diff", hostile["base"], hostile["cand"], "--format", fmt)
        assert result.exit_code == 0, result.output
        assert_text_safe(result.stdout, f"diff {fmt}")
        if fmt == "markdown":
            shown = assert_markdown_safe(result.stdout, "diff markdown", 1)
            assert "[gold]" in shown and "[/]oops" in shown
        elif fmt == "text":
            assert "[gold]" in result.stdout and "[/]oops" in result.stdout


def test_sweep_and_profile_text(hostile: dict[str, Path]) -> None:
    sweep = invoke(
        "sweep", "--data", hostile["data"], "--strategy", hostile["cand"], "--by", COLUMN
    )
    assert sweep.exit_code == 0, sweep.output
    assert_text_safe(sweep.output, "sweep")
    assert "[gold]" in sweep.output
    profile = invoke("data", "profile", hostile["data"])
    assert profile.exit_code == 0, profile.output
    assert_text_safe(profile.output, "data profile")
    assert "seg [gold]" in profile.output


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_csv_outputs_never_start_a_formula(hostile: dict[str, Path], detector, tmp_path) -> None:
    formula = ("=", "+", "-", "@", "\t", "\r")
    scored, unscored = tmp_path / "scored.csv", tmp_path / "unscored.parquet"
    pl.read_parquet(hostile["data"]).drop("score").write_parquet(unscored)
    result = invoke("score", detector.path, unscored, "--out", scored, "--keep-all")
    assert result.exit_code == 0, result.output
    assert_text_safe(result.output, "score")
    rows = read_csv(scored)
    header = rows[0]
    assert not [c for c in header if c.startswith(formula)]
    text_columns = [header.index(COLUMN), header.index("note")]
    cells = [row[i] for row in rows[1:] for i in text_columns]
    assert "'=cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(formula)]
    assert any(row[header.index("score")].startswith("0.") for row in rows[1:])
    explained = tmp_path / "x.csv"
    formula_rules = tmp_path / "f.yaml"
    rules = [
        {"name": name, "when": "amount > 100", "action": "review"}
        for name in ("=cmd|' /C calc'!A0", "@SUM(A1)")
    ]
    strategy = yaml.safe_load(hostile["cand"].read_text(encoding="utf-8"))
    formula_rules.write_text(yaml.safe_dump({**strategy, "rules": rules}), encoding="utf-8")
    result = invoke(
        "explain", detector.path, hostile["data"], "--strategy", formula_rules,
        "--only-flagged", "--summary", "--by", COLUMN, "--out", explained,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_text_safe(result.output, "explain")
    rows = read_csv(explained)
    # the rules that fired lead each row's reasons: a rule's name starts the codes cell
    columns = [rows[0].index("reason_codes"), rows[0].index("reason_texts")]
    reasons = [row[i] for row in rows[1:] for i in columns]
    assert "'=cmd|' /C calc'!A0" in {r.split("; ")[0] for r in reasons}
    assert not [r for r in reasons if r.startswith(formula)]
    # numbers stay numbers: a negative SHAP value is written as it is
    shap = [row[i] for row in rows[1:] for i, c in enumerate(rows[0]) if c.startswith("shap_")]
    assert any(v.startswith("-") for v in shap)


def test_the_consoles_second_line_of_defence() -> None:
    """A value printed without `for_terminal` (a missed call) still cannot stop riskctl,
    reach the terminal as an escape sequence, become an emoji or run as a CI command."""
    import io

    from riskctl.cli.console import _Console

    buffer = io.StringIO()
    console = _Console(file=buffer, width=200, highlight=False, emoji=False)
    console.print("[/]oops unbalanced")
    console.print("[bold]\x1b[2Kx\u202e[/] :x:")
    console.print("::error file=a::injected\n  ::warning::indented")
    console.print("##[error]azure\nok ::x", markup=False)
    assert buffer.getvalue().splitlines() == [
        "[/]oops unbalanced",
        "\\x1b[2Kx\\u202e :x:",
        "\\::error file=a::injected",
        "  \\::warning::indented",
        "#\\#[error]azure",
        "ok ::x",
    ]
