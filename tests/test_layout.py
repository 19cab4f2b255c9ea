"""The layout rules of docs/contributing.md, enforced: layers and cycles by import-linter (the
contracts live in pyproject.toml), the library never prints, modules and functions stay
small, the code is formatted and linted, and no test asserts wall-clock time."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


@pytest.fixture(scope="module")
def root(request: pytest.FixtureRequest) -> Path:
    return request.config.rootpath


def library_modules(root: Path) -> list[Path]:
    package = root / "riskctl"
    return sorted(p for p in package.rglob("*.py") if "cli" not in p.relative_to(package).parts)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"{name} is not installed (it comes with the test extras)")
    return found


def test_import_contracts_hold(root: Path) -> None:
    """Dependencies point downward, only riskctl.cli imports typer or rich, no cycles."""
    result = subprocess.run(
        [_tool("lint-imports")], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    # every contract in pyproject was run and kept (a contract lint-imports skipped or could
    # not read would not break the exit code)
    contracts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
    counts = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    assert counts, result.stdout[-3000:]
    assert (int(counts[1]), int(counts[2])) == (len(contracts), 0)


def test_the_library_never_prints(root: Path) -> None:
    offenders = []
    for path in library_modules(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, "the library never prints: " + ", ".join(offenders)


def test_modules_and_functions_stay_small(root: Path) -> None:
    too_long = []
    for path in library_modules(root):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(root)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(root)}:{node.lineno} {node.name} {length}")
    assert not too_long, "split these: " + "; ".join(too_long)


def test_no_wall_clock_assertions_in_tests(root: Path) -> None:
    """Timing belongs in benchmarks/: a loaded CI machine fails a `< 1 s` assertion."""
    pattern = re.compile(r"assert[^\n]*(perf_counter|time\.time|monotonic)\(")
    hits = [
        str(p.relative_to(root))
        for p in (root / "tests").rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert not hits, hits


def test_ruff_is_clean(root: Path) -> None:
    targets = [d for d in ("riskctl", "tests", "benchmarks") if (root / d).is_dir()]
    ruff = _tool("ruff")
    lint = subprocess.run([ruff, "check", *targets], cwd=root, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [ruff, "format", "--check", *targets], cwd=root, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout


@pytest.mark.slow
def test_mypy_is_clean(root: Path) -> None:
    result = subprocess.run([_tool("mypy")], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def class_names(root: Path) -> dict[str, list[str]]:
    """Every class defined in riskctl/ (at any depth), by name: where each is defined."""
    where: dict[str, list[str]] = {}
    for path in sorted((root / "riskctl").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return where


def test_class_names_are_unique(root: Path) -> None:
    """One name, one thing: a reader who meets a class name knows which class it is."""
    shared = {name: places for name, places in class_names(root).items() if len(places) > 1}
    assert not shared, "rename one of each: " + "; ".join(
        f"{name} at {', '.join(places)}" for name, places in sorted(shared.items())
    )


def test_class_name_check_sees_a_collision(root: Path, tmp_path: Path) -> None:
    (tmp_path / "riskctl" / "a").mkdir(parents=True)
    (tmp_path / "riskctl" / "a" / "x.py").write_text("class Rows:\n    pass\n")
    (tmp_path / "riskctl" / "y.py").write_text("def f():\n    class Rows:\n        pass\n")
    assert class_names(tmp_path)["Rows"] == ["riskctl/a/x.py:1", "riskctl/y.py:2"]
