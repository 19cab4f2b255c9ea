"""`riskctl validate`: check strategy files and reason catalogues."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskctl.cli.console import out, print_json
from riskctl.cli.options import JsonOpt
from riskctl.errors import EXIT_BAD_INPUT, UsageError
from riskctl.escape import for_github_message, for_github_property, for_terminal
from riskctl.gate.validate import NOT_CHECKED, validate_paths


def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Strategy YAML files and reason catalogues.", show_default=False),
    ],
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Check columns against this table.")
    ] = None,
    detector: Annotated[
        Path | None,
        typer.Option("--detector", help="Check columns against this detector's manifest."),
    ] = None,
    reasons: Annotated[
        Path | None,
        typer.Option(
            "--reasons", help="Reason catalogue the strategies' rule codes must exist in."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="text, or github for workflow annotations (::error file=...,line=...::), "
            "with % CR LF (and : , in the file) percent-encoded as GitHub expects.",
        ),
    ] = "text",
    as_json: JsonOpt = False,
) -> None:
    """Check strategy files and reason catalogues before anything runs.

    Schema, SQL conditions, columns (against --data, else the detectors' manifests), rule
    reason codes present in the catalogue, and which features have no catalogue entry.
    Text that does not show what it says is an error, named by file:line and code point:
    action names that are not ASCII (a Cyrillic `е` in `review` makes another action),
    invisible characters anywhere (zero-width, byte-order mark, bidi controls, soft hyphen,
    no-break spaces), and look-alike letters in names, columns and conditions (a literal
    `'gift_cards'` with a Greek or Cyrillic letter, fullwidth or dotless `ı`, never matches).
    A check that needs what was not given is named in a note (`not checked: columns ...:
    pass --data TABLE`), and the summary says `valid as far as checked`. Exit 0 when
    valid, 2 when not.

    [bold]Example:[/bold] riskctl validate riskctl-demo/strategies/*.yaml --reasons
    riskctl-demo/strategies/reason_codes.yaml --detector riskctl-demo/detector
    """
    if fmt not in ("text", "github"):
        raise UsageError(f"--format must be text or github, not {fmt!r}")
    findings = validate_paths(paths, data=data, detector=detector, reasons=reasons)
    errors = [f for f in findings if f.level == "error"]
    if errors:  # what is wrong is the message; the checks not made matter once it is fixed
        findings = [f for f in findings if not f.message.startswith(NOT_CHECKED)]
    if as_json:
        print_json({"valid": not errors, "findings": [f.to_dict() for f in findings]})
    elif fmt == "github":
        for f in findings:
            line = f",line={f.line}" if f.line else ""
            kind = {"error": "error", "warning": "warning", "note": "notice"}[f.level]
            command = f"::{kind} file={for_github_property(f.path)}{line}::"
            print(command + for_github_message(f.message))  # noqa: T201 - for Actions
    else:
        for f in findings:
            colour = {"error": "red", "warning": "yellow", "note": "cyan"}[f.level]
            out.print(f"[{colour}]{for_terminal(str(f))}[/]", soft_wrap=True)
        if not errors:
            partly = any(f.message.startswith(NOT_CHECKED) for f in findings)
            out.print(f"{len(paths)} file(s) valid" + (" as far as checked" if partly else ""))
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT)
