"""Rings on a cluster without gathering rows. A ring depends on the rows only through its
distinct links (account, linked value, first time) and each account's first matured bad
label: each part sends those, one task builds a time-aware union-find from them
(`_ring_index.py`), and each part then answers its own rows from that index. Entity values
are identified by a 64-bit hash of their text (the chance that two of ten million distinct
values collide is about 3 in a million).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.dates import DAY_US
from riskctl.features import Feature, FeatureSpec, event_time_us
from riskctl.features.compute import bad_labels
from riskctl.features.index import entity_columns, entity_key
from riskctl.yamlconfig import LoadedYaml

ARRAYS = ("keys", "offsets", "parent", "since", "start", "when", "members", "bad")


def _feature(loaded: LoadedYaml[FeatureSpec], name: str) -> tuple[int, Feature]:
    return next((i, f) for i, f in enumerate(loaded.model.features) if f.name == name)


def node_keys(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """A 64-bit key per row for an entity's value (`entity_key`); null when it has none."""
    return frame.select(entity_key(columns, frame.schema).alias("k")).to_series()


def _bad(frame: pl.DataFrame, f: Feature, i: int, loaded: LoadedYaml[FeatureSpec]) -> pl.Series:
    return bad_labels(frame[str(f.label)], f, loaded.where("features", i, "label"))


def send_ring(
    frame: pl.DataFrame, name: str, loaded: LoadedYaml[FeatureSpec], folder: Path, index: int
) -> None:
    """One part's distinct links (first time each) and first matured bad label per account."""
    i, f = _feature(loaded, name)
    assert f.ring is not None
    spec = loaded.model
    t = pl.Series("t", event_time_us(frame, loaded))
    acct = node_keys(frame, entity_columns(spec.entities, f.ring.nodes)).alias("a")
    edges = []
    for j, link in enumerate(f.ring.links):
        v = node_keys(frame, entity_columns(spec.entities, link)).alias("v")
        pairs = pl.DataFrame([acct, v, t]).drop_nulls().group_by("a", "v").agg(pl.col("t").min())
        edges.append(pairs.with_columns(j=pl.lit(j, pl.Int32)))
    pl.concat(edges).write_parquet(folder / f"e-p{index:05d}.parquet")
    if f.label is not None:
        late = int(round((f.label_maturity_days or 0) * DAY_US))
        events = pl.DataFrame([acct, t + late]).filter(_bad(frame, f, i, loaded).to_numpy())
        events = events.drop_nulls().group_by("a").agg(pl.col("t").min())
        events.write_parquet(folder / f"b-p{index:05d}.parquet")


def build_ring(folder: Path, out: Path, n_links: int) -> int:
    """The ring index from every part's links and labels, saved as arrays in `out`. The
    parts' files are merged streaming, and only integer arrays are kept while it builds."""
    from riskctl.distributed._ring_index import build

    edges = (
        pl.scan_parquet(sorted(folder.glob("e-p*.parquet")))
        .group_by("a", "j", "v")
        .agg(pl.col("t").min())
        .sort("t")
        .collect(engine="streaming")
    )
    e_files = sorted(folder.glob("b-p*.parquet"))
    events = (
        pl.scan_parquet(e_files).group_by("a").agg(pl.col("t").min()).sort("t").collect()
        if e_files
        else pl.DataFrame(schema={"a": pl.UInt64, "t": pl.Int64})
    )
    u_when, j = edges["t"].to_numpy() + 1, edges["j"].to_numpy()  # links: for later rows
    u_raw_a, u_raw_v = edges["a"].to_numpy(), edges["v"].to_numpy()
    del edges
    keys = [np.unique(np.concatenate([u_raw_a, events["a"].to_numpy()]))]
    keys += [np.unique(u_raw_v[j == link]) for link in range(n_links)]
    offsets = np.cumsum([0, *(len(k) for k in keys)])
    u_a = np.searchsorted(keys[0], u_raw_a).astype(np.int64)
    u_b = np.empty(len(u_a), dtype=np.int64)
    for link in range(n_links):
        mine = j == link
        u_b[mine] = offsets[link + 1] + np.searchsorted(keys[link + 1], u_raw_v[mine])
    del u_raw_a, u_raw_v, j
    e_a = np.searchsorted(keys[0], events["a"].to_numpy()).astype(np.int64)
    n_nodes = int(offsets[-1])
    parent, since, h_node, h_when, h_members, h_bad = build(
        n_nodes, len(keys[0]), u_when, u_a, u_b, events["t"].to_numpy().astype(np.int64), e_a
    )
    order = np.argsort(h_node, kind="stable")
    start = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(h_node, minlength=n_nodes), out=start[1:])
    arrays = [np.concatenate(keys), offsets, parent, since, start]
    arrays += [h_when[order], h_members[order], h_bad[order]]
    for name, array in zip(ARRAYS, arrays, strict=True):
        np.save(out / f"{name}.npy", array)
    return len(u_a)


def _index(keys: np.ndarray, wanted: pl.Series, missing: int) -> np.ndarray:
    """Positions of `wanted` keys in sorted `keys`; `missing` where absent or null."""
    values = wanted.fill_null(0).to_numpy()
    at = np.minimum(np.searchsorted(keys, values), max(len(keys) - 1, 0))
    hit = (keys[at] == values) if len(keys) else np.zeros(len(values), dtype=bool)
    hit &= wanted.is_not_null().to_numpy()
    return np.where(hit, at, missing).astype(np.int64)


def ring_column(
    frame: pl.DataFrame, name: str, loaded: LoadedYaml[FeatureSpec], folder: Path
) -> pl.Series:
    """The ring feature `name` for the rows of one part, from the index in `folder`."""
    from riskctl.distributed._ring_index import query

    _, f = _feature(loaded, name)
    assert f.ring is not None
    a = {k: np.load(folder / f"{k}.npy", mmap_mode="r").view(np.ndarray) for k in ARRAYS}
    keys, offsets = a["keys"], a["offsets"]
    acct = node_keys(frame, entity_columns(loaded.model.entities, f.ring.nodes))
    codes = _index(keys[offsets[0] : offsets[1]], acct, -2)
    codes[acct.is_null().to_numpy()] = -1
    links = np.empty((frame.height, len(f.ring.links)), dtype=np.int64)
    for j, link in enumerate(f.ring.links):
        v = node_keys(frame, entity_columns(loaded.model.entities, link))
        pos = _index(keys[offsets[j + 1] : offsets[j + 2]], v, -1)
        links[:, j] = np.where(pos >= 0, pos + offsets[j + 1], -1)
    t = event_time_us(frame, loaded)
    size, bad = query(t, codes, links, int(offsets[1]), *(a[k] for k in ARRAYS[2:]))
    out = pl.Series(name, size if f.ring.measure == "size" else bad / np.maximum(size, 1))
    missing = np.flatnonzero(codes == -1)
    return out.scatter(missing, None) if len(missing) else out
