"""The report's "Suggested rules" section (`riskctl rules suggest --report`): per suggested
rule and for the set, the holdout numbers `rules suggest --json` gives, each shown as text
and carried exactly (full precision) in a `data-` attribute."""

from __future__ import annotations

from dataclasses import dataclass, field

from riskctl.metrics.intervals import Difference
from riskctl.numbers import fmt_count, fmt_interval, fmt_percent, fmt_points_interval
from riskctl.rules.holdout import MarginalChange
from riskctl.rules.suggest import Suggested, Suggestion


@dataclass(frozen=True)
class Shown:
    """One number: its text, and the exact values behind it (None: not measurable)."""

    text: str
    value: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class AttackRow:
    attack: str
    bad: int
    rows: int


@dataclass(frozen=True)
class SuggestedRow:
    name: str
    when: str
    action: str
    catch: Shown
    fpr: Shown
    precision: Shown
    alerts_per_day: Shown
    newly_bad: int
    newly_good: int
    overlap: list[tuple[str, int]]  # ("stopped", rows the strategy already stops), per rule
    folds_passed: int
    folds: int
    attacks: list[AttackRow] = field(default_factory=list)


@dataclass(frozen=True)
class SuggestedTotals:
    catch: Shown
    fpr: Shown
    alerts_per_day: Shown
    newly_bad: int
    newly_good: int
    newly_unknown: int
    bad_amount: Shown
    good_amount: Shown


@dataclass(frozen=True)
class SuggestedSection:
    strategy: str
    action: str
    budget: Shown
    holdout_from: str
    search_rows: int
    holdout_rows: int
    min_folds: int
    folds: int
    rules: list[SuggestedRow]
    totals: SuggestedTotals | None
    within_budget: bool
    has_attacks: bool
    warnings: list[str] = field(default_factory=list)


def _points(d: Difference | None, digits: int = 2) -> Shown:
    if d is None:
        return Shown("n/a")
    return Shown(fmt_points_interval(d.value, d.low, d.high, digits), d.value, d.low, d.high)


def _count(value: float | None) -> Shown:
    return Shown(fmt_count(value), value)


def _row(s: Suggested, folds: int) -> SuggestedRow:
    h, p = s.holdout, s.precision
    overlap = ([("stopped", s.already_flagged)] if s.already_flagged else []) + list(
        s.overlap.items()
    )
    return SuggestedRow(
        name=s.rule.name,
        when=s.rule.when,
        action=s.rule.action,
        catch=_points(h.delta.get("catch_rate")),
        fpr=_points(h.delta.get("false_positive_rate"), 3),
        precision=Shown(fmt_interval(p.value, p.low, p.high, 1), p.value, p.low, p.high),
        alerts_per_day=_count(h.alerts_per_day),
        newly_bad=h.bad,
        newly_good=h.good,
        overlap=overlap,
        folds_passed=s.folds_passed,
        folds=folds,
        attacks=[AttackRow(k, v["bad"], v["rows"]) for k, v in s.attacks.items()],
    )


def _totals(t: MarginalChange | None) -> SuggestedTotals | None:
    if t is None:
        return None
    return SuggestedTotals(
        catch=_points(t.delta.get("catch_rate")),
        fpr=_points(t.delta.get("false_positive_rate"), 3),
        alerts_per_day=_count(t.alerts_per_day),
        newly_bad=t.bad,
        newly_good=t.good,
        newly_unknown=t.unknown,
        bad_amount=_count(t.bad_amount),
        good_amount=_count(t.good_amount),
    )


def suggested_section(result: Suggestion) -> SuggestedSection:
    o = result.options
    return SuggestedSection(
        strategy=result.strategy.name,
        action=o.action,
        budget=Shown(fmt_percent(o.budget_fpr, 2), o.budget_fpr),
        holdout_from=str(result.split.holdout_from),
        search_rows=result.search_rows,
        holdout_rows=result.holdout_rows,
        min_folds=o.min_folds,
        folds=o.folds,
        rules=[_row(s, o.folds) for s in result.rules],
        totals=_totals(result.together),
        within_budget=result.within_budget,
        has_attacks=any(s.attacks for s in result.rules),
        warnings=list(result.warnings),
    )


def suggested_title(result: Suggestion) -> str:
    """`<strategy> + N suggested rules vs <strategy>`."""
    name, n = result.strategy.name, len(result.rules)
    return f"{name} + {n} suggested rule{'' if n == 1 else 's'} vs {name}"
