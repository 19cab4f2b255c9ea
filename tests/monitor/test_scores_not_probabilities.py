"""Label-free estimates read a score as a probability: a score outside [0, 1] gives none,
anywhere (JSON, text, Markdown, HTML), and one warning saying why."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app

runner = CliRunner()

STRATEGY = """\
name: nightly
actions: [block, review, allow]
thresholds:
  block: {score: 0.9}
  review: {score: 0.3}
label: is_bad
time: event_time
"""
WARNING = "not a probability, so no label-free estimates"


def _monitor(tmp_path: Path, scores: Path, *extra: object) -> tuple[dict, str, str]:
    md, html = tmp_path / "m.md", tmp_path / "m.html"
    args = ["monitor", "--current", scores, "--every", "7d", "--time", "event_time"]
    args += ["--label", "is_bad", "--json", "--markdown", md, "--report", html, *extra]
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), md.read_text(), html.read_text()


@pytest.mark.parametrize(
    "transform",
    [lambda s: s * 2 - 1, lambda s: s * 100, lambda s: s + 0.5, lambda s: -s],
    ids=["minus_one_to_one", "times_100", "above_one", "negative"],
)
@pytest.mark.parametrize("with_strategy", [False, True], ids=["scores", "strategy"])
def test_scores_outside_0_1_give_no_estimates_and_one_warning(
    tmp_path: Path, scored_path: Path, transform, with_strategy: bool
) -> None:
    path = tmp_path / "s.parquet"
    pl.read_parquet(scored_path).with_columns(transform(pl.col("score"))).write_parquet(path)
    extra: list[object] = []
    if with_strategy:
        (tmp_path / "s.yaml").write_text(STRATEGY, encoding="utf-8")
        extra = ["--strategy", tmp_path / "s.yaml"]
    out, md, html = _monitor(tmp_path, path, *extra)
    assert [w for w in out["warnings"] if WARNING in w] == [
        f"'score' has values outside [0, 1]: {WARNING}"
    ]
    assert out["estimates"] is None
    assert out["series"] and all(p["expected_bad_rate"] is None for p in out["series"])
    assert all(p["mean_score"] is not None for p in out["series"])
    for text in (md, html):
        assert WARNING in text
        assert "expected precision" not in text.lower()


def test_probabilities_keep_their_estimates(tmp_path: Path, scored_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(STRATEGY, encoding="utf-8")
    out, md, _ = _monitor(tmp_path, scored_path, "--strategy", tmp_path / "s.yaml")
    assert not any(WARNING in w for w in out["warnings"])
    assert out["estimates"] is not None
    rates = [p["expected_bad_rate"] for p in out["series"]]
    assert rates and all(r == p["mean_score"] for r, p in zip(rates, out["series"], strict=True))
    assert all(0 <= r <= 1 for r in rates)
    assert "expected precision" in md.lower()
