"""Derived features against slow, obvious oracles on random tables: a row-by-row Python
definition of every kind, DuckDB window SQL for counts and distinct counts, and the
point-in-time properties (appending later rows and reordering rows change nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskctl.features import add_features, load_spec

START = datetime(2026, 3, 1)
STEP = timedelta(minutes=40)  # coarse times: many ties, windows of 1h..7d all matter
WINDOWS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "all": None}
MATURITY_DAYS = 2

SPEC = """\
time: t
entities: {account: acct, device: dev, ip: ip}
features:
  - {name: gap, expr: "t - signup"}
  - {name: hour, expr: "EXTRACT(HOUR FROM t)"}
  - {name: weekday, expr: "EXTRACT(ISODOW FROM t)"}
  - {name: first_dev, since_first: hours, per: device}
  - {name: last_acct, since_last: minutes, per: account}
  - {name: ring_size, ring: {nodes: account, links: [device, ip]}}
  - name: ring_bad
    ring: {nodes: account, links: [device, ip], measure: bad_rate}
    label: bad
    label_maturity_days: 2
"""
for w in WINDOWS:
    SPEC += f"""\
  - {{name: rows_dev_{w}, count: rows, per: device, window: {w}}}
  - {{name: nn_dev_{w}, count: amount, per: device, window: {w}}}
  - {{name: accts_dev_{w}, distinct: acct, per: device, window: {w}}}
  - {{name: ips_acct_{w}, distinct: ip, per: account, window: {w}}}
  - {{name: sum_ip_{w}, sum: amount, per: ip, window: {w}}}
  - {{name: mean_acct_{w}, mean: amount, per: account, window: {w}}}
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("features") / "features.yaml"
    path.write_text(SPEC)
    return load_spec(path)  # type: ignore[return-value]


def _values(alphabet: str) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(list(alphabet)))


row = st.tuples(
    st.integers(0, 300),  # time step
    _values("abcde"),  # account
    _values("uvw"),  # device
    _values("pq"),  # ip
    st.one_of(st.none(), st.integers(-20, 200).map(lambda x: x / 2)),  # amount (exact halves)
    st.sampled_from([0, 1, None]),  # label
)
tables = st.lists(row, min_size=1, max_size=45)


def frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "t": [START + r[0] * STEP for r in rows],
            "signup": [START - timedelta(hours=3) for _ in rows],
            "acct": [r[1] for r in rows],
            "dev": [r[2] for r in rows],
            "ip": [r[3] for r in rows],
            "amount": [r[4] for r in rows],
            "bad": [r[5] for r in rows],
        },
        schema_overrides={"amount": pl.Float64, "bad": pl.Int8},
    )


def brute(df: pl.DataFrame) -> dict[str, list]:
    """Every feature straight from its definition, one row at a time."""
    rows = df.to_dicts()
    out: dict[str, list] = {}
    for w, secs in WINDOWS.items():

        def window(i: int, col: str, secs: int | None = secs) -> list[dict] | None:
            me = rows[i]
            if me[col] is None:
                return None
            return [
                r
                for j, r in enumerate(rows)
                if r[col] == me[col]
                and (
                    j == i
                    or r["t"] < me["t"]
                    and (secs is None or r["t"] > me["t"] - timedelta(seconds=secs))
                )
            ]

        def agg(col: str, fn) -> list:
            return [None if (x := window(i, col)) is None else fn(x) for i in range(len(rows))]

        def amounts(x: list[dict]) -> list[float]:
            return [r["amount"] for r in x if r["amount"] is not None]

        out[f"rows_dev_{w}"] = agg("dev", len)
        out[f"nn_dev_{w}"] = agg("dev", lambda x: len(amounts(x)))
        out[f"accts_dev_{w}"] = agg("dev", lambda x: len({r["acct"] for r in x} - {None}))
        out[f"ips_acct_{w}"] = agg("acct", lambda x: len({r["ip"] for r in x} - {None}))
        out[f"sum_ip_{w}"] = agg("ip", lambda x: sum(amounts(x)) if amounts(x) else None)
        out[f"mean_acct_{w}"] = agg(
            "acct", lambda x: sum(amounts(x)) / len(amounts(x)) if amounts(x) else None
        )
    out["first_dev"], out["last_acct"], out["ring_size"], out["ring_bad"] = [], [], [], []
    for me in rows:
        same = [r["t"] for r in rows if me["dev"] is not None and r["dev"] == me["dev"]]
        out["first_dev"].append(None if not same else (me["t"] - min(same)).total_seconds() / 3600)
        before = [
            r["t"]
            for r in rows
            if me["acct"] is not None and r["acct"] == me["acct"]
            if r["t"] < me["t"]
        ]
        out["last_acct"].append(
            None if not before else (me["t"] - max(before)).total_seconds() / 60
        )
        size, bad = ring(rows, me)
        out["ring_size"].append(size)
        out["ring_bad"].append(None if size is None else bad / size)
    out["gap"] = [(r["t"] - r["signup"]).total_seconds() for r in rows]
    out["hour"] = [r["t"].hour for r in rows]
    out["weekday"] = [r["t"].isoweekday() for r in rows]
    return out


def ring(rows: list[dict], me: dict) -> tuple[int | None, int]:
    """Breadth-first search over the edges of earlier rows and the row itself."""
    if me["acct"] is None:
        return None, 0
    edges = [r for r in rows if r["t"] < me["t"]] + [me]
    members, frontier, seen_links = {me["acct"]}, [me["acct"]], set()
    while frontier:
        acct = frontier.pop()
        for r in edges:
            if r["acct"] != acct:
                continue
            for link in (("dev", r["dev"]), ("ip", r["ip"])):
                if link[1] is None or link in seen_links:
                    continue
                seen_links.add(link)
                for s in edges:
                    if s[link[0]] == link[1] and s["acct"] is not None and s["acct"] not in members:
                        members.add(s["acct"])
                        frontier.append(s["acct"])
    matured = me["t"] - timedelta(days=MATURITY_DAYS)
    bad = {r["acct"] for r in rows if r["bad"] == 1 and r["t"] <= matured}
    return len(members), len(members & bad)


def assert_close(got: list, want: list, name: str) -> None:
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if w is None or g is None:
            assert g is None and w is None, (name, i, g, w)
        else:
            assert abs(g - w) <= 1e-9 * max(1.0, abs(w)), (name, i, g, w)


fast = settings(
    max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@fast
@given(tables)
def test_every_feature_matches_the_row_by_row_definition(spec_path: Path, rows) -> None:
    df = frame(rows)
    got = add_features(df, spec_path).frame
    for name, want in brute(df).items():
        assert_close(got[name].to_list(), want, name)


def duckdb_counts(df: pl.DataFrame) -> pl.DataFrame:
    """Counts and distinct counts as DuckDB window SQL: a RANGE frame of w - 1 microseconds
    before the row (so (t - w, t]), EXCLUDE TIES to leave out the other rows at its time."""
    con = duckdb.connect()  # in-memory
    con.register("events", df.with_columns(us=pl.col("t").dt.epoch("us")).to_arrow())
    cols = []
    for w, secs in WINDOWS.items():
        lo = "UNBOUNDED" if secs is None else str(secs * 1_000_000 - 1)
        for name, agg, per in (
            (f"rows_dev_{w}", "COUNT(*)", "dev"),
            (f"accts_dev_{w}", "COUNT(DISTINCT acct)", "dev"),
            (f"ips_acct_{w}", "COUNT(DISTINCT ip)", "acct"),
        ):
            frame_sql = f"RANGE BETWEEN {lo} PRECEDING AND CURRENT ROW EXCLUDE TIES"
            cols.append(
                f"CASE WHEN {per} IS NULL THEN NULL ELSE {agg} OVER "
                f"(PARTITION BY {per} ORDER BY us {frame_sql}) END AS {name}"
            )
    sql = f"SELECT i, {', '.join(cols)} FROM (SELECT *, row_number() OVER () AS i FROM events)"
    return pl.from_arrow(con.sql(sql + " ORDER BY i").arrow())  # type: ignore[return-value]


@fast
@given(tables)
def test_counts_and_distinct_counts_match_duckdb_window_sql(spec_path: Path, rows) -> None:
    df = frame(rows)
    got = add_features(df, spec_path).frame
    want = duckdb_counts(df)
    for name in want.columns[1:]:
        assert got[name].cast(pl.Int64).to_list() == want[name].cast(pl.Int64).to_list(), name


@fast
@given(tables, st.integers(0, 300), st.randoms(use_true_random=False))
def test_later_rows_and_row_order_never_change_a_feature(spec_path: Path, rows, cut, rnd) -> None:
    df = frame(rows).with_row_index("_i")
    full = add_features(df, spec_path).frame
    early = df.filter(pl.col("t") <= START + cut * STEP)
    alone = add_features(early, spec_path).frame
    assert alone.equals(full.filter(pl.col("t") <= START + cut * STEP))
    order = list(range(df.height))
    rnd.shuffle(order)
    shuffled = add_features(df[order], spec_path).frame.sort("_i")
    assert shuffled.equals(full)


@fast
@given(tables, st.integers(0, 300))
def test_history_rows_are_context_only(spec_path: Path, rows, cut) -> None:
    df = frame(rows).sort("t")
    full = add_features(df, spec_path).frame
    at = START + cut * STEP
    history, new = df.filter(pl.col("t") < at), df.filter(pl.col("t") >= at)
    got = add_features(new, spec_path, context=history)
    assert got.context_rows == history.height
    assert got.frame.equals(full.filter(pl.col("t") >= at))


def test_a_large_table_matches_duckdb(spec_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    rows = list(
        zip(
            rng.integers(0, 5000, n).tolist(),
            [None if x == 0 else f"a{x}" for x in rng.integers(0, 3000, n).tolist()],
            [None if x == 0 else f"d{x}" for x in rng.integers(0, 400, n).tolist()],
            [None if x == 0 else f"i{x}" for x in rng.integers(0, 900, n).tolist()],
            (rng.integers(0, 1000, n) / 4).tolist(),
            rng.integers(0, 2, n).tolist(),
            strict=True,
        )
    )
    df = frame(rows)
    got = add_features(df, spec_path).frame
    want = duckdb_counts(df)
    for name in want.columns[1:]:
        assert got[name].cast(pl.Int64).to_list() == want[name].cast(pl.Int64).to_list(), name
