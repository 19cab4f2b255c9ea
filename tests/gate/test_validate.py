from pathlib import Path

from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.gate.validate import NOT_CHECKED, validate_paths

runner = CliRunner()


def test_shipped_strategies_and_catalogue_are_valid(example_strategies: Path, detector) -> None:
    paths = [
        example_strategies / n for n in ("baseline.yaml", "candidate.yaml", "reason_codes.yaml")
    ]
    found = validate_paths(paths, detector=detector.path)
    # only the detector's manifest was read: each strategy's note says so
    unchecked = [f for f in found if f.message.startswith(NOT_CHECKED)]
    assert len(unchecked) == 2 and all("pass --data" in f.message for f in unchecked)
    findings = [f for f in found if f not in unchecked]
    assert [f.level for f in findings] == ["note"]
    assert findings[0].message == (
        "no entry for features country, seller_refund_rate_30d (generated text is used)"
    )


def test_columns_checked_against_the_detector_without_data(tmp_path: Path, detector) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [review, allow]\nrules:\n  - name: r\n"
        '    when: "acounts_per_device_7d > 3"\n    action: review\n'
    )
    (finding,) = validate_paths([path], detector=detector.path)
    assert str(finding) == (
        f"{path}:5: error: rule 'r': when: unknown column "
        "'acounts_per_device_7d' (did you mean `accounts_per_device_7d`?)"
    )


def test_sql_is_parsed_even_without_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [review, allow]\nrules:\n  - name: r\n"
        '    when: "amount >"\n    action: review\n'
    )
    (finding,) = validate_paths([path])
    assert finding.line == 5 and "does not parse as SQL" in finding.message


def test_rule_reason_codes_must_be_in_the_catalogue(
    tmp_path: Path, example_strategies: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [review, allow]\nrules:\n  - name: r\n"
        '    when: "amount > 3"\n    action: review\n    reason: R999\n'
    )
    found = validate_paths([path], reasons=example_strategies / "reason_codes.yaml")
    (finding,) = [f for f in found if not f.message.startswith(NOT_CHECKED)]
    assert (
        str(finding) == f"{path}:7: error: rule 'r': reason: reason code 'R999' is not in "
        "the catalogue"
    )


def test_cli_exit_codes(tmp_path: Path, example_strategies: Path, scored_path: Path) -> None:
    good = runner.invoke(
        app, ["validate", str(example_strategies / "candidate.yaml"), "--data", str(scored_path)]
    )
    assert good.exit_code == 0, good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("name: s\nactions: [review, allow]\ntreshold: {}\n")
    bad = runner.invoke(app, ["validate", str(bad_file), "--json"])
    assert bad.exit_code == 2
    assert '"valid": false' in bad.stdout and "did you mean `thresholds`?" in bad.stdout
