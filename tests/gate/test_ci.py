"""Strategy changes gated in CI: diff, check outputs, pinning, the example workflow."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.gate.diff import diff_strategies, read_strategy
from riskctl.gate.validate import NOT_CHECKED, validate_paths
from riskctl.strategy.load import load_strategy

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def invoke(*args):
    from riskctl.cli.app import app

    return runner.invoke(app, [str(a) for a in args])


def test_semantic_diff_of_the_example_strategies(example_strategies: Path) -> None:
    changes = diff_strategies(
        load_strategy(example_strategies / "baseline.yaml"),
        load_strategy(example_strategies / "candidate.yaml"),
    )
    text = [str(c) for c in changes]
    assert (
        "segment new_accounts: added (when: account_age_days < 7, position: 1 of 1, "
        "thresholds: review:score: 0.1)" in text
    )
    assert "segment threshold new_accounts review:score: added (0.1)" in text
    assert (
        "rule promo_farm: added (when: promo_used AND account_age_days < 1 AND "
        "accounts_per_device_7d >= 3, action: block, mode: active, enabled: True, "
        "reason: R102)" in text
    )
    assert (
        "rule gift_card_burst.when: category = 'gift_cards' AND buyer_orders_24h >= 2 -> "
        "category = 'gift_cards' AND buyer_orders_24h >= 3" in text
    )
    assert "guardrail relative.max_catch_rate_drop: added (0.01)" in text
    assert "setting name: checkout-baseline -> checkout-candidate" in text
    assert not [c for c in changes if c.kind == "threshold"]  # 0.9 / 0.5 on both sides


def _git_repo(tmp_path: Path, example_strategies: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "strategies").mkdir(parents=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)

    git("init", "-q", "-b", "main")
    for name in ("baseline.yaml", "reason_codes.yaml"):
        shutil.copy(example_strategies / name, repo / "strategies" / name)
    shutil.copy(example_strategies / "baseline.yaml", repo / "strategies" / "checkout.yaml")
    git("add", ".")
    git("commit", "-q", "-m", "baseline")
    shutil.copy(example_strategies / "candidate.yaml", repo / "strategies" / "checkout.yaml")
    git("commit", "-q", "-am", "candidate")
    return repo


def test_diff_reads_git_refs(tmp_path: Path, example_strategies: Path) -> None:
    repo = _git_repo(tmp_path, example_strategies)
    old = read_strategy("git:HEAD~1:strategies/checkout.yaml", repo)
    assert old.strategy.name == "checkout-baseline"
    assert str(old.path) == "HEAD~1:strategies/checkout.yaml"
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        result = invoke(
            "diff",
            "git:HEAD~1:strategies/checkout.yaml",
            "strategies/checkout.yaml",
            "--format",
            "markdown",
        )
        bad = invoke("diff", "git:nope:strategies/checkout.yaml", "strategies/checkout.yaml")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "| rule | `promo_farm` | added |" in result.stdout
    assert bad.exit_code == 2 and "git:nope:strategies/checkout.yaml" in bad.output


def test_check_writes_junit_markdown_and_the_step_summary(
    tmp_path: Path, scored_path: Path, example_strategies: Path, monkeypatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    result = invoke(
        "check",
        example_strategies / "candidate.yaml",
        "--baseline",
        example_strategies / "baseline.yaml",
        "--data",
        scored_path,
        "--junit",
        junit,
        "--markdown",
        md,
    )
    cases = ET.parse(junit).getroot().findall(".//testcase")
    failures = ET.parse(junit).getroot().findall(".//failure")
    assert len(cases) == 5
    assert result.exit_code == (1 if failures else 0)
    text = md.read_text()
    assert text.startswith("### `checkout-candidate` vs `checkout-baseline`")
    assert "| G001 | max_false_positive_rate |" in text and "| swap-in |" in text
    assert summary.read_text() == "earlier step\n" + text


def test_intervals_by_default_points_with_strict(tmp_path: Path, scored_path: Path) -> None:
    from riskctl.simulation.simulate import run_simulation

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n"
    )
    point = run_simulation(path, scored_path).candidate.metrics.catch_rate
    # a limit between the point estimate and the interval's upper end
    limit = (point.value + point.high) / 2
    path.write_text(path.read_text() + f"guardrails:\n  min_catch_rate: {limit}\n")
    lenient = invoke("check", path, "--data", scored_path, "--json")
    strict = invoke("check", path, "--data", scored_path, "--json", "--strict")
    assert lenient.exit_code == 0, lenient.output
    assert strict.exit_code == 1
    (rail,) = json.loads(lenient.stdout)["guardrails"]
    assert rail["basis"] == "interval" and "may be noise" in rail["message"]
    assert json.loads(strict.stdout)["guardrails"][0]["basis"] == "point"


def test_data_pinning_fails_loudly(
    tmp_path: Path, scored_path: Path, example_strategies: Path
) -> None:
    result = invoke(
        "check",
        example_strategies / "candidate.yaml",
        "--data",
        scored_path,
        "--data-sha256",
        "0" * 64,
    )
    assert result.exit_code == 2
    assert "is not the pinned evaluation data (--data-sha256 000000000000...)" in result.output
    pinned = tmp_path / "p.yaml"
    pinned.write_text(
        (example_strategies / "candidate.yaml").read_text() + f"data_sha256: {'a' * 64}\n"
    )
    assert invoke("simulate", pinned, "--data", scored_path).exit_code == 2


def test_validate_github_annotations(tmp_path: Path, example_strategies: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: s\nactions: [review, allow]\nrules:\n  - name: r\n"
        '    when: "amount >"\n    action: review\n'
    )
    result = invoke("validate", bad, "--format", "github")
    assert result.exit_code == 2
    assert result.stdout.startswith(
        f"::error file={bad},line=5::rule 'r': when: condition does not parse as SQL"
    )
    many = []
    for i in range(50):
        path = tmp_path / f"s{i}.yaml"
        shutil.copy(example_strategies / "candidate.yaml", path)
        many.append(path)
    # speed lives in benchmarks/ (`validate` case), never in a wall-clock assertion here
    found = validate_paths(many, reasons=example_strategies / "reason_codes.yaml")
    # without --data nothing is wrong; each file's note says its columns were not checked
    assert [f for f in found if not f.message.startswith(NOT_CHECKED)] == []
    assert len(found) == len(many) and all(f.level == "note" for f in found)


@pytest.mark.slow
def test_the_ci_example_on_a_repository_with_two_commits(
    tmp_path: Path, scored_path: Path, example_strategies: Path
) -> None:
    repo = _git_repo(tmp_path, example_strategies)
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["sh", str(ROOT / "examples" / "ci" / "check-changed.sh"), "HEAD~1", str(scored_path)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert (repo / "reports" / "checkout.xml").is_file()
    assert (repo / "reports" / "checkout.md").read_text().startswith("### `checkout-candidate`")
    text = summary.read_text()
    assert "### Strategy diff: `HEAD~1:strategies/checkout.yaml`" in text
    assert "riskctl check:" in text
    assert not list((repo / "strategies").glob(".baseline-*"))


def test_pre_commit_hook_runs_riskctl_validate() -> None:
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    # pre-commit reads the hook from the repository root; examples/ci carries the same file
    assert (ROOT / "examples" / "ci" / ".pre-commit-hooks.yaml").read_text() == (
        ROOT / ".pre-commit-hooks.yaml"
    ).read_text()
    assert hook["id"] == "riskctl-validate" and hook["entry"] == "riskctl validate"
    example = yaml.safe_load((ROOT / "examples" / "ci" / "pre-commit-config.yaml").read_text())
    assert example["repos"][0]["hooks"][0]["id"] == hook["id"]
    workflow = (ROOT / "examples" / "ci" / "strategy-check.yml").read_text()
    assert "examples/ci/check-changed.sh" in workflow


def test_junit_stays_well_formed_whatever_the_strategy_name(
    tmp_path: Path, scored_path: Path, example_strategies: Path
) -> None:
    """Strategy files come from pull requests: XML in a name must not make the CI's JUnit
    reader lose every verdict, and a control character in it is refused before anything
    runs (it is no part of a name a reviewer can read)."""
    text = (example_strategies / "candidate.yaml").read_text()
    name = next(line for line in text.splitlines() if line.startswith("name:"))
    strategy = tmp_path / "s.yaml"
    strategy.write_text(text.replace(name, 'name: "a<b & \\"c\\" ]]>"'))
    junit = tmp_path / "r.xml"
    invoke("check", strategy, "--data", scored_path, "--junit", junit)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == 'riskctl check a<b & "c" ]]>'
    strategy.write_text(text.replace(name, 'name: "a \\u0001 \\u001f"'))
    refused = invoke("check", strategy, "--data", scored_path, "--junit", tmp_path / "x.xml")
    assert refused.exit_code == 2 and "U+0001" in refused.output, refused.output
    assert not (tmp_path / "x.xml").exists()


def test_one_lost_bad_row_may_be_noise(tmp_path: Path) -> None:
    """One bad row, caught by the baseline and not by the candidate: a 100 pp drop whose
    interval reaches past the limit, so the guardrail holds and says why."""
    base, cand, data = tmp_path / "base.yaml", tmp_path / "cand.yaml", tmp_path / "d.csv"
    base.write_text(
        "name: base\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n"
    )
    cand.write_text(
        "name: cand\nactions: [review, allow]\nthresholds:\n  review: {score: 0.95}\n"
        "label: is_bad\nguardrails:\n  relative:\n    max_catch_rate_drop: 0.5\n"
    )
    data.write_text("score,is_bad\n0.9,1\n0.1,0\n0.1,0\n")
    text = invoke("check", cand, "--baseline", base, "--data", data)
    assert text.exit_code == 0, text.output
    words = " ".join(text.stdout.split())  # the table wraps long messages
    assert "G101 holds" in words and "includes the limit, so it may be noise" in words
    result = invoke("check", cand, "--baseline", base, "--data", data, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    low, high = out["delta"]["intervals"]["catch_rate"]
    assert out["delta"]["metrics"]["catch_rate"] == -1.0
    assert low == -1.0 and high == pytest.approx(0.1221, abs=1e-4)
    (rail,) = out["guardrails"]
    assert rail["basis"] == "interval" and "may be noise" in rail["message"]
