"""The OpenMP set-up: done before XGBoost loads, for the CLI and library users, and never
over a user's own choice."""

from __future__ import annotations

import os
import subprocess
import sys

from riskctl import runtime


def test_sets_spin_and_thread_limit_when_the_user_set_nothing() -> None:
    env: dict[str, str] = {"PATH": "/bin"}
    chosen = runtime.configure_openmp(env)
    assert chosen == {k: env[k] for k in ("GOMP_SPINCOUNT", "OMP_THREAD_LIMIT")}
    assert int(env["GOMP_SPINCOUNT"]) == runtime.SPIN_COUNT
    assert 1 <= int(env["OMP_THREAD_LIMIT"]) <= runtime.usable_cores()


def test_leaves_the_users_choice_alone() -> None:
    for name in runtime.USER_VARIABLES:
        env = {name: "1"}
        assert runtime.configure_openmp(env) == {}
        assert env == {name: "1"}


def test_free_threads_is_between_one_and_the_usable_cores() -> None:
    assert 1 <= runtime.free_threads() <= runtime.usable_cores()


def _child(code: str, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in runtime.USER_VARIABLES}
    env.update(extra)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


CHANGED_BY_IMPORTS = (
    "import os\n"
    "before = dict(os.environ)\n"
    "{imports}\n"
    "print(sorted(k for k, v in os.environ.items() if before.get(k) != v))"
)


def test_importing_riskctl_changes_no_environment_variable() -> None:
    # the libraries riskctl uses set a few of their own (polars' allocator, Intel OpenMP);
    # riskctl adds none to those
    third_party = "import numba, numpy, polars, xgboost"
    with_riskctl = (
        "import riskctl, riskctl.api\n"
        "from riskctl.explain.contributions import contributions\n" + third_party
    )
    alone = _child(CHANGED_BY_IMPORTS.format(imports=third_party))
    assert _child(CHANGED_BY_IMPORTS.format(imports=with_riskctl)) == alone
    assert "OMP_" not in alone


def test_command_line_sets_openmp_before_xgboost_loads() -> None:
    code = (
        "import os, sys\n"
        "sys.argv = ['riskctl', 'explain', '--help']\n"
        "from riskctl.cli.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ.get('GOMP_SPINCOUNT'), 'OMP_THREAD_LIMIT' in os.environ)"
    )
    assert _child(code).splitlines()[-1] == f"{runtime.SPIN_COUNT} True"
    # never over the user's own choice
    assert _child(code, OMP_WAIT_POLICY="passive").splitlines()[-1] == "None False"


LEAN = """
import sys
import numpy as np
from riskctl.runtime import lean_xgboost
assert lean_xgboost()
import xgboost as xgb
assert "sklearn" not in sys.modules and not xgb.compat.SKLEARN_INSTALLED
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 3)); y = (x[:, 0] > 0).astype(float)
booster = xgb.train({"max_depth": 2}, xgb.DMatrix(x, label=y), num_boost_round=3)
assert booster.predict(xgb.DMatrix(x)).shape == (200,)
import sklearn.base  # untouched for everyone else
assert "sklearn" in sys.modules
print("ok")
"""


def test_command_line_loads_xgboost_without_its_sklearn_wrappers() -> None:
    done = subprocess.run([sys.executable, "-c", LEAN], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_lean_xgboost_does_nothing_once_either_is_loaded() -> None:
    code = "import sklearn; from riskctl.runtime import lean_xgboost; print(lean_xgboost())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_quiet_blas_bounds_the_spin_unless_the_user_chose() -> None:
    env: dict[str, str] = {"PATH": "/bin"}
    assert runtime.quiet_blas(env) == {runtime.BLAS_VARIABLE: str(runtime.BLAS_TIMEOUT)}
    assert env[runtime.BLAS_VARIABLE] == str(runtime.BLAS_TIMEOUT)
    user = {runtime.BLAS_VARIABLE: "20"}
    assert runtime.quiet_blas(user) == {}
    assert user == {runtime.BLAS_VARIABLE: "20"}


BLAS_CLI = """
import atexit, os, sys
seen = []


class Watch:  # what the variable was when numpy started loading
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not seen:
            seen.append(os.environ.get("OPENBLAS_THREAD_TIMEOUT"))


sys.meta_path.insert(0, Watch())
sys.argv = ["riskctl", "simulate", "--help"]
atexit.register(lambda: print("seen", *seen))
from riskctl.cli.entry import main
main()
"""


def test_command_line_sets_the_blas_timeout_before_numpy_loads() -> None:
    env = {k: v for k, v in os.environ.items() if k != runtime.BLAS_VARIABLE}
    done = subprocess.run([sys.executable, "-c", BLAS_CLI], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"seen {runtime.BLAS_TIMEOUT}"
    env[runtime.BLAS_VARIABLE] = "20"
    done = subprocess.run([sys.executable, "-c", BLAS_CLI], env=env, capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "seen 20"
