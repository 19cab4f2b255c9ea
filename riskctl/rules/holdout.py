"""Every number a suggestion reports, measured on the holdout window by the very code
`riskctl simulate` runs: the strategy with one suggested rule acting, against the strategy
as it is (per rule), with all of them acting (the set), and with them in shadow mode (the
rule table: hits, precision, overlap). Unseen outcomes come three ways as in `simulate`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from riskctl.metrics.intervals import Difference
from riskctl.rules.candidates import WHERE
from riskctl.simulation.compare import Comparison
from riskctl.simulation.roles import Roles
from riskctl.simulation.rows import Rows
from riskctl.simulation.rules import RuleStats
from riskctl.simulation.simulate import SimulationRun, simulate_rows
from riskctl.strategy.conditions import compile_condition
from riskctl.strategy.engine import compile_strategy
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Rule

CHANGE = ("catch_rate", "false_positive_rate", "alert_rate", "precision", "amount_catch_rate")


@dataclass(frozen=True)
class MarginalChange:
    """What adding rules changes on the holdout, against the strategy as it is."""

    delta: dict[str, Difference]  # simulate's paired differences (catch, FPR, ...)
    bad: int  # bad rows newly stopped (swap-in, bad)
    good: int  # good rows newly hit
    unknown: int  # rows newly hit whose outcome is unknown
    bad_amount: float | None
    good_amount: float | None
    days: int
    estimates: dict[str, Any] = field(default_factory=dict)

    @property
    def alerts_per_day(self) -> float | None:
        rows = self.bad + self.good + self.unknown
        return rows / self.days if self.days else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "newly_stopped_bad": self.bad,
            "newly_hit_good": self.good,
            "newly_hit_unknown": self.unknown,
            "bad_amount": self.bad_amount,
            "good_amount": self.good_amount,
            "alerts_per_day": self.alerts_per_day,
            "days": self.days,
            "metrics": {k: v.value for k, v in self.delta.items()},
            "intervals": {k: [v.low, v.high] for k, v in self.delta.items()},
            "estimates": self.estimates,
        }


def with_rules(loaded: LoadedStrategy, rules: list[Rule]) -> LoadedStrategy:
    """The strategy with `rules` appended after its own."""
    strategy = loaded.strategy.model_copy(update={"rules": [*loaded.strategy.rules, *rules]})
    return replace(loaded, strategy=strategy)


def acting(rules: list[Rule], k: int | None = None) -> list[Rule]:
    """The suggested rules as the written strategy holds them with rule `k` switched to
    active (None: all of them), the others left in shadow mode: what a user simulates
    after editing the written file, so the numbers reported are exactly simulate's."""
    return [
        r if k is None or i == k else r.model_copy(update={"mode": "shadow"})
        for i, r in enumerate(rules)
    ]


def holdout_rows(table: pl.DataFrame, roles: Roles, source: str) -> Rows:
    return Rows(table.lazy(), table.columns, source, roles, {})


def change(rows: Rows, original: LoadedStrategy, rules: list[Rule]) -> MarginalChange:
    """The strategy with `rules` added (those in shadow mode do not act) against the
    strategy as it is, on `rows`."""
    schema = rows.lazy().collect_schema()
    compiled = [compile_strategy(with_rules(original, rules), schema)]
    compiled.append(compile_strategy(original, schema))
    sims, comparison = simulate_rows(rows, compiled)
    assert comparison is not None
    return change_of(comparison, int(sims[1].metrics.counts.days or 0))


def change_of(c: Comparison, days: int) -> MarginalChange:
    """The MarginalChange of a comparison of the strategy with rules (candidate) against it as it
    is (baseline); `days`: the baseline's active days."""

    def cell(label: int | None) -> tuple[int, float | None]:
        x = c.cell("swap-in", label)
        return x.rows, x.amount

    (bad, bad_amount), (good, good_amount), (unknown, _) = cell(1), cell(0), cell(None)
    delta = {k: c.delta[k] for k in CHANGE if k in c.delta}
    estimates = {k: v.to_dict() for k, v in c.estimates.items()}
    return MarginalChange(delta, bad, good, unknown, bad_amount, good_amount, days, estimates)


def shadow_run(rows: Rows, original: LoadedStrategy, rules: list[Rule], run: Any) -> Any:
    """simulate's run of the strategy with `rules` added in shadow mode (the written
    strategy) against the strategy as it is, on `rows`: its rule table holds the new rules'
    hits, precision and overlap; a report can be written from it. `run`: the run the rows
    come from (its data, digest, detectors)."""
    shadow = [r.model_copy(update={"mode": "shadow"}) for r in rules]
    schema = rows.lazy().collect_schema()
    compiled = [compile_strategy(with_rules(original, shadow), schema)]
    compiled.append(compile_strategy(original, schema))
    sims, comparison = simulate_rows(rows, compiled)
    return SimulationRun(
        run.data_path, run.data_sha256, run.roles, sims[0], sims[1], comparison,
        run.detectors, rows, run.ids, run.context_path,
    )  # fmt: skip


def new_rule_stats(shadow: Any, rules: list[Rule]) -> list[RuleStats]:
    """The shadow run's rule table rows of `rules`, in order."""
    table = {s.name: s for s in shadow.candidate.rules}
    return [table[r.name] for r in rules]


def attack_mix(
    table: pl.DataFrame, flagged: np.ndarray, rule: Rule, attack: str | None, label: str
) -> dict[str, dict[str, int]]:
    """Per value of the attack column, the rows the rule newly stops: all, and those
    labelled bad."""
    if attack is None:
        return {}
    return attack_dict(attack_counts(table, flagged, rule, attack, label), attack)


def attack_counts(
    table: pl.DataFrame, flagged: np.ndarray, rule: Rule, attack: str, label: str
) -> pl.DataFrame:
    """The rows the rule newly stops, per attack value: `rows` and `bad` (counts of parts
    of a table, summed per value, are the table's)."""
    expr = compile_condition(rule.when, table.schema, WHERE)
    fires = table.select(expr).to_series().to_numpy() & ~flagged
    return (
        table.filter(pl.Series(fires))
        .group_by(attack)
        .agg(pl.len().alias("rows"), (pl.col(label) == 1).sum().alias("bad"))
    )


def attack_dict(frame: pl.DataFrame, attack: str) -> dict[str, dict[str, int]]:
    """`attack_counts` as shown: most rows first, then by value (missing last)."""
    frame = frame.sort(["rows", attack], descending=[True, False], nulls_last=True)
    return {
        str(r[attack]): {"rows": int(r["rows"]), "bad": int(r["bad"])}
        for r in frame.iter_rows(named=True)
    }
