"""The `riskctl` command: parses, calls the library, renders; errors become exit codes here."""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated, Any, Final

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.exceptions import Abort

from riskctl.cli.console import err
from riskctl.cli.helptext import ReflowGroup
from riskctl.cli.options import accept_renamed
from riskctl.errors import EXIT_BAD_INPUT, EXIT_BUG, EXIT_CHECK_FAILED, RiskctlError
from riskctl.escape import for_terminal
from riskctl.tempfiles import command_scope

# Each command, in the order `riskctl --help` lists them, as (module in riskctl.cli, its
# function, or its Typer for a command group). A module is imported only when its command
# is looked up, so `riskctl simulate` never loads what training or reports need.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "demo"),
    "train": ("train", "train"),
    "score": ("train", "score"),
    "explain": ("explain", "explain"),
    "simulate": ("simulate", "simulate"),
    "check": ("check", "check"),
    "report": ("report", "report"),
    "validate": ("validate", "validate"),
    "sweep": ("tradeoff", "sweep"),
    "tune": ("tradeoff", "tune"),
    "diff": ("diff", "diff"),
    "features": ("features", "features"),
    "monitor": ("monitor", "monitor"),
    "discover": ("discover", "discover"),
    "data": ("data", "app"),
    "rules": ("rules", "app"),
}
# how every command's help is rendered (the root `app` below uses the same)
MARKUP: Final = "rich"


def load_command(name: str) -> Any:
    """The click command `name`, built by typer exactly as if it were registered on the root
    app: its module imported now, on first use."""
    module, attribute = COMMANDS[name]
    target = getattr(import_module(f"riskctl.cli.{module}"), attribute)
    parent = typer.Typer(rich_markup_mode=MARKUP, add_completion=False)
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    parent.callback()(_root_placeholder)  # a callback makes typer build a group
    return typer.main.get_group(parent).commands[name]


def _print_notices() -> None:
    """What the inputs made the command skip over (a cut-off last line), once each."""
    from riskctl.data.notices import take_notices

    for text in take_notices():
        err.print(f"[yellow]warning:[/] {for_terminal(text)}", soft_wrap=True)


def _root_placeholder() -> None:
    """Never run: it only lets typer build the group a command is taken from."""


class RiskctlGroup(ReflowGroup):
    """Turns every RiskctlError into one line on stderr and its exit code; never a traceback.
    Loads each command on demand (click's lazy group): `list_commands` names them all,
    `get_command` imports the one asked for."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Usage errors (a missing flag, a value out of range) as one line, not a box."""
        standalone = kwargs.pop("standalone_mode", True)
        kwargs["standalone_mode"] = False
        if not standalone:
            return super().main(*args, **kwargs)
        try:
            code = super().main(*args, **kwargs)
        except NoArgsIsHelpError as exc:
            # a bare `riskctl` (or `riskctl data`) asks for the help, which is all it shows
            message = exc.format_message()
            if message.strip():  # plain help text; the rich help has already been printed
                typer.echo(message)
            sys.exit(0)
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            message = " ".join(exc.format_message().split())
            err.print(
                f"[bold red]error:[/] {for_terminal(message)}{for_terminal(where)}", soft_wrap=True
            )
            sys.exit(exc.exit_code)
        except Abort:
            err.print("[bold red]error:[/] interrupted; nothing was written", soft_wrap=True)
            sys.exit(130)
        except BrokenPipeError:
            _reader_gone()
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and self.get_command(ctx, args[0]) is None:
            # an unknown name: load them all, so the error suggests the closest ones
            for name in COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Commands with their arguments shown as DATA, STRATEGY... in usage lines."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        command = accept_renamed(super().get_command(ctx, cmd_name))
        for param in getattr(command, "params", []):
            if param.param_type_name == "argument" and param.name:
                setattr(param, "get_usage_pieces", _usage_pieces(param))  # noqa: B010
        return command

    def invoke(self, ctx: Any) -> Any:
        from riskctl.data.notices import take_notices

        take_notices()  # a command says only what its own inputs made it skip
        try:
            with command_scope():
                try:
                    result = super().invoke(ctx)
                except typer.Exit as done:  # exit 1: a guardrail or limit, the work done
                    if done.exit_code in (0, EXIT_CHECK_FAILED):
                        _print_notices()
                    raise
                _print_notices()
                return result
        except BrokenPipeError:
            # caught here: click would turn it into exit 1, which means a failed guardrail
            _reader_gone()
        except RiskctlError as exc:
            err.print(f"[bold red]error:[/] {for_terminal(str(exc))}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except MemoryError:
            # an input too large for this machine is a fact about the input, not a bug
            err.print(
                "[bold red]error:[/] not enough memory for this input (use a smaller input or "
                "--rows, or run on a Dask cluster with --scheduler)",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Exception as exc:
            # exits, aborts and usage errors belong to the CLI framework (click or the copy
            # of it typer ships): it prints them and picks their exit codes
            if type(exc).__module__.startswith(("click", "typer")):
                raise
            if os.environ.get("RISKCTL_DEBUG"):
                raise
            # anything else is a bug: say so plainly, keep the traceback for debugging
            err.print(
                f"[bold red]internal error:[/] {for_terminal(type(exc).__name__)}: "
                f"{for_terminal(str(exc))} (rerun with RISKCTL_DEBUG=1 for the traceback and "
                "report it)",
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_BUG) from None


def _reader_gone() -> None:
    """The reader went away (`riskctl ... | head`): stop quietly, as if by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(141)


def _usage_pieces(param: Any) -> Any:
    """`DATA`, `[DATA]` or `PATHS...` in usage lines (typer shows `{data}`)."""
    name = param.name.upper()
    shown = name if param.required else f"[{name}]"
    return lambda _ctx: [shown + ("..." if param.nargs != 1 else "")]


app = typer.Typer(
    cls=RiskctlGroup,
    name="riskctl",
    help="Explainable risk strategies: train detectors, explain them, simulate strategy "
    "changes on labelled history, report and gate them in CI.\n\n"
    "Start with [bold]riskctl demo[/bold].",
    rich_markup_mode=MARKUP,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from riskctl import __version__

        typer.echo(f"riskctl {__version__}")
        raise typer.Exit()


def _max_memory(value: str | None) -> str | None:
    if value is not None:
        from riskctl.data.memory import MEMORY_ENV, parse_size

        try:
            parse_size(value, "--max-memory")
        except RiskctlError as exc:
            raise typer.BadParameter(str(exc)) from None
        os.environ[MEMORY_ENV] = value
    return value


def _separator(value: str | None) -> str | None:
    from riskctl.data.separators import SEPARATOR_ENV, check_separator

    if value is None:
        os.environ.pop(SEPARATOR_ENV, None)  # each run says its own
        return None
    try:
        os.environ[SEPARATOR_ENV] = check_separator(value)
    except RiskctlError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    max_memory: Annotated[
        str | None,
        typer.Option(
            "--max-memory",
            callback=_max_memory,
            metavar="SIZE",
            help="Memory a command may use, e.g. 8GiB (default: 70% of the machine's memory; "
            "also RISKCTL_MAX_MEMORY). A command that would need more for a table stops "
            "before reading it and says how much it needs.",
        ),
    ] = None,
    separator: Annotated[
        str | None,
        typer.Option(
            "--separator",
            callback=_separator,
            metavar="CHAR",
            help="Field separator of every delimited text table read (default: a comma for "
            ".csv, a tab for .tsv and .tab), e.g. ';' or tab.",
        ),
    ] = None,
) -> None:
    """riskctl"""


def main() -> None:
    app()
