"""How numbers read as text, the same in the terminal, reports, Markdown, JUnit and
guardrail messages. The one number formatter."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NA = "n/a"
Z95 = 1.959963984540054  # the two-sided 95% quantile of the normal distribution


def ratio(num: Any, den: Any) -> Any:
    """`num / den` where `den` > 0, NaN where it is 0 (a share of nothing is undefined), on
    numbers or numpy arrays alike. Every share metric divides here: the metric registry's
    ratios, a detector's trade-off curve and the daily series."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def share_digits(value: float, digits: int = 2) -> int:
    """One more digit below 10%: small rates (false positives) need it to be read at all."""
    return digits if abs(value) >= 0.1 else digits + 1


def fmt_percent(value: float | None, digits: int = 2) -> str:
    if missing(value):
        return NA
    assert value is not None
    return f"{100 * value:.{share_digits(value, digits)}f}%"


def fmt_points(value: float | None, digits: int = 2) -> str:
    """A difference of two shares, in percentage points."""
    if missing(value):
        return NA
    assert value is not None
    return f"{100 * value:+.{share_digits(value, digits)}f} pp"


def fmt_count(value: float | None, signed: bool = False) -> str:
    """Counts, loads and money: thousands separated, one decimal."""
    if missing(value):
        return NA
    return f"{value:+,.1f}" if signed else f"{value:,.1f}"


def fmt_interval(value: float, low: float, high: float, digits: int = 2) -> str:
    """A share with its 95% interval: `12.34% (11.00–13.70)`."""
    if missing(value):
        return NA
    d = share_digits(value, digits)
    if missing(low) or missing(high):
        return f"{100 * value:.{d}f}%"
    return f"{100 * value:.{d}f}% ({100 * low:.{d}f}–{100 * high:.{d}f})"


def fmt_points_interval(
    value: float, low: float, high: float, digits: int = 2, compact: bool = False
) -> str:
    """A difference of shares with its interval; `compact` writes a symmetric interval as
    ±half-width, to fit an 80-column table."""
    if missing(value):
        return NA
    n = share_digits(value, digits)
    text = f"{100 * value:+.{n}f} pp"
    if missing(low) or missing(high):
        return text
    half = (high - low) / 2
    if compact and math.isclose(value - low, half, rel_tol=1e-6, abs_tol=1e-12):
        return f"{text} ±{100 * half:.{n}f}"
    if compact:
        return f"{text} [{100 * low:.1f}, {100 * high:.1f}]"
    return f"{text} ({100 * low:+.{n}f}..{100 * high:+.{n}f})"


def fmt_int(value: int | None) -> str:
    return NA if value is None else f"{value:,}"


def fmt_number(value: Any, significant: int = 6) -> str:
    """Any number as a person reads it: whole numbers with thousands separators, others to
    `significant` digits without trailing zeros (`1.5664319999999998` reads `1.56643`),
    very large or very small ones in scientific notation; n/a when missing."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if missing(value):
        return NA
    v = float(value)
    if v == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(v)))
    if magnitude >= 15 or magnitude < -4:
        return f"{v:.{significant}g}"
    decimals = max(0, significant - 1 - magnitude)
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_money(value: float | None) -> str:
    return "" if missing(value) else f"{value:,.2f}"
