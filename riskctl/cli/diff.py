"""`riskctl diff`: what a strategy change does to the file, semantically."""

from __future__ import annotations

from typing import Annotated

import typer

from riskctl.cli.console import out, print_json
from riskctl.cli.options import JsonOpt
from riskctl.errors import UsageError
from riskctl.escape import for_ci_log, for_terminal
from riskctl.gate.diff import diff_strategies, read_strategy
from riskctl.output.markdown import diff_markdown


def diff(
    old: Annotated[
        str,
        typer.Argument(help="The current strategy: a path or git:REF:path.", show_default=False),
    ],
    new: Annotated[
        str,
        typer.Argument(help="The proposed strategy: a path or git:REF:path.", show_default=False),
    ],
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or json.")] = "text",
    as_json: JsonOpt = False,
) -> None:
    """A semantic diff of two strategies.

    Thresholds moved (from -> to), rules added, removed or changed (condition, action,
    mode), segments, guardrails and settings changed. An added or removed segment lists its
    condition, its place (the first matching segment wins) and every threshold it sets. A
    strategy with invisible or look-alike characters is refused (exit 2), as in validate.

    [bold]Example:[/bold] riskctl diff riskctl-demo/strategies/baseline.yaml
    riskctl-demo/strategies/candidate.yaml --format markdown

    In CI, `riskctl diff git:origin/main:strategies/candidate.yaml strategies/candidate.yaml`
    compares a pull request's strategy with the target branch's.
    """
    if fmt not in ("text", "markdown", "json"):
        raise UsageError(f"--format must be text, markdown or json, not {fmt!r}")
    a, b = read_strategy(old), read_strategy(new)
    changes = diff_strategies(a, b)
    if as_json or fmt == "json":
        print_json(
            {"old": str(a.path), "new": str(b.path), "changes": [c.to_dict() for c in changes]}
        )
    elif fmt == "markdown":
        print(for_ci_log(diff_markdown(a, b, changes)), end="")  # noqa: T201 - for a PR comment
    else:
        if not changes:
            out.print("No semantic change.")
        for c in changes:
            out.print(for_terminal(str(c)), soft_wrap=True)
