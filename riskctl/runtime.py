"""Process set-up that must happen before XGBoost's OpenMP runtime loads.

Imported by `riskctl/__init__.py`, so it runs for the CLI and for `import riskctl` alike.
"""

from __future__ import annotations

import os


def free_threads() -> int:
    """Cores this process may use that no other runnable task is holding right now."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores)
