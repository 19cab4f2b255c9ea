"""`riskctl rules suggest`: rules for the bad rows a strategy lets through, chosen on the
earlier part of the history and measured on the later part.

The strategy is simulated once on the whole history (the same reading, detectors, roles and
label coverage as `riskctl simulate`). Candidates are searched on the search window's rows
the strategy lets through (rows without a usable label justify nothing), chosen greedily
(`select.py`), then every reported number comes from the holdout window (`holdout.py`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import scan_table
from riskctl.errors import UsageError
from riskctl.rules.folds import HoldoutSplit, check_options, split_rows
from riskctl.rules.holdout import (
    MarginalChange,
    acting,
    attack_mix,
    change,
    holdout_rows,
    new_rule_stats,
    shadow_run,
)
from riskctl.rules.options import Options
from riskctl.rules.search import attack_column, candidate_columns, search_pool, window_cells
from riskctl.rules.select import Chosen, choose_rules
from riskctl.rules.window import SearchRows, shares, summarise, usable_labels
from riskctl.simulation.rules import RuleStats
from riskctl.simulation.simulate import SimulationRun, run_simulation
from riskctl.strategy.decisions import FLAGGED
from riskctl.strategy.load import LoadedStrategy, load_strategy
from riskctl.strategy.schema import Rule

TABLE_SCHEMA = {
    "name": pl.String,
    "when": pl.String,
    **{
        f"{k}{end}": pl.Float64
        for k in ("catch_rate", "false_positive_rate")
        for end in ("", "_low", "_high")
    },
    "precision": pl.Float64,
    "alerts_per_day": pl.Float64,
    "newly_stopped_bad": pl.Int64,
    "newly_hit_good": pl.Int64,
    "folds_passed": pl.Int64,
}


@dataclass(frozen=True)
class Suggested:
    rule: Rule
    search_bad: int
    search_good: int
    search_unknown: int
    folds_passed: int
    holdout: MarginalChange
    hits: int
    already_flagged: int  # holdout rows it fires on that the strategy already stops
    precision: Any  # Proportion over the rule's labelled hits (simulate's rule table)
    overlap: dict[str, int]
    attacks: dict[str, dict[str, int]]

    @staticmethod
    def of(
        rule: Rule,
        chosen: Chosen,
        holdout: MarginalChange,
        stats: RuleStats,
        existing: set[str],
        attacks: dict[str, dict[str, int]],
    ) -> Suggested:
        """A rule from its search counts, its holdout change and its row of the shadow
        run's rule table (`existing`: the strategy's own rule names)."""
        return Suggested(
            rule,
            chosen.bad,
            chosen.good,
            chosen.unknown,
            chosen.folds_passed,
            holdout,
            stats.hits,
            stats.hits - stats.incremental_hits,
            stats.precision,
            {k: v for k, v in stats.overlap.items() if k in existing},
            attacks,
        )

    def to_dict(self, folds: int) -> dict[str, Any]:
        return {
            "name": self.rule.name,
            "when": self.rule.when,
            "action": self.rule.action,
            "search": {
                "newly_stopped_bad": self.search_bad,
                "newly_hit_good": self.search_good,
                "newly_hit_unknown": self.search_unknown,
            },
            "folds_passed": self.folds_passed,
            "folds": folds,
            "holdout": self.holdout.to_dict(),
            "hits": self.hits,
            "already_flagged": self.already_flagged,
            "precision": self.precision.value,
            "precision_interval": [self.precision.low, self.precision.high],
            "overlap": self.overlap,
            "attacks": self.attacks,
        }


@dataclass(frozen=True)
class Suggestion:
    strategy: LoadedStrategy
    options: Options
    split: HoldoutSplit
    rules: list[Suggested]
    together: MarginalChange | None
    warnings: list[str]
    columns: list[str]  # the columns rules were searched on
    search_rows: int
    holdout_rows: int
    # simulate's run of the written strategy against the original on the holdout rows
    holdout_run: SimulationRun | None = field(default=None, repr=False)

    @property
    def within_budget(self) -> bool:
        """The set's marginal false-positive rate on the holdout within the budget at its
        upper 95% bound; with rows of unseen outcome newly hit, also the control-group
        estimate's upper bound, or without a control group the bounds' upper end (every
        such row good): rows never labelled certify nothing."""
        if self.together is None:
            return True
        fpr = self.together.delta.get("false_positive_rate")
        highs = [] if fpr is None else [fpr.high]
        unseen = self.together.estimates.get("false_positive_rate") or {}
        if unseen.get("estimate"):
            highs.append(unseen["estimate"]["high"])
        elif unseen.get("bounds"):
            highs.append(unseen["bounds"][1])
        return not any(h > self.options.budget_fpr for h in highs)

    def table(self) -> pl.DataFrame:
        """One row per suggested rule: its condition, holdout catch-rate and false-positive
        rate changes with their 95% intervals, precision, alerts per day, the rows it newly
        stops on each side, and the search periods it paid in."""
        rows = []
        for s in self.rules:
            row: dict[str, Any] = {"name": s.rule.name, "when": s.rule.when}
            for key in ("catch_rate", "false_positive_rate"):
                d = s.holdout.delta.get(key)
                row.update({key: d and d.value, f"{key}_low": d and d.low})
                row[f"{key}_high"] = d and d.high
            row.update(precision=s.precision.value, alerts_per_day=s.holdout.alerts_per_day)
            row.update(newly_stopped_bad=s.holdout.bad, newly_hit_good=s.holdout.good)
            rows.append({**row, "folds_passed": s.folds_passed})
        return pl.DataFrame(rows, schema=TABLE_SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        o = self.options
        return {
            "strategy": str(self.strategy.path),
            "action": o.action,
            "budget_fpr": o.budget_fpr,
            "holdout_from": self.split.holdout_from,
            "search_rows": self.search_rows,
            "holdout_rows": self.holdout_rows,
            "folds": o.folds,
            "min_folds": o.min_folds,
            "columns": self.columns,
            "rules": [r.to_dict(o.folds) for r in self.rules],
            "together": None if self.together is None else self.together.to_dict(),
            "within_budget": self.within_budget,
            "warnings": self.warnings,
        }


def measured(found: Suggestion) -> Suggestion:
    """`found`, once its holdout could measure the rules' false positives: a holdout with no
    row labelled good (every label immature, say) proves nothing."""
    fpr = None if found.together is None else found.together.delta.get("false_positive_rate")
    if found.together is not None and (fpr is None or not math.isfinite(fpr.value)):
        raise UsageError(
            f"the holdout (from {found.split.holdout_from}, {found.holdout_rows:,} rows) has "
            "no row labelled good: the rules' false-positive rate cannot be measured",
            hint="move --holdout-from earlier (labels mature after the strategy's "
            "label_maturity_days), or use a longer history",
        )
    return found


def check_budget(budget: float) -> None:
    if not 0 < budget < 1:
        raise UsageError(
            f"--budget-fpr {budget:g} is not a share between 0 and 1",
            hint="e.g. --budget-fpr 0.002 lets the new rules hit at most 0.2% of good rows",
        )


def check_action(loaded: LoadedStrategy, action: str) -> None:
    s = loaded.strategy
    if action not in s.actions:
        raise UsageError(
            f"--action {action!r}: the strategy has no such action",
            hint="its actions are: " + ", ".join(s.actions),
        )
    if action == s.pass_action:
        raise UsageError(
            f"--action {action!r} is the strategy's pass action: a rule with it stops nothing",
            hint="pick one of: " + ", ".join(s.actions[:-1]),
        )


def checked_request(strategy: Path, opts: Options) -> LoadedStrategy:
    """The strategy, once every option is known to be usable (before any data is read)."""
    check_budget(opts.budget_fpr)
    check_options(opts.holdout, opts.holdout_from, opts.folds, opts.min_folds)
    if opts.max_rules < 1 or opts.max_conditions < 1:
        raise UsageError("--max-rules and --max-conditions must be at least 1", hint="e.g. 5, 3")
    loaded = load_strategy(strategy)
    check_action(loaded, opts.action)
    return loaded


def needs_time(time: str | None) -> str:
    if time is None:
        raise UsageError(
            "no time column: rules are chosen on earlier rows and proven on later ones",
            hint="pass --time or set `time:` in the strategy",
        )
    return time


def suggest_rules(strategy: Path, data: Path, opts: Options) -> Suggestion:
    """Rules for `data`'s bad rows `strategy` lets through, chosen on the earlier rows and
    measured on the later ones, on this machine."""
    loaded = checked_request(strategy, opts)
    carry = scan_table(data).collect_schema().names()
    run = run_simulation(
        strategy, data, label=opts.label, time=opts.time, amount=opts.amount, carry=carry
    )
    split = split_rows(
        run.table[needs_time(run.roles.time)], opts.holdout, opts.holdout_from, opts.folds
    )
    chosen, columns, warnings = _search(run, loaded, split, opts)
    return _measure(run, loaded, split, opts, chosen, columns, warnings)


def _search(
    run: SimulationRun, loaded: LoadedStrategy, split: HoldoutSplit, opts: Options
) -> tuple[list[Chosen], list[str], list[str]]:
    search = pl.Series(split.search)
    flagged = run.candidate.decisions[FLAGGED].to_numpy()[split.search]
    label = usable_labels(run.coverage, run.table[run.roles.label])[split.search]
    rows = SearchRows(run.table.filter(search), label, ~flagged, split.fold[split.search])
    ids = [c for d in run.detectors.values() for c in d.ids] + run.ids
    columns = candidate_columns(run.table.schema, run.roles, ids, opts)
    summary = summarise(rows, columns, shares(rows.table.height), opts.folds, opts.seed)
    pool, material = search_pool(summary, columns, loaded, opts, split.holdout_from)
    count = window_cells(rows, loaded, [c.when for c in pool]).count(opts.folds)
    chosen = choose_rules(
        pool, count, summary.good, opts.budget_fpr, opts.max_rules, opts.min_folds
    )
    return chosen, material.columns, material.warnings


def new_rules(loaded: LoadedStrategy, chosen: list[Chosen], action: str) -> list[Rule]:
    """The chosen candidates as rules, named `suggested_1`, ... (names the strategy lacks)."""
    taken = {r.name for r in loaded.strategy.rules}
    names = (f"suggested_{k}" for k in itertools.count(1) if f"suggested_{k}" not in taken)
    return [Rule(name=next(names), when=c.candidate.when, action=action) for c in chosen]


def _measure(
    run: SimulationRun,
    loaded: LoadedStrategy,
    split: HoldoutSplit,
    opts: Options,
    chosen: list[Chosen],
    columns: list[str],
    warnings: list[str],
) -> Suggestion:
    rules = new_rules(loaded, chosen, opts.action)
    table = run.table.filter(pl.Series(split.holdout))
    rows = holdout_rows(table, run.roles, str(run.data_path))
    flagged = run.candidate.decisions[FLAGGED].to_numpy()[split.holdout]
    shadow = shadow_run(rows, loaded, rules, run)
    stats = new_rule_stats(shadow, rules)
    existing = {r.name for r in loaded.strategy.rules}
    attack = attack_column(run.table.schema, opts)
    suggested = [
        Suggested.of(
            rule,
            c,
            change(rows, loaded, acting(rules, k)),
            s,
            existing,
            attack_mix(table, flagged, rule, attack, run.roles.label),
        )
        for k, (rule, c, s) in enumerate(zip(rules, chosen, stats, strict=True))
    ]
    together = change(rows, loaded, acting(rules)) if rules else None
    search_rows = int(split.search.sum())
    return measured(Suggestion(
        loaded, opts, split, suggested, together, warnings, columns, search_rows, table.height,
        shadow,
    ))  # fmt: skip
