"""The vectorised engine against a plain row-by-row reading of the same strategy."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.strategy.decisions import decision_schema
from riskctl.strategy.engine import compile_strategy, decide
from riskctl.strategy.load import load_strategy

STRATEGY = """
name: t
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.7}
segments:
  - name: new
    when: "age < 7"
    thresholds:
      review: {score: 0.5}
  - name: young
    when: "age < 30"
    thresholds:
      block: {score: 0.8}
rules:
  - {name: big, when: "amount > 900", action: review, reason: R1}
  - {name: farm, when: "devices >= 5 AND amount > 20", action: block, reason: R2}
  - {name: shadowy, when: "amount > 500", action: block, mode: shadow}
  - {name: disabled, when: "amount > 0", action: block, enabled: false}
"""


@pytest.fixture
def table() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    n = 5_000
    return pl.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "age": rng.integers(0, 60, n),
            "amount": np.round(rng.random(n) * 1000, 2),
            "devices": rng.integers(1, 8, n),
        }
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 97 == 0)
        .then(None)
        .otherwise(pl.col("score"))
        .alias("score")
    )


def brute_force(row: dict) -> tuple[str, str | None, str | None]:
    """Action, decider and segment for one row, read straight off STRATEGY."""
    seg = "new" if row["age"] < 7 else "young" if row["age"] < 30 else None
    block_t = 0.8 if seg == "young" else 0.9
    review_t = 0.5 if seg == "new" else 0.7
    s = row["score"]
    farm = row["devices"] >= 5 and row["amount"] > 20
    big = row["amount"] > 900
    if farm:
        return "block", "rule:farm", seg
    if s is not None and s >= block_t:
        return "block", "threshold:block:score", seg
    if big:
        return "review", "rule:big", seg
    if s is not None and s >= review_t:
        return "review", "threshold:review:score", seg
    return "allow", None, seg


def run(tmp_path: Path, text: str, table: pl.DataFrame) -> pl.DataFrame:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return decide(compile_strategy(load_strategy(path), table.schema), table.lazy()).collect()


def test_engine_equals_row_by_row(tmp_path: Path, table: pl.DataFrame) -> None:
    out = run(tmp_path, STRATEGY, table)
    expected = [brute_force(r) for r in table.iter_rows(named=True)]
    assert out["action"].to_list() == [e[0] for e in expected]
    assert out["decided_by"].to_list() == [e[1] for e in expected]
    assert out["segment"].to_list() == [e[2] for e in expected]
    assert out["flagged"].to_list() == [e[0] != "allow" for e in expected]


def test_matched_lists_every_rule_and_threshold_that_fired(tmp_path, table) -> None:
    out = run(tmp_path, STRATEGY, table)
    schema = decision_schema(load_strategy(tmp_path / "s.yaml").strategy)
    out = out.with_columns(schema.matched_list())
    for row in out.head(300).iter_rows(named=True):
        assert ("shadowy" in row["matched"]) == (row["amount"] > 500)
        assert "disabled" not in row["matched"]
        assert ("big" in row["matched"]) == (row["amount"] > 900)


def test_shadow_rule_changes_no_decision(tmp_path, table) -> None:
    with_shadow = run(tmp_path, STRATEGY, table)
    without = run(
        tmp_path,
        STRATEGY.replace(
            '  - {name: shadowy, when: "amount > 500", action: block, mode: shadow}\n', ""
        ),
        table,
    )
    assert with_shadow["action"].equals(without["action"])


def test_acting_rule_never_unflags(tmp_path, table) -> None:
    base = run(tmp_path, STRATEGY, table)
    more = run(tmp_path, STRATEGY.replace("mode: shadow", "mode: active"), table)
    assert not (base["flagged"] & ~more["flagged"]).any()
    assert more["flagged"].sum() >= base["flagged"].sum()


@pytest.mark.parametrize(("written", "value"), [("-1", "-1"), ("1.5", "1.5"), ("true", "true")])
def test_bad_value_may_be_written_without_quotes(tmp_path, written: str, value: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nactions: [review, allow]\nlabel: y\nbad: {written}\n")
    assert load_strategy(path).strategy.bad == value


def test_a_chain_of_hundreds_of_ors_is_refused_at_once(tmp_path) -> None:
    def strategy(when: str) -> str:
        path = tmp_path / "s.yaml"
        rule = f'  - name: r\n    when: "{when}"\n    action: review\n'
        path.write_text("name: s\nactions: [review, allow]\nrules:\n" + rule)
        return str(path)

    chain = " OR ".join(f"amount = {i}" for i in range(400))
    result = CliRunner().invoke(app, ["validate", strategy(chain)])
    assert result.exit_code == 2
    assert "nested 803 levels deep" in result.output and "IN (" in result.output
    listed = ", ".join(str(i) for i in range(400))
    assert CliRunner().invoke(app, ["validate", strategy(f"amount IN ({listed})")]).exit_code == 0
