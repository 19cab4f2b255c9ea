"""The whole pipeline on built-in synthetic history: generate raw events, derive point-in-time
features, train, score, simulate, explain, check, report. Each step calls the same library
function its command does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from riskctl.data.io import write_table, write_text
from riskctl.data.output import check_output_dir
from riskctl.errors import UsageError
from riskctl.explain.batches import ExplainOptions, explain_file
from riskctl.features import add_features
from riskctl.gate.baseline_limits import check_guardrails
from riskctl.gate.guardrails import GuardrailResult
from riskctl.model.detector import Detector
from riskctl.model.score import score_frame
from riskctl.model.train import train_detector
from riskctl.report.build import report_for_run
from riskctl.resources import examples_dir, strategies_dir
from riskctl.simulation.simulate import SimulationRun, run_simulation
from riskctl.synth.events import generate_events

Step = Callable[[str], None]
EVENTS_START, EVENTS_DAYS = datetime(2026, 6, 1), 90  # generate_events' defaults
Progress = Callable[[int, int], None]

# the detector learns from the first two thirds of the history; strategies are judged on
# the last third, which the detector never saw
TRAIN_SHARE = 2 / 3
# the demo's folder holds every file the documentation's examples name
EXAMPLE_STRATEGIES = (
    "baseline.yaml",
    "candidate.yaml",
    "loose.yaml",  # a candidate that fails its guardrails: `check` exits 1
    "production.yaml",  # for `riskctl data generate --production`
    "reason_codes.yaml",
    "README.md",
)
NEW_DAYS = 2  # new_events.parquet: unlabelled orders of the days after the history
# The demo's training settings (written to model.yaml, passed as `riskctl train --config`).
# On its ~130k training rows the defaults' 30 rounds of patience and 256 bins cost about
# twice the training time for no better detector: with seeds 1, 2 and 7, test ROC AUC and
# PR AUC moved by at most 0.004 either way (seed 7: 0.9670 / 0.8653 -> 0.9700 / 0.8688).
DEMO_MODEL = """# the demo's training settings (see `riskctl train --help`, model.yaml)
early_stopping_rounds: 15   # stop when validation PR AUC has not improved for 15 rounds
max_bin: 128                # histogram bins per feature
"""


@dataclass(frozen=True)
class DemoResult:
    out: Path
    events: Path
    history: Path
    detector: Detector
    scored: Path
    explanations: Path
    report: Path
    run: SimulationRun
    guardrails: list[GuardrailResult]


def _raw_events_and_features(
    out: Path, rows: int, seed: int, say: Step
) -> tuple[Path, Path, Path, pl.DataFrame]:
    """Raw events, the example features spec, and the events with their derived columns."""
    if rows < 2_000:
        raise UsageError(
            "--rows must be at least 2000 for the demo",
            hint="the detector needs enough bad rows to learn from",
        )
    check_output_dir(out)
    say(f"Generating {rows:,} raw order events (seed {seed})")
    events = generate_events(rows=rows, seed=seed)
    events_path = write_table(events, out / "events.parquet")
    _new_events(out, rows, seed)
    spec = out / "features.yaml"
    write_text((examples_dir() / "features.yaml").read_text(encoding="utf-8"), spec)
    say("Deriving point-in-time features: device sharing, velocity, rings")
    history = add_features(events, spec).frame
    return events_path, spec, write_table(history, out / "history.parquet"), history


def _new_events(out: Path, rows: int, seed: int) -> Path:
    """Orders of the days after the history, not yet labelled: what a detector scores
    next (with the history as context for its derived features)."""
    start = EVENTS_START + timedelta(days=EVENTS_DAYS)
    new = generate_events(
        rows=max(rows * NEW_DAYS // EVENTS_DAYS, 200), seed=seed + 1, days=NEW_DAYS, start=start
    )
    ids = [c for c in new.columns if c == "order_id"]
    new = new.with_columns(pl.concat_str(pl.lit("new-"), pl.col(c)).alias(c) for c in ids)
    return write_table(new.drop("is_bad", "attack", strict=False), out / "new_events.parquet")


def _copy_strategies(out: Path) -> Path:
    strategies = out / "strategies"
    check_output_dir(strategies)
    for name in EXAMPLE_STRATEGIES:
        text = (strategies_dir() / name).read_text(encoding="utf-8")
        # from the repository's strategies/ the demo's detector is ../riskctl-demo/detector;
        # from the demo's own strategies/ it is ../detector
        text = text.replace("../riskctl-demo/detector", "../detector")
        write_text(text, strategies / name)
    return strategies


def run_demo(
    out: Path,
    rows: int = 200_000,
    seed: int = 7,
    step: Step | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    say = step or (lambda _msg: None)
    events_path, spec, history_path, history = _raw_events_and_features(out, rows, seed, say)
    cut = history["event_time"].sort()[int(history.height * TRAIN_SHARE)]
    train_path = write_table(history.filter(pl.col("event_time") < cut), out / "train.parquet")
    later = history.filter(pl.col("event_time") >= cut)

    say("Training an XGBoost detector on the earlier two thirds")
    model = write_text(DEMO_MODEL, out / "model.yaml")
    detector = train_detector(
        train_path,
        label="is_bad",
        time="event_time",
        exclude=["attack"],
        out=out / "detector",
        seed=seed,
        progress=progress,
        features_spec=spec,
        config=model,
    ).detector

    say("Scoring the later third, which the detector never saw")
    scored_path = write_table(score_frame(detector, later), out / "scored.parquet")

    strategies = _copy_strategies(out)
    say("Simulating the candidate strategy against the baseline")
    candidate, baseline = strategies / "candidate.yaml", strategies / "baseline.yaml"
    run = run_simulation(candidate, scored_path, baseline=baseline, by=["segment"])
    guardrails = check_guardrails(run)

    say("Explaining the candidate's flagged rows with exact SHAP contributions")
    catalogue = strategies / "reason_codes.yaml"
    options = ExplainOptions(
        strategy=strategies / "candidate.yaml", catalogue=catalogue, only_flagged=True, summary=True
    )
    explained = explain_file(detector.path, scored_path, out / "explanations.parquet", options)

    say("Rendering the report")
    report = report_for_run(
        run,
        guardrails,
        detector,
        out / "report.html",
        command=f"riskctl demo --rows {rows} --seed {seed}",
        catalogue=catalogue,
        summary=explained.summary,
    )
    explanations = out / "explanations.parquet"
    return DemoResult(
        out, events_path, history_path, detector, scored_path, explanations, report, run, guardrails
    )
