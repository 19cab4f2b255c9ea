"""Errors riskctl raises, and the exit codes the CLI maps them to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 3


class RiskctlError(Exception):
    """Base of every error riskctl raises on purpose; carries a one-line cause and a fix."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(RiskctlError):
    """Flags or arguments that do not fit together."""


class DataError(RiskctlError):
    """A table that is missing, unreadable, or lacks what a command needs."""


@dataclass(frozen=True)
class Location:
    file: Path
    line: int | None = None
    key_path: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        if self.key_path:
            where += f": {self.key_path}"
        return where


class ConfigError(RiskctlError):
    """A strategy or catalogue file that does not validate; says where."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        full = f"{location}: {message}" if location else message
        super().__init__(full, hint)
        self.location = location
        self.detail = message


class DetectorError(RiskctlError):
    """A detector directory that is missing, tampered with or incompatible."""


class ClusterError(RiskctlError):
    """A Dask cluster that cannot be reached, lost a worker, or ran out of time. Exit 2 when
    the address or set-up is wrong; exit 3 when a job that started could not finish."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = EXIT_BUG):
        super().__init__(message, hint)
        self.exit_code = exit_code


def first_line(exc: BaseException) -> str:
    """An exception's message as one line (its first), or its type when it has none: how a
    library or system error is quoted inside riskctl's own one-line messages."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def name_list(names: list[str], limit: int = 12) -> str:
    """Names for a hint: the first `limit`, then how many more, so a cut list says so."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"
