"""Readable reason texts for derived features, generated from the spec that made them:
"Device used by 5 buyers in the last 7 days", "4 seconds since signup". A reason catalogue
entry for the same feature overrides the generated one."""

from __future__ import annotations

import re

from riskctl.features.spec import Feature, FeatureSpec, window_seconds

_SINCE = re.compile(r"^(seconds|minutes|hours|days)_(?:since|after|from)_(.+)$")


def _window_words(window: str) -> str:
    seconds = window_seconds(window)
    if seconds is None:
        return "so far"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and (unit != "day" or seconds > 2 * 86_400):
            n = seconds // size
            return f"in the last {unit}" if n == 1 else f"in the last {n} {unit}s"
    return f"in the last {seconds} seconds"


def _entity_of(spec: FeatureSpec, column: str) -> str:
    """`buyer` for `buyer_id` when an entity names that column; else the column."""
    names = [name for name, col in spec.entities.items() if col == column]
    return names[0] if names else column.removesuffix("_id")


_UPPER = {"ip": "IP", "ips": "IPs", "id": "ID"}


def _words(name: str) -> str:
    return " ".join(_UPPER.get(w, w) for w in name.split("_"))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def reason_text(feature: Feature, spec: FeatureSpec) -> str:
    """A reason template (catalogue syntax) for one derived feature."""
    f, field, per = feature, feature.name, _words(feature.per or "")
    if f.kind == "expr":
        match = _SINCE.match(f.name)
        if match:
            unit = "days" if match.group(1) == "days" else match.group(1)
            return f"{{{field}:{unit}}} since {_words(match.group(2))}"
        return f"{_capital(_words(f.name))}: {{{field}}}"
    when = _window_words(f.window)
    if f.kind == "distinct":
        who = _plural(_words(_entity_of(spec, f.distinct or "")))
        return f"{_capital(per)} used by {{{field}:count}} {who} {when}"
    if f.kind == "count":
        what = "events" if f.count == "rows" else f"{_words(f.count or '')} values"
        return f"{{{field}:count}} {what} on this {per} {when}"
    if f.kind in ("sum", "mean"):
        total = "Total" if f.kind == "sum" else "Average"
        column = getattr(f, f.kind)
        return f"{total} {_words(column)} on this {per} {when}: {{{field}}}"
    if f.kind == "since_first":
        return f"{_capital(per)} first seen {{{field}:{_unit(f.since_first)}}} ago"
    if f.kind == "since_last":
        return f"Previous event on this {per} {{{field}:{_unit(f.since_last)}}} earlier"
    assert f.ring is not None
    nodes = _plural(_words(f.ring.nodes))
    links = " or ".join(_plural(_words(link)) for link in f.ring.links)
    if f.ring.measure == "bad_rate":
        return f"{{{field}:percent}} of the linked {nodes} confirmed bad"
    return f"Linked to {{{field}:count}} {nodes} through shared {links}"


def _unit(unit: str | None) -> str:
    return unit if unit in ("seconds", "minutes", "hours", "days") else "seconds"


def reason_texts(spec: FeatureSpec) -> dict[str, str]:
    """Feature name -> generated reason template, for every derived feature and lookup."""
    texts = {f.name: reason_text(f, spec) for f in spec.features}
    texts |= {lk.name: f"{_capital(_words(lk.name))}: {{{lk.name}}}" for lk in spec.lookups}
    return texts
