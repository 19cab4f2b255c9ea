"""The layout rules of CONVENTIONS.md, enforced: dependencies point downward, only the CLI
prints or imports typer, and the code passes the linters."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import riskctl

PACKAGE = Path(riskctl.__file__).parent
# package -> riskctl packages it may import (besides itself, errors, resources and runtime)
ALLOWED = {
    "data": set(),
    "model": {"data"},
    "explain": {"data", "model"},
    "strategy": {"data"},
    "evaluate": {"data", "model", "explain", "strategy"},
    "gate": {"data", "model", "explain", "strategy", "evaluate"},
    "report": {"data", "model", "explain", "strategy", "evaluate", "gate"},
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_templates" not in p.parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_point_downward(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    package = rel.parts[0] if len(rel.parts) > 1 else None
    names = imported(path)
    if package == "cli" or rel.name == "__main__.py":
        return
    assert not any(n == "typer" or n.startswith(("typer.", "rich")) for n in names), (
        "only riskctl.cli may import typer or rich"
    )
    assert not any(n.startswith("riskctl.cli") for n in names)
    calls = [
        n
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"
    ]
    assert not calls, "the library never prints"
    if package in ALLOWED:
        used = {n.split(".")[1] for n in names if n.startswith("riskctl.") and n.count(".")}
        assert used - {package, "errors", "resources", "runtime", "yamlconfig"} <= ALLOWED[package]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"{name} is not installed (it comes with the test extras)")
    return found


def test_ruff_is_clean(request: pytest.FixtureRequest) -> None:
    root = request.config.rootpath
    targets = [d for d in ("riskctl", "tests", "benchmarks") if (root / d).is_dir()]
    result = subprocess.run(
        [_tool("ruff"), "check", *targets], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_mypy_is_clean(request: pytest.FixtureRequest) -> None:
    root = request.config.rootpath
    result = subprocess.run([_tool("mypy")], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
