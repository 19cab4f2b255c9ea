"""OpenMP set-up for XGBoost, done before XGBoost's OpenMP runtime (libgomp) loads.

The command line calls `configure_openmp` first thing, before xgboost can load (libgomp reads
these variables once, when it loads). `import riskctl` changes no variable: a notebook's
process is its owner's. A notebook user who wants the same set-up calls
`riskctl.runtime.configure_openmp()` before importing xgboost or any riskctl module that
trains, scores or explains.

Why: XGBoost splits each boosting round (and each prediction) into many short parallel
regions. By default a libgomp thread that finishes early spins for up to 300,000 rounds
waiting for the others. On an idle machine that is the fastest choice; beside another busy
process on a 2-core machine the spinning thread burns the very core its partner needs, and a
round took 5 to 60 times longer. The options, measured (benchmarks/README.md; explained in
docs/explanation/speed.md):

* OMP_WAIT_POLICY=passive (sleep at once): robust beside other work, but about a third
  slower on an idle machine, because every region pays a futex wake-up;
* one thread: robust, but half the speed on an idle machine;
* a bounded GOMP_SPINCOUNT: idle speed kept; beside other work the waste per region is capped.

riskctl keeps the best of each: threads from the cores free when it starts (the cores this
process may use minus the other runnable tasks, the smallest of a few samples of the
kernel's run queue), capped with OMP_THREAD_LIMIT, which XGBoost honours even where a thread
count is passed explicitly; and a bounded spin, so a load that arrives later costs little.
Nothing is changed when the user set any of these variables.

`lean_xgboost` (the command line calls it) also keeps xgboost from importing scikit-learn and
scipy for wrappers riskctl never uses: about a second of CPU per command that trains,
scores or explains.

`quiet_blas` (the command line calls it too) bounds the spin of numpy's OpenBLAS threads
the same way: started when numpy loads, an idle one spun about 0.1 s of a core (2**28
cycles) before it slept, in every command, for BLAS work riskctl rarely gives it.
"""

from __future__ import annotations

import os
import sys
import time
from importlib.machinery import ModuleSpec
from types import FrameType

# libgomp's spin rounds before a waiting thread sleeps (its default is 300,000)
SPIN_COUNT = 10_000
USER_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OMP_THREAD_LIMIT")
SAMPLES = 3
# OpenBLAS's idle threads spin 2**BLAS_TIMEOUT cycles before they sleep (its default is 28)
BLAS_TIMEOUT = 4
BLAS_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _runnable_others() -> int:
    """Other runnable tasks right now: the kernel's run queue (this process counts as one),
    the smallest of a few samples, so a passing blip does not count; the one-minute load
    average where /proc is not there."""
    try:
        seen = []
        for i in range(SAMPLES):
            if i:
                time.sleep(0.002)
            with open("/proc/loadavg", encoding="ascii") as f:
                seen.append(int(f.read().split()[3].split("/")[0]))
        return max(0, min(seen) - 1)
    except (OSError, ValueError, IndexError):
        try:
            return int(os.getloadavg()[0])
        except OSError:
            return 0


def free_threads() -> int:
    """Cores this process may use that no other runnable task is holding right now (>= 1)."""
    return max(1, usable_cores() - _runnable_others())


def configure_openmp(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, str]:
    """Sets the OpenMP variables (unless the user set any) and returns what was set."""
    if any(name in environ for name in USER_VARIABLES):
        return {}
    chosen = {"GOMP_SPINCOUNT": str(SPIN_COUNT), "OMP_THREAD_LIMIT": str(free_threads())}
    environ.update(chosen)
    return chosen


class _XGBoostWithoutSklearn:
    """A meta path finder that refuses `sklearn` to xgboost's `compat` module alone: xgboost
    imports scikit-learn (and with it scipy) only to offer its scikit-learn wrappers, about
    a second of CPU that riskctl's commands, which use xgboost's native API, never need.
    Any other import of sklearn, before or after, is untouched."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name.partition(".")[0] != "sklearn":
            return None
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__") == "xgboost.compat":
                raise ModuleNotFoundError(f"xgboost loads without {name} here", name=name)
            frame = frame.f_back
        return None


def lean_xgboost() -> bool:
    """For the command line (whose process runs no user code): xgboost loads without its
    scikit-learn wrappers. False, and nothing done, when either is already loaded."""
    if "xgboost" in sys.modules or "sklearn" in sys.modules:
        return False
    if not any(isinstance(f, _XGBoostWithoutSklearn) for f in sys.meta_path):
        sys.meta_path.insert(0, _XGBoostWithoutSklearn())
    return True


def quiet_blas(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, str]:
    """For the command line, before numpy loads: OpenBLAS (numpy's BLAS) starts a thread per
    core with numpy, and each spins about 2**28 cycles (a tenth of a second of a core,
    about 70 ms of CPU per command on 2 cores) before it sleeps. With a 2**4-cycle timeout
    the threads sleep at once and still share any BLAS work (a wake-up costs microseconds);
    the results are the same. Nothing is changed when the user set the variable."""
    if BLAS_VARIABLE in environ:
        return {}
    environ[BLAS_VARIABLE] = str(BLAS_TIMEOUT)
    return {BLAS_VARIABLE: str(BLAS_TIMEOUT)}
