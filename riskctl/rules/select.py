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
* it does not only repeat an existing rule: its rows on the search window are not all that
  rule's, nor nine in ten of them for a rule in shadow mode (a suggestion not yet acting:
  suggesting again on the written strategy does not propose its rules narrowed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from riskctl.metrics.intervals import wilson, wilson_at
from riskctl.rules.candidates import MIN_BAD, Candidate

POOL = 120  # candidates considered by the greedy steps (those stopping the most bad rows)
NEAR = 0.9  # a candidate with this share of its rows inside a shadow rule repeats it


@dataclass(frozen=True)
class Chosen:
    candidate: Candidate
    bad: int  # bad rows it newly stops on the search window, after the rules before it
    good: int
    folds_passed: int
    unknown: int = 0  # rows with no usable label it newly hits (charged as good)


@dataclass(frozen=True)
class PoolCounts:
    """What the greedy step weighs (`rules.pool_cells` counts it)."""

    outside: np.ndarray  # (candidates, existing rules): rows of the candidate, not the rule
    new: np.ndarray  # (candidates, periods, 3): open bad, good and unlabelled rows newly hit
    fires: np.ndarray  # per candidate: the search rows it fires on
    shadow: np.ndarray  # per existing rule: in shadow mode

    def repeats(self, i: int) -> bool:
        """Candidate `i` only repeats an existing rule: all its rows are that rule's, or, for
        a rule in shadow mode (a suggestion not yet acting, say), nine in ten of them."""
        inside = self.outside[i] == 0
        mostly = self.shadow & (self.outside[i] <= (1 - NEAR) * self.fires[i])
        return bool((inside | mostly).any())

    def charged(self, i: int) -> np.ndarray:
        """Per period, the rows candidate `i` newly hits that count against the budget:
        good ones and, at worst good, those with no usable label."""
        return self.new[i][:, 1] + self.new[i][:, 2]


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
    keep = [i for i in range(len(pool)) if not counts.repeats(i)]
    total_good, period_good = int(goods.sum()), int(goods.sum()) // len(goods)
    used_good, charged, latest = 0, 0.0, 0
    chosen: list[Chosen] = []
    for _ in range(max_rules):
        if chosen:
            counts = count([pool.index(c.candidate) for c in chosen])
        best = None
        for i in keep:
            b, good, unknown = (int(x) for x in counts.new[i].sum(axis=0))
            spend = counts.charged(i)
            g = int(spend.sum())
            cost = max(_charge(g, total_good), projected(spend, goods) * total_good)
            spent = (used_good + g, charged + cost)
            if b < MIN_BAD or not _within(*spent, total_good, period_good, budget):
                continue
            if latest + spend[-1] > budget * goods[-1]:
                continue  # together, over the budget in the latest period
            passed = _folds_passed(counts.new[i][:, 0], spend, goods, budget)
            if passed < min_folds:
                continue
            key = (-b, g, len(pool[i].atoms), pool[i].when)
            if best is None or key < best[0]:
                best = (key, i, b, g, passed, cost, good, unknown)
        if best is None:
            break
        _, i, b, g, passed, cost, good, unknown = best
        chosen.append(Chosen(pool[i], b, good, passed, unknown))
        latest += int(counts.charged(i)[-1])
        used_good += g
        charged += cost
        keep.remove(i)
    return chosen


SHARES = (0.25, 0.5, 0.75, 1.0)  # of the budget, each tried by `choose_rules`


def choose_rules(
    pool: list[Candidate],
    count: Count,
    goods: np.ndarray,
    budget: float,
    max_rules: int,
    min_folds: int,
) -> list[Chosen]:
    """The greedy choice (`select_rules`) within each share of the budget, and of those sets
    the one that newly stops the most bad rows on the search window (then the fewest good
    ones). Greedy takes the broadest rule first, which at a larger budget can crowd out
    several precise ones: a larger budget then never stops fewer bad rows than a smaller
    share of it would."""
    best: tuple[tuple[int, int], list[Chosen]] | None = None
    for share in SHARES:
        chosen = select_rules(pool, count, goods, budget * share, max_rules, min_folds)
        key = (-sum(c.bad for c in chosen), sum(c.good + c.unknown for c in chosen))
        if best is None or key < best[0]:
            best = (key, chosen)
    return best[1] if best else []


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


def _folds_passed(bad: np.ndarray, charged: np.ndarray, goods: np.ndarray, budget: float) -> int:
    """Periods where the rule newly stops a bad row within the budget's false-positive rate
    (per period: bad rows it newly stops, rows charged as good)."""
    return int(((bad > 0) & (charged <= budget * goods)).sum())
