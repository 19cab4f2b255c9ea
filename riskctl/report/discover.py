"""The HTML page of `riskctl discover --report`: the ranked blocks and, for each top block, a
small picture of its adjacency beside a random sample of its window of the same size, drawn
with the same chart machinery and templates sandbox as the other reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt

from riskctl.data.io import write_text
from riskctl.discover.pictures import Picture
from riskctl.discover.run import Block, DiscoverResult
from riskctl.model.detector import library_versions
from riskctl.report.charts import spec_of
from riskctl.report.figures import Chart
from riskctl.report.render import render_page, vega_bundle

DISCOVER_TEMPLATE = "discover.html.j2"
PICTURES = 10  # blocks drawn
CELL = 6  # pixels per account or entity
BLUE, GREY = "#2563eb", "#64748b"


@dataclass(frozen=True)
class DiscoverContext:
    title: str
    cards: list[tuple[str, str, str]]  # label, value, sub
    blocks: list[dict[str, str]]
    charts: list[Chart]
    command: str
    versions: dict[str, str] = field(default_factory=library_versions)
    checksums: list[tuple[str, str]] = field(default_factory=list)
    vega_bundle: str = ""


def _panel(cells: list[tuple[int, int]], rows: int, cols: int, title: str, color: str) -> Any:
    values = [{"account": r, "item": c} for r, c in cells]
    return (
        alt.Chart(alt.Data(values=values), title=title)
        .mark_rect(color=color)
        .encode(
            x=alt.X(
                "item:O", title="entities", axis=None, scale=alt.Scale(domain=list(range(cols)))
            ),
            y=alt.Y(
                "account:O", title="accounts", axis=None, scale=alt.Scale(domain=list(range(rows)))
            ),
        )
        .properties(width=max(CELL * cols, 60), height=max(CELL * rows, 60))
    )


def picture_chart(p: Picture) -> dict[str, Any]:
    """The block's adjacency and the random sample's, side by side."""
    block = _panel(p.block, p.accounts, p.items, "block", BLUE)
    sample = _panel(p.sample, p.accounts, p.items, "random sample, same size", GREY)
    return spec_of(alt.hconcat(block, sample))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _row(b: Block) -> dict[str, str]:
    return {
        "block": str(b.block),
        "window": f"{b.window_start:%Y-%m-%d %H:%M} – {b.window_end:%Y-%m-%d %H:%M}",
        "accounts": f"{b.accounts:,}",
        "items": f"{b.items:,}",
        "rows": f"{b.rows:,}",
        "density": f"{b.density:.3f}",
        "p_value": f"{b.p_value:.2g}",
        "q_value": f"{b.q_value:.2g}",
        "burst": "" if b.burst_ratio is None else f"{b.burst_ratio:.2f}",
        "new": "" if b.new is None else ("yes" if b.new else "no"),
        "stopped": _pct(b.share_stopped),
        "bad_rate": _pct(b.bad_rate),
        "rule": b.draft_rule,
    }


def discover_context(r: DiscoverResult, command: str) -> DiscoverContext:
    cards = [
        ("rows", f"{r.used_rows:,}", f"with an account and an entity, of {r.rows:,}"),
        ("windows", f"{r.windows:,}", ""),
        ("blocks found", f"{r.found:,}", f"{len(r.blocks)} shown"),
        ("below q 0.05", str(sum(b.q_value < 0.05 for b in r.blocks)), "of those shown"),
    ]
    if r.base_rate is not None:
        cards.append(("base bad rate", _pct(r.base_rate), "every row with a label"))
    charts = [
        Chart(
            f"block-{b.block}",
            f"Block {b.block}: {b.accounts} accounts x {b.items} entities, p = {b.p_value:.2g}",
            picture_chart(b.picture),
        )
        for b in r.blocks[:PICTURES]
    ]
    return DiscoverContext(
        title="Discovered blocks",
        cards=cards,
        blocks=[_row(b) for b in r.blocks],
        charts=charts,
        command=command,
        vega_bundle=vega_bundle(),
    )


def render_discover_html(ctx: DiscoverContext) -> str:
    return render_page(DISCOVER_TEMPLATE, None, ctx, ctx.charts)


def write_discover_report(r: DiscoverResult, out: Path, command: str = "riskctl discover") -> Path:
    return write_text(render_discover_html(discover_context(r, command)), out)
