"""validate's warnings: thresholds outside [0, 1], dead bands, conditions that divide."""

from pathlib import Path

from riskctl.gate.lint import lint
from riskctl.gate.validate import validate_paths
from riskctl.strategy.load import load_strategy

HEAD = "name: s\nactions: [block, review, allow]\nlabel: is_bad\n"


def warnings(write_strategy, body: str) -> list[tuple[int | None, str]]:
    return lint(load_strategy(write_strategy(HEAD + body)))


def test_milder_threshold_above_a_severe_one_is_fine(write_strategy) -> None:
    assert (
        warnings(write_strategy, "thresholds:\n  block: {score: 0.9}\n  review: {score: 0.5}\n")
        == []
    )


def test_severe_threshold_at_or_below_a_milder_one_is_a_dead_band(write_strategy) -> None:
    for block in ("0.3", "0.5"):
        found = warnings(
            write_strategy, f"thresholds:\n  block: {{score: {block}}}\n  review: {{score: 0.5}}\n"
        )
        assert len(found) == 1
        line, message = found[0]
        assert line == 6 and "review threshold 0.5 on 'score' never decides" in message


def test_segment_override_makes_a_dead_band(write_strategy) -> None:
    found = warnings(
        write_strategy,
        "thresholds:\n  block: {score: 0.9}\n  review: {score: 0.5}\nsegments:\n"
        '  - name: new\n    when: "account_age_days < 7"\n    thresholds:\n'
        "      block: {score: 0.2}\n",
    )
    assert [m for _, m in found] == [
        "segment 'new': review threshold 0.5 on 'score' never decides: the more severe block "
        "threshold is 0.2, so every row that reaches 0.5 gets block"
    ]


def test_thresholds_outside_zero_one(write_strategy) -> None:
    found = warnings(
        write_strategy, "thresholds:\n  block: {score: 1.5}\n  review: {score: -0.1}\n"
    )
    text = " ".join(m for _, m in found)
    assert "block threshold 1.5" in text and "no score reaches it" in text
    assert "review threshold -0.1" in text and "every row reaches it" in text


def test_division_warns_and_validate_still_passes(write_strategy, scored_path: Path) -> None:
    path = write_strategy(
        HEAD + 'rules:\n  - name: ratio\n    when: "amount / account_age_days > 50"\n'
        "    action: review\n"
    )
    findings = validate_paths([path], data=scored_path)
    assert [f.level for f in findings] == ["warning"]
    assert findings[0].line == 6 and "rule 'ratio': the condition divides" in findings[0].message


def test_git_reads_leave_no_temporary_folder(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    from riskctl.gate.diff import read_strategy

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    loaded = read_strategy("git:HEAD:strategies/candidate.yaml")
    assert loaded.name == "checkout-candidate"
    assert list(tmp_path.iterdir()) == []
