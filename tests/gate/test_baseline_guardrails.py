"""`check --baseline`: the baseline's guardrails apply too, so a candidate cannot pass the
gate by deleting or loosening its own; every output says whose limit each guardrail is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.errors import UsageError
from riskctl.gate.baseline_limits import guardrail_limits
from riskctl.gate.guardrails import GUARDRAILS
from riskctl.simulation.pins import check_pin
from riskctl.strategy.schema import Guardrails

runner = CliRunner()

HEAD = "actions: [block, review, allow]\nlabel: is_bad\n"
BASELINE = (
    "name: base\n" + HEAD + "thresholds:\n  block: {score: 0.8}\n  review: {score: 0.6}\n"
    "guardrails:\n  max_false_positive_rate: 0.05\n  min_catch_rate: 0.3\n"
)
# blocks almost everything, and has deleted its own guardrails
LOOSE = "name: cand\n" + HEAD + "thresholds:\n  block: {score: 0.05}\n  review: {score: 0.6}\n"


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """100 rows: 10 bad ones scored 0.9, 90 good ones scored 0.1 to 0.7."""
    rows = ["score,is_bad"] + ["0.9,1"] * 10 + [f"{0.1 + (i % 7) / 10:.1f},0" for i in range(90)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_candidate_without_guardrails_is_judged_by_the_baselines(
    tmp_path: Path, data: Path
) -> None:
    base, cand = write(tmp_path, "base.yaml", BASELINE), write(tmp_path, "cand.yaml", LOOSE)
    text = invoke("check", cand, "--baseline", base, "--data", data, "--strict")
    assert text.exit_code == 1, text.output
    words = " ".join(text.stdout.split())
    assert "FAILED: 1 of 2 guardrails fail (2 the baseline's)" in words
    assert "G001 FAILS baseline max_false_positive_rate" in words
    assert "the baseline's limit: the candidate does not set it" in words
    result = invoke("check", cand, "--baseline", base, "--data", data, "--strict", "--json")
    assert result.exit_code == 1
    rails = {g["name"]: g for g in json.loads(result.stdout)["guardrails"]}
    assert rails["max_false_positive_rate"]["passed"] is False
    assert rails["max_false_positive_rate"]["source"] == "baseline"
    assert rails["max_false_positive_rate"]["limit"] == 0.05
    assert rails["min_catch_rate"]["passed"] is True
    md = tmp_path / "v.md"
    invoke("check", cand, "--baseline", base, "--data", data, "--strict", "--markdown", md)
    summary = md.read_text()
    assert "| check | guardrail | verdict | limit from | detail |" in summary
    assert "| G001 | max_false_positive_rate | **fails** | baseline |" in summary
    assert "(limits: 2 the baseline's)" in summary


def test_the_candidate_cannot_loosen_a_guardrail_but_can_tighten_one(
    tmp_path: Path, data: Path
) -> None:
    base = write(tmp_path, "base.yaml", BASELINE)
    text = LOOSE + "guardrails:\n  max_false_positive_rate: 1.0\n  min_catch_rate: 0.9\n"
    cand = write(tmp_path, "cand.yaml", text)
    result = invoke("check", cand, "--baseline", base, "--data", data, "--strict", "--json")
    assert result.exit_code == 1, result.output
    rails = {g["name"]: g for g in json.loads(result.stdout)["guardrails"]}
    fpr, catch = rails["max_false_positive_rate"], rails["min_catch_rate"]
    assert (fpr["source"], fpr["limit"], fpr["passed"]) == ("baseline", 0.05, False)
    assert "the candidate's 100.00% is looser" in fpr["message"]
    assert (catch["source"], catch["limit"]) == ("candidate", 0.9)
    assert "stricter than the baseline's 30.00%" in catch["message"]
    # on purpose, where the gate is run: the candidate's own limits alone, and it passes
    own = invoke("check", cand, "--baseline", base, "--data", data, "--strict", "--own-guardrails")
    assert own.exit_code == 0, own.output
    assert "PASSED: 2 guardrails hold (2 the candidate's)" in " ".join(own.stdout.split())


def test_the_same_limit_in_both_files_says_both(tmp_path: Path, data: Path) -> None:
    base = write(tmp_path, "base.yaml", BASELINE)
    cand = write(tmp_path, "cand.yaml", BASELINE.replace("name: base", "name: cand"))
    result = invoke("check", cand, "--baseline", base, "--data", data, "--json")
    assert result.exit_code == 1, result.output  # the baseline's own numbers fail its limit
    assert {g["source"] for g in json.loads(result.stdout)["guardrails"]} == {"both"}


def test_nothing_to_check_is_refused_before_any_output(tmp_path: Path, data: Path) -> None:
    cand = write(tmp_path, "cand.yaml", LOOSE)
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    for extra in ([], ["--baseline", cand]):
        result = invoke("check", cand, *extra, "--data", data, "--junit", junit, "--markdown", md)
        assert result.exit_code == 2, result.output
        assert "nothing to check" in result.output
        assert not junit.exists() and not md.exists()


@pytest.mark.parametrize("rail", GUARDRAILS, ids=[r.key for r in GUARDRAILS])
def test_limits_are_the_union_with_the_stricter_of_two(rail) -> None:
    """Every guardrail, both directions, relative ones too: the oracle is the plain rule."""

    def rails(value: float | None) -> Guardrails:
        if value is None:
            return Guardrails()
        if rail.relative:
            return Guardrails.model_validate({"relative": {rail.key: value}})
        return Guardrails.model_validate({rail.key: value})

    for own in (None, 0.2, 0.4):
        for theirs in (None, 0.2, 0.4):
            limits = {x.rail.key: x for x in guardrail_limits(rails(own), rails(theirs))}
            if own is None and theirs is None:
                assert rail.key not in limits
                continue
            got = limits[rail.key]
            values = [v for v in (own, theirs) if v is not None]
            stricter = min(values) if rail.direction == "max" else max(values)
            assert got.value == stricter
            if own is None or (theirs is not None and own != stricter):
                assert got.source == "baseline"
            elif theirs is not None and own == theirs:
                assert got.source == "both"
            else:
                assert got.source == "candidate"
    # without a baseline, only the candidate's
    only = guardrail_limits(rails(0.3), None)
    assert [(x.rail.key, x.source) for x in only] == [(rail.key, "candidate")]


@pytest.mark.parametrize(
    "pin", ["", " ", "abc", "a" * 63, "a" * 65, "g" * 64, " " + "a" * 64, "sha256:" + "a" * 64]
)
def test_a_pin_that_pins_nothing_is_refused(pin: str) -> None:
    with pytest.raises(UsageError, match="it would pin nothing"):
        check_pin(pin, "--data-sha256")


@pytest.mark.parametrize("pin", [None, "a" * 64, "A" * 64, "0123456789abcdef" * 4])
def test_a_real_pin_is_accepted(pin: str | None) -> None:
    check_pin(pin, "--data-sha256")


def test_a_strategy_pin_that_is_empty_is_refused_by_the_schema(tmp_path: Path) -> None:
    from riskctl.errors import ConfigError
    from riskctl.strategy.load import load_strategy

    path = write(tmp_path, "s.yaml", LOOSE + 'data_sha256: ""\n')
    with pytest.raises(ConfigError, match="data_sha256"):
        load_strategy(path)
