"""Files shipped with riskctl: report templates, example strategies and features spec.

In the wheel they live inside the package (`riskctl/_templates`, `riskctl/_strategies`);
in a source checkout they are the top-level `reports/templates` and `strategies` folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def _shipped(package_dir: str, source_dir: str) -> Path:
    packaged = Path(str(files("riskctl") / package_dir))
    if packaged.is_dir():
        return packaged
    return _SOURCE_ROOT / source_dir


def templates_dir() -> Path:
    return _shipped("_templates", "reports/templates")


def strategies_dir() -> Path:
    return _shipped("_strategies", "strategies")


def examples_dir() -> Path:
    """Runnable examples; the wheel ships the features spec the demo uses."""
    return _shipped("_examples", "examples")
