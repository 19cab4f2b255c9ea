"""riskctl: explainable risk strategies for e-commerce risk-control teams."""

from importlib.metadata import PackageNotFoundError, version

# before anything can load XGBoost: its OpenMP runtime reads the environment once
from riskctl import runtime as _runtime  # noqa: F401  (isort: skip)

try:
    __version__ = version("riskctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
