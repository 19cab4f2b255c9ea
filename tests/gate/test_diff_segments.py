"""`diff` shows everything an added or removed segment decides: a catch-all segment that
sends every row to review must not read as a bare "segment added"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()

OLD = (
    "name: s\nactions: [block, review, allow]\nlabel: is_bad\n"
    "thresholds:\n  block: {score: 0.9}\n  review: {score: 0.6}\n"
    "segments:\n  - name: new_accounts\n    when: account_age_days < 7\n"
    "    thresholds: {review: {score: 0.3}}\n"
)
NEW = OLD + (
    "  - name: catch_all\n    when: 'true'\n"
    "    thresholds:\n      review: {score: 0.99}\n      block: {fraud_score: 0.999}\n"
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(OLD)
    new.write_text(NEW)
    return old, new


def diff(*args: object) -> str:
    result = runner.invoke(app, ["diff", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_added_segment_lists_its_condition_place_and_every_threshold(files) -> None:
    old, new = files
    text = " ".join(diff(old, new).split())
    assert (
        "segment catch_all: added (when: true, position: 2 of 2, "
        "thresholds: review:score: 0.99, block:fraud_score: 0.999)"
    ) in text
    assert "segment threshold catch_all review:score: added (0.99)" in text
    assert "segment threshold catch_all block:fraud_score: added (0.999)" in text
    md = diff(old, new, "--format", "markdown")
    assert "| segment threshold | `catch_all review:score` | added |  | `0.99` |" in md
    assert "| segment threshold | `catch_all block:fraud_score` | added |  | `0.999` |" in md
    assert "| segment | `catch_all` | added |  | `when: true, position: 2 of 2," in md
    changes = json.loads(diff(old, new, "--format", "json"))["changes"]
    (seg,) = [c for c in changes if c["kind"] == "segment"]
    assert seg["after"] == {
        "when": "true",
        "position": "2 of 2",
        "thresholds": {"review:score": 0.99, "block:fraud_score": 0.999},
    }
    pairs = {c["what"]: c["after"] for c in changes if c["kind"] == "segment threshold"}
    assert pairs == {"catch_all review:score": 0.99, "catch_all block:fraud_score": 0.999}


def test_a_removed_segment_lists_what_it_decided(files) -> None:
    old, new = files
    text = " ".join(diff(new, old).split())
    assert "segment catch_all: removed (was when: true, position: 2 of 2," in text
    assert "segment threshold catch_all review:score: removed (was 0.99)" in text
    assert "segment threshold catch_all block:fraud_score: removed (was 0.999)" in text


def test_a_segment_without_thresholds_says_the_strategys_apply(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(OLD)
    new.write_text(OLD + "  - name: quiet\n    when: amount < 1\n    thresholds: {}\n")
    text = " ".join(diff(old, new).split())
    assert "thresholds: none (the strategy's own apply)" in text


def test_the_first_segment_added_says_it_comes_first(tmp_path: Path) -> None:
    """The first matching segment wins: a catch-all put first takes every row."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(OLD)
    first = "  - name: catch_all\n    when: 'true'\n    thresholds: {review: {score: 0.99}}\n"
    new.write_text(OLD.replace("segments:\n", "segments:\n" + first))
    assert "position: 1 of 2" in diff(old, new)
