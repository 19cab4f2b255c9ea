"""Random labelled histories and strategies for the rules tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

CATEGORIES = ["books", "toys", "gift_cards", "electronics", "food", None]


def random_history(seed: int, rows: int = 6_000, unlabelled: float = 0.0) -> pl.DataFrame:
    """Rows over 60 days; bad rows come partly from a score, partly from a pattern (a
    category with a high amount, or a missing device count) no score sees."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 1)
    seconds = np.sort(rng.uniform(0, 60 * 86_400, rows))
    category = rng.choice(np.array(CATEGORIES, dtype=object), rows)
    amount = np.round(rng.lognormal(3.5, 1.0, rows), 2)
    devices = rng.poisson(1.5, rows).astype(float)
    devices[rng.random(rows) < 0.05] = np.nan
    promo = rng.random(rows) < 0.2
    score = rng.beta(1, 8, rows)
    pattern = ((category == "gift_cards") & (amount > 60)) | np.isnan(devices) & promo
    p = 0.004 + 0.6 * score**2 + 0.5 * pattern
    bad = (rng.random(rows) < np.clip(p, 0, 1)).astype(float)
    score = np.clip(score + 0.3 * bad * rng.random(rows), 0, 1)
    bad[rng.random(rows) < unlabelled] = np.nan
    return pl.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(rows)],
            "event_time": [start + timedelta(seconds=float(s)) for s in seconds],
            "category": category.tolist(),
            "amount": amount,
            "devices": pl.Series(devices).fill_nan(None),
            "promo": promo,
            "score": score,
            "is_bad": pl.Series(bad).fill_nan(None).cast(pl.Int8),
        }
    )


def random_strategy(seed: int) -> str:
    rng = np.random.default_rng(seed)
    rules = [
        "amount >= 400",
        "devices >= 4 AND promo",
        "category = 'electronics' AND amount > 200",
        "category = 'gift_cards' AND amount > 150",
    ]
    chosen = rng.choice(len(rules), size=int(rng.integers(0, 3)), replace=False)
    text = (
        "name: random\nactions: [block, review, allow]\n"
        f"thresholds:\n  block: {{score: {rng.uniform(0.6, 0.9):.3f}}}\n"
        f"  review: {{score: {rng.uniform(0.3, 0.6):.3f}}}\n"
        "label: is_bad\ntime: event_time\namount: amount\n"
    )
    if len(chosen):
        text += "rules:\n"
        for i in chosen:
            mode = "shadow" if rng.random() < 0.3 else "active"
            action = "block" if rng.random() < 0.5 else "review"
            text += f'  - {{name: r{i}, when: "{rules[i]}", action: {action}, mode: {mode}}}\n'
    return text
