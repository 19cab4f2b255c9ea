"""riskctl: explainable risk strategies for e-commerce risk-control teams.

The notebook API (`riskctl.load_strategy`, `riskctl.simulate`, `riskctl.check`,
`riskctl.sweep`, `riskctl.tune`, `riskctl.train`, `riskctl.load_detector`, `riskctl.score`,
`riskctl.explain_table`, `riskctl.write_report`) lives in `riskctl.api`; it is loaded on
first use so that the command line starts without importing polars or XGBoost.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

# before anything can load XGBoost: its OpenMP runtime reads the environment once
from riskctl import runtime as _runtime  # noqa: F401  (isort: skip)

try:
    __version__ = version("riskctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

API = (
    "check",
    "explain_table",
    "load_detector",
    "load_strategy",
    "score",
    "simulate",
    "sweep",
    "train",
    "tune",
    "write_report",
)
__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name in API:
        from riskctl import api

        return getattr(api, name)
    raise AttributeError(f"module 'riskctl' has no attribute {name!r}")
