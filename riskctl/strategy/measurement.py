"""Measurement settings: the fields of a strategy that change how a metric is computed, not
what the strategy decides.

`label`, `bad`, `time`, `amount`, `costs`, `reviews`, `review_capacity_per_day`,
`label_maturity_days` and `history` say which column is the outcome, which value is bad,
how rows spread over days, what a flagged row costs, which actions count as reviews and
which outcomes are seen. A change that sets `reviews: []` or `time: signup_time` leaves
every decision as it was and still moves review load per day to zero; so a baseline's
guardrails are judged on the candidate's decisions measured with the baseline's settings
(`measured_as`).

Reviews under the baseline's settings: the baseline names its review actions, and the
candidate may have renamed or added actions. An action of the candidate counts as a review
when the baseline counts an action of that name, when the candidate counts it itself, or
when the baseline has no action of that name (a renamed review action must not leave the
review load), except the candidate's pass action. An action both sides have and neither
counts as a review (e.g. `block`) does not count. A candidate that adds a new action which
is not a review sees it counted against the baseline's review guardrails: name it as the
baseline does, or change the baseline first.
"""

from __future__ import annotations

from typing import Any

from riskctl.strategy.schema import Strategy

MEASUREMENT_FIELDS = (
    "label",
    "bad",
    "time",
    "amount",
    "costs",
    "reviews",
    "review_capacity_per_day",
    "label_maturity_days",
    "history",
)


def _value(strategy: Strategy, name: str) -> Any:
    if name == "reviews":  # as counted: `reviews:` unset means the action named review
        return sorted(strategy.review_actions)
    value = getattr(strategy, name)
    return value.model_dump() if hasattr(value, "model_dump") else value


def measurement_changes(base: Strategy, cand: Strategy) -> list[tuple[str, Any, Any]]:
    """(field, the baseline's value, the candidate's) for each measurement setting the
    candidate changes; `reviews` compares the actions each side counts as reviews."""
    changed = []
    for name in MEASUREMENT_FIELDS:
        before, after = _value(base, name), _value(cand, name)
        if before != after:
            changed.append((name, before, after))
    return changed


def reviews_under(base: Strategy, cand: Strategy) -> list[str]:
    """The candidate's actions that count as reviews under the baseline's settings (see the
    module's docstring)."""
    counted = set(base.review_actions) | set(cand.review_actions)
    return [
        a for a in cand.actions if a in counted or (a not in base.actions and a != cand.pass_action)
    ]


def measured_as(cand: Strategy, base: Strategy) -> Strategy:
    """The candidate's decisions (actions, thresholds, segments, rules, detectors) with the
    baseline's measurement settings."""
    update: dict[str, Any] = {name: getattr(base, name) for name in MEASUREMENT_FIELDS}
    update["reviews"] = reviews_under(base, cand)
    return cand.model_copy(update=update)


def measurement_note(changes: list[tuple[str, Any, Any]]) -> str:
    """One line saying which measurement settings the candidate changes."""
    what = "; ".join(f"{name}: {_shown(b)} -> {_shown(a)}" for name, b, a in changes)
    return (
        f"the candidate changes how metrics are measured ({what}): the baseline's guardrails "
        "are judged on the candidate's decisions measured with the baseline's settings"
    )


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
