"""Greedy choice of rules on the search window, against the strategy and each other.

Each step takes the candidate that newly stops the most bad rows among those the strategy
and the rules already chosen let through, provided that:

* the chosen set stays within the budget together: each rule is charged the upper end of
  the 95% interval of the good rows it newly hits (the winner's curse: a rule tuned on
  these rows hits more good rows on later ones), or, when its false-positive rate rises
  through the search periods, where that trend leads by the end of the next period
  (`projected`); the charges add up; the set's
  marginal false-positive rate stays within the budget at the upper 95% bound over one
  period's good rows (a later window of that size keeps it too). Judged on the search
  window alone, so later rows never change the choice; and the set's false-positive rate
  in the latest period (the most like the rows to come) stays within the budget;
* it pays in at least `min_folds` of the search periods: it newly stops a bad row there,
  with a marginal false-positive rate within the budget;
* it is not an existing rule again (the same rows on the search window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from riskctl.metrics.intervals import wilson, wilson_at
from riskctl.rules.candidates import MIN_BAD, Candidate

POOL = 120  # candidates considered by the greedy steps (those stopping the most bad rows)


@dataclass(frozen=True)
class Chosen:
    candidate: Candidate
    bad: int  # bad rows it newly stops on the search window, after the rules before it
    good: int
    folds_passed: int


@dataclass(frozen=True)
class PoolCounts:
    """What the greedy step weighs (`rules.pool_cells` counts it)."""

    differs: np.ndarray  # (candidates, existing rules): rows where the two differ
    new: np.ndarray  # (candidates, periods, 2): open bad and good rows newly stopped


Count = Callable[[list[int]], PoolCounts]  # the counts with the given candidates chosen


def select_rules(
    pool: list[Candidate],
    count: Count,
    goods: np.ndarray,
    budget: float,
    max_rules: int,
    min_folds: int,
) -> list[Chosen]:
    """`pool`: the candidates (`candidate_pool`); `count`: their counts on the search
    window; `goods`: its rows labelled good per period."""
    counts = count([])
    keep = [i for i in range(len(pool)) if counts.differs[i].all()]  # not an existing rule
    total_good, period_good = int(goods.sum()), int(goods.sum()) // len(goods)
    used_good, charged, latest = 0, 0.0, 0
    chosen: list[Chosen] = []
    for _ in range(max_rules):
        if chosen:
            counts = count([pool.index(c.candidate) for c in chosen])
        best = None
        for i in keep:
            b, g = (int(x) for x in counts.new[i].sum(axis=0))
            cost = max(_charge(g, total_good), projected(counts.new[i][:, 1], goods) * total_good)
            spent = (used_good + g, charged + cost)
            if b < MIN_BAD or not _within(*spent, total_good, period_good, budget):
                continue
            if latest + counts.new[i][-1, 1] > budget * goods[-1]:
                continue  # together, over the budget in the latest period
            passed = _folds_passed(counts.new[i], goods, budget)
            if passed < min_folds:
                continue
            key = (-b, g, len(pool[i].atoms), pool[i].when)
            if best is None or key < best[0]:
                best = (key, i, b, g, passed, cost)
        if best is None:
            break
        _, i, b, g, passed, cost = best
        chosen.append(Chosen(pool[i], b, g, passed))
        latest += int(counts.new[i][-1, 1])
        used_good += g
        charged += cost
        keep.remove(i)
    return chosen


def candidate_pool(candidates: list[Candidate]) -> list[Candidate]:
    """Those stopping the most bad rows, and the most precise ones (lower Wilson bound)."""
    most = sorted(candidates, key=lambda c: (-c.bad, c.good, len(c.atoms), c.when))
    precise = sorted(
        candidates, key=lambda c: (-wilson(c.bad, c.bad + c.good).low, len(c.atoms), c.when)
    )
    pool = {c.atoms: c for c in [*most[: POOL // 2], *precise[: POOL // 2]]}
    return sorted(pool.values(), key=lambda c: (-c.bad, c.good, len(c.atoms), c.when))


def allowed_good(total: int, period_total: int, budget: float) -> int:
    """The most good rows one rule may newly hit on the search window; -1: none (not even
    zero keeps the budget, e.g. periods too small)."""
    if not _within(0, _charge(0, total), total, period_total, budget):
        return -1
    low, high = 0, total
    while low < high:  # the bounds grow with the count: the largest count still within
        mid = (low + high + 1) // 2
        inside = _within(mid, _charge(mid, total), total, period_total, budget)
        low, high = (mid, high) if inside else (low, mid - 1)
    return low


def _charge(good: int, total: int) -> float:
    """The good rows a rule is charged: the upper end of its count's 95% interval. A rule
    tuned on the search window hits more good rows on later ones (the winner's curse), and
    the chosen rules' charges add up."""
    return wilson(good, total).high * total if total else float(good)


def projected(good: np.ndarray, goods: np.ndarray) -> float:
    """A rule's false-positive rate where its trend through the search periods leads by the
    end of the next period (0 when it does not rise): a line through each period's rate,
    weighted by its good rows. A rule whose false positives grow period after period (a
    campaign bringing new good customers, a growing segment) keeps growing on later rows;
    the pooled rate would charge it the past's average."""
    seen = goods > 0
    if seen.sum() < 2:
        return 0.0
    x = np.arange(len(goods), dtype=np.float64)[seen] + 0.5  # period centres
    w = goods[seen].astype(np.float64)
    rate = good[seen] / w
    mx, mr = np.average(x, weights=w), np.average(rate, weights=w)
    spread = float(np.sum(w * (x - mx) ** 2))
    slope = float(np.sum(w * (x - mx) * (rate - mr))) / spread
    return max(0.0, mr + slope * (len(goods) + 1 - mx)) if slope > 0 else 0.0


def _within(good: int, charged: float, total: int, period_total: int, budget: float) -> bool:
    """The rules' charged good rows within the budget on the search window, and their
    marginal false-positive rate within it at the upper 95% bound over one period's good
    rows."""
    if not total:
        return good == 0
    if charged > budget * total:
        return False
    return not (period_total and wilson_at(charged / total, period_total)[1] > budget)


def _folds_passed(new: np.ndarray, goods: np.ndarray, budget: float) -> int:
    """Periods where the rule newly stops a bad row within the budget's false-positive rate
    (`new`: per period, bad and good rows it newly stops)."""
    within = new[:, 1] <= budget * goods
    return int(((new[:, 0] > 0) & within).sum())
