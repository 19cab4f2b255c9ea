"""What the report's words mean, for a reader who does not build strategies."""

from __future__ import annotations

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Catch rate",
        "Of all the bad orders (fraud, chargebacks), the share the strategy stops or sends "
        "to review. Higher is better.",
    ),
    (
        "False-positive rate (FPR)",
        "Of all the good orders, the share the strategy stops or sends to review by mistake: "
        "the cost to good customers. Lower is better.",
    ),
    (
        "Precision",
        "Of the orders the strategy flags, the share that really are bad. Low precision "
        "means reviewers and customers spend time on good orders.",
    ),
    (
        "Alert rate",
        "The share of all orders the strategy flags, good, bad or not yet known.",
    ),
    (
        "Review load",
        "Orders sent to manual review per day: the mean over the days of the history, the "
        "busiest day (peak) and the days over the team's review capacity.",
    ),
    (
        "Threshold",
        "The score at or above which an order gets an action; a lower threshold catches more "
        "and hits more good orders. The trade-off curve shows every threshold.",
    ),
    (
        "Swap set",
        "What a change really does: the orders the new strategy flags that the old one did "
        "not (swap-in), and the orders the old one flagged that the new one lets through "
        "(swap-out). Two strategies with the same catch rate can flag different orders.",
    ),
    (
        "Interval",
        "The range of values the true number plausibly lies in (95%), given how many orders "
        "the history has. A change whose interval includes 0 may be noise.",
    ),
)
