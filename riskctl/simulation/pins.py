"""Pins on the evaluation data: a pinned file that changed fails loudly instead of moving
the numbers, and a pin that would pin nothing (empty, malformed) is refused."""

from __future__ import annotations

import re
from pathlib import Path

from riskctl.errors import DataError, UsageError
from riskctl.strategy.load import LoadedStrategy

SHA256 = re.compile(r"[0-9a-fA-F]{64}\Z")


def check_pin(pin: str | None, source: str) -> None:
    """A pin given is 64 hex digits: an empty one (an unset CI variable) or a malformed one
    would otherwise pin nothing, and the gate would run on any data."""
    if pin is not None and not SHA256.match(pin):
        got = "is empty" if not pin.strip() else f"is not 64 hex digits ({len(pin)} characters)"
        raise UsageError(
            f"{source} {got}: it would pin nothing",
            hint="pass the data file's sha256, as `sha256sum FILE` prints it, or leave it out",
        )


def check_pins(
    data: Path, digest: str, pins: list[tuple[str | None, str]], loaded: list[LoadedStrategy]
) -> None:
    """A pinned evaluation file that changed fails loudly instead of moving the numbers.
    Every pin present holds: the flag's and each strategy's (the candidate's and the
    baseline's), so a change that deletes the candidate's pin still meets the baseline's;
    the error names the file whose pin failed."""
    pins = [*pins, *((ls.strategy.data_sha256, f"{ls.path}: data_sha256") for ls in loaded)]
    for pin, source in pins:
        check_pin(pin, source)
        if pin and pin.lower() != digest:
            raise DataError(
                f"{data}: sha256 {digest[:12]}... is not the pinned evaluation data "
                f"({source} {pin[:12]}...)",
                hint="evaluate on the pinned file, or update the pin on purpose",
            )
