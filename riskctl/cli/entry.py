"""The `riskctl` executable: interrupts handled before anything heavy is imported.

Ctrl-C (SIGINT) or SIGTERM at any moment, during imports included, removes every
temporary file riskctl has started, prints one line and exits 130 (SIGINT) or 143 (SIGTERM).
No exception is raised into polars or XGBoost (which would print a panic), and nothing
half-written is left: outputs appear only by a final rename.

Python runs a signal handler on the main thread between two bytecodes, so a main thread
inside a long native call (a polars query, an XGBoost round, a compiled kernel) would answer
only when the call returns. The signal is therefore also written to a wake-up pipe that a
small watcher thread waits on: the native calls release the interpreter lock, so the
watcher stops the process at once, wherever the main thread is.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from types import FrameType

# imported now, not by the handler: a signal landing mid-import (of `random`, say) would
# make the handler's own import fail on the half-loaded module
from riskctl.tempfiles import remove_partial

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


_stopping = threading.Lock()


def _stop(signum: int, _frame: FrameType | None) -> None:
    # the main thread's handler and the watcher may both get here: the first one stops the
    # process, the other waits for that (and never returns to the command's work)
    _stopping.acquire()
    remove_partial()
    tty = False
    with contextlib.suppress(OSError):
        tty = os.isatty(2)
    show_cursor = "\x1b[?25h" if tty else ""  # a progress bar may have hidden it
    message = f"{show_cursor}\nerror: {NAMES[signal.Signals(signum)]}; nothing was written\n"
    with contextlib.suppress(OSError):
        os.write(2, message.encode())
    os._exit(EXIT_CODES[signal.Signals(signum)])


def _watch(read_fd: int) -> None:
    """Wait for a signal number on the wake-up pipe, then stop the process."""
    while True:
        with contextlib.suppress(InterruptedError, OSError):
            select.select([read_fd], [], [])
        try:
            data = os.read(read_fd, 64)
        except BlockingIOError:
            continue
        except OSError:
            return
        for signum in data:
            if signum in EXIT_CODES:
                _stop(signum, None)


def install_handlers() -> None:
    for signum in EXIT_CODES:
        signal.signal(signum, _stop)
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), name="riskctl-signals", daemon=True).start()


HASHED_DATA = ("simulate", "check")  # commands that report the sha256 of their --data file


def early_digest(argv: list[str]) -> None:
    """Begin hashing the --data file of a command that reports its sha256, in a thread,
    while the rest of riskctl loads (about half a second of single-threaded imports).
    Only a plain local run: not with --help, nor on a cluster (which hashes its parts)."""
    if len(argv) < 2 or argv[1] not in HASHED_DATA or os.environ.get("RISKCTL_SCHEDULER"):
        return
    if any(a in ("-h", "--help") or a.startswith("--scheduler") for a in argv):
        return
    for flag, value in zip(argv, [*argv[1:], None], strict=True):
        path = value if flag in ("--data", "-d") else None
        path = flag.removeprefix("--data=") if flag.startswith("--data=") else path
        if path:
            from riskctl.data.digest import start

            start(path)
            return


def main() -> None:
    install_handlers()
    early_digest(sys.argv)
    from riskctl.runtime import configure_openmp, lean_xgboost, quiet_blas

    # the command line owns its process: before anything can load XGBoost, whose OpenMP
    # runtime reads the environment once. `import riskctl` alone changes no variable.
    configure_openmp()
    quiet_blas()
    lean_xgboost()
    from riskctl.cli.app import main as run

    try:
        run()
    finally:
        import gc

        # the command is done (its outputs written and closed): exiting, the interpreter
        # would still sweep every object riskctl and polars made for reference cycles, about
        # 60 ms of CPU; frozen objects are skipped. Exit handlers and flushes run as usual.
        gc.freeze()
    sys.exit(0)
