"""What this process has half-written, so an interrupt can remove it, and what it has read,
so no output replaces an input.

Standard library only: the command line's signal handler imports this before anything
heavy, and calls `remove_partial()` from the handler itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

_partial: dict[Path, bool] = {}  # temporary path -> is a directory tree
_created_dirs: list[Path] = []  # output directories made by this command (removed if empty)
_inputs: set[Path] | None = None  # None: not tracking (library use outside a command)
_flags: dict[Path, str] = {}  # output path -> the flag that named it, for messages
# held while a temporary path is made and registered: the signal watcher thread (which runs
# beside the main thread) waits for it before it removes what is registered
_registering = threading.Lock()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done (then act as usual): a temporary
    path made and registered inside it is never made without being registered."""
    held = {signal.SIGINT, signal.SIGTERM}
    main = threading.current_thread() is threading.main_thread()
    if not main or not hasattr(signal, "pthread_sigmask"):  # signals reach the main thread
        with _registering:
            yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        with _registering:
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def partial_dir(prefix: str, parent: Path, suffix: str = "") -> Path:
    """A new temporary folder in `parent`, registered for removal by an interrupt."""
    import tempfile  # not at import: the signal handler's import of this module stays light

    with signals_held():
        path = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
        track_partial(path, tree=True)
    return path


def partial_file(prefix: str, parent: Path, suffix: str = "") -> Path:
    """A new, empty temporary file in `parent`, registered for removal by an interrupt."""
    import tempfile

    with signals_held():
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=parent)
        track_partial(Path(name))
    os.close(fd)
    return Path(name)


def track_partial(path: Path, tree: bool = False) -> None:
    _partial[Path(path)] = tree


def untrack_partial(path: Path) -> None:
    _partial.pop(Path(path), None)


def track_created_dir(path: Path) -> None:
    _created_dirs.append(Path(path))


def remove_partial() -> None:
    """Remove every temporary file and folder still registered, and output directories this
    command created that are still empty. Safe to call from a signal handler, and from
    another thread: a path being made and registered right now is waited for."""
    got = _registering.acquire(timeout=5)
    try:
        for path, tree in list(_partial.items()):
            with contextlib.suppress(OSError):
                if tree:
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            _partial.pop(path, None)
        for folder in reversed(_created_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty: never removes anything written
        _created_dirs.clear()
    finally:
        if got:
            _registering.release()


@contextlib.contextmanager
def command_scope() -> Iterator[None]:
    """Within this block every input read is remembered so outputs never replace one."""
    global _inputs
    previous, _inputs = _inputs, set()
    try:
        yield
    finally:
        _inputs = previous
        _created_dirs.clear()
        _flags.clear()


def name_output(path: Path | str, flag: str) -> None:
    """Remember which flag named an output, so a later check's message can say it."""
    with contextlib.suppress(OSError):
        _flags[Path(path).resolve()] = flag


def output_flag(path: Path | str, default: str = "--out") -> str:
    try:
        return _flags.get(Path(path).resolve(), default)
    except OSError:
        return default


def note_input(path: Path | str) -> None:
    if _inputs is not None:
        with contextlib.suppress(OSError):
            _inputs.add(Path(path).resolve())


def input_within(folder: Path | str, extra: tuple[Path | str, ...] = ()) -> Path | None:
    """An input (noted, or among `extra`) that is `folder` or lies below it, real paths
    compared (links resolved): replacing `folder` whole would lose that input."""
    try:
        target = Path(folder).resolve()
    except OSError:
        return None
    known: list[Path] = sorted(_inputs or ())
    for item in extra:
        with contextlib.suppress(OSError):
            known.append(Path(item).resolve())
    for source in known:
        if source == target or target in source.parents:
            return source
    return None


def input_matching(path: Path | str) -> Path | None:
    """The input file `path` would overwrite (the same path, link or file), if any."""
    if not _inputs:
        return None
    target = Path(path).resolve()
    for source in _inputs:
        if target == source:
            return source
        with contextlib.suppress(OSError):
            if target.exists() and os.path.samefile(target, source):
                return source
    return None
