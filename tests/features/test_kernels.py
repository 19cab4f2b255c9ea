"""The compiled window and ring kernels against plain Python loops over the same arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from riskctl.features._window_kernels import distinct_window, window_starts
from riskctl.features.ring_kernels import new_state, replay
from tests.features.test_oracle import fast

rows = st.lists(
    st.tuples(st.integers(-1, 3), st.integers(0, 12), st.integers(-1, 4)), min_size=1, max_size=60
)


def sorted_arrays(data: list[tuple[int, int, int]]) -> tuple[np.ndarray, ...]:
    data = sorted(data, key=lambda r: (r[0], r[1]))
    return tuple(np.array([r[i] for r in data], dtype=np.int64) for i in range(3))


@fast
@given(rows, st.integers(1, 6), st.booleans())
def test_window_kernels_match_loops(data, window, unbounded) -> None:
    key, time, value = sorted_arrays(data)
    lo = window_starts(key, time, np.int64(window))
    got = distinct_window(key, time, value, 5, np.int64(window), unbounded)
    for p in range(len(key)):
        inside = [
            q
            for q in range(len(key))
            if key[q] == key[p] and time[q] > time[p] - window and time[q] <= time[p]
        ]
        assert lo[p] == min(inside)
        seen = [
            q
            for q in range(len(key))
            if key[q] == key[p]
            and (q == p or time[q] < time[p] and (unbounded or time[q] > time[p] - window))
        ]
        assert got[p] == len({value[q] for q in seen} - {-1})


@fast
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.integers(-1, 4), st.integers(-1, 3), st.booleans()),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 4),
    st.integers(0, 3),
)
def test_ring_replay_carried_across_time_ranges(data, pieces, maturity) -> None:
    """Replaying rows in time ranges with the state carried over gives what one replay
    gives, and both give the components a breadth-first search finds."""
    data = sorted(data)
    t = np.array([r[0] for r in data], dtype=np.int64)
    acct = np.array([r[1] for r in data], dtype=np.int64)
    link = np.array([[-1 if r[2] < 0 else 5 + r[2]] for r in data], dtype=np.int64)
    bad = [i for i, r in enumerate(data) if r[3] and r[1] >= 0]
    ev_t, ev_a = t[bad] + maturity, acct[bad]
    whole = replay(t, acct, link, new_state(9, 5), ev_t, ev_a, 0)
    state, e, sizes, bads = new_state(9, 5), 0, [], []
    cuts = np.unique(np.r_[0, np.searchsorted(t, np.linspace(0, 9, pieces + 1)[1:-1]), len(t)])
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        size, nbad, e = replay(t[a:b], acct[a:b], link[a:b], state, ev_t, ev_a, e)
        sizes += size.tolist()
        bads += nbad.tolist()
    assert sizes == whole[0].tolist() and bads == whole[1].tolist()
    for i, r in enumerate(data):
        if r[1] < 0:
            continue
        edges = [(s[1], s[2]) for s in data if s[0] < r[0] and s[1] >= 0 and s[2] >= 0]
        edges += [(r[1], r[2])] if r[2] >= 0 else []
        members, frontier = {r[1]}, [r[1]]
        while frontier:
            a = frontier.pop()
            for x, y in edges:
                if x == a:
                    for u, v in edges:
                        if v == y and u not in members:
                            members.add(u)
                            frontier.append(u)
        matured = {s[1] for s in data if s[3] and s[1] >= 0 and s[0] + maturity <= r[0]}
        assert sizes[i] == len(members)
        assert bads[i] == len(members & matured)
