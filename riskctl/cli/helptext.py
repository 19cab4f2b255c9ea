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


class ReflowGroup(TyperGroup):
    """A command group whose commands' help is reflowed once, when first looked up."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and command.help and not getattr(command, "_reflowed", False):
            command.help = reflow(command.help)
            setattr(command, "_reflowed", True)  # noqa: B010
        return command
