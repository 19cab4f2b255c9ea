"""Terminal output: rich for people, plain JSON for machines; progress on stderr.

Light on purpose: every command imports it (the tables of results are in `tables.py`)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away (`riskctl ... | head`): exit as if by SIGPIPE (141), not 1,
        which would read as a failed guardrail."""
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(141)


out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False)


def print_json(obj: Any) -> None:
    from riskctl.output.json import finite  # with the result writers: loaded when printing

    sys.stdout.write(json.dumps(finite(obj), indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def progress_bar(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` that drives a rich progress bar on stderr (a terminal only:
    elsewhere a bar is noise, and would put a blank line before an error message)."""
    if quiet or not err.is_terminal:
        yield lambda _done, _total: None
        return
    from rich.progress import (  # only for a terminal: most runs never draw a bar
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
