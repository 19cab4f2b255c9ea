"""Terminal output: rich for people, plain JSON for machines; progress on stderr.

Light on purpose: every command imports it (the tables of results are in `tables.py`)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.segment import Segment
from rich.text import Text

from riskctl.escape import for_ci_log, for_json_log, for_terminal, visible


class _Console(Console):
    """Every value printed goes through `riskctl.escape.for_terminal` where it is put into
    markup. As a second line of defence, this console also shows hidden characters in any
    string it renders as their codes, prints a string whose markup does not parse as plain
    text (never an internal error), never turns `:x:` into an emoji, and never writes a line
    that a CI runner would take for a workflow command."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # line breaks are riskctl's own (values have theirs escaped by for_terminal)
        text = "\n".join(visible(line) for line in text.split("\n"))
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            return super().render_str(text, **{**kwargs, "markup": False})

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return for_ci_log(super()._render_buffer(buffer))

    def on_broken_pipe(self) -> None:
        """The reader went away (`riskctl ... | head`): exit as if by SIGPIPE (141), not 1,
        which would read as a failed guardrail."""
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(141)


out = _Console(highlight=False, emoji=False)
err = _Console(stderr=True, highlight=False, emoji=False)


def warn_rows(chosen: Any) -> None:
    """The loud line when evaluated rows were a detector's training rows (an
    `EvaluationRows`, or None when no recorded split matched)."""
    if chosen is not None and chosen.warning:
        err.print(f"[bold yellow]warning:[/] {for_terminal(chosen.warning)}", soft_wrap=True)


def print_json(obj: Any) -> None:
    from riskctl.output.json import finite  # with the result writers: loaded when printing

    sys.stdout.write(for_json_log(json.dumps(finite(obj), indent=2, default=str)) + "\n")
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
