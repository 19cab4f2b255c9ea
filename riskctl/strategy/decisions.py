"""The shape of a decisions frame: which columns are rules and thresholds, what action each
gives, and in which order they decide.

The engine decides once; everything downstream (rule table, tuning, sweeps, explanations,
reports) reads this schema instead of re-deriving the ranking or parsing column names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import polars as pl

from riskctl.strategy.schema import Strategy

ACTION = "action"
FLAGGED = "flagged"
DECIDED_BY = "decided_by"
SEGMENT = "segment"
MATCHED = "matched"
DECISION_COLUMNS = [ACTION, FLAGGED, DECIDED_BY, SEGMENT]


@dataclass(frozen=True)
class Decider:
    """One rule or one (action, score column) threshold, and its boolean hit column."""

    kind: Literal["rule", "threshold"]
    column: str  # the boolean hit column in the decisions frame
    label: str  # what people read: the rule's name, or `review: score`
    action: str
    rank: int  # severity: 0 is the most severe action
    score: str | None = None  # the score column of a threshold
    shadow: bool = False  # a shadow rule: evaluated and reported, never acts
    reason: str | None = None  # a rule's reason code or text
    position: int = 0  # a rule's place in the file

    @property
    def acts(self) -> bool:
        return not self.shadow


def rule_column(name: str) -> str:
    return f"rule:{name}"


def threshold_column(action: str, score: str) -> str:
    return f"threshold:{action}:{score}"


@dataclass(frozen=True)
class DecisionSchema:
    """Every hit column of a strategy's decisions frame, in decision order: most severe
    action first; at equal severity rules before thresholds (shadow rules last)."""

    actions: tuple[str, ...]
    reviews: tuple[str, ...]  # actions that send a row to manual review
    deciders: tuple[Decider, ...]

    @property
    def pass_action(self) -> str:
        return self.actions[-1]

    @property
    def pass_rank(self) -> int:
        return len(self.actions) - 1

    def rank(self, action: str) -> int:
        return self.actions.index(action)

    @property
    def acting(self) -> list[Decider]:
        return [d for d in self.deciders if d.acts]

    @property
    def rules(self) -> list[Decider]:
        """Every enabled rule, shadow ones included, in file order."""
        return sorted((d for d in self.deciders if d.kind == "rule"), key=lambda d: d.position)

    @property
    def thresholds(self) -> list[Decider]:
        return [d for d in self.deciders if d.kind == "threshold"]

    @property
    def hit_columns(self) -> list[str]:
        return [d.column for d in self.deciders]

    def by_column(self, column: str) -> Decider | None:
        return next((d for d in self.deciders if d.column == column), None)

    def rule(self, name: str) -> Decider:
        return next(d for d in self.rules if d.label == name)

    def threshold(self, action: str, score: str) -> Decider | None:
        return next((d for d in self.thresholds if d.action == action and d.score == score), None)

    def is_review(self, rank: int) -> bool:
        return self.actions[rank] in self.reviews

    def rank_expr(
        self, skip: Iterable[Decider] = (), extra: Iterable[tuple[pl.Expr, int]] = ()
    ) -> pl.Expr:
        """Per row, the most severe rank the acting deciders (but `skip`) give, plus `extra`
        (condition, rank) pairs; the pass rank where none fires."""
        skipped = {d.column for d in skip}
        pairs = [(pl.col(d.column), d.rank) for d in self.acting if d.column not in skipped]
        pairs += list(extra)
        if not pairs:
            return pl.lit(self.pass_rank, dtype=pl.Int64)
        return pl.min_horizontal(
            [pl.when(e).then(pl.lit(r, dtype=pl.Int64)).otherwise(self.pass_rank) for e, r in pairs]
        )

    def matched_list(self) -> pl.Expr:
        """The names of the fired rules and thresholds, one list per row. Built only for
        output: a list of strings per row costs far more than the decision itself."""
        if not self.deciders:
            return pl.lit([], dtype=pl.List(pl.String)).alias(MATCHED)
        return (
            pl.concat_list([pl.when(pl.col(d.column)).then(pl.lit(d.label)) for d in self.deciders])
            .list.drop_nulls()
            .alias(MATCHED)
        )


def decision_schema(strategy: Strategy) -> DecisionSchema:
    """The schema of the frame `decide` produces for `strategy`."""
    s = strategy
    rank = {a: i for i, a in enumerate(s.actions)}
    pairs = {(a, col) for a, t in s.thresholds.items() for col in t}
    pairs |= {(a, col) for g in s.segments for a, t in g.thresholds.items() for col in t}
    deciders: list[Decider] = []
    for action in s.actions:
        deciders += [
            Decider(
                "rule", rule_column(r.name), r.name, r.action, rank[r.action], None, False, r.reason
            )
            for r in s.rules
            if r.enabled and r.mode == "active" and r.action == action
        ]
        deciders += [
            Decider(
                "threshold", threshold_column(a, col), threshold_column(a, col), a, rank[a], col
            )
            for a, col in sorted(pairs)
            if a == action
        ]
    deciders += [
        Decider("rule", rule_column(r.name), r.name, r.action, rank[r.action], None, True, r.reason)
        for r in s.rules
        if r.enabled and r.mode == "shadow"
    ]
    return DecisionSchema(tuple(s.actions), tuple(s.review_actions), tuple(deciders))
