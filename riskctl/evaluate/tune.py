"""Sweeping and tuning one threshold of a strategy, exactly, on labelled history.

Everything but the tuned (action, score) threshold stays as the strategy says. Lowering the
threshold adds rows by score; each distinct score is one candidate threshold, and every
candidate is evaluated (one sort, cumulative sums), so the chosen threshold is the best one
on the data, not an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.values import check_labels, check_numeric, check_rows, check_scores
from riskctl.errors import UsageError
from riskctl.evaluate.metrics import Roles, StrategyMetrics, matured
from riskctl.evaluate.simulate import SimulationRun, run_simulation, simulate_one
from riskctl.evaluate.sweep import Curve, curve_frame, sweep
from riskctl.strategy.engine import ACTION, SEGMENT, threshold_name
from riskctl.strategy.load import LoadedStrategy

TARGETS = ("max_fpr", "review_capacity", "min_precision", "min_catch_rate", "min_cost")


@dataclass(frozen=True)
class Target:
    kind: str  # one of TARGETS
    value: float | None = None

    def describe(self) -> str:
        return {
            "max_fpr": f"false-positive rate at most {self.value}",
            "review_capacity": f"at most {self.value} reviews per day",
            "min_precision": f"precision at least {self.value}",
            "min_catch_rate": f"catch rate at least {self.value}, lowest FPR",
            "min_cost": "lowest expected cost",
        }[self.kind]


def sweep_file(
    data: Path,
    score: str | None,
    label: str | None,
    amount: str | None = None,
    by: str | None = None,
    strategy: Path | None = None,
    action: str | None = None,
    compact: bool = False,
) -> list[Curve]:
    """Curves of `score` on `data`; with a strategy, its rules and other thresholds first."""
    if strategy is not None:
        run = run_simulation(strategy, data, label=label, amount=amount, by=[by] if by else None)
        loaded = run.candidate.loaded
        action, score = _tuned(loaded, action, score)
        decisions = run.candidate.decisions.filter(
            matured(run.candidate.decisions, run.roles, loaded.strategy.label_maturity_days)
        )
        base = _base_flags(decisions, loaded, action, score)
        swept = decisions[score].cast(pl.Float64).to_numpy().copy()
        swept[decisions.select(_overridden(loaded, action, score)).to_series().to_numpy()] = np.nan
        segs = decisions[by].cast(pl.String).fill_null("(none)").to_numpy() if by else None
        return sweep(
            swept,
            decisions[run.roles.label].to_numpy(),
            decisions[run.roles.amount].to_numpy() if run.roles.amount else None,
            base,
            segs,
            compact,
        )
    if score is None or label is None:
        raise UsageError("sweep needs --score and --label (or --strategy)")
    lf = scan_table(data)
    names = lf.collect_schema().names()
    wanted = {
        "score": score,
        "label": label,
        **({"amount": amount} if amount else {}),
        **({"by": by} if by else {}),
    }
    require_columns(names, wanted, str(data))
    df = lf.select(list(dict.fromkeys(wanted.values()))).collect()
    df = df.filter(pl.col(label).is_not_null())
    check_rows(df, data)
    check_labels(df, label, data)
    check_scores(df, [score], data)
    if amount:
        check_numeric(df, amount, "amount", data)
    return sweep(
        df[score].cast(pl.Float64).to_numpy(),
        df[label].cast(pl.Int8).to_numpy(),
        df[amount].to_numpy() if amount else None,
        None,
        df[by].cast(pl.String).fill_null("(none)").to_numpy() if by else None,
        compact,
    )


def _tuned(loaded: LoadedStrategy, action: str | None, score: str | None) -> tuple[str, str]:
    s = loaded.strategy
    flag_actions = s.actions[:-1]
    action = action or ("review" if "review" in flag_actions else flag_actions[-1])
    if action not in flag_actions:
        raise UsageError(f"--action must be one of {', '.join(flag_actions)}")
    columns = list(s.thresholds.get(action, {})) or s.score_columns()
    score = score or (columns[0] if columns else None)
    if score is None:
        raise UsageError(
            f"the strategy has no score threshold for '{action}'", hint="pass --score COL"
        )
    return action, score


def _overridden(
    loaded: LoadedStrategy, action: str, score: str, all_tunable: bool = False
) -> pl.Expr:
    """Rows in a segment with its own (action, score) threshold: the tuned one skips them
    (unless those very rows are being tuned: `all_tunable`)."""
    names = (
        []
        if all_tunable
        else [g.name for g in loaded.strategy.segments if score in g.thresholds.get(action, {})]
    )
    return pl.col(SEGMENT).is_in(names).fill_null(False) if names else pl.lit(False)


def _decider_exprs(
    decisions: pl.DataFrame,
    loaded: LoadedStrategy,
    action: str,
    score: str,
    all_tunable: bool = False,
) -> list[tuple[pl.Expr, int]]:
    """(fires, severity rank) of everything except the tuned threshold; where a segment
    overrides that threshold, its own threshold still decides."""
    s = loaded.strategy
    tuned = threshold_name(action, score)
    rank = {a: i for i, a in enumerate(s.actions)}
    out = [
        (pl.col(f"rule:{r.name}"), rank[r.action])
        for r in s.rules
        if r.enabled and r.mode == "active"
    ]
    out += [
        (pl.col(c), rank[c.split(":")[1]])
        for c in decisions.columns
        if c.startswith("threshold:") and c != tuned
    ]
    if tuned in decisions.columns:
        out.append((pl.col(tuned) & _overridden(loaded, action, score, all_tunable), rank[action]))
    return out


def _base_flags(
    decisions: pl.DataFrame, loaded: LoadedStrategy, action: str, score: str
) -> np.ndarray:
    """Rows flagged by everything except the tuned threshold."""
    deciders = [e for e, _ in _decider_exprs(decisions, loaded, action, score)]
    if not deciders:
        return np.zeros(decisions.height, dtype=bool)
    return decisions.select(pl.any_horizontal(deciders)).to_series().to_numpy()


def _base_rank(
    decisions: pl.DataFrame,
    loaded: LoadedStrategy,
    action: str,
    score: str,
    all_tunable: bool = False,
) -> np.ndarray:
    """Per row, the severity rank everything but the tuned threshold gives."""
    pass_rank = len(loaded.strategy.actions) - 1
    exprs = [
        pl.when(e).then(r).otherwise(pass_rank)
        for e, r in _decider_exprs(decisions, loaded, action, score, all_tunable)
    ]
    if not exprs:
        return np.full(decisions.height, pass_rank)
    return decisions.select(pl.min_horizontal(exprs)).to_series().to_numpy()


@dataclass(frozen=True)
class TuneResult:
    action: str
    score: str
    target: Target
    before: float | None  # the tuned threshold in the file, if any
    after: float
    met: bool
    objective: str
    before_metrics: StrategyMetrics
    after_metrics: StrategyMetrics
    holdout_before: StrategyMetrics | None = None
    holdout_after: StrategyMetrics | None = None
    candidates: int = 0
    notes: list[str] = field(default_factory=list)
    segments: dict[str, float] = field(default_factory=dict)  # with --by: value -> threshold
    by: str | None = None


def evaluate_thresholds(
    decisions: pl.DataFrame,
    loaded: LoadedStrategy,
    roles: Roles,
    action: str,
    score: str,
    all_tunable: bool = False,
    days: int | None = None,
) -> pl.DataFrame:
    """Every candidate threshold with the strategy's metrics at it (matured rows only).

    `all_tunable`: every row of `decisions` follows the tuned threshold (one segment's rows,
    tuned as that segment's override). `days`: the days to spread reviews over (default:
    those in `decisions`)."""
    s = loaded.strategy
    rank = {a: i for i, a in enumerate(s.actions)}
    base_rank = _base_rank(decisions, loaded, action, score, all_tunable)
    pass_rank = len(s.actions) - 1
    base = base_rank < pass_rank
    upgraded = base_rank > rank[action]  # rows the tuned threshold can change
    review = s.review_action
    if review is None:
        review_delta = np.zeros(decisions.height)
    elif action == review:
        review_delta = (~base).astype(np.float64)
    else:  # a more severe action takes rows away from review
        review_delta = -(base_rank == rank[review]).astype(np.float64) * (
            rank[action] < rank[review]
        )
    scores = decisions[score].cast(pl.Float64).to_numpy().copy()
    skip = decisions.select(_overridden(loaded, action, score, all_tunable)).to_series().to_numpy()
    upgraded &= ~skip
    scores[(~upgraded & base) | skip] = np.nan  # the tuned threshold cannot change these
    frame = curve_frame(
        scores,
        decisions[roles.label].to_numpy(),
        decisions[roles.amount].to_numpy() if roles.amount else None,
        base,
        {"review": review_delta},
    )
    base_reviews = float((decisions[ACTION] == review).sum()) if review else 0.0
    tuned_now = (
        decisions[threshold_name(action, score)].to_numpy()
        if threshold_name(action, score) in decisions.columns
        else np.zeros(decisions.height, dtype=bool)
    )
    # reviews the current threshold itself produces are not part of the base
    if review == action:
        base_reviews -= float((tuned_now & (base_rank > rank[action]) & ~skip).sum())
    if days is None and roles.time:
        days = max(decisions[roles.time].dt.date().n_unique(), 1)
    reviews = base_reviews + frame["cum_review"].to_numpy()
    bad_amount = (
        float(decisions.filter(pl.col(roles.label) == 1)[roles.amount].sum())
        if roles.amount
        else None
    )
    total_bad = float((decisions[roles.label] == 1).sum())
    # without an amount column each missed bad row costs 1, as in the strategy metrics
    missed = (
        (bad_amount - frame["bad_amount_caught"].to_numpy())
        if bad_amount is not None
        else total_bad - frame["flagged_bad"].to_numpy()
    )
    cost = (
        missed
        + s.costs.false_positive * frame["flagged_good"].to_numpy()
        + s.costs.review * reviews
    )
    return frame.with_columns(
        pl.Series("reviews", reviews),
        pl.Series("review_per_day", reviews / days if days else np.full(len(reviews), np.nan)),
        pl.Series("expected_cost", cost),
    )


def choose(frame: pl.DataFrame, target: Target) -> tuple[int | None, str]:
    """Index of the best candidate for the target (ties: the highest threshold)."""
    catch = frame["catch_rate"].to_numpy()
    fpr = frame["false_positive_rate"].to_numpy()
    if target.kind == "min_cost":
        cost = frame["expected_cost"].to_numpy()
        return int(np.argmin(cost)), "expected_cost"
    v = float(target.value or 0.0)
    if target.kind == "max_fpr":
        ok = fpr <= v + 1e-12
    elif target.kind == "review_capacity":
        ok = np.nan_to_num(frame["review_per_day"].to_numpy(), nan=np.inf) <= v + 1e-9
    elif target.kind == "min_precision":
        ok = np.nan_to_num(frame["precision"].to_numpy(), nan=-1.0) >= v - 1e-12
    elif target.kind == "min_catch_rate":
        ok = catch >= v - 1e-12
        if not ok.any():
            return None, "false_positive_rate"
        candidates = np.flatnonzero(ok)
        return int(candidates[np.argmin(fpr[candidates])]), "false_positive_rate"
    else:
        raise UsageError(f"unknown target {target.kind}")
    if not ok.any():
        return None, "catch_rate"
    candidates = np.flatnonzero(ok)
    return int(candidates[np.argmax(catch[candidates])]), "catch_rate"


def threshold_at(frame: pl.DataFrame, index: int) -> float:
    t = float(frame["threshold"][index])
    return t if np.isfinite(t) else float("inf")


def holdout_split(
    table: pl.DataFrame, roles: Roles, fraction: float, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    if not 0 < fraction < 0.9:
        raise UsageError("--holdout must be between 0 and 0.9")
    n = table.height
    k = max(1, int(round(n * fraction)))
    if roles.time:
        order = table[roles.time].arg_sort().to_numpy()
    else:
        order = np.random.default_rng(seed).permutation(n)
    hold = np.zeros(n, dtype=bool)
    hold[order[n - k :]] = True
    mask = pl.Series(hold)
    return table.filter(~mask), table.filter(mask)


def tune_run(
    run: SimulationRun,
    target: Target,
    action: str | None = None,
    score: str | None = None,
    holdout: float | None = None,
    by: str | None = None,
) -> TuneResult:
    loaded = run.candidate.loaded
    action, score = _tuned(loaded, action, score)
    if by is not None:
        from riskctl.evaluate.tune_segments import tune_segments

        return tune_segments(run, target, action, score, holdout, by)
    roles = run.roles
    table = run.table
    notes = []
    hold_table = None
    if holdout:
        table, hold_table = holdout_split(table, roles, holdout)
        notes.append(
            f"tuned on {table.height:,} rows; {hold_table.height:,} "
            f"{'latest' if roles.time else 'random'} rows held out"
        )
    fit = simulate_one(loaded, table, roles)
    keep = matured(fit.decisions, roles, loaded.strategy.label_maturity_days)
    frame = evaluate_thresholds(fit.decisions.filter(keep), loaded, roles, action, score)
    index, objective = choose(frame, target)
    before = loaded.strategy.thresholds.get(action, {}).get(score)
    if index is None:
        notes.append("no threshold meets the target on this data; the file is unchanged")
        after, met = before if before is not None else float("inf"), False
    else:
        after, met = threshold_at(frame, index), True
    tuned = with_threshold(loaded, action, score, after)
    after_fit = simulate_one(tuned, table, roles)
    result = TuneResult(
        action,
        score,
        target,
        before,
        after,
        met,
        objective,
        fit.metrics,
        after_fit.metrics,
        candidates=frame.height,
        notes=notes,
    )
    return with_holdout(result, loaded, tuned, hold_table, roles)


def with_holdout(
    result: TuneResult,
    loaded: LoadedStrategy,
    tuned: LoadedStrategy,
    hold_table: pl.DataFrame | None,
    roles: Roles,
) -> TuneResult:
    """Add the held-out slice's before/after metrics, or say the estimate is optimistic."""
    if hold_table is not None:
        return TuneResult(
            **{
                **result.__dict__,
                "holdout_before": simulate_one(loaded, hold_table, roles).metrics,
                "holdout_after": simulate_one(tuned, hold_table, roles).metrics,
            }
        )
    result.notes.append(
        "estimated on the data it was tuned on: optimistic; use --holdout for an honest estimate"
    )
    return result


def with_threshold(loaded: LoadedStrategy, action: str, score: str, value: float) -> LoadedStrategy:
    """The same strategy with one threshold set (in memory)."""
    s = loaded.strategy
    thresholds: dict[str, Any] = {a: dict(t) for a, t in s.thresholds.items()}
    thresholds.setdefault(action, {})[score] = value
    return LoadedStrategy(
        s.model_copy(update={"thresholds": thresholds}), loaded.path, loaded.lines, loaded.sha256
    )


def segment_when(column: str, value: str, dtype: pl.DataType) -> str:
    """A SQL condition selecting one value of a column (as text), for a new segment."""
    if value == "(none)":
        return f"{column} IS NULL"
    if dtype.is_numeric() or dtype == pl.Boolean:
        return f"{column} = {value}"
    return f"{column} = '{value.replace(chr(39), chr(39) * 2)}'"


def with_segment_thresholds(
    loaded: LoadedStrategy,
    action: str,
    score: str,
    by: str,
    values: dict[str, float],
    dtypes: dict[str, pl.DataType],
) -> LoadedStrategy:
    """The strategy with one (action, score) threshold per segment (in memory)."""
    from riskctl.strategy.schema import Segment

    s = loaded.strategy
    base = loaded
    if by == SEGMENT:
        if "(none)" in values:
            base = with_threshold(loaded, action, score, values["(none)"])
        segments = []
        for g in s.segments:
            thresholds = {a: dict(t) for a, t in g.thresholds.items()}
            if g.name in values:
                thresholds.setdefault(action, {})[score] = values[g.name]
            segments.append(g.model_copy(update={"thresholds": thresholds}))
    else:
        segments = list(s.segments) + [
            Segment(
                name=f"{by}_{value}",
                when=segment_when(by, value, dtypes[by]),
                thresholds={action: {score: t}},
            )
            for value, t in values.items()
        ]
    return LoadedStrategy(
        base.strategy.model_copy(update={"segments": segments}),
        loaded.path,
        loaded.lines,
        loaded.sha256,
    )
