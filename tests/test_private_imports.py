"""No package of riskctl imports another package's private names or private modules (`_x`):
what one package offers another is public. Inside a package, private names are shared
freely; a public name may be bound to a private local (`import load_detector as _load`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _package(module: str) -> str:
    """The package of riskctl a module belongs to (`riskctl.api` for a top-level module)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_imports(path: Path, root: Path) -> list[str]:
    """`file:line: name` for each private name or module of another package `path` (under
    `root`, the folder holding riskctl/) imports."""
    module = module_name(path, root)
    mine = _package(module)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[list[str]] = []
        if isinstance(node, ast.Import):
            targets = [a.name.split(".") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, path.name == "__init__.py").split(".")
            targets = [[*source, a.name] for a in node.names]
        for parts in targets:
            if parts[0] != "riskctl" or len(parts) < 2 or _package(".".join(parts)) == mine:
                continue
            if any(_private(p) for p in parts[1:]):
                where = path.relative_to(root)
                found.append(f"{where}:{node.lineno}: {'.'.join(parts)}")
    return found


def test_no_package_imports_another_packages_private_names(
    request: pytest.FixtureRequest,
) -> None:
    root = request.config.rootpath
    modules = sorted((root / "riskctl").rglob("*.py"))
    found = [hit for p in modules for hit in private_imports(p, root)]
    assert not found, "private names imported from another package:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source,bad",
    [
        ("from riskctl.model.train import _params\n", True),
        ("from riskctl.features._kernels import add_ring\n", True),
        ("import riskctl.features._kernels\n", True),
        ("def f():\n    from riskctl.simulation import _cells\n", True),
        ("from ..model.train import _params\n", True),
        ("from riskctl.tuning._x import y\n", False),  # the same package
        ("from . import _helpers\n", False),
        ("from riskctl.model.detector import load_detector as _load\n", False),
        ("from riskctl import __version__\n", False),
    ],
)
def test_the_check_finds_private_imports(tmp_path: Path, source: str, bad: bool) -> None:
    package = tmp_path / "riskctl"
    (package / "tuning").mkdir(parents=True)
    module = package / "tuning" / "sweep.py"
    module.write_text(source, encoding="utf-8")
    found = private_imports(module, tmp_path)
    assert bool(found) == bad, found
    if bad:
        assert found[0].startswith("riskctl/tuning/sweep.py:")
