"""Rendering detectors for the terminal: column roles and validation metrics."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

from riskctl.data.roles import ColumnRole
from riskctl.escape import for_terminal


def roles_table(roles: list[ColumnRole]) -> Table:
    table = Table(title="Column roles", title_justify="left", box=None, pad_edge=False)
    for name in ("column", "role", "why"):
        table.add_column(name)
    style = {"excluded": "dim", "id": "dim", "datetime": "dim"}
    for r in roles:
        s = style.get(r.role, "")
        role = for_terminal(r.role)
        table.add_row(for_terminal(r.column), f"[{s}]{role}[/]" if s else role, for_terminal(r.why))
    return table


def _ci(m: dict[str, Any], key: str, pct: bool = False) -> str:
    low, high = m["intervals"][key]
    if pct:
        return f"({100 * low:.1f}–{100 * high:.1f}%)"
    return f"({low:.3f}–{high:.3f})"


def test_summary(manifest: dict[str, Any]) -> Group:
    """Test-slice metrics with their 95% intervals, calibration and importance."""
    m, split = manifest["metrics"], manifest["split"]
    kept = for_terminal(", ".join(split["groups"]))
    groups = f", groups kept whole by {kept}" if split["groups"] else ""
    head = (
        f"Test slice ({split['kind']} split{groups}): {m['rows']:,} rows, {m['bad']:,} bad "
        f"({100 * m['bad_rate']:.2f}%); trained on {split['train_rows']:,}, early stopping "
        f"on {split['early_stopping_rows']:,}.\n"
        f"ROC AUC {m['roc_auc']:.4f} {_ci(m, 'roc_auc')}, PR AUC {m['pr_auc']:.4f} "
        f"{_ci(m, 'pr_auc')}, Brier {m['brier']:.4f} {_ci(m, 'brier')}; 95% intervals"
    )
    at = ", ".join(
        f"{100 * float(fpr):g}% FPR: {100 * rate:.1f}% {_ci(m, f'catch_rate_at_fpr.{fpr}', True)}"
        for fpr, rate in m["catch_rate_at_fpr"].items()
    )
    cal = Table(title="Calibration", title_justify="left", box=None, pad_edge=False)
    for name in ("score", "rows", "bad", "mean score", "bad rate"):
        cal.add_column(name, justify="right")
    for row in m["calibration"]:
        if not row["rows"]:
            continue
        cal.add_row(
            f"{row['score_from']:.1f}-{row['score_to']:.1f}",
            f"{row['rows']:,}",
            f"{row['bad']:,}",
            f"{row['mean_score']:.3f}",
            f"{row['bad_rate']:.3f}",
        )
    top = list(m["importance_gain"].items())[:8]
    imp = Table(title="Feature importance (gain)", title_justify="left", box=None, pad_edge=False)
    imp.add_column("feature")
    imp.add_column("gain", justify="right")
    for name, gain in top:
        imp.add_row(for_terminal(name), f"{gain:,.2f}")
    calibrated = manifest.get("score_calibration")
    return Group(
        head,
        f"Catch rate at {at}",
        f"Mean score {m['mean_score']:.4f} against a bad rate of {m['bad_rate']:.4f}; "
        f"calibration error {m['calibration_error']:.4f}"
        + (f" (scores calibrated: {calibrated['method']})" if calibrated else ""),
        cal,
        imp,
        for_terminal(
            f"Imbalance: {manifest['imbalance']['method']} ({manifest['imbalance']['why']})"
        ),
    )


def periods_table(manifest: dict[str, Any]) -> Table:
    """Rows, bad rate and test metrics per period."""
    table = Table(
        title=f"By period ({for_terminal(manifest.get('period'))})",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for name in ("period", "rows", "bad", "bad rate", "test rows", "test bad", "test ROC AUC"):
        table.add_column(name, justify="left" if name == "period" else "right")

    def num(v: float | None) -> str:
        return "" if v is None else f"{v:.3f}"

    for p in manifest["periods"]:
        table.add_row(
            for_terminal(p["period"] or "(no time)"),
            f"{p['rows']:,}",
            f"{p['bad']:,}",
            f"{100 * p['bad_rate']:.2f}%",
            f"{p['test_rows']:,}" if p["test_rows"] else "",
            f"{p['test_bad']:,}" if p["test_rows"] else "",
            num(p["test_roc_auc"]),
        )
    return table
