"""What riskctl agrees to open as an input: regular files (and directories where a
partitioned input is allowed), never a FIFO, a device or a socket.

Opening a named pipe blocks until something writes to it, and reading a device such as
`/dev/zero` or `/dev/urandom` never ends: one stat before opening turns either into a
one-line error. Links are followed, so a link to a regular file is a regular file.
Standard library and riskctl.errors only: every layer may call it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from riskctl.errors import DataError

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """`mode`'s kind of file in words ("a regular file", "a named pipe (FIFO)", ...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def check_input_file(path: Path | str, directory_ok: bool = False) -> Path:
    """`path` unchanged when it is a regular file (or, with `directory_ok`, a directory) or
    does not exist (the caller says "no such file" in its own words); a DataError naming
    what it is otherwise. Never opens the path."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return path
    if stat.S_ISREG(mode) or (directory_ok and stat.S_ISDIR(mode)):
        return path
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a directory, expected a file")
    raise DataError(
        f"{path}: is {file_kind(mode)}, not a regular file",
        hint="riskctl reads inputs only from regular files: save the data to a file first",
    )
