"""Checks every output path passes before riskctl writes to it.

An output must not be one of the command's inputs (a scored table written over the history
it was scored from loses the history), its folder must exist and be writable, and a file
output must not be an existing directory (nor a directory output an existing file). Each
failure is one DataError naming the path and the fix, raised before any work is lost.
"""

from __future__ import annotations

import os
from pathlib import Path

from riskctl.errors import DataError
from riskctl.tempfiles import input_matching, name_output, output_flag, track_created_dir


def check_output_file(path: Path | str, flag: str | None = None) -> Path:
    """Raise DataError unless a file can be written at `path` without harming an input.
    `flag` names the option that gave the path (remembered for later checks of it)."""
    path = Path(path)
    if flag is None:
        flag = output_flag(path)
    else:
        name_output(path, flag)
    source = input_matching(path)
    if source is not None:
        raise DataError(
            f"{path}: {flag} is also an input of this command; writing it would replace the input",
            hint=f"pass another {flag} path",
        )
    if path.is_dir():
        raise DataError(f"{path}: {flag} is a directory", hint="pass a file path")
    _check_folder(path.parent if str(path.parent) else Path("."), flag)
    return path


def check_output_dir(path: Path | str, flag: str = "--out", create: bool = True) -> Path:
    """Make the output directory `path` (and missing parents); DataError when it cannot be.
    With create=False only check that it could be made."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(
            f"{path}: {flag} exists and is not a directory", hint="pass a directory path"
        )
    if path.is_dir():
        _check_folder(path, flag)
        return path
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise DataError(f"{probe}: is a file, so {flag} {path} cannot be a directory under it")
    _check_folder(probe, flag)
    if not create:
        return path
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise DataError(
                f"{folder}: cannot create the {flag} directory: {exc.strerror}"
            ) from None
        track_created_dir(folder)
    return path


def _check_folder(folder: Path, flag: str) -> None:
    if not folder.exists():
        raise DataError(
            f"{folder}: the folder for {flag} does not exist",
            hint="create it first, or pass another path",
        )
    if not folder.is_dir():
        raise DataError(f"{folder}: the folder for {flag} is a file, not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"{folder}: cannot write in the folder for {flag} (permission denied)")


def append_text(text: str, path: Path | str, what: str) -> None:
    """Append to a file someone else owns (e.g. $GITHUB_STEP_SUMMARY); DataError on failure."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: {what} is a directory, not a file")
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise DataError(f"{path}: cannot append to {what}: {exc.strerror or exc}") from None
