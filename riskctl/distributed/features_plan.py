"""How a features spec splits over a cluster: which derived columns are row-level (computed
part by part), which need every row of one entity value together (shuffled by that entity),
and which need the whole graph (rings).

The spec is cut into passes. In a pass, the row-level columns are computed on each part, then
each group of columns that needs other rows gets its own exchange: windowed columns of one
entity are computed per hash bucket of that entity, each ring from an index of its distinct
links built in one task (`features_rings.py`). A column that reads a
column another exchange of the same pass computes (or a row-level column that reads any
exchange's column) starts a new pass, so every column is computed after the columns it reads,
as the one-machine path computes them in spec order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from riskctl.features.index import entity_columns
from riskctl.features.spec import Feature, FeatureSpec, Lookup
from riskctl.sqlsafe import sql_expr

ROW = ""  # the group of row-level columns (expressions and lookups)
RING = "ring"


@dataclass(frozen=True)
class Exchange:
    """Columns computed together on rows brought together: per bucket of `entity`'s value
    (windowed columns), or one ring from its distinct links and labels (`entity` empty)."""

    entity: str
    names: list[str]
    reads: list[str]  # the columns the computation needs (time, keys, sources, labels)
    keys: list[str]  # the entity's columns, hashed to pick a bucket (none for rings)

    @property
    def gathered(self) -> bool:
        return not self.keys


@dataclass
class Pass:
    row: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


def reads(spec: FeatureSpec, item: Feature | Lookup) -> set[str]:
    """The columns an item reads (an unparsable expression reads nothing here: the
    one-machine check on a sample reports it)."""
    if isinstance(item, Lookup):
        return {item.key}
    kind = item.kind
    if kind == "expr":
        try:
            return set(sql_expr(item.expr or "", None, "`expr`").meta.root_names())
        except Exception:
            return set()
    if kind == "ring":
        assert item.ring is not None
        found = set(entity_columns(spec.entities, item.ring.nodes))
        for link in item.ring.links:
            found |= set(entity_columns(spec.entities, link))
        return found | ({item.label} if item.label else set())
    found = {spec.time, *entity_columns(spec.entities, item.per)}
    source = getattr(item, kind)
    if kind in ("count", "distinct", "sum", "mean") and not (kind == "count" and source == "rows"):
        found.add(source)
    return found


def group_of(item: Feature | Lookup) -> str:
    if isinstance(item, Lookup) or item.kind == "expr":
        return ROW
    if item.kind == "ring":  # each ring its own graph
        return f"{RING}:{item.name}"
    return f"per:{item.per}"


def plan(spec: FeatureSpec) -> list[Pass]:
    """The passes, in order; each column in exactly one pass."""
    derived = set(spec.names)
    passes: list[Pass] = []
    pending: dict[str, list[Feature | Lookup]] = {}
    owner: dict[str, str] = {}

    def flush() -> None:
        if pending:
            passes.append(_pass_of(spec, pending))
        pending.clear()
        owner.clear()

    items: list[Feature | Lookup] = [*spec.lookups, *spec.features]
    for item in items:
        group = group_of(item)
        deps = reads(spec, item) & derived
        if any(owner.get(d, group) not in (group, ROW) for d in deps):
            flush()
        pending.setdefault(group, []).append(item)
        owner[item.name] = group
    flush()
    return passes


def _pass_of(spec: FeatureSpec, pending: dict[str, list[Feature | Lookup]]) -> Pass:
    out = Pass(row=[item.name for item in pending.get(ROW, [])])
    for group, items in pending.items():
        if group == ROW:
            continue
        needed: set[str] = {spec.time}
        for item in items:
            needed |= reads(spec, item)
        ring = group.startswith(RING)
        entity = "" if ring else group.removeprefix("per:")
        keys = [] if ring else entity_columns(spec.entities, entity)
        out.exchanges.append(Exchange(entity, [i.name for i in items], sorted(needed), keys))
    return out
