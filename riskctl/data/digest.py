"""The sha256 of an input file, computed in a thread beside the work that reads it, and
remembered for the next run while the file is provably unchanged.

hashlib releases the GIL while it hashes, so the digest of a large file costs little wall
time when it runs beside polars, or beside Python loading riskctl: `start` may be called
as soon as the path is known (the command line does so before the heavy imports), and
the first `take` of the same unchanged file adopts that digest instead of hashing again.

Hashing still costs a core-second per 1.5 GB, on a machine whose other core the
simulation wants. So a digest is remembered in riskctl's cache directory under the file's
identity: device, inode, size, modification time and change time (ctime). Every write to a
file, and every rename over it, sets its ctime to the current time, and no program can set
it back; so while that identity is the same, so are the bytes. A digest is only remembered
for a file whose times are well in the past when hashing began (a write within the same
clock tick could otherwise leave them unchanged) and whose identity did not change while it
was hashed. `RISKCTL_DIGEST_CACHE=0` turns remembering off. This module imports nothing
heavy.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from riskctl.cachedir import cache_root
from riskctl.errors import DataError
from riskctl.files import check_input_file

_BLOCK = 1 << 20
SETTLED_SECONDS = 2.0  # file times this old cannot hide a write in the same clock tick
KEEP = 512  # remembered digests; the oldest go first
OFF_ENV = "RISKCTL_DIGEST_CACHE"
_HEX = re.compile(r"[0-9a-f]{64}")
_ENTRY_BYTES = 65_536  # an entry: an escaped path, five numbers and a digest
_started: dict[tuple[str, int, int, int], Digest] = {}
_lock = threading.Lock()

Identity = tuple[str, int, int, int, int, int]


class Digest:
    """A file's sha256: remembered, or being computed in a daemon thread."""

    def __init__(self, path: Path | str) -> None:
        self._hex = ""
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        try:
            check_input_file(path)  # a pipe or a device is never opened, let alone hashed
        except DataError as exc:
            self._error = exc
            return
        identity = _identity(path)
        known = _recall(identity) if identity is not None else None
        if known is not None:
            self._hex = known
            return
        self._thread = threading.Thread(target=self._run, args=(path, identity), daemon=True)
        self._thread.start()

    def _run(self, path: Path | str, identity: Identity | None) -> None:
        try:
            began = time.time()
            digest = hashlib.sha256()
            buffer = bytearray(_BLOCK)  # one buffer, no copy per block; fits in cache
            view = memoryview(buffer)
            with open(path, "rb", buffering=0) as fh:
                while n := fh.readinto(buffer):
                    digest.update(view[:n])
            self._hex = digest.hexdigest()
        except OSError as exc:  # raised by `result`, in the caller's thread
            self._error = exc
            return
        if identity is not None and _identity(path) == identity and _settled(identity, began):
            _remember(identity, self._hex)

    def result(self) -> str:
        if self._thread is not None:
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


def _identity(path: Path | str) -> Identity | None:
    """What changes whenever the file's bytes can have: None for anything but a regular
    file (a pipe or a device has no lasting identity)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    real = os.path.realpath(path)
    return (real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(identity: Identity, began: float) -> bool:
    newest = max(identity[4], identity[5]) / 1e9
    return began - newest >= SETTLED_SECONDS


def _entry(identity: Identity) -> Path | None:
    if os.environ.get(OFF_ENV, "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    root = cache_root()
    if root is None:
        return None
    name = hashlib.sha256(ascii(identity).encode("ascii")).hexdigest()
    return root / "digests" / name


def _recall(identity: Identity) -> str | None:
    entry = _entry(identity)
    if entry is None:
        return None
    found = _read_entry(entry)
    # the identity is written out too: a damaged or foreign entry is never believed
    if found is None or found[0] != ascii(identity):
        return None
    return found[1]


def _read_entry(entry: Path) -> tuple[str, str] | None:
    """(identity text, digest) of a file riskctl wrote into the digests folder: a regular
    file named by the sha256 of its first line, whose second line is a sha256. Anything
    else there (a user's file, a link) is not an entry, and is never read as one nor
    removed."""
    try:
        if entry.is_symlink() or not entry.is_file() or not _HEX.fullmatch(entry.name):
            return None
        with open(entry, "rb") as fh:
            raw = fh.read(_ENTRY_BYTES + 1)
        text = raw.decode("ascii")
    except (OSError, UnicodeDecodeError):
        return None
    if len(raw) > _ENTRY_BYTES:
        return None
    held, _, digest = text.rstrip("\n").rpartition("\n")
    if hashlib.sha256(held.encode("ascii")).hexdigest() != entry.name:
        return None
    return (held, digest) if _HEX.fullmatch(digest) else None


def _remember(identity: Identity, digest: str) -> None:
    """Write the entry by a rename (readers see all of it or none); never fail the run."""
    entry = _entry(identity)
    if entry is None:
        return
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(f"{ascii(identity)}\n{digest}\n")
            os.replace(tmp, entry)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        _prune(entry.parent)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _prune(folder: Path) -> None:
    """Remove the oldest entries past KEEP; only files `_read_entry` recognises as
    riskctl's are counted or removed."""
    names = [p for p in folder.iterdir() if _HEX.fullmatch(p.name)]
    if len(names) <= KEEP:
        return
    entries = [p for p in names if _read_entry(p) is not None]
    if len(entries) <= KEEP:
        return
    entries.sort(key=_mtime)
    for old in entries[: len(entries) - KEEP]:
        with contextlib.suppress(OSError):
            old.unlink()
