"""Rendering detectors for the terminal: column roles and validation metrics."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

from riskctl.data.roles import ColumnRole


def roles_table(roles: list[ColumnRole]) -> Table:
    table = Table(title="Column roles", title_justify="left", box=None, pad_edge=False)
    for name in ("column", "role", "why"):
        table.add_column(name)
    style = {"excluded": "dim", "id": "dim", "datetime": "dim"}
    for r in roles:
        s = style.get(r.role, "")
        table.add_row(r.column, f"[{s}]{r.role}[/]" if s else r.role, r.why)
    return table


def validation_summary(manifest: dict[str, Any]) -> Group:
    m = manifest["metrics"]
    head = (
        f"Validation ({manifest['split']['kind']} split): {m['rows']:,} rows, "
        f"{m['bad']:,} bad. ROC AUC {m['roc_auc']:.4f}, PR AUC {m['pr_auc']:.4f}, "
        f"Brier {m['brier']:.4f}"
    )
    at = ", ".join(
        f"{100 * float(fpr):g}% FPR: {100 * rate:.1f}%"
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
        imp.add_row(name, f"{gain:,.2f}")
    return Group(
        head,
        f"Catch rate at {at}",
        cal,
        imp,
        f"Imbalance: {manifest['imbalance']['method']} ({manifest['imbalance']['why']})",
    )
