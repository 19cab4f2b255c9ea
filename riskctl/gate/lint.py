"""Warnings `riskctl validate` gives on strategies that load but probably do not mean what
they say: thresholds outside [0, 1], dead bands, conditions that divide, and words in a
condition written wholly in letters of another script that look like ASCII ones.

Dead band: actions are listed most severe first and a row gets the most severe action whose
threshold its score reaches. When a more severe action's threshold on a score is at or below
a milder action's, every row that reaches the milder threshold already reaches the severe
one: the milder threshold never decides anything.
"""

from __future__ import annotations

import polars as pl

from riskctl.sqlsafe import sql_expr
from riskctl.strategy.characters import lookalike_words
from riskctl.strategy.finite import divides
from riskctl.strategy.load import LoadedStrategy


def lint(loaded: LoadedStrategy) -> list[tuple[int | None, str]]:
    """(line, message) warnings for `loaded`."""
    s = loaded.strategy
    found: list[tuple[int | None, str]] = []
    found += _ranges(loaded, "", s.thresholds, ("thresholds",))
    found += _dead_bands(loaded, "", s.thresholds, s.thresholds, ("thresholds",))
    for i, seg in enumerate(s.segments):
        # a segment's thresholds override the base ones: judge the combination, but only
        # warn about what the segment itself sets (the base is warned about once)
        merged = {a: dict(t) for a, t in s.thresholds.items()}
        for action, t in seg.thresholds.items():
            merged.setdefault(action, {}).update(t)
        key = ("segments", i, "thresholds")
        found += _ranges(loaded, f"segment '{seg.name}': ", seg.thresholds, key)
        found += _dead_bands(loaded, f"segment '{seg.name}': ", merged, seg.thresholds, key)
    conditions = [(f"rule '{r.name}'", r.when, ("rules", i, "when")) for i, r in enumerate(s.rules)]
    conditions += [
        (f"segment '{g.name}'", g.when, ("segments", i, "when")) for i, g in enumerate(s.segments)
    ]
    for name, sql, where in conditions:
        for word, reads_as, script in lookalike_words(sql):
            found.append(
                (
                    loaded.where(*where).line,
                    f"{name}: `{word}` is written wholly in {script} letters that "
                    f"look like `{reads_as}`; if you meant `{reads_as}`, retype it in ASCII",
                )
            )
        try:
            expr = sql_expr(sql, loaded.where(*where))
        except pl.exceptions.PolarsError:
            continue  # reported as an error elsewhere
        if divides(expr):
            found.append(
                (
                    loaded.where(*where).line,
                    f"{name}: the condition divides; where the divisor is 0 (or a value is "
                    "NaN or infinite) it does not match, as with SQL NULL",
                )
            )
    return found


def _ranges(
    loaded: LoadedStrategy,
    prefix: str,
    thresholds: dict[str, dict[str, float]],
    key: tuple[str | int, ...],
) -> list[tuple[int | None, str]]:
    out: list[tuple[int | None, str]] = []
    for action, per_score in thresholds.items():
        for column, value in per_score.items():
            if 0 <= value <= 1:
                continue
            effect = "no score reaches it" if value > 1 else "every row reaches it"
            out.append(
                (
                    loaded.where(*key, action, column).line,
                    f"{prefix}{action} threshold {value:g} on '{column}' is outside [0, 1]: "
                    f"if '{column}' is a probability, {effect}",
                )
            )
    return out


def _dead_bands(
    loaded: LoadedStrategy,
    prefix: str,
    thresholds: dict[str, dict[str, float]],
    own: dict[str, dict[str, float]],
    key: tuple[str | int, ...],
) -> list[tuple[int | None, str]]:
    out: list[tuple[int | None, str]] = []
    order = [a for a in loaded.strategy.actions if a in thresholds]
    for i, mild in enumerate(order):
        for column, value in thresholds[mild].items():
            for severe in order[:i]:
                other = thresholds[severe].get(column)
                if other is None or other > value:
                    continue
                if column not in own.get(mild, {}) and column not in own.get(severe, {}):
                    continue
                line_key = (*key, mild, column) if column in own.get(mild, {}) else key
                out.append(
                    (
                        loaded.where(*line_key).line,
                        f"{prefix}{mild} threshold {value:g} on '{column}' never decides: "
                        f"the more severe {severe} threshold is {other:g}, so every row that "
                        f"reaches {value:g} gets {severe}",
                    )
                )
                break
    return out
