"""`check --baseline`: the baseline's guardrails measure the candidate's decisions with the
baseline's measurement settings (label, bad, time, amount, costs, reviews, maturity), so a
candidate cannot pass them by redefining what they measure; and every data pin present
holds, the baseline's too."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.gate.diff import diff_strategies
from riskctl.strategy.load import load_strategy
from riskctl.strategy.measurement import measured_as, measurement_changes, reviews_under

runner = CliRunner()

N = 1000  # rows over 10 days; score i/N; bad when the score is above 0.9


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    start = datetime(2024, 1, 1)
    score = [i / N for i in range(N)]
    frame = pl.DataFrame(
        {
            "score": score,
            "is_bad": [int(s > 0.9) for s in score],
            # a label only the very top scores carry: a weak candidate catches all of it
            "top_bad": [int(s >= 0.99) for s in score],
            "outcome": ["fraud" if s > 0.9 else "ok" for s in score],
            "event_time": [start + timedelta(hours=i * 240 / N) for i in range(N)],
            "signup_time": [start - timedelta(days=3 * i) for i in range(N)],
            "amount": [100.0] * N,
            "cents": [0.01] * N,
        }
    )
    path = tmp_path_factory.mktemp("measure") / "d.parquet"
    frame.write_parquet(path)
    return path


BASE = """name: base
actions: [block, review, allow]
thresholds: {{block: {{score: 0.95}}, review: {{score: 0.8}}}}
label: is_bad
time: event_time
amount: amount
costs: {{false_positive: 5.0, review: 2.0}}
guardrails: {{{guardrails}}}
"""
REVIEW_LOAD = "max_review_per_day: 30"
COST = "max_expected_cost: 3000"
WEAK = "thresholds: {block: {score: 0.95}, review: {score: 0.02}}"  # reviews ~93 rows a day


def strategy(tmp_path: Path, name: str, guardrails: str, **changes: str) -> Path:
    """The baseline's text with `guardrails`, and each of `changes` replacing the line
    that starts with its key (or added)."""
    lines = BASE.format(guardrails=guardrails).replace("name: base", f"name: {name}")
    out = lines.splitlines()
    for key, line in changes.items():
        hit = [i for i, x in enumerate(out) if x.startswith(f"{key}:")]
        if hit:
            out[hit[0]] = line
        else:
            out.append(line)
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(out) + "\n")
    return path


def check(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["check", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


# each field alone changes what the baseline's guardrail measures enough to pass it
ALONE = {
    "time": (REVIEW_LOAD, {"time": "time: signup_time"}),
    "reviews": (REVIEW_LOAD, {"reviews": "reviews: []"}),
    "costs": (COST, {"costs": "costs: {false_positive: 0.0, review: 0.0}"}),
    "amount": (COST, {"amount": "amount: cents"}),  # the candidate misses the bad amount
    "label": ("min_catch_rate: 0.5", {"label": "label: top_bad"}),
    "bad": ("min_precision: 0.5", {"label": "label: outcome", "bad": "bad: ok"}),
}


@pytest.mark.parametrize("field", list(ALONE))
def test_each_measurement_setting_alone_no_longer_passes_a_weak_candidate(
    tmp_path: Path, data: Path, field: str
) -> None:
    rails, changes = ALONE[field]
    extra = {"label": "label: outcome", "bad": "bad: fraud"} if field == "bad" else {}
    base = strategy(tmp_path, "base", rails, **extra)
    weak = {"thresholds": WEAK, **extra}
    if field in ("label", "amount"):  # a weak candidate: flags the very top only
        weak["thresholds"] = "thresholds: {block: {score: 0.99}}"
    plain = strategy(tmp_path, "plain", "", **weak)
    code, text = check(plain, "--baseline", base, "--data", data, "--strict")
    assert code == 1, text
    cand = strategy(tmp_path, "cand", "", **{**weak, **changes})
    # the same candidate judged by its own settings passes the baseline's limit: the
    # setting matters (the hole this closes)
    own = strategy(tmp_path, "own", rails, **{**weak, **changes})
    assert check(own, "--data", data, "--strict")[0] == 0
    code, text = check(cand, "--baseline", base, "--data", data, "--strict")
    assert code == 1, text
    assert "measured with the baseline's settings" in text
    assert f"the candidate changes how metrics are measured ({field}:" in text or (
        field == "bad" and "(bad: fraud -> ok)" in text
    )


def test_the_settings_combined_and_a_stricter_own_limit_still_fail(
    tmp_path: Path, data: Path
) -> None:
    base = strategy(tmp_path, "base", f"{REVIEW_LOAD}, {COST}")
    combo = {
        "thresholds": WEAK,
        "reviews": "reviews: []",
        "time": "time: signup_time",
        "costs": "costs: {false_positive: 0.0, review: 0.0}",
        "amount": "amount: cents",
        "label_maturity_days": "label_maturity_days: 2",
        "review_capacity_per_day": "review_capacity_per_day: 1000",
    }
    # a stricter limit of the candidate's own, measured its own way, does not replace
    # the baseline's (measured the baseline's way)
    cand = strategy(tmp_path, "cand", "max_review_per_day: 4, max_expected_cost: 2000", **combo)
    junit = tmp_path / "r.xml"
    code, text = check(cand, "--baseline", base, "--data", data, "--strict", "--junit", junit)
    assert code == 1
    names = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert "G004 max_review_per_day (candidate)" in names
    assert "G004 max_review_per_day (baseline)" in names and len(set(names)) == len(names)
    got = json.loads(
        runner.invoke(
            app,
            [
                "check",
                str(cand),
                "--baseline",
                str(base),
                "--data",
                str(data),
                "--strict",
                "--json",
            ],
        ).stdout
    )
    by = {(g["name"], g["source"]): g for g in got["guardrails"]}
    assert by[("max_review_per_day", "candidate")]["passed"] is True  # its own measure: ~0
    assert by[("max_review_per_day", "baseline")]["passed"] is False
    assert by[("max_review_per_day", "baseline")]["value"] == pytest.approx(93.0, abs=1)
    assert by[("max_expected_cost", "baseline")]["passed"] is False
    (note,) = got["notes"]
    for field in ("reviews", "time", "costs", "amount", "label_maturity_days", "capacity"):
        assert field in note


def test_a_candidate_that_only_moves_thresholds_is_judged_as_before(
    tmp_path: Path, data: Path
) -> None:
    base = strategy(tmp_path, "base", f"{REVIEW_LOAD}, {COST}")
    cand = strategy(tmp_path, "cand", REVIEW_LOAD, thresholds="thresholds: {review: {score: 0.85}}")
    result = runner.invoke(
        app, ["check", str(cand), "--baseline", str(base), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["notes"] == []
    assert [(g["name"], g["source"], g["note"]) for g in got["guardrails"]] == [
        ("max_review_per_day", "both", ""),
        ("max_expected_cost", "baseline", "the candidate does not set it"),
    ]
    code, text = check(cand, "--baseline", base, "--data", data)
    assert code == 0 and "note:" not in text and "measured" not in text


def test_the_note_is_in_every_format(tmp_path: Path, data: Path) -> None:
    base = strategy(tmp_path, "base", REVIEW_LOAD)
    cand = strategy(tmp_path, "cand", "", time="time: signup_time")
    md, junit = tmp_path / "v.md", tmp_path / "v.xml"
    code, text = check(cand, "--baseline", base, "--data", data, "--markdown", md, "--junit", junit)
    assert code == 0, text  # the candidate's decisions are the baseline's: it passes
    assert "note: the candidate changes how metrics are measured (time: event_time -> " in text
    assert "> **note**: the candidate changes how metrics are measured" in md.read_text()
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    (prop,) = suite.iter("property")
    assert prop.get("name") == "note" and "signup_time" in (prop.get("value") or "")
    assert "note: the candidate changes" in (suite.findtext("system-out") or "")
    code, text = check(cand, "--baseline", base, "--data", data, "--own-guardrails")
    assert code == 2  # nothing of its own to check; still exit 2, not a silent pass
    cand2 = strategy(tmp_path, "cand2", REVIEW_LOAD, time="time: signup_time", thresholds=WEAK)
    code, text = check(cand2, "--baseline", base, "--data", data, "--own-guardrails")
    assert code == 0 and "--own-guardrails judges the candidate's guardrails" in text


def test_a_renamed_review_action_still_counts_as_a_review(tmp_path: Path, data: Path) -> None:
    base = strategy(tmp_path, "base", REVIEW_LOAD)
    for i, reviews in enumerate(["reviews: [check]", "reviews: []", ""]):
        cand = strategy(
            tmp_path,
            f"renamed{i}",
            "",
            actions="actions: [block, check, allow]",
            thresholds="thresholds: {block: {score: 0.95}, check: {score: 0.02}}",
            **({"reviews": reviews} if reviews else {}),
        )
        code, text = check(cand, "--baseline", base, "--data", data)
        assert code == 1, text
        assert "FAILS baseline max_review_per_day: 93.0 vs max 30.0" in text


def test_reviews_under_the_baseline() -> None:
    def s(actions: str, reviews: str = "") -> object:
        from riskctl.strategy.schema import Strategy

        text = {"name": "s", "actions": actions.split()}
        if reviews != "":
            text["reviews"] = reviews.split()
        return Strategy.model_validate(text)

    base = s("block review allow")
    assert reviews_under(base, s("block review allow", " ")) == ["review"]  # reviews: []
    assert reviews_under(base, s("block check allow")) == ["check"]  # unknown: counts
    assert reviews_under(base, s("block hold review allow", "hold")) == ["hold", "review"]
    assert reviews_under(base, s("block review pass")) == ["review"]  # pass never new
    assert reviews_under(s("block hold allow", "hold"), s("block hold allow", " ")) == ["hold"]
    cand = s("block check allow", " ")
    measured = measured_as(cand, base)  # type: ignore[arg-type]
    assert measured.actions == cand.actions and measured.review_actions == ["check"]
    assert [c[0] for c in measurement_changes(base, cand)] == ["reviews"]  # type: ignore[arg-type]
    assert measurement_changes(base, s("block review allow", "review")) == []  # type: ignore[arg-type]


def test_diff_lists_each_measurement_change(tmp_path: Path) -> None:
    base = strategy(tmp_path, "base", REVIEW_LOAD)
    cand = strategy(
        tmp_path,
        "cand",
        REVIEW_LOAD,
        time="time: signup_time",
        reviews="reviews: []",
        costs="costs: {false_positive: 0.0, review: 2.0}",
        bad="bad: '0'",
    )
    changes = diff_strategies(load_strategy(base), load_strategy(cand))
    kinds = {c.what: c.kind for c in changes}
    for what in ("time", "reviews", "costs.false_positive", "bad"):
        assert kinds[what] == "measurement"
    assert kinds["name"] == "setting"
    text = runner.invoke(app, ["diff", str(base), str(cand)]).output
    assert "measurement time: event_time -> signup_time" in text


@pytest.mark.parametrize("where", ["baseline", "both_but_baseline_wrong", "candidate"])
def test_every_pin_present_holds(tmp_path: Path, data: Path, where: str) -> None:
    real = hashlib.sha256(data.read_bytes()).hexdigest()
    wrong = "0" * 64
    pins = {
        "baseline": (None, wrong),
        "both_but_baseline_wrong": (real, wrong),
        "candidate": (wrong, real),
    }[where]
    cand_pin, base_pin = (f"data_sha256: '{p}'" if p else "" for p in pins)
    base = strategy(tmp_path, "base", REVIEW_LOAD, **({"data_sha256": base_pin}))
    cand = strategy(
        tmp_path, "cand", "", thresholds=WEAK, **({"data_sha256": cand_pin} if cand_pin else {})
    )
    code, text = check(cand, "--baseline", base, "--data", data)
    assert code == 2, text
    failed = "cand.yaml" if where == "candidate" else "base.yaml"
    assert f"{failed}: data_sha256 000000000000..." in text
    assert "is not the pinned evaluation data" in text


def test_pins_that_match_judge_as_usual(tmp_path: Path, data: Path) -> None:
    real = f"data_sha256: '{hashlib.sha256(data.read_bytes()).hexdigest()}'"
    base = strategy(tmp_path, "base", REVIEW_LOAD, data_sha256=real)
    cand = strategy(tmp_path, "cand", "", thresholds=WEAK, data_sha256=real)
    assert check(cand, "--baseline", base, "--data", data)[0] == 1
    # simulate and report with a baseline hold its pin too
    wrong = strategy(tmp_path, "wrong", REVIEW_LOAD, data_sha256="data_sha256: '" + "1" * 64 + "'")
    result = runner.invoke(
        app, ["simulate", str(cand), "--baseline", str(wrong), "--data", str(data)]
    )
    assert result.exit_code == 2 and "wrong.yaml: data_sha256" in " ".join(result.output.split())


def test_the_api_fails_a_baseline_guardrail_it_cannot_measure_the_baselines_way(
    tmp_path: Path, data: Path
) -> None:
    from riskctl import api

    base = strategy(tmp_path, "base", REVIEW_LOAD)
    cand = strategy(tmp_path, "cand", "", thresholds=WEAK, reviews="reviews: []")
    run = api.simulate(cand, data, baseline=base)
    (unmeasured,) = api.check(run)
    assert not unmeasured.passed and unmeasured.source == "baseline"
    assert "cannot be checked here" in unmeasured.message
    measured = api.simulate(cand, data, baseline=base, measure_as_baseline=True)
    (judged,) = api.check(run, measured=measured)
    assert not judged.passed and judged.value == pytest.approx(93.0, abs=1)
    # a report with a baseline measures the same way (and runs)
    out = tmp_path / "r.md"
    result = runner.invoke(
        app,
        ["report", str(cand), "--baseline", str(base), "--data", str(data), "--out", str(out),
         "--format", "md"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
