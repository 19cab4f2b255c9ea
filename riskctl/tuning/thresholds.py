"""Evaluating one threshold of a strategy at every candidate value, exactly.

Everything but the tuned (action, score) threshold stays as the strategy says. Lowering the
threshold adds rows by score; each distinct score is one candidate threshold, and every
candidate is evaluated (one sort, cumulative sums), so the chosen threshold is the best one
on the data, not an approximation. Shared by single and per-segment tuning and by sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.values import NONE
from riskctl.errors import UsageError
from riskctl.metrics.intervals import Proportion, disagree
from riskctl.numbers import fmt_percent
from riskctl.simulation.simulate import simulate_one
from riskctl.simulation.strategy_metrics import Roles, StrategyMetrics
from riskctl.simulation.views import metrics_frame
from riskctl.strategy.decisions import SEGMENT, DecisionSchema
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import Segment
from riskctl.tuning.sweep import curve_frame

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


def tuned_threshold(
    loaded: LoadedStrategy, action: str | None, score: str | None
) -> tuple[str, str]:
    s = loaded.strategy
    flag_actions = s.actions[:-1]
    reviews = [a for a in flag_actions if a in s.review_actions]
    action = action or (reviews[0] if reviews else flag_actions[-1])
    if action not in flag_actions:
        raise UsageError(f"--action must be one of {', '.join(flag_actions)}")
    columns = list(s.thresholds.get(action, {})) or s.score_columns()
    score = score or (columns[0] if columns else None)
    if score is None:
        raise UsageError(
            f"the strategy has no score threshold for '{action}'", hint="pass --score COL"
        )
    return action, score


def overridden(
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


def row_mask(decisions: pl.DataFrame, expr: pl.Expr) -> np.ndarray:
    """A per-row boolean array from an expression (a literal broadcasts to every row)."""
    return decisions.with_columns(expr.alias("_mask"))["_mask"].to_numpy().astype(bool)


def base_rank(
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    loaded: LoadedStrategy,
    action: str,
    score: str,
    all_tunable: bool = False,
) -> np.ndarray:
    """Per row, the severity rank everything but the tuned threshold gives; where a segment
    overrides that threshold, its own threshold still decides."""
    tuned = schema.threshold(action, score)
    if tuned is None:
        expr = schema.rank_expr()
    else:
        kept = pl.col(tuned.column) & overridden(loaded, action, score, all_tunable)
        expr = schema.rank_expr(skip=[tuned], extra=[(kept, tuned.rank)])
    return decisions.with_columns(expr.alias("_rank"))["_rank"].to_numpy()


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
    warnings: list[str] = field(default_factory=list)  # said loudly: training rows, holdout
    segments: dict[str, float] = field(default_factory=dict)  # with --by: value -> threshold
    by: str | None = None
    missing: str = NONE  # with --by: the name of the rows with no value

    def metrics(self) -> pl.DataFrame:
        """One row per metric: `before` and `after` tuning (and `holdout_before`,
        `holdout_after` with a holdout), each with its 95% interval."""
        sides = {"before": self.before_metrics, "after": self.after_metrics}
        if self.holdout_before is not None and self.holdout_after is not None:
            sides |= {"holdout_before": self.holdout_before, "holdout_after": self.holdout_after}
        return metrics_frame(sides)


def evaluate_thresholds(
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    loaded: LoadedStrategy,
    roles: Roles,
    action: str,
    score: str,
    all_tunable: bool = False,
    days: int | None = None,
    label: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> pl.DataFrame:
    """Every candidate threshold with the strategy's metrics at it.

    `all_tunable`: every row of `decisions` follows the tuned threshold (one segment's rows,
    tuned as that segment's override). `days`: the days to spread reviews over (default:
    those in `decisions`). `label`: per row, NaN where no label is usable (default: the
    label column); `weight`: inverse-propensity weights of the labelled rows."""
    tuned_rank = schema.rank(action)
    ranks = base_rank(decisions, schema, loaded, action, score, all_tunable)
    skip = row_mask(decisions, overridden(loaded, action, score, all_tunable))
    # rows the tuned threshold can change: those it would give a more severe action
    upgradable = (ranks > tuned_rank) & ~skip
    is_review = np.array([schema.is_review(r) for r in range(len(schema.actions))], dtype=float)
    review_delta = np.where(upgradable, is_review[tuned_rank] - is_review[ranks], 0.0)
    scores = decisions[score].cast(pl.Float64).to_numpy().copy()
    scores[~upgradable] = np.nan
    if days is None and roles.time:
        days = max(decisions[roles.time].dt.date().n_unique(), 1)
    return curve_frame(
        scores,
        decisions[roles.label].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if label is None
        else label,
        decisions[roles.amount].to_numpy() if roles.amount else None,
        ranks < schema.pass_rank,
        {"review": review_delta},
        reviews=float(is_review[ranks].sum()),
        days=days or 0,
        costs=loaded.strategy.costs,
        weight=weight,
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
        if "review_per_day" not in frame.columns:
            raise UsageError("--review-capacity needs a time column", hint="pass --time COL")
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


def anchored(table: pl.DataFrame, roles: Roles) -> Roles:
    """`roles` with label maturity counted from `table`'s newest row (when the data was
    exported), so that in any slice of it (the tuning rows, the held-out rows, a segment's
    rows) each label is exactly as old as it is in the whole data."""
    if roles.time is None or roles.as_of is not None:
        return roles
    return replace(roles, as_of=table[roles.time].max())


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


def tuning_rows(
    table: pl.DataFrame, roles: Roles, holdout: float | None
) -> tuple[pl.DataFrame, pl.DataFrame | None, list[str]]:
    """The rows a threshold is tuned on, the rows `--holdout` keeps back (None without), and
    the notes saying so."""
    if not holdout:
        return table, None, []
    table, hold_table = holdout_split(table, roles, holdout)
    how = "latest" if roles.time else "random"
    note = f"tuned on {table.height:,} rows; {hold_table.height:,} {how} rows held out"
    return table, hold_table, [note]


def with_holdout(
    result: TuneResult,
    loaded: LoadedStrategy,
    tuned: LoadedStrategy,
    hold_table: pl.DataFrame | None,
    roles: Roles,
) -> TuneResult:
    """Add the held-out slice's before/after metrics (with a warning where they disagree
    with the tuning rows'), or say the estimate is optimistic."""
    if hold_table is not None:
        after = simulate_one(tuned, hold_table, roles).metrics
        result.warnings.extend(holdout_disagrees(result.after_metrics, after))
        return TuneResult(
            **{
                **result.__dict__,
                "holdout_before": simulate_one(loaded, hold_table, roles).metrics,
                "holdout_after": after,
            }
        )
    result.notes.append(
        "estimated on the data it was tuned on: optimistic; use --holdout for an honest estimate"
    )
    return result


def holdout_disagrees(fit: StrategyMetrics, held: StrategyMetrics) -> list[str]:
    """A warning per metric whose 95% interval on the tuning rows and on the held-out rows do
    not overlap: the rows tuned on do not predict the later ones."""
    found = []
    for key, name in (("catch_rate", "catch rate"), ("false_positive_rate", "false-positive rate")):
        a, b = fit[key], held[key]
        if isinstance(a, Proportion) and isinstance(b, Proportion) and disagree(a, b):
            found.append(
                f"the tuned threshold's {name} is {fmt_percent(a.value)} (95% interval "
                f"{fmt_percent(a.low)} to {fmt_percent(a.high)}) on the {a.n:,} tuning rows "
                f"it counts but {fmt_percent(b.value)} ({fmt_percent(b.low)} to "
                f"{fmt_percent(b.high)}) on the {b.n:,} held-out ones: the intervals do not "
                "overlap, so the tuning rows do not predict later rows (a burst, drift, or "
                "rows a detector trained on); trust the holdout"
            )
    return found


def with_threshold(loaded: LoadedStrategy, action: str, score: str, value: float) -> LoadedStrategy:
    """The same strategy with one threshold set (in memory)."""
    s = loaded.strategy
    thresholds: dict[str, Any] = {a: dict(t) for a, t in s.thresholds.items()}
    thresholds.setdefault(action, {})[score] = value
    return LoadedStrategy(
        s.model_copy(update={"thresholds": thresholds}), loaded.path, loaded.lines, loaded.sha256
    )


def segment_when(column: str, value: str, dtype: pl.DataType, missing: str = NONE) -> str:
    """A SQL condition selecting one value of a column (as text), for a new segment;
    `missing` is the name the rows with no value go by."""
    if value == missing:
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
    missing: str = NONE,
) -> LoadedStrategy:
    """The strategy with one (action, score) threshold per segment (in memory); `missing`:
    the name of the rows with no value of `by`."""
    s = loaded.strategy
    base = loaded
    if by == SEGMENT:
        if NONE in values:
            base = with_threshold(loaded, action, score, values[NONE])
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
                when=segment_when(by, value, dtypes[by], missing),
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
