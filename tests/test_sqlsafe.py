"""SQL that can only compute (riskctl.sqlsafe): what the bad-input catalogue cannot show.

The escape catalogue itself is tests/cli/cases/sql.yaml. Here: the controls that show the
unguarded path would read a file and contact a server, a FIFO and a 10,000-term chain in a
real process, every allowed function working through rules and features, the docs naming
every allowed function, and every condition in the repository still passing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from riskctl.errors import ConfigError, Location
from riskctl.features.run import features_file
from riskctl.sqlsafe import FUNCTIONS, sql_expr
from riskctl.strategy.conditions import compile_condition

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
from bad_input_makers_sql import CANARY, trap_hits, trap_url  # noqa: E402

WHERE = Location(Path("s.yaml"), 10, "rule 'escape': when")
FRAME = pl.DataFrame(
    {
        "amount": [12.5, 80.0, None],
        "n": [3, 4, 5],
        "category": ["gift_cards", "electronics", None],
        "event_time": [dt.datetime(2026, 1, 2, 3, 4, 5)] * 3,
        "user_id": ["u1", "u2", "u1"],
    }
)


def strategy(tmp_path: Path, when: str) -> Path:
    path = tmp_path / "s.yaml"
    quoted = yaml.safe_dump(when, default_style='"', width=10**9).strip()
    path.write_text(
        "name: s\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n"
        f"rules:\n  - name: escape\n    when: {quoted}\n    action: review\n"
    )
    return path


def riskctl(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "riskctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


# -- controls: without the guard, polars reads and sends --------------------------------


def test_unguarded_polars_reads_the_file_and_the_guard_stops_it(tmp_path: Path) -> None:
    canary = tmp_path / "canary.csv"
    canary.write_text(f"{CANARY}\n1\n")
    sql = f"category = (SELECT nope FROM read_csv('{canary}'))"
    with pytest.raises(pl.exceptions.PolarsError) as leaked:
        pl.sql_expr(sql)
    assert "secret-token" in str(leaked.value)  # polars opened the file while parsing
    with pytest.raises(ConfigError) as refused:
        sql_expr(sql, WHERE)
    message = str(refused.value)
    assert "s.yaml:10: rule 'escape': when:" in message and "subquery (SELECT)" in message
    assert "secret-token" not in message


def test_unguarded_polars_contacts_the_server_and_the_guard_does_not(tmp_path: Path) -> None:
    url = trap_url(tmp_path)
    sql = f"category = (SELECT nope FROM read_csv('{url}/beacon.csv?leak=1'))"
    before = len(trap_hits())
    with pytest.raises((pl.exceptions.PolarsError, OSError)):
        pl.sql_expr(sql)  # the trap answers without Range support: polars gives up
    assert len(trap_hits()) > before and (tmp_path / "pwned").exists()
    (tmp_path / "pwned").unlink()
    before = len(trap_hits())
    with pytest.raises(ConfigError):
        sql_expr(sql, WHERE)
    assert len(trap_hits()) == before and not (tmp_path / "pwned").exists()


# -- what a real process does (signals, stacks) -------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_csv_of_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for sql in (
        f"category = (SELECT nope FROM read_csv('{fifo}'))",
        f"read_csv('{fifo}') IS NULL",
    ):
        done = riskctl("validate", str(strategy(tmp_path, sql)), timeout=60)
        assert done.returncode == 2, done.stderr
        lines = (done.stdout + done.stderr).strip().splitlines()
        assert len(lines) == 1 and "may not use" in lines[0], lines


@pytest.mark.parametrize("command", ["validate", "simulate", "features"])
def test_a_10000_term_chain_is_one_line_exit_2_in_a_real_process(
    command: str, tmp_path: Path
) -> None:
    chain = "amount" + " + 1" * 10_000
    data = tmp_path / "data.parquet"
    FRAME.with_columns(score=pl.lit(0.5), is_bad=pl.lit(0)).write_parquet(data)
    if command == "features":
        spec = tmp_path / "features.yaml"
        spec.write_text(
            yaml.safe_dump({"time": "event_time", "features": [{"name": "x", "expr": chain}]})
        )
        args = ["features", str(spec), "--data", str(data), "--out", str(tmp_path / "out.parquet")]
    else:
        args = [command, str(strategy(tmp_path, chain + " > 5"))]
        args += ["--data", str(data)] if command == "simulate" else []
    done = riskctl(*args)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "levels deep" in lines[0], lines
    assert not (tmp_path / "out.parquet").exists()


# -- every allowed function works, in a rule and in a features spec ----------------------


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_allowed_function_runs_in_a_rule(name: str) -> None:
    condition = f"({FUNCTIONS[name]}) IS NOT NULL"
    got = FRAME.select(compile_condition(condition, FRAME.schema, WHERE)).to_series()
    assert got.dtype == pl.Boolean and got.len() == FRAME.height


def test_every_allowed_function_runs_in_a_features_spec(tmp_path: Path) -> None:
    data = tmp_path / "events.parquet"
    FRAME.write_parquet(data)
    spec = tmp_path / "features.yaml"
    features = [{"name": f"f_{n.lower()}", "expr": e} for n, e in FUNCTIONS.items()]
    spec.write_text(yaml.safe_dump({"time": "event_time", "features": features}))
    out = tmp_path / "out.parquet"
    features_file(spec, data, out)
    assert set(pl.read_parquet(out).columns) >= {f["name"] for f in features}


def test_the_docs_name_every_allowed_function() -> None:
    docs = (ROOT / "docs" / "security.md").read_text()
    section = docs.split("## What a strategy or features spec can do", 1)[1]
    missing = [name for name in FUNCTIONS if f"`{name}`" not in section]
    assert not missing, f"docs/security.md does not list {missing}"
    table = section.split("### Allowed functions")[1].split("###")[0]
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert listed == set(FUNCTIONS), listed ^ set(FUNCTIONS)


# -- no regression: every condition the repository holds still passes ---------------------

OWN = {"tests/cli/cases/sql.yaml", "tests/cli/bad_input_makers_sql.py", "tests/test_sqlsafe.py"}
QUOTED = re.compile(r"""\b(?:when|expr)["']?\s*[:=]\s*"((?:[^"\\\n]|\\.)*)\"""")


def repository_conditions() -> list[str]:
    """Every `when:`/`expr:` written in the strategies, examples, docs and tests."""
    found: set[str] = set()
    for folder in ("strategies", "examples", "tests", "docs"):
        for path in (ROOT / folder).rglob("*"):
            rel = str(path.relative_to(ROOT))
            if path.suffix not in (".yaml", ".yml", ".py", ".md") or rel in OWN:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            found |= {m.group(1) for m in QUOTED.finditer(text) if "{" not in m.group(1)}
            if path.suffix in (".yaml", ".yml"):
                found |= set(_yaml_conditions(text))
    return sorted(found)


def _yaml_conditions(text: str) -> list[str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    out: list[str] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out += [v for k, v in node.items() if k in ("when", "expr") and isinstance(v, str)]
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    return out


def test_every_condition_in_the_repository_that_polars_takes_still_passes() -> None:
    conditions = repository_conditions()
    assert len(conditions) > 40, conditions
    checked = 0
    for sql in conditions:
        assert "read_" not in sql.lower() and "select" not in sql.lower(), sql
        try:
            pl.sql_expr(sql)
        except pl.exceptions.PolarsError:
            continue  # a deliberately broken condition: its own test covers it
        sql_expr(sql, WHERE)  # raises ConfigError on a regression
        checked += 1
    assert checked > 40


# -- property: whatever the allowed grammar builds passes, and polars takes it ------------

_NUMBER = st.one_of(
    st.sampled_from(["amount", "n", "-amount", "(amount + n)"]),
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.3f}"),
    st.sampled_from([e for e in FUNCTIONS.values() if "amount" in e or "n," in e]),
)
_TEXT = st.one_of(
    st.sampled_from(["category", "LOWER(category)", "TRIM(category)", "category || 'x'"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8).map(
        lambda s: "'" + s.replace("'", "''") + "'"
    ),
)


def _conditions(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda c: f"NOT ({c})"),
            st.tuples(inner, _NUMBER, _NUMBER).map(
                lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END > 0"
            ),
        )

    return st.recursive(leaf, extend, max_leaves=12)


_LEAF = st.one_of(
    st.tuples(_NUMBER, st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="]), _NUMBER).map(
        " ".join
    ),
    st.tuples(_TEXT, st.sampled_from(["=", "<>", "LIKE", "ILIKE", "NOT LIKE"]), _TEXT).map(
        " ".join
    ),
    st.tuples(_NUMBER, _NUMBER, _NUMBER).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
    st.lists(st.integers(-9, 9).map(str), min_size=1, max_size=5).map(
        lambda v: f"n IN ({', '.join(v)})"
    ),
    st.sampled_from(["category IS NULL", "amount IS NOT NULL", "promo_used", "TRUE"]),
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(sql=_conditions(_LEAF))
def test_whatever_the_allowed_grammar_builds_passes(sql: str) -> None:
    # a false refusal raises ConfigError; polars' own limits (a LIKE pattern must be a
    # literal) come after the check and are no refusal
    with contextlib.suppress(pl.exceptions.PolarsError):
        sql_expr(sql, WHERE)


# -- property: a table function or subquery, however written, never reaches polars ---------

READERS = ["read_csv", "read_parquet", "read_json", "read_ndjson", "read_ipc", "read_delta"]
READERS += ["scan_csv", "scan_parquet", "read_excel", "read_database", "glob"]
_SPACES = [" ", "\t", "\n", "\r\n", "  ", " /**/ ", "/* x */", "--x\n", "\u00a0", "\u2003"]


@st.composite
def _escapes(draw: st.DrawFn) -> str:
    reader = draw(st.sampled_from(READERS))
    quoted = draw(st.booleans())
    name = f'"{reader}"' if quoted else reader
    path = draw(st.sampled_from(["/etc/passwd", "http://127.0.0.1:9/x.csv", "x.parquet"]))
    snippet = draw(
        st.sampled_from(
            [
                f"(SELECT nope FROM {name}('{path}'))",
                f"{name}('{path}')",
                f"(SELECT 1 UNION SELECT * FROM {name}('{path}'))",
                f"(WITH t AS (SELECT * FROM {name}('{path}')) SELECT * FROM t)",
                f"EXISTS (SELECT 1 FROM {name}('{path}'))",
                f"(FROM {name}('{path}'))",
            ]
        )
    )
    legit = draw(st.sampled_from(["amount > 100", "category = 'gift_cards'", "promo_used"]))
    shape = draw(
        st.sampled_from(
            [
                "{legit} OR category = {x}",
                "{legit} AND {x} IS NULL",
                "COALESCE({x}, 0) > 1 OR {legit}",
                "CASE WHEN {legit} THEN {x} ELSE 1 END = 1",
                "amount IN ({x})",
            ]
        )
    )
    text = shape.format(legit=legit, x=snippet)
    text = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    return "".join(draw(st.sampled_from(_SPACES)) if c == " " else c for c in text)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(sql=_escapes())
def test_no_spelling_of_an_escape_reaches_polars(sql: str) -> None:
    def reached(text: str) -> None:
        raise AssertionError(f"polars saw {text!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pl, "sql_expr", reached)
        with pytest.raises(ConfigError):
            sql_expr(sql, WHERE)
