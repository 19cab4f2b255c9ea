"""The report's facts, caveats and checksums: what was evaluated, what to read with care,
and what pins the result."""

from __future__ import annotations

from riskctl.model.detector import Detector
from riskctl.numbers import fmt_int, fmt_percent, fmt_points
from riskctl.simulation.simulate import SimulationRun

SMALL_SAMPLE_BAD_ROWS = 100


def facts(run: SimulationRun, detector: Detector | None) -> list[tuple[str, str]]:
    m = run.candidate.metrics
    chosen = run.evaluation_rows
    used = (
        chosen.described()
        if chosen is not None
        else "every row (no detector the strategy names recorded a split that matches them)"
    )
    out = [
        ("Rows evaluated", fmt_int(int(m.rows))),
        ("Rows used", used),
        ("Bad rows", fmt_int(int(m.bad))),
        (
            "Bad rate (labelled rows)",
            fmt_percent(m.bad / (m.bad + m.good)) if m.bad + m.good else "n/a",
        ),
        ("Days covered", fmt_int(int(m.days))),
        ("No usable label (in alert rate and review load only)", fmt_int(int(m.no_label))),
    ]
    if run.roles.time:
        t = run.table[run.roles.time]
        out.append(("Time span", f"{t.min()!s} to {t.max()!s}"))
    if detector is not None:
        dm = detector.manifest.get("metrics", {})
        out.append(("Detector ROC AUC (test slice)", f"{dm.get('roc_auc', float('nan')):.4f}"))
        out.append(("Detector PR AUC (test slice)", f"{dm.get('pr_auc', float('nan')):.4f}"))
    return out


def caveats(run: SimulationRun, detector: Detector | None) -> list[str]:
    m = run.candidate.metrics
    chosen = run.evaluation_rows
    warning = chosen.warning if chosen is not None else None
    out = [warning[:1].upper() + warning[1:] + "."] if warning else []
    out += list(m.notes)
    if m.bad < SMALL_SAMPLE_BAD_ROWS:
        out.append(f"Only {m.bad} bad rows: intervals are wide; read changes with care.")
    if run.comparison is not None:
        for key, name in (
            ("catch_rate", "catch rate"),
            ("false_positive_rate", "false-positive rate"),
        ):
            d = run.comparison.delta.get(key)
            if d is not None and d.low <= 0 <= d.high and d.value != 0:
                out.append(
                    f"The change in {name} ({fmt_points(d.value)}) is smaller than its 95% "
                    f"interval ({fmt_points(d.low)} to {fmt_points(d.high)}): it may be noise."
                )
    if detector is not None:
        dm = detector.manifest.get("metrics", {})
        tb, vb = dm.get("train_bad_rate"), dm.get("test_bad_rate")
        if tb and vb and max(tb, vb) > 2 * min(tb, vb):
            out.append(
                "Bad rate changed more than 2x between training and test: the regime changed."
            )
    return out


def checksums(run: SimulationRun, detector: Detector | None) -> list[tuple[str, str]]:
    out = [
        (f"data {run.data_path.name}", run.data_sha256),
        (f"strategy {run.candidate.loaded.path.name}", run.candidate.loaded.sha256),
    ]
    if run.baseline:
        out.append((f"strategy {run.baseline.loaded.path.name}", run.baseline.loaded.sha256))
    if detector is not None:
        out.append(("detector model", detector.manifest["model_sha256"]))
    return out
