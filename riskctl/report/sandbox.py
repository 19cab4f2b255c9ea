"""The sandbox report templates render in: templates may come from a pull request.

Jinja2's immutable sandbox keeps a template from reaching Python internals (`__class__`,
`__mro__`, `__globals__`, ...), calling unsafe methods or changing any object. On top of it:
`*` and `**` that would build a huge string, list or number are refused, and rendering a
user's templates has a time limit, so a template can neither run code nor hang riskctl.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SIZE = 10_000_000  # characters or items one `*` may build
MAX_EXPONENT = 1_000
RENDER_SECONDS = 60


class TemplateSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large for a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_SIZE:
                    raise SecurityError("a template may not build a value that large")
        return super().call_binop(context, operator, left, right)


class RenderTimeout(SecurityError):
    """Rendering took longer than RENDER_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in the block after `seconds` (main thread only; elsewhere none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise RenderTimeout(f"the templates did not finish rendering in {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
