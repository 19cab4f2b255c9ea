"""The whole pipeline on built-in synthetic history: generate, train, score, simulate,
explain, check, report. Each step calls the same library function its command does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from riskctl.data.generate import generate_history
from riskctl.data.io import write_table, write_text
from riskctl.data.output import check_output_dir
from riskctl.errors import UsageError
from riskctl.evaluate.simulate import SimulationRun, run_simulation
from riskctl.explain.batches import ExplainOptions, explain_file
from riskctl.gate.guardrails import GuardrailResult, check_guardrails
from riskctl.model.detector import Detector
from riskctl.model.score import score_frame
from riskctl.model.train import train_detector
from riskctl.report.build import report_for_run
from riskctl.resources import strategies_dir

Step = Callable[[str], None]
Progress = Callable[[int, int], None]

# the detector learns from the first two thirds of the history; strategies are judged on
# the last third, which the detector never saw
TRAIN_SHARE = 2 / 3
EXAMPLE_STRATEGIES = ("baseline.yaml", "candidate.yaml", "reason_codes.yaml", "README.md")


@dataclass(frozen=True)
class DemoResult:
    out: Path
    history: Path
    detector: Detector
    scored: Path
    explanations: Path
    report: Path
    run: SimulationRun
    guardrails: list[GuardrailResult]


def run_demo(
    out: Path,
    rows: int = 200_000,
    seed: int = 7,
    step: Step | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    if rows < 2_000:
        raise UsageError(
            "--rows must be at least 2000 for the demo",
            hint="the detector needs enough bad rows to learn from",
        )
    say = step or (lambda _msg: None)
    check_output_dir(out)

    say(f"Generating {rows:,} rows of synthetic order history (seed {seed})")
    history = generate_history(rows=rows, seed=seed)
    history_path = write_table(history, out / "history.parquet")
    cut = history["event_time"].sort()[int(history.height * TRAIN_SHARE)]
    train_path = write_table(history.filter(pl.col("event_time") < cut), out / "train.parquet")
    later = history.filter(pl.col("event_time") >= cut)

    say("Training an XGBoost detector on the earlier two thirds")
    trained = train_detector(
        train_path,
        label="is_bad",
        time="event_time",
        exclude=["attack"],
        out=out / "detector",
        seed=seed,
        progress=progress,
    )
    detector = trained.detector

    say("Scoring the later third, which the detector never saw")
    scored_path = write_table(score_frame(detector, later), out / "scored.parquet")

    strategies = out / "strategies"
    check_output_dir(strategies)
    for name in EXAMPLE_STRATEGIES:
        write_text((strategies_dir() / name).read_text(encoding="utf-8"), strategies / name)
    say("Simulating the candidate strategy against the baseline")
    run = run_simulation(
        strategies / "candidate.yaml",
        scored_path,
        baseline=strategies / "baseline.yaml",
        by=["segment"],
    )
    guardrails = check_guardrails(run)

    say("Explaining the candidate's flagged rows with exact SHAP contributions")
    catalogue = strategies / "reason_codes.yaml"
    explained = explain_file(
        detector.path,
        scored_path,
        out / "explanations.parquet",
        ExplainOptions(
            strategy=strategies / "candidate.yaml",
            catalogue=catalogue,
            only_flagged=True,
            summary=True,
        ),
    )

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
    return DemoResult(
        out,
        history_path,
        detector,
        scored_path,
        out / "explanations.parquet",
        report,
        run,
        guardrails,
    )
