"""Templates and example strategies ship inside the wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from riskctl.resources import strategies_dir, templates_dir


@pytest.mark.slow
def test_wheel_contains_templates_and_strategies(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = request.config.rootpath
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(root),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("riskctl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.name for p in (root / "reports" / "templates").iterdir()}
    assert {f"riskctl/_templates/{t}" for t in templates} <= names
    assert {"riskctl/_strategies/baseline.yaml", "riskctl/_strategies/candidate.yaml"} <= names


def test_installed_package_finds_its_templates() -> None:
    assert (templates_dir() / "report.html.j2").is_file()
    assert (strategies_dir() / "candidate.yaml").is_file()
