"""History as production saw it: a strategy decided every row, a random control group was
let through whatever the decision, and rows it stopped never got an outcome.

`riskctl data generate --production STRATEGY --control-rate 0.05` writes such a history, so
the naive, bounds and control-group estimates can be checked against the truth, which the
generator keeps in a column for evaluation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.errors import ConfigError, UsageError
from riskctl.features.stored import stored_spec, with_stored_features
from riskctl.model.detector import load_detector
from riskctl.model.score import score_frame
from riskctl.strategy.decisions import ACTION
from riskctl.strategy.engine import compile_strategy, decide
from riskctl.strategy.load import load_strategy

DECISION = "prod_action"  # what production's strategy decided
CONTROL = "in_control"  # let through at random whatever the decision
PROPENSITY = "p_allow"  # probability the row was let through
TRUTH_PREFIX = "true_"  # the outcome with nothing hidden: for evaluation only


@dataclass(frozen=True)
class Production:
    """Summary of what production hid."""

    decision: str
    control: str
    propensity: str
    truth: str
    no_outcome: list[str]
    stopped: int  # rows production stopped
    control_rows: int
    hidden: int  # labels nulled: stopped rows outside the control group


def derives_from_raw_events(strategy_path: Path, derived: bool = False) -> bool:
    """Whether the strategy's detectors derive their features from raw events (trained with
    `--features`): production history is then generated as raw events, else with the
    generator's own derived columns (`derived`: those were asked for, e.g. to plant drift)."""
    loaded = load_strategy(strategy_path)
    raw = any(
        stored_spec(det.path, det.manifest) is not None
        for det in (load_detector(loaded.detector_path(c)) for c in loaded.strategy.detectors)
    )
    if raw and derived:
        raise UsageError(
            "--drift and --derived write the generator's own derived columns, which the "
            f"detectors of {strategy_path} (trained with --features on raw events) cannot read",
            hint="drop --drift/--derived with this strategy, or name a detector trained on "
            "`riskctl data generate --derived` history",
        )
    return raw


def production_history(
    df: pl.DataFrame, strategy_path: Path, control_rate: float, seed: int
) -> tuple[pl.DataFrame, Production]:
    """`df` as production would have recorded it under the strategy at `strategy_path`."""
    if not 0 < control_rate < 1:
        raise UsageError("--control-rate must be between 0 and 1, e.g. 0.05")
    loaded = load_strategy(strategy_path)
    s = loaded.strategy
    label = s.label or "is_bad"
    if label not in df.columns:
        raise ConfigError(f"label column '{label}' is not in the generated history")
    h = s.history
    no_outcome = h.no_outcome if h else ["block"]
    # the strategy's own `history:` names, so it reads back what it wrote
    names = (
        (h and h.decision) or DECISION,
        (h and h.control) or CONTROL,
        (h and h.propensity) or PROPENSITY,
    )
    scored = df
    for column in s.detectors:
        if column not in scored.columns:
            detector = load_detector(loaded.detector_path(column))
            # a detector trained on derived features derives them from the raw events the
            # way it was trained; production logs those columns and its score, so they are
            # written too and a candidate on the same detector reads them as they are
            derived = with_stored_features(scored.lazy(), detector.path, detector.manifest)
            scored = score_frame(detector, derived.collect(), column)
    df = scored
    decided = decide(compile_strategy(loaded, scored.schema), scored.lazy()).collect()
    action = decided[ACTION].to_numpy()
    stopped = np.isin(action, no_outcome)
    control = np.random.default_rng([seed, 1616]).random(df.height) < control_rate
    hidden = stopped & ~control
    truth = f"{TRUTH_PREFIX}{label}"
    out = df.with_columns(
        pl.Series(names[0], action, dtype=pl.String),
        pl.Series(names[1], control, dtype=pl.Boolean),
        pl.Series(names[2], np.where(stopped, control_rate, 1.0), dtype=pl.Float64),
        pl.col(label).alias(truth),
        pl.when(pl.Series(hidden)).then(None).otherwise(pl.col(label)).alias(label),
    )
    summary = Production(
        *names,
        truth,
        list(no_outcome),
        int(stopped.sum()),
        int(control.sum()),
        int(hidden.sum()),
    )
    return out, summary
