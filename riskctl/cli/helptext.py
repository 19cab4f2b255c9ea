"""Command help as paragraphs: docstrings are wrapped for the source, the terminal rewraps."""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperGroup

_ITEM = re.compile(r"^(\*|-|\d+\.)\s")


def reflow(text: str) -> str:
    """Join the source's line breaks inside each paragraph (rich markup mode keeps them, so
    an 80-column terminal showed every docstring line broken twice); list items stay lines."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph)
            continue
        lines: list[str] = []
        for line in paragraph.strip("\n").splitlines():
            stripped = line.strip()
            if lines and not _ITEM.match(stripped):
                lines[-1] = f"{lines[-1]} {stripped}"
            else:
                lines.append(stripped)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# the value a flag takes, as help shows it: plain words, not Python types (`<list[str]>`)
VALUE_NAMES = {"path": "PATH", "int": "INTEGER", "float": "NUMBER", "str": "TEXT"}
_TYPE = re.compile(r"^<?(?:list\[)?(\w+)")


def _value_name(param: Any) -> str | None:
    """PATH, INTEGER, NUMBER or TEXT for a parameter typer would show as `<path>`,
    `<list[str]>`...; "" for an on/off flag; None to leave it (a choice shows its values)."""
    if getattr(param, "is_flag", False):
        return ""
    if not hasattr(param, "type_descriptor") or param.type_descriptor.is_choice:
        return None
    found = _TYPE.match(param.bare_type())
    return VALUE_NAMES.get(found.group(1).lower()) if found else None


def plain_value_names(command: Any, ctx: Any = None) -> None:
    """Every parameter of `command` named in help by a plain value name: PATH, INTEGER,
    NUMBER, TEXT; an on/off flag (`--help` included, given `ctx`) shows none."""
    params = list(getattr(command, "params", []))
    if ctx is not None and hasattr(command, "get_help_option"):
        params.append(command.get_help_option(ctx))
    for param in params:
        word = None if param is None or param.metavar is not None else _value_name(param)
        if word is None:
            continue
        if param.param_type_name == "argument":  # its metavar would replace its name
            setattr(param, "display_type_rich", lambda ctx, shown=word: shown)  # noqa: B010
        else:
            param.metavar = word


class ReflowGroup(TyperGroup):
    """A command group whose commands' help is reflowed once, when first looked up, and
    shows plain value names."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "_reflowed", False):
            if command.help:
                command.help = reflow(command.help)
            plain_value_names(command, ctx)
            setattr(command, "_reflowed", True)  # noqa: B010
        return command

    def get_params(self, ctx: Any) -> Any:
        plain_value_names(self, ctx)  # the group's own options
        return super().get_params(ctx)
