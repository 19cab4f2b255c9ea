"""Terminal output: rich for people, plain JSON for machines; progress on stderr."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from riskctl.evaluate.results import finite
from riskctl.evaluate.simulate import SimulationRun
from riskctl.gate.guardrails import GuardrailResult
from riskctl.report.context import metric_rows

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(finite(obj), indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def progress_bar(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` that drives a rich progress bar on stderr."""
    if quiet:
        yield lambda _done, _total: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True)
    with bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def metrics_table(run: SimulationRun) -> Table:
    has_base = run.baseline is not None
    table = Table(title=f"{run.candidate.loaded.name}: {run.candidate.metrics.rows:,} rows, "
                  f"{run.candidate.metrics.bad:,} bad", title_justify="left",
                  box=None, pad_edge=False)
    table.add_column("metric")
    if has_base:
        table.add_column("baseline", justify="right")
    table.add_column("candidate", justify="right")
    if has_base:
        table.add_column("change", justify="right")
    colour = {"better": "green", "worse": "red", "neutral": ""}
    for row in metric_rows(run, digits=1, compact=True):
        cells = [row.label]
        if has_base:
            cells.append(row.baseline or "")
        cells.append(row.candidate)
        if has_base:
            style = colour[row.verdict]
            cells.append(f"[{style}]{row.delta}[/]" if style and row.delta else row.delta or "")
        table.add_row(*cells)
    return table


def guardrail_table(results: list[GuardrailResult]) -> Table:
    table = Table(box=None, pad_edge=False, title="Guardrails", title_justify="left")
    for name in ("id", "verdict", "guardrail"):
        table.add_column(name)
    for r in results:
        verdict = "[green]holds[/]" if r.passed else "[red]FAILS[/]"
        table.add_row(r.id, verdict, f"{r.name}: {r.message.split(': ', 1)[-1]}")
    return table
