"""Sliding-window kernels behind entity windows, compiled with numba.

Every kernel walks the rows once in (entity key, time) order with two pointers: the rows of
one key are contiguous and sorted by time, so a window `(t - w, t]` only ever moves forward.
O(n) per window after the one sort per entity, whatever the skew of the keys.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def window_starts(skey, stime, window_us):  # pragma: no cover - jitted
    """Per sorted position, the first position of its key's rows with time > t - w."""
    n = len(skey)
    lo = np.empty(n, dtype=np.int64)
    start = 0
    for p in range(n):
        if p == 0 or skey[p] != skey[p - 1]:
            start = p
        while stime[start] <= stime[p] - window_us:  # stops at p at the latest: w > 0
            start += 1
        lo[p] = start
    return lo


@njit(nogil=True, cache=True)
def distinct_window(skey, stime, sval, n_values, window_us, unbounded):  # pragma: no cover
    """Per sorted position, the distinct non-negative `sval` among its key's rows strictly
    earlier and inside `(t - w, t]` (all earlier rows if `unbounded`), plus its own value."""
    n = len(skey)
    out = np.zeros(n, dtype=np.int64)
    seen = np.zeros(n_values, dtype=np.int64)  # per value, its rows inside the window
    distinct, lo, i = 0, 0, 0
    while i < n:
        if i == 0 or skey[i] != skey[i - 1]:  # a new key: empty the window
            for p in range(lo, i):
                if sval[p] >= 0:
                    seen[sval[p]] -= 1
            distinct, lo = 0, i
        j = i + 1
        while j < n and skey[j] == skey[i] and stime[j] == stime[i]:
            j += 1
        if not unbounded:
            while lo < i and stime[lo] <= stime[i] - window_us:
                v = sval[lo]
                if v >= 0:
                    seen[v] -= 1
                    if seen[v] == 0:
                        distinct -= 1
                lo += 1
        for r in range(i, j):  # rows at the same time see the earlier ones and themselves
            v = sval[r]
            out[r] = distinct + (1 if v >= 0 and seen[v] == 0 else 0)
        for r in range(i, j):
            v = sval[r]
            if v >= 0:
                if seen[v] == 0:
                    distinct += 1
                seen[v] += 1
        i = j
    return out
