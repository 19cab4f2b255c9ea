"""What a plain `pip install riskctl` brings: the requirement closure read from the installed
packages' own metadata, markers evaluated for this machine, no extras."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(requirements: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = _name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [Requirement(r) for r in requires(req.name) or []]
        except PackageNotFoundError:
            continue  # an optional dependency's own optional dependency
    return seen


def test_a_plain_install_brings_neither_pandas_nor_scikit_learn_nor_shap() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = closure(project["dependencies"])
    assert {"polars", "xgboost-cpu", "numba"} <= needed | {"xgboost"}
    assert not needed & {"pandas", "scikit-learn", "shap"}, sorted(needed)


def test_each_dependency_is_listed_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [_name(Requirement(r).name) for r in project["dependencies"]]
    assert len(names) == len(set(names)), names
