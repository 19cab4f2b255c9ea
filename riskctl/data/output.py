"""Checks every output path passes before riskctl writes to it.

An output must not be one of the command's inputs (a scored table written over the history
it was scored from loses the history), its folder must exist and be writable, and a file
output must not be an existing directory (nor a directory output an existing file). Each
failure is one DataError naming the path and the fix, raised before any work is lost.

A partitioned output (a directory of parts, written on a cluster) replaces its directory
whole, so it may only replace what riskctl wrote there before: every such directory holds a
marker file (`.riskctl-output`, naming the kind of output) beside its parts, and a directory
without it, with another kind, or with files riskctl did not write is refused. It may never
be an input, nor a folder that holds one (the detector, the spec's folder, the data).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from riskctl.errors import DataError, UsageError
from riskctl.tempfiles import (
    input_matching,
    input_within,
    name_output,
    output_flag,
    track_created_dir,
)

OUTPUT_MARKER = ".riskctl-output"
PART_NAME = re.compile(r"part-\d{5}\.parquet")
_MARKER_BYTES = 4096


def check_output_file(path: Path | str, flag: str | None = None) -> Path:
    """Raise DataError unless a file can be written at `path` without harming an input.
    `flag` names the option that gave the path (remembered for later checks of it)."""
    path = Path(path)
    if flag is None:
        flag = output_flag(path)
    else:
        name_output(path, flag)
    check_not_input(path, flag)
    if path.is_dir():
        raise DataError(f"{path}: {flag} is a directory", hint="pass a file path")
    _check_folder(path.parent if str(path.parent) else Path("."), flag)
    return path


def check_not_input(path: Path | str, flag: str, inputs: Iterable[Path | str] = ()) -> None:
    """Raise DataError when writing `path` would replace an input: one this command read,
    or one of `inputs` (the same path, a link to it, or a hard link)."""
    path = Path(path)
    source = input_matching(path)
    if source is None:
        with contextlib.suppress(OSError):
            target = path.resolve()
            for item in inputs:
                other = Path(item)
                same = other.resolve() == target
                if same or (path.exists() and other.exists() and os.path.samefile(path, other)):
                    source = other
                    break
    if source is not None:
        what = "" if source == path.resolve() else f" ({source})"
        raise DataError(
            f"{path}: {flag} is also an input of this command{what}; "
            "writing it would replace the input",
            hint=f"pass another {flag} path",
        )


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


def write_output_marker(folder: Path, kind: str) -> None:
    """Mark `folder` (a partitioned output being written) as riskctl's output of `kind`."""
    text = json.dumps({"written_by": "riskctl", "kind": kind}) + "\n"
    (Path(folder) / OUTPUT_MARKER).write_text(text, encoding="utf-8")


def output_kind(folder: Path) -> str | None:
    """The kind a partitioned output's marker names; None without a valid marker (a marker
    that is a link, too large or not riskctl's counts as none)."""
    marker = Path(folder) / OUTPUT_MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > _MARKER_BYTES:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "riskctl":
        return None
    kind = data.get("kind")
    return kind if isinstance(kind, str) else None


def check_replaceable_dir(
    path: Path | str, kind: str, flag: str = "--out", inputs: Iterable[Path | str] = ()
) -> Path:
    """Raise UsageError unless a partitioned output of `kind` may replace `path` whole: it
    is absent, an empty directory, or a previous riskctl output of the same kind holding
    only its marker and parts; and it is no input (noted by this command, or in `inputs`)
    nor a folder holding one. Links are resolved before comparing."""
    path = Path(path)
    source = input_within(path, tuple(inputs))
    if source is not None:
        same = source == path.resolve()
        raise UsageError(
            f"{flag} {path} "
            + ("is an input of this command" if same else f"holds the input {source}")
            + "; a partitioned output replaces its directory whole",
            hint=f"pass a new directory for {flag}",
        )
    fix = f"pass a new directory for {flag}, or remove {path} yourself first"
    if path.is_symlink():
        raise UsageError(f"{flag} {path} is a symbolic link; riskctl will not replace it", hint=fix)
    if not path.exists():
        return path
    if not path.is_dir():
        raise UsageError(
            f"{flag} {path} exists and is a file; a partitioned output is a directory", hint=fix
        )
    try:
        names = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {flag} directory: {exc.strerror}") from None
    if not names:
        return path
    found = output_kind(path)
    if found is None:
        raise UsageError(
            f"{flag} {path} exists and is not a riskctl output (no {OUTPUT_MARKER}); "
            "a partitioned output replaces its directory whole",
            hint=fix,
        )
    if found != kind:
        raise UsageError(
            f"{flag} {path} holds a riskctl {found} output, not a {kind} output", hint=fix
        )
    foreign = [n for n in names if n != OUTPUT_MARKER and not PART_NAME.fullmatch(n)]
    if foreign or any((path / n).is_symlink() or not (path / n).is_file() for n in names):
        odd = foreign or [n for n in names if (path / n).is_symlink() or not (path / n).is_file()]
        raise UsageError(
            f"{flag} {path} holds files riskctl did not write ({', '.join(odd[:3])})",
            hint=fix,
        )
    return path
