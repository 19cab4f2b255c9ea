"""The bad-input catalogue: every case in `cases/bad_inputs.yaml` must give its exit code and
one line (no traceback) containing its words, leave its inputs byte for byte as they were,
leave the output path as it was (absent, or its old content), and leave no temporary file.

To add a case, add an entry to a YAML file under `cases/` (one file per area): `command` is
the riskctl command line, where `{name}` is a file made by the input maker `name` (see
`bad_input_makers.py`; more makers may live in `bad_input_makers_<area>.py`), `{out}` a
path in an empty folder (`out:` names the file, default out.parquet), `{missing}` a path
under a folder that does not exist. Optional: `env` (variables, placeholders allowed),
`out_exists: true` (the output exists before, and must keep its content), `root: false`
(skip when running as root, e.g. permission cases). Makers see the whole entry as
`inputs.case`, so an area may give its makers more keys (e.g. `sql` in `cases/sql.yaml`).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from riskctl.cli.app import app

sys.path.insert(0, str(Path(__file__).parent))
from bad_input_makers import MAKERS, Inputs  # noqa: E402

# every YAML file under cases/ is part of the catalogue (one file per area); every
# `bad_input_makers*.py` module beside this one registers makers
CASES: list[dict[str, Any]] = [
    case
    for path in sorted((Path(__file__).parent / "cases").glob("*.yaml"))
    for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []
]
for _module in sorted(Path(__file__).parent.glob("bad_input_makers_*.py")):
    importlib.import_module(_module.stem)
OLD_OUTPUT = b"the output that was here before\n"


def snapshot(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


class Placeholders(dict):
    def __init__(self, inputs: Inputs, extra: dict[str, str]) -> None:
        super().__init__(extra)
        self.inputs = inputs

    def __missing__(self, key: str) -> str:
        value = str(MAKERS[key](self.inputs))
        self[key] = value
        return value


def test_the_catalogue_is_large_and_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 80 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(
    case: dict[str, Any],
    tmp_path: Path,
    history_path: Path,
    scored_path: Path,
    detector,
    example_strategies: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if case.get("root") is False and os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    inputs = Inputs(tmp_path / "in", history_path, scored_path, detector.path, example_strategies)
    inputs.case = case
    inputs.dir.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / case.get("out", "out.parquet")
    if case.get("out_exists"):
        out.write_bytes(OLD_OUTPUT)
    values = Placeholders(inputs, {"out": str(out), "missing": str(tmp_path / "nope" / "x")})
    args = shlex.split(case["command"].format_map(values))
    for key, value in (case.get("env") or {}).items():
        monkeypatch.setenv(key, str(value).format_map(values))
    before = snapshot(inputs.dir)
    result = CliRunner().invoke(app, args)

    assert result.exit_code == case["exit"], result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    ), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    # validate lists findings as `file:line: error: ...`; everything else says `error: ...`
    assert lines[0].startswith("error: ") or ": error: " in lines[0], result.output
    for word in case["words"]:
        assert word.format_map(values) in lines[0], lines[0]
    assert snapshot(inputs.dir) == before, "an input changed"
    if case.get("out_exists"):
        assert out.read_bytes() == OLD_OUTPUT
    else:
        assert not out.exists(), "an output was written"
    assert not (tmp_path / "nope").exists()
    leftovers = [p for p in tmp_path.rglob(".*") if ".tmp" in p.name or ".parts-" in p.name]
    assert leftovers == []
    assert not (inputs.dir / "pwned").exists()
