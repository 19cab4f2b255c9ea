"""The report's example rows: the largest orders a change newly catches and the good ones
it newly hits, each with its score, the rule or threshold that decided it, and its top
reason (the rule's reason, or the model's largest contribution, exact SHAP)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from riskctl.data.privacy import mask_value, new_key
from riskctl.explain.catalogue import EMPTY, Catalogue
from riskctl.explain.run import REASON_TEXTS, explain_rows
from riskctl.model.detector import Detector
from riskctl.numbers import fmt_money, fmt_number
from riskctl.simulation.simulate import SimulationRun
from riskctl.strategy.decisions import DECIDED_BY, SEGMENT, Decider
from riskctl.strategy.schema import Strategy


@dataclass(frozen=True)
class ExampleRow:
    kind: str
    id: str
    amount: str
    score: str = ""
    decided_by: str = ""  # the rule or threshold that gave the row its action
    reason: str = ""  # the rule's reason, or the model's top reason


def _picked(run: SimulationRun, limit: int) -> pl.DataFrame:
    """Row numbers of the largest swapped-in bad rows and good rows, with their kind."""
    assert run.baseline is not None
    b = run.baseline.decisions["flagged"]
    c = run.candidate.decisions["flagged"]
    label = run.candidate.decisions[run.roles.label]
    amount = (
        run.candidate.decisions[run.roles.amount].cast(pl.Float64).fill_null(0.0)
        if run.roles.amount
        else pl.Series([0.0] * len(b))
    )
    frame = pl.DataFrame(
        {"row": range(len(b)), "swap_in": c & ~b, "bad": label == 1, "amount": amount}
    )
    return pl.concat(
        [
            frame.filter(pl.col("swap_in") & (pl.col("bad") == bad))
            .sort("amount", descending=True)
            .head(limit)
            .with_columns(pl.lit(kind).alias("kind"))
            for bad, kind in ((True, "newly caught (bad)"), (False, "newly hit (good)"))
        ]
    )


def _ids(run: SimulationRun, detector: Detector | None, rows: list[int], show: bool) -> list[str]:
    declared = detector.ids if detector else []
    ids = [c for c in [*declared, *run.ids] if c in run.table.columns][:1]
    if not ids:
        return ["" for _ in rows]
    values = run.table[ids[0]].cast(pl.String).gather(rows).to_list()
    key = new_key()
    return [("" if v is None else v if show else mask_value(v, key)) for v in values]


def _model_reasons(
    run: SimulationRun, detector: Detector | None, rows: list[int], catalogue: Catalogue
) -> list[str]:
    """The model's top reason text of each row, when the run kept the detector's features."""
    if detector is None or any(f not in run.table.columns for f in detector.feature_names):
        return ["" for _ in rows]
    explained = explain_rows(detector, run.table[rows], [], k=1, catalogue=catalogue)
    return [(texts[0] if texts else "") or "" for texts in explained[REASON_TEXTS].to_list()]


def decider_text(d: Decider | None, strategy: Strategy, segment: str | None) -> str:
    """What gave a row its action, as people read it: a rule's name, or a threshold with
    the value that applied to the row (`review: score >= 0.1 (new_accounts)`)."""
    if d is None:
        return ""
    if d.kind == "rule" or d.score is None:
        return d.label
    overrides = next((x.thresholds for x in strategy.segments if x.name == segment), {})
    value = overrides.get(d.action, {}).get(d.score)
    where = f" ({segment})" if value is not None else ""
    if value is None:
        value = strategy.thresholds.get(d.action, {}).get(d.score)
    shown = "" if value is None else f" >= {fmt_number(value)}"
    return f"{d.action}: {d.score}{shown}{where}"


def example_rows(
    run: SimulationRun,
    detector: Detector | None,
    show_ids: bool,
    limit: int = 10,
    catalogue: Catalogue = EMPTY,
) -> list[ExampleRow]:
    """The largest bad orders the change newly catches, and good ones it newly hits."""
    if run.baseline is None:
        return []
    picked = _picked(run, limit)
    if picked.is_empty():
        return []
    rows = picked["row"].to_list()
    cand = run.candidate
    schema = cand.schema
    scores = cand.loaded.strategy.score_columns()
    score = (
        [f"{v:.4f}" if v is not None else "" for v in cand.decisions[scores[0]].gather(rows)]
        if scores and scores[0] in cand.decisions.columns
        else ["" for _ in rows]
    )
    deciders = [schema.by_column(c) for c in cand.decisions[DECIDED_BY].gather(rows).to_list()]
    segments = cand.decisions[SEGMENT].gather(rows).to_list()
    strategy = cand.loaded.strategy
    model = _model_reasons(run, detector, rows, catalogue)
    reasons = [
        (d.reason or d.label) if d is not None and d.kind == "rule" else text
        for d, text in zip(deciders, model, strict=True)
    ]
    return [
        ExampleRow(kind, ident, fmt_money(amt), s, decider_text(d, strategy, seg), why)
        for kind, ident, amt, s, d, seg, why in zip(
            picked["kind"].to_list(),
            _ids(run, detector, rows, show_ids),
            picked["amount"].to_list(),
            score,
            deciders,
            segments,
            reasons,
            strict=True,
        )
    ]
