"""The `riskctl` executable: interrupts handled before anything heavy is imported.

Ctrl-C (SIGINT) or SIGTERM at any moment, during imports included, removes every
temporary file riskctl has started, prints one line and exits 130 (SIGINT) or 143 (SIGTERM).
No exception is raised into polars or XGBoost (which would print a panic), and nothing
half-written is left: outputs appear only by a final rename.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


def _stop(signum: int, _frame: FrameType | None) -> None:
    from riskctl.tempfiles import remove_partial

    remove_partial()
    tty = False
    with contextlib.suppress(OSError):
        tty = os.isatty(2)
    show_cursor = "\x1b[?25h" if tty else ""  # a progress bar may have hidden it
    message = f"{show_cursor}\nerror: {NAMES[signal.Signals(signum)]}; nothing was written\n"
    with contextlib.suppress(OSError):
        os.write(2, message.encode())
    os._exit(EXIT_CODES[signal.Signals(signum)])


def install_handlers() -> None:
    for signum in EXIT_CODES:
        signal.signal(signum, _stop)


def main() -> None:
    install_handlers()
    from riskctl.cli.app import main as run

    run()
    sys.exit(0)
