"""riskctl: explainable risk strategies for e-commerce risk-control teams.

The notebook API, loaded on first use so that the command line starts without importing
polars or XGBoost:

* `load_strategy`: load and validate a strategy (a YAML path, a dict or a `Strategy`);
* `simulate`: a strategy (and a baseline) applied to labelled history: metrics with 95%
  intervals, rule table, paired changes, swap set;
* `check`: the guardrails judged on a simulation;
* `sweep`: exact trade-off curves of a score; `tune`: the threshold that meets a target;
* `train`, `load_detector`, `score`: XGBoost detectors;
* `explain_table`: exact SHAP contributions and reason codes per row;
* `suggest_rules`: rules for the bad rows a strategy lets through, proven on later rows;
* `write_report`: the HTML report of any simulation;
* `Strategy`: the strategy model, to build one in code.

Data may be a file path or a polars or pandas DataFrame (or a polars LazyFrame). Every
function has a docstring: `help(riskctl.simulate)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for annotations only: nothing is imported at run time
    from typing import Any

API = (
    "Strategy",
    "check",
    "explain_table",
    "load_detector",
    "load_strategy",
    "score",
    "simulate",
    "suggest_rules",
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


def __dir__() -> list[str]:
    """The API (what `riskctl.<Tab>` should offer), not this module's helpers."""
    return sorted(__all__)
