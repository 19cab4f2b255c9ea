"""riskctl: explainable risk strategies for e-commerce risk-control teams.

The notebook API (`riskctl.load_strategy`, `riskctl.simulate`, `riskctl.check`,
`riskctl.sweep`, `riskctl.tune`, `riskctl.train`, `riskctl.load_detector`, `riskctl.score`,
`riskctl.explain_table`, `riskctl.write_report`) lives in `riskctl.api`; it is loaded on
first use so that the command line starts without importing polars or XGBoost.
"""

from typing import Any

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


def _version() -> str:
    """The installed version, read from package metadata on first use (reading it costs
    more than the rest of this module, and most commands never ask)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("riskctl")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _version()
        return found
    if name in API:
        from riskctl import api

        return getattr(api, name)
    raise AttributeError(f"module 'riskctl' has no attribute {name!r}")
