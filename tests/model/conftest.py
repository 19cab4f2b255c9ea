"""Small synthetic histories with planted problems: a burst of fraud at the start, rings
that share a fingerprint across accounts, a leaking column."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

START = datetime(2026, 1, 5)  # a Monday: weeks start on the first day


def planted_history(
    rows: int = 3_000,
    weeks: int = 12,
    burst_weeks: float = 2.5,
    rings: int = 60,
    ring_size: int = 5,
    seed: int = 0,
) -> pl.DataFrame:
    """Orders over `weeks` weeks. Ordinary labels are noise (4.5% bad, no signal in any
    column) except during a burst at the start (70-95% bad). Ring members are bad and share
    one device and the same amount, age, browser and source on every account; each ring's
    fingerprint is drawn from the same distributions as ordinary rows, so only memorising a
    ring seen in training can recognise it."""
    rng = np.random.default_rng(seed)
    n_plain = rows - rings * ring_size
    t = rng.uniform(0, weeks * 7 * 86_400, n_plain)
    burst = t < burst_weeks * 7 * 86_400
    p_bad = np.where(burst, rng.uniform(0.7, 0.95, n_plain), 0.045)
    plain = {
        "seconds": t,
        "device": [f"d{i}" for i in range(n_plain)],
        "account": [f"a{i}" for i in range(n_plain)],
        "amount": np.round(rng.lognormal(3.5, 0.8, n_plain), 2),
        "age_days": rng.integers(0, 900, n_plain),
        "browser": rng.choice(["chrome", "safari", "firefox", "edge", "opera"], n_plain),
        "source": rng.choice(["seo", "ads", "direct"], n_plain),
        "is_bad": (rng.random(n_plain) < p_bad).astype(np.int8),
    }
    ring_rows = rings * ring_size
    ring_of = np.repeat(np.arange(rings), ring_size)
    ring_t = rng.uniform(burst_weeks * 7 * 86_400, weeks * 7 * 86_400, rings)
    ringed = {
        "seconds": np.minimum(
            ring_t[ring_of] + rng.uniform(0, 3 * 86_400, ring_rows), weeks * 7 * 86_400 - 1
        ),
        "device": [f"ring{r}" for r in ring_of],
        "account": [f"r{i}" for i in range(ring_rows)],
        "amount": np.round(rng.lognormal(3.5, 0.8, rings), 2)[ring_of],
        "age_days": rng.integers(0, 900, rings)[ring_of],
        "browser": rng.choice(["chrome", "safari", "firefox", "edge", "opera"], rings)[ring_of],
        "source": rng.choice(["seo", "ads", "direct"], rings)[ring_of],
        "is_bad": np.ones(ring_rows, dtype=np.int8),
    }
    frame = pl.concat([pl.DataFrame(plain), pl.DataFrame(ringed)])
    return (
        frame.with_columns(
            event_time=pl.lit(START) + pl.duration(seconds=pl.col("seconds")),
        )
        .drop("seconds")
        .sort("event_time")
        .select(
            "event_time", "device", "account", "amount", "age_days", "browser", "source", "is_bad"
        )
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "history.parquet"
    planted_history().write_parquet(path)
    return path


def week(offset: int) -> str:
    return str((START + timedelta(weeks=offset)).date())
