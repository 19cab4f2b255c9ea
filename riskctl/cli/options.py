"""Flags shared by several commands, so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

DataOpt = Annotated[
    Path,
    typer.Option(
        "--data", "-d", help="Labelled history: Parquet, CSV or NDJSON.", show_default=False
    ),
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", "-b", help="The current strategy to compare against.")
]
LabelOpt = Annotated[
    str | None,
    typer.Option(
        "--label",
        help="Label column (1 = bad). Default: the strategy's `label:`, else the detector's.",
    ),
]
TimeOpt = Annotated[
    str | None,
    typer.Option(
        "--time", help="Event-time column. Default: the strategy's `time:`, else the detector's."
    ),
]
AmountOpt = Annotated[
    str | None, typer.Option("--amount", help="Money column for amount-weighted metrics.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
SeedOpt = Annotated[
    int, typer.Option("--seed", help="Random seed: same inputs and seed give the same outputs.")
]
DecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--decision",
        help="Column with the action production took on each row (overrides `history:`).",
        rich_help_panel="How the history was produced",
    ),
]
NoOutcomeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--no-outcome",
        help="An action after which no label can exist (repeatable; default block).",
        rich_help_panel="How the history was produced",
    ),
]
ControlOpt = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Boolean column: rows let through at random whatever the decision.",
        rich_help_panel="How the history was produced",
    ),
]
PropensityOpt = Annotated[
    str | None,
    typer.Option(
        "--propensity",
        help="Column: probability each row was let through (default: from the control group).",
        rich_help_panel="How the history was produced",
    ),
]
LabelsOpt = Annotated[
    str,
    typer.Option(
        "--labels",
        help="Label metrics when some outcomes are unseen: naive (labelled rows), bounds "
        "(pessimistic end) or estimate (control group; default when there is one).",
        rich_help_panel="How the history was produced",
    ),
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history",
        help="Earlier events that derived features (windows, rings) read as context; "
        "never written out or scored.",
    ),
]


def between(
    low: float | None, high: float | None, closed: bool = False
) -> Callable[[float | None], float | None]:
    """A callback refusing values outside `low`..`high` (None: no bound); the bounds
    themselves are allowed only when `closed`."""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        below = low is not None and (value < low if closed else value <= low)
        above = high is not None and (value > high if closed else value >= high)
        if below or above or value != value:  # NaN is in no range
            words = ("at least", "at most") if closed else ("above", "below")
            bounds = " and ".join(
                f"{word} {b:g}" for word, b in zip(words, (low, high), strict=True) if b is not None
            )
            raise typer.BadParameter(f"{value:g} is not allowed: it must be {bounds}")
        return value

    return check


SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar="RISKCTL_SCHEDULER",
        help="Run on this Dask cluster (tcp://HOST:8786); --data may then be a directory or "
        "glob of Parquet parts, which must agree on column types and on time zones. "
        "Connecting waits at most 20 s (or --timeout when shorter): an address where something "
        "else answers fails then. Needs "
        "`pip install 'riskctl\\[dask]'`.",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        envvar="RISKCTL_DASK_TIMEOUT",
        help="With --scheduler: seconds the cluster job may take before it is stopped "
        "(a positive, finite number; default 3600).",
        show_default=False,
    ),
]

PARTITIONED_OUT = (
    "With --scheduler it is a directory of parts, replaced whole: it must be new, empty or an "
    "earlier riskctl {kind} output (marked by its .riskctl-output file), and never an input "
    "nor a folder holding one."
)
TEMPLATES_HELP = (
    "Only regular files inside DIR are read (a link out of it is refused); templates render in "
    "a sandbox with limits on value size (10M), report size (64M characters), recursion and "
    "time (60 s)."
)
RowsOpt = Annotated[
    str | None,
    typer.Option(
        "--rows",
        help="Which rows to measure on when a detector the strategy names recorded its split "
        "(riskctl train's split.parquet; rows matched by file, row digest or id): not-train "
        "(the default: leave out the rows it trained or stopped early on), test (its test "
        "rows only) or all (training rows included: they flatter the detector, and a "
        "warning says so).",
        metavar="test|not-train|all",
        show_default=False,
    ),
]
