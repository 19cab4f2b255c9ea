"""The sha256 of an input file, computed in a thread beside the work that reads it.

hashlib releases the GIL while it hashes, so the digest of a large file costs little wall
time when it runs beside polars, or beside Python loading riskctl: `start` may be called
as soon as the path is known (the command line does so before the heavy imports), and
the first `take` of the same unchanged file adopts that digest instead of hashing again.
This module imports nothing heavy.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_BLOCK = 8 << 20
_started: dict[tuple[str, int, int, int], Digest] = {}
_lock = threading.Lock()


class Digest:
    """A file's sha256, being computed in a daemon thread."""

    def __init__(self, path: Path | str) -> None:
        self._hex = ""
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path | str) -> None:
        try:
            digest = hashlib.sha256()
            buffer = bytearray(_BLOCK)
            view = memoryview(buffer)
            with open(path, "rb", buffering=0) as fh:  # one buffer, no copy per block
                while n := fh.readinto(buffer):
                    digest.update(view[:n])
            self._hex = digest.hexdigest()
        except OSError as exc:  # raised by `result`, in the caller's thread
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._hex


def _key(path: Path | str) -> tuple[str, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)


def start(path: Path | str) -> None:
    """Begin hashing `path` now (a regular file only) for a later `take`."""
    key = _key(path)
    if key is None or not os.path.isfile(path):
        return
    with _lock:
        if key not in _started:
            _started[key] = Digest(path)


def take(path: Path | str) -> Digest:
    """The digest of `path`: the one `start` began if the file is unchanged since, else a
    new one. Each started digest is taken once."""
    key = _key(path)
    with _lock:
        started = _started.pop(key, None) if key is not None else None
    return started if started is not None else Digest(path)
