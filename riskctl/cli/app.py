"""The `riskctl` command: parses, calls the library, renders; errors become exit codes here."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from riskctl import __version__
from riskctl.cli import (
    check,
    data,
    demo,
    diff,
    explain,
    features,
    report,
    simulate,
    tradeoff,
    train,
    validate,
)
from riskctl.cli.console import err
from riskctl.errors import EXIT_BUG, RiskctlError


class RiskctlGroup(TyperGroup):
    """Turns every RiskctlError into one line on stderr and its exit code; never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RiskctlError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            # exits, aborts and usage errors belong to the CLI framework (click or the copy
            # of it typer ships): it prints them and picks their exit codes
            if type(exc).__module__.startswith(("click", "typer")):
                raise
            if os.environ.get("RISKCTL_DEBUG"):
                raise
            # anything else is a bug: say so plainly, keep the traceback for debugging
            err.print(
                f"[bold red]internal error:[/] {escape(type(exc).__name__)}: "
                f"{escape(str(exc))} (rerun with RISKCTL_DEBUG=1 for the traceback and "
                "report it)",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_BUG) from None


app = typer.Typer(
    cls=RiskctlGroup,
    name="riskctl",
    help="Explainable risk strategies: train detectors, explain them, simulate strategy "
    "changes on labelled history, report and gate them in CI.\n\n"
    "Start with [bold]riskctl demo[/bold].",
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """riskctl"""


app.add_typer(data.app, name="data")
app.command("demo")(demo.demo)
app.command("train")(train.train)
app.command("score")(train.score)
app.command("explain")(explain.explain)
app.command("simulate")(simulate.simulate)
app.command("check")(check.check)
app.command("report")(report.report)
app.command("validate")(validate.validate)
app.command("sweep")(tradeoff.sweep)
app.command("tune")(tradeoff.tune)
app.command("diff")(diff.diff)
app.command("features")(features.features)


def main() -> None:
    app()
