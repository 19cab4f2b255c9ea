"""On the cluster, duplicate rows are counted over all parts and each set of copies stays in
one slice, with the row digest one machine uses."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.synth.generate import generate_history


@pytest.mark.parametrize("split", ["random", "time"])
def test_copies_in_other_parts_are_counted_and_do_not_inflate_the_auc(
    split, address, tmp_path
) -> None:
    one = generate_history(rows=6_000, seed=2)
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    one.write_parquet(tmp_path / "one" / "part-0.parquet")
    for i in range(3):  # each part a full copy: every row has copies in the other parts
        one.write_parquet(tmp_path / "three" / f"part-{i}.parquet")
    aucs, dups = [], []
    for name in ("one", "three"):
        out = tmp_path / f"det-{name}"
        args = ["train", tmp_path / name, "--label", "is_bad", "--exclude", "attack"]
        args += ["--split", split, "--time", "event_time", "--rounds", "60", "--out", out]
        result = CliRunner().invoke(app, [str(a) for a in [*args, "--scheduler", address]])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        aucs.append(manifest["metrics"]["roc_auc"])
        dups.append(manifest["split"]["duplicate_rows"])
    assert dups == [0, 12_000]
    if split == "random":  # a time split kept copies (same time) together before, too
        assert abs(aucs[1] - aucs[0]) < 0.015, aucs
    assert "12,000 rows repeat an earlier row" in result.output
