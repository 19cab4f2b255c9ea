"""Where riskctl keeps what it may rebuild at any time (bundled scripts, file digests)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "RISKCTL_CACHE_DIR"


def cache_root() -> Path | None:
    """$RISKCTL_CACHE_DIR, else $XDG_CACHE_HOME/riskctl, else ~/.cache/riskctl (None: no
    home directory to put it in)."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(xdg) / "riskctl" if xdg else Path.home() / ".cache" / "riskctl"
    except RuntimeError:
        return None
