"""Writing a tuned strategy changes only the lines whose values moved, in any list style."""

from pathlib import Path

import pytest

from riskctl.strategy.load import load_strategy
from riskctl.strategy.write import set_segment_thresholds, set_thresholds

BODY = """# checkout strategy
name: s
actions:
{dash}block   # most severe
{dash}review
{dash}allow
thresholds:
  block: {{score: 0.95}}
  review: {{score: 0.7}}
rules:
{dash}name: r1
{pad}when: "x > 2.5"   # comment kept where it is
{pad}action: review
label: is_bad
"""


@pytest.mark.parametrize("dash", ["- ", "  - ", "    - "])
def test_only_the_changed_line_moves(tmp_path: Path, dash: str) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(BODY.format(dash=dash, pad=" " * len(dash)))
    out = set_thresholds(source, tmp_path / "t.yaml", [("review", "score", 0.71759)])
    before, after = source.read_text().splitlines(), out.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("  review: {score: 0.7}", "  review: {score: 0.71759}")]


def test_new_segments_follow_the_file_style(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(BODY.format(dash="- ", pad="  "))
    new = [("region_eu", "region = 'eu'", 0.5)]
    out = set_segment_thresholds(source, tmp_path / "t.yaml", "review", "score", {}, new)
    text = out.read_text()
    assert text.startswith(source.read_text().rstrip("\n").split("label:")[0])
    assert "segments:\n- name: region_eu\n  when: region = 'eu'\n" in text
    assert load_strategy(out).strategy.segments[0].thresholds == {"review": {"score": 0.5}}
