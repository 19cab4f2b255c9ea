"""A partitioned --out on a real cluster replaces only riskctl's own output of the same kind:
never an input, a folder holding one, a user's folder, nor another kind of output. Each
refusal is one line, exit 2, with everything left as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.output import OUTPUT_MARKER, output_kind
from riskctl.distributed.parts import PartitionedOutput, partitions
from riskctl.errors import UsageError

runner = CliRunner()
SPEC = 'time: event_time\nfeatures:\n  - name: amount_doubled\n    expr: "amount * 2"\n'


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(folder.rglob("*"))
    }


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def det(tmp_path: Path, workdir: Path, detector) -> Path:
    return Path(shutil.copytree(workdir / "detector", tmp_path / "detector"))


def test_a_score_output_is_marked_and_replaced_by_the_next_run(
    det, small_history_parts, address, tmp_path
):
    out = tmp_path / "scored"
    for _ in range(2):  # the second run replaces the first one's output
        result = invoke(
            "score", det, small_history_parts, "--out", out, "-q", "--scheduler", address
        )
        assert result.exit_code == 0, result.output
        assert output_kind(out) == "score"
        names = sorted(p.name for p in out.iterdir())
        assert names == [
            OUTPUT_MARKER,
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet",
        ]
    # read back as a dataset, the marker is no part
    assert [p.name for p in partitions(out)] == names[1:]
    assert pl.read_parquet(partitions(out)).height == 10_000


@pytest.mark.parametrize("target", ["detector", "user_folder", "parent_of_the_data", "link"])
def test_score_on_the_cluster_never_replaces_what_it_did_not_write(
    target, det, small_history_parts, address, tmp_path
):
    data = Path(shutil.copytree(small_history_parts, tmp_path / "in" / "parts"))
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep\n")
    link = tmp_path / "link"
    link.symlink_to(det, target_is_directory=True)
    out = {
        "detector": det,
        "user_folder": user,
        "parent_of_the_data": tmp_path / "in",
        "link": link,
    }[target]
    before = snapshot(tmp_path)
    result = invoke("score", det, data, "--out", out, "-q", "--scheduler", address)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert line.startswith("error: ") and f"--out {out}" in line
    assert snapshot(tmp_path) == before  # nothing replaced, nothing left beside it


def test_features_on_the_cluster_refuse_the_spec_folder_and_another_kind(
    small_history_parts, address, tmp_path
):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    spec = spec_dir / "features.yaml"
    spec.write_text(SPEC)
    before = snapshot(tmp_path)
    result = invoke(
        "features", spec, "--data", small_history_parts, "--out", spec_dir, "--scheduler", address
    )
    assert result.exit_code == 2 and "holds the input" in one_line(result)
    assert snapshot(tmp_path) == before

    out = tmp_path / "derived"
    result = invoke(
        "features", spec, "--data", small_history_parts, "--out", out, "--scheduler", address
    )
    assert result.exit_code == 0, result.output
    assert output_kind(out) == "features"
    kept = snapshot(out)
    result = invoke(
        "features", spec, "--data", small_history_parts, "--out", out, "--scheduler", address
    )
    assert result.exit_code == 0, result.output  # the same kind: replaced
    marker = json.loads((out / OUTPUT_MARKER).read_text())
    assert marker == {"written_by": "riskctl", "kind": "features"}
    assert snapshot(out).keys() == kept.keys()


def test_an_output_of_another_kind_is_refused(det, small_history_parts, address, tmp_path):
    out = tmp_path / "derived"
    out.mkdir()
    (out / OUTPUT_MARKER).write_text(json.dumps({"written_by": "riskctl", "kind": "features"}))
    before = snapshot(tmp_path)
    result = invoke("score", det, small_history_parts, "--out", out, "-q", "--scheduler", address)
    assert result.exit_code == 2
    assert "holds a riskctl features output, not a score output" in one_line(result)
    assert snapshot(tmp_path) == before


def test_a_folder_that_changed_hands_during_the_run_is_not_replaced(tmp_path):
    """Checked again just before the rename: a folder made meanwhile by someone else stays."""
    source = tmp_path / "data.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(source)
    out = tmp_path / "out"
    output = PartitionedOutput(out, [source], "score")
    pl.DataFrame({"a": [1]}).write_parquet(output.part(0))
    out.mkdir()
    (out / "theirs.txt").write_text("theirs\n")
    with output, pytest.raises(UsageError, match="not a riskctl output"):
        output.commit()
    assert (out / "theirs.txt").read_text() == "theirs\n"
    assert not output.tmp.exists()
