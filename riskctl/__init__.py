"""riskctl: explainable risk strategies for e-commerce risk-control teams."""

import os
from importlib.metadata import PackageNotFoundError, version

# XGBoost's OpenMP workers spin while they wait for work. On a 2-core machine, after the
# history generator had run in the same process, that spinning against numpy's OpenBLAS
# pool made training 40x slower (measured: 52 s instead of 1.2 s). Waiting passively costs
# XGBoost about nothing. It must be set before the OpenMP runtime loads; a user's own
# setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = version("riskctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
