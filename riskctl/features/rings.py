"""Rings: the connected component of a row's account in the graph whose edges join an
account to every entity value (device, IP, card) it used, point-in-time.

Rows are replayed in time order through a union-find. A row sees the graph built from the
rows strictly before its time plus its own edges (rows at the same time, other than itself,
are left out); labels count once matured: a bad label on a row at time s marks its account
bad for rows at time s + maturity and later. Near-linear time, one pass.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from riskctl.features.index import NULL
from riskctl.features.windows import with_nulls


def ring_features(
    name: str,
    t: np.ndarray,
    account: np.ndarray,
    links: list[np.ndarray],
    measure: str,
    bad_label: np.ndarray | None = None,
    maturity_us: int = 0,
) -> pl.Series:
    """Ring size (accounts) or matured bad rate for every row; null without an account."""
    n_acct = int(account.max(initial=-1)) + 1
    columns, offset = [], n_acct
    for codes in links:
        columns.append(np.where(codes == NULL, NULL, codes + offset))
        offset += int(codes.max(initial=-1)) + 1
    order = np.argsort(t, kind="stable")
    link_matrix = np.ascontiguousarray(np.stack(columns, axis=1)[order]).astype(np.int64)
    if bad_label is None:
        ev_time = ev_acct = np.zeros(0, dtype=np.int64)
    else:
        events = np.flatnonzero(bad_label & (account != NULL))
        ev_order = np.argsort(t[events], kind="stable")
        ev_time = t[events][ev_order] + np.int64(maturity_us)
        ev_acct = account[events][ev_order].astype(np.int64)
    from riskctl.features.ring_kernels import new_state, replay  # numba: only for rings

    state = new_state(offset, n_acct)
    size_sorted, bad_sorted, _ = replay(
        t[order], account[order].astype(np.int64), link_matrix, state, ev_time, ev_acct, 0
    )
    size, bad = np.empty_like(size_sorted), np.empty_like(bad_sorted)
    size[order], bad[order] = size_sorted, bad_sorted
    missing = account == NULL
    if measure == "size":
        return with_nulls(name, size, missing)
    return with_nulls(name, bad / np.maximum(size, 1), missing)
