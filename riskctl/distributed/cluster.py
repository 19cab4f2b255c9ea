"""A connection to a Dask scheduler that fails fast: an address that does not answer, a
worker that leaves mid-job, or a job past its time limit ends with one `ClusterError`,
never a hang.

Dask is imported only when a connection is made.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from riskctl.distributed.address import parse_address, probe
from riskctl.errors import EXIT_BAD_INPUT, ClusterError, DataError, RiskctlError, first_line

T = TypeVar("T")
Progress = Callable[[int, int], None]

SCHEDULER_ENV = "RISKCTL_SCHEDULER"
TIMEOUT_ENV = "RISKCTL_DASK_TIMEOUT"
DEFAULT_TIMEOUT = 3600.0  # seconds a whole job may take
CONNECT_TIMEOUT = 20.0  # seconds to reach the scheduler and find a worker
MIN_CONNECT = 2.0  # seconds to reach it, whatever the job's time limit
CONNECT_GRACE = 5.0  # seconds Dask's client gets beyond the connect timeout to give up itself
POLL = 0.25  # seconds between checks on a running job
INSTALL_HINT = "install it with `pip install 'riskctl[dask]'` (here and on every worker)"


@dataclass(frozen=True)
class ClusterOptions:
    """Where the scheduler is and how long a job may take."""

    scheduler: str
    timeout: float = DEFAULT_TIMEOUT

    @property
    def connect_timeout(self) -> float:
        """Reaching the scheduler gets a few seconds even under a tiny --timeout (which then
        stops the job, as it says), and never more than CONNECT_TIMEOUT."""
        return min(max(self.timeout, MIN_CONNECT), CONNECT_TIMEOUT)


def cluster_options(
    scheduler: str | None, timeout: float | None, from_environment: bool = True
) -> ClusterOptions | None:
    """The flags, else RISKCTL_SCHEDULER (unless not `from_environment`) and
    RISKCTL_DASK_TIMEOUT; None: run on this machine. The address and the time limit are
    checked here, before any work."""
    if timeout is None:
        raw = os.environ.get(TIMEOUT_ENV)
        try:
            timeout = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            raise ClusterError(
                f"{TIMEOUT_ENV}={raw!r} is not a number of seconds",
                exit_code=EXIT_BAD_INPUT,
            ) from None
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ClusterError(
            f"--timeout {timeout:g}: must be a positive, finite number of seconds",
            "e.g. --timeout 600",
            EXIT_BAD_INPUT,
        )
    address = (scheduler or (from_environment and os.environ.get(SCHEDULER_ENV)) or "").strip()
    if not address:
        return None
    parse_address(address)
    return ClusterOptions(address, float(timeout))


def _version() -> str:
    from riskctl import __version__

    return __version__


class Cluster:
    """A Dask client for one command: `with Cluster(options) as c: c.map(...)`."""

    def __init__(self, options: ClusterOptions) -> None:
        self.options = options
        self.client: Any = None
        self.workers: set[str] = set()
        self.deadline = 0.0

    def __enter__(self) -> Cluster:
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError(
                "--scheduler needs Dask, which is not installed", INSTALL_HINT, EXIT_BAD_INPUT
            ) from None
        address = self.options.scheduler
        self.deadline = time.monotonic() + self.options.timeout
        self.client = _connect(Client, address, self.options.connect_timeout)
        try:
            self.client.wait_for_workers(1, timeout=self.options.connect_timeout)
        except Exception:
            self.close()
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers",
                "start some with `dask worker " + address + "`",
                EXIT_BAD_INPUT,
            ) from None
        self.workers = set(self.client.nthreads())
        self._check_workers_run_riskctl()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # a cluster already gone: nothing to close
                self.client.close(timeout=5)
            self.client = None

    @property
    def nworkers(self) -> int:
        return len(self.workers)

    def _check_workers_run_riskctl(self) -> None:
        try:
            versions = self.map(_version, [()] * 1, name="version")
        except ClusterError:
            raise
        except Exception as exc:
            raise ClusterError(
                f"the Dask workers cannot run riskctl: {first_line(exc)}", INSTALL_HINT, 2
            ) from None
        if versions[0] != _version():
            raise ClusterError(
                f"the Dask workers run riskctl {versions[0]}, this is riskctl {_version()}",
                "install the same riskctl version on every worker",
                EXIT_BAD_INPUT,
            )

    def map(
        self,
        fn: Callable[..., T],
        calls: Sequence[tuple[Any, ...]],
        name: str = "task",
        progress: Progress | None = None,
        per_part: bool = False,
    ) -> list[T]:
        """`fn(*args)` for each args tuple of `calls` on the cluster; results in order.
        `per_part`: each call's first argument is a part of a dataset, which bad data found
        there is said to be in."""
        token = uuid.uuid4().hex[:8]
        wrap: tuple[Callable[..., Any], ...] = (_on_part, fn) if per_part else (fn,)
        futures = [
            self.client.submit(*wrap, *args, key=f"riskctl-{name}-{token}-{i}", pure=False)
            for i, args in enumerate(calls)
        ]
        try:
            while True:
                done = sum(f.done() for f in futures)
                if progress:
                    progress(done, len(futures))
                for f in futures:
                    if f.status == "error":
                        _raise_task_error(f.exception(), name)
                if done == len(futures):
                    return [f.result() for f in futures]
                self.watch(name)
                time.sleep(POLL)
        except BaseException:
            self.client.cancel(futures)
            raise

    def call(self, fn: Callable[..., T], *args: Any, name: str = "job") -> T:
        """`fn(client, *args)` here, watched: for library calls that drive the cluster
        themselves and block (xgboost.dask), which hang if a worker leaves."""
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = fn(self.client, *args)
            except BaseException as exc:  # handed over to the watching thread
                box["error"] = exc

        thread = threading.Thread(target=target, name=f"riskctl-{name}", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(POLL)
            if thread.is_alive():
                self.watch(name)
        if "error" in box:
            _raise_task_error(box["error"], name)
        return box["value"]

    def watch(self, name: str) -> None:
        """Raise if a worker left or the job is past its time."""
        try:
            now = set(self.client.nthreads())
        except Exception as exc:
            raise ClusterError(
                f"lost the Dask scheduler during {name}: {first_line(exc)}"
            ) from None
        lost = sorted(self.workers - now)
        if lost:
            raise ClusterError(
                f"Dask worker {lost[0]} left the cluster during {name}; the job was stopped",
                "check the worker's memory limit and logs, then rerun",
            )
        self.workers |= now
        if time.monotonic() > self.deadline:
            raise ClusterError(
                f"{name} did not finish within {self.options.timeout:g} s on the Dask cluster",
                f"raise --timeout (or {TIMEOUT_ENV}), or add workers",
            )


def _connect(client_class: Any, address: str, timeout: float) -> Any:
    """A client of the scheduler at `address`, else one ClusterError (exit 2) at once: the
    address checked and probed first; a client that failed half-way closed right here, so
    it never blocks the exit nor prints when it is collected."""
    reason = probe(parse_address(address), timeout)
    if reason is None:
        made = _within(
            lambda: client_class(address, timeout=timeout, set_as_default=False), timeout
        )
        if "value" in made:
            return made["value"]
        if "error" in made:
            _discard(made["error"], client_class)
            reason = _connect_reason(made["error"], timeout)
        else:
            reason = f"no answer in Dask's protocol within {timeout:g} s"
    raise ClusterError(
        f"cannot reach the Dask scheduler at {address}: {reason}",
        "check the address (tcp://HOST:8786) and that `dask scheduler` runs there",
        EXIT_BAD_INPUT,
    )


def _within(make: Callable[[], T], timeout: float) -> dict[str, Any]:
    """`make()` in a daemon thread, waited for `timeout` seconds and a grace period:
    {"value": ...}, {"error": exception}, or {} when it had not returned by then (a peer that
    answered the greeting and then went silent must not hold the command)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = make()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="riskctl-connect", daemon=True)
    thread.start()
    thread.join(timeout + CONNECT_GRACE)
    return box


def _connect_reason(exc: BaseException, timeout: float) -> str:
    """Dask's own connect errors say what happened; anything else (an answer that is not
    Dask's, read as garbage) is not worth quoting."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return f"no answer within {timeout:g} s"
    if isinstance(exc, OSError) and str(exc).strip():
        return first_line(exc)
    return "something answered there, but not a Dask scheduler"


def _discard(exc: BaseException, client_class: Any) -> None:
    """Close the client whose constructor raised `exc` (found in the traceback), briefly."""
    tb = exc.__traceback__
    while tb is not None:
        half = tb.tb_frame.f_locals.get("self")
        if isinstance(half, client_class):
            with contextlib.suppress(Exception):
                half.close(timeout=1)
            return
        tb = tb.tb_next


def _on_part(fn: Callable[..., T], part: Any, *args: Any) -> T:
    """`fn(part, *args)` on a worker; a DataError that does not name the part names it."""
    try:
        return fn(part, *args)
    except DataError as exc:
        if str(part) in exc.message:
            raise
        raise DataError(f"{part}: {exc.message}", exc.hint) from None


def _raise_task_error(exc: BaseException | None, name: str) -> None:
    """A task's error as riskctl reports it: riskctl's own errors as they are, a worker
    that died as a ClusterError, anything else as the bug it is."""
    if exc is None:
        raise ClusterError(f"{name} failed on the Dask cluster")
    if isinstance(exc, RiskctlError):
        raise exc
    kind = type(exc).__name__
    if kind in ("KilledWorker", "CancelledError", "FutureCancelledError", "CommClosedError"):
        raise ClusterError(
            f"{name} stopped on the Dask cluster: a worker died or the job was cancelled ({kind})",
            "check the workers' memory limits and logs, then rerun",
        )
    raise exc
