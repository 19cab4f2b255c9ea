"""The size limits of the report template sandbox, and the checks that weigh a value, an
integer or an operation against them before it runs (`riskctl.report.sandbox` calls them).

No value may pass `MAX_SIZE` characters or items (a list or mapping weighed by what it would
print, `weight`), no integer `MAX_BITS` bits, and no bytes are made at all.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from jinja2.exceptions import SecurityError

MAX_SIZE = 10_000_000  # characters or items one value in a template may have
MAX_EXPONENT = 1_000
MAX_BITS = 100_000  # bits an integer in a template may have (about 30,000 digits)

BYTES = (bytes, bytearray, memoryview)
_WIDTH = re.compile(r"\d+")
_REPR_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0-9.*]*[ra]")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateTooLarge(SecurityError):
    """A template built a value, or a report, past the sandbox's limits."""


def too_large(what: str) -> TemplateTooLarge:
    return TemplateTooLarge(f"{what} would pass {MAX_SIZE:,} characters or items")


_CONTAINERS = (list, tuple, dict, set, frozenset)
_END = object()


def weight(value: Any, budget: int = MAX_SIZE) -> int:
    """About how many characters `value` prints as: a text its length, a list, tuple, set
    or dict its items' weights (each time an item appears), anything else one. Counting
    stops once past `budget`, so `[big] * n` costs no more than `budget` steps."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    total, stack = 0, [iter((value,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.append(itertools.chain.from_iterable(item.items()))
        elif isinstance(item, _CONTAINERS):
            total += 2 + len(item)
            stack.append(iter(item))
        else:
            total += 1
        if total > budget:
            break
    return total


def check_weight(value: Any, what: str) -> None:
    if isinstance(value, _CONTAINERS) and weight(value) > MAX_SIZE:
        raise too_large(what)


def check_result(value: Any, what: str) -> Any:
    """What a method, filter or operator returned: no text or container past MAX_SIZE
    (weighed), no integer past MAX_BITS, no bytes."""
    if isinstance(value, BYTES):
        raise SecurityError(f"{what} made bytes: templates work with text only")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise too_many_bits(what)
    if isinstance(value, (str, *_CONTAINERS)) and weight(value) > MAX_SIZE:
        raise too_large(what)
    return value


def too_many_bits(what: str) -> TemplateTooLarge:
    return TemplateTooLarge(f"{what} would make an integer past {MAX_BITS:,} bits")


def check_int_binop(operator: str, left: Any, right: Any) -> None:
    """`*` and `**` of integers weighed before they run: a product has at most the sum of
    its factors' bits, a power the exponent times its base's bits."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if operator == "*":
        bits = left.bit_length() + right.bit_length()
    elif operator == "**" and right > 0:
        bits = right * max(left.bit_length(), 1)
    else:
        return
    if bits > MAX_BITS:
        raise too_many_bits(f"'{operator}'")


def check_translate(text: str, table: Any) -> None:
    """`text.translate(table)`: each character becomes at most the table's longest text."""
    if isinstance(table, dict):
        values: Iterable[Any] = table.values()
    elif isinstance(table, list | tuple):
        values = table
    else:
        raise SecurityError("translate takes a dict (or list) table in a template")
    longest = max((len(v) for v in values if isinstance(v, str)), default=1)
    if len(text) * max(longest, 1) > MAX_SIZE:
        raise too_large("translate")


def check_width(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
        raise too_large(what)


def check_spec(spec: str, what: str) -> None:
    """A format spec (`>400000000`, `%400000000s`) asks for no width past MAX_SIZE."""
    if any(int(n) > MAX_SIZE for n in _WIDTH.findall(spec)):
        raise too_large(what)


def check_percent(fmt: Any, args: Any) -> None:
    """`fmt % args`: no literal width past MAX_SIZE, nor a `*` width given one."""
    if not isinstance(fmt, str):
        return
    for match in _PERCENT_SPEC.finditer(fmt):
        check_spec(match.group(0), "a '%' format")
    weights = []
    for arg in args.values() if isinstance(args, dict) else _as_tuple(args):
        check_weight(arg, "a '%' format")
        weights.append(weight(arg))
        if "*" in fmt:
            check_width(arg, "a '%' format")
    # a tuple's values print once each; a mapping's may print once per `%(name)s`; `%r` and
    # `%a` write a text up to 10 times as long (`\U0001f600`)
    size = sum(weights)
    if isinstance(args, dict):
        size = max(weights, default=0) * len(_PERCENT_SPEC.findall(fmt))
    if size * (10 if _REPR_SPEC.search(fmt) else 1) > MAX_SIZE:
        raise too_large("a '%' format")


def _as_tuple(args: Any) -> tuple[Any, ...]:
    return args if isinstance(args, tuple) else (args,)


def check_join(items: list[Any], sep: Any) -> None:
    if weight(items) + weight(sep) * max(len(items) - 1, 0) > MAX_SIZE:
        raise too_large("join")


def check_replace(text: Any, old: Any, new: Any, count: Any = None) -> None:
    if not (isinstance(text, str) and isinstance(new, str)):
        return
    n = text.count(str(old)) if str(old) else len(text) + 1
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    if len(text) + n * max(len(new) - len(str(old)), 0) > MAX_SIZE:
        raise too_large("replace")


def refuse_bytes(values: Iterable[Any]) -> None:
    if any(isinstance(v, BYTES) for v in values):
        raise SecurityError("a bytes value in a template: templates work with text only")
