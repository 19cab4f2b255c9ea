"""Bad input: one line with the cause and the fix, exit 2, no traceback, no output file."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def test_missing_data_file(tmp_path: Path, example_strategies: Path) -> None:
    result = invoke(
        "simulate", example_strategies / "candidate.yaml", "--data", tmp_path / "nope.parquet"
    )
    assert_clean_error(result, "nope.parquet: no such file", "riskctl data generate")


def test_label_column_that_does_not_exist(tmp_path: Path, history_path: Path) -> None:
    out = tmp_path / "det"
    result = invoke("train", history_path, "--label", "is_bd", "--out", out)
    assert_clean_error(result, "no label column 'is_bd'", "did you mean `is_bad`?")
    assert not out.exists()


def test_rule_naming_an_unknown_column(tmp_path: Path, scored_path: Path, write_strategy) -> None:
    path = write_strategy("""name: s
actions: [review, allow]
rules:
  - name: new_acct
    when: "acount_age < 7"
    action: review
label: is_bad
""")
    out = tmp_path / "sim"
    result = invoke("simulate", path, "--data", scored_path, "--out", out)
    assert_clean_error(
        result,
        f"{path}:5: rule 'new_acct': when: unknown column 'acount_age'",
        "did you mean `account_age_days`?",
    )
    assert not out.exists()


def test_report_leaves_no_half_written_file(
    tmp_path: Path, scored_path: Path, write_strategy
) -> None:
    path = write_strategy(
        "name: s\nactions: [review, allow]\nthresholds:\n  review: {score: 0.8}\n"
    )  # no label anywhere
    out = tmp_path / "r.html"
    result = invoke("report", path, "--data", scored_path, "--out", out)
    assert_clean_error(result, "no label column", "--label")
    assert list(tmp_path.glob("*.html*")) == []


def test_detector_that_is_not_one(tmp_path: Path, history_path: Path) -> None:
    result = invoke("score", tmp_path, history_path, "--out", tmp_path / "s.parquet")
    assert_clean_error(result, "not a detector directory", "riskctl train")


def test_too_few_rows_for_the_demo(tmp_path: Path) -> None:
    result = invoke("demo", "--out", tmp_path / "d", "--rows", "50")
    assert_clean_error(result, "--rows must be at least 2000")


@pytest.mark.parametrize(
    "command",
    [
        "demo",
        "data generate",
        "train",
        "score",
        "explain",
        "validate",
        "simulate",
        "check",
        "report",
        "sweep",
        "tune",
        "diff",
    ],
)
def test_every_command_has_an_example_in_help(command: str) -> None:
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_a_cut_list_of_names_says_how_many_more() -> None:
    from riskctl.errors import name_list

    assert name_list(["a", "b"]) == "a, b"
    names = [f"c{i}" for i in range(20)]
    assert name_list(names).endswith("c11, ... (8 more)")
    assert name_list(names, limit=20) == ", ".join(names)
