"""Two benchmark cases run by `benchmarks/run.py`:

* `shap`: riskctl's fast exact TreeSHAP against XGBoost's `pred_contribs` and
  `shap.TreeExplainer` on the same 200-round models at depths 4, 6 and 8 (numeric,
  boolean and native categorical features, missing values): rows/s, the speed-up in wall
  time and in CPU time (robust on a shared machine), and the largest difference in value.
* `contention`: `riskctl train`, `score`, `explain` and `demo`, each on an idle machine and
  beside a busy process (a one-core busy loop), with riskctl's OpenMP set-up and with
  libgomp's defaults (`GOMP_SPINCOUNT=300000`, which riskctl then leaves alone): the
  ratio busy / idle.

Each timing is the median of `--repeat` runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEPTHS = (4, 6, 8)
DEFAULTS = {"GOMP_SPINCOUNT": "300000"}  # libgomp's own default, set explicitly


def _median_run(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def shap_case(train_path: str, explain_path: str, rows: int, repeat: int) -> None:
    """In a child process: train one model per depth, explain `rows` rows three ways."""
    import numpy as np
    import polars as pl
    import shap
    import xgboost as xgb

    from riskctl.explain.treeshap import fast_explainer
    from riskctl.runtime import usable_cores

    threads = int(os.environ.get("OMP_THREAD_LIMIT", usable_cores()))

    def matrix(path: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        df = pl.read_parquet(path, n_rows=n)
        names = [c for c in df.columns if c not in ("y", "t")]
        cols = [
            df[c].str.strip_prefix("c").cast(pl.Float32) if c.startswith("cat_") else df[c]
            for c in names
        ]
        X = pl.DataFrame(cols).cast(pl.Float32).to_numpy()
        X[np.random.default_rng(0).random(X.shape) < 0.03] = np.nan  # missing values
        types = ["c" if c.startswith("cat_") else "q" for c in names]
        return X, df["y"].to_numpy(), types

    X_train, y, types = matrix(train_path)
    X, _, _ = matrix(explain_path, rows)
    dtrain = xgb.DMatrix(X_train, y, feature_types=types, enable_categorical=True)
    dm = xgb.DMatrix(X, feature_types=types, enable_categorical=True)
    for depth in DEPTHS:
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": depth}
        booster = xgb.train({**params, "eta": 0.1, "max_cat_to_onehot": 8}, dtrain, 200)
        booster.set_param({"nthread": threads})
        engine = fast_explainer(booster)
        engine.shap_values(X[:100], threads=threads)  # compiled kernels loaded
        fast = _median_run(lambda e=engine: e.shap_values(X, threads=threads), repeat)
        native = _median_run(lambda b=booster: b.predict(dm, pred_contribs=True), repeat)
        explainer = shap.TreeExplainer(booster)
        tree = _median_run(lambda e=explainer: e.shap_values(dm), repeat)
        diff = float(np.abs(fast[2] - native[2][:, : X.shape[1]]).max())
        line = {
            "case": "shap",
            "depth": depth,
            "rows": rows,
            "threads": threads,
            "leaves": int(engine.arrays.leaf_depth.size),
            "rows_per_s": {
                "riskctl": round(rows / fast[0]),
                "pred_contribs": round(rows / native[0]),
                "shap_tree_explainer": round(rows / tree[0]),
            },
            "speedup_wall": round(native[0] / fast[0], 2),
            "speedup_cpu": round(native[1] / fast[1], 2),
            "speedup_vs_shap_wall": round(tree[0] / fast[0], 2),
            "max_abs_diff": diff,
        }
        print(json.dumps(line), flush=True)


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def contention_case(tasks: dict[str, list[str]], repeat: int, defaults: bool = True) -> list[dict]:
    """Each task idle and beside a busy loop, with riskctl's set-up and (unless `defaults`
    is false: beside other work they can take minutes) with libgomp's defaults."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    setups = [("riskctl", {}), ("libgomp_defaults", DEFAULTS)][: 2 if defaults else 1]
    results = []
    for name, cmd in tasks.items():
        line: dict = {"case": "contention", "task": name}
        for setup, extra in setups:
            env = {**base, **extra}
            _timed(cmd, env)  # warm: caches, compiled kernels
            idle = statistics.median(_timed(cmd, env) for _ in range(repeat))
            busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.5)
                busy = statistics.median(_timed(cmd, env) for _ in range(repeat))
            finally:
                busy_loop.kill()
                busy_loop.wait()
            line[setup] = {
                "idle_s": round(idle, 2),
                "busy_s": round(busy, 2),
                "ratio": round(busy / idle, 2),
            }
        print_contention(line)
        results.append(line)
    return results


def print_contention(line: dict) -> None:
    ours = line["riskctl"]
    text = (
        f"contention {line['task']:<8} riskctl idle {ours['idle_s']:>6.1f}s busy "
        f"{ours['busy_s']:>6.1f}s x{ours['ratio']:.2f}"
    )
    if "libgomp_defaults" in line:
        theirs = line["libgomp_defaults"]
        line["idle_vs_defaults"] = round(ours["idle_s"] / theirs["idle_s"], 2)
        text += (
            f"   libgomp defaults idle {theirs['idle_s']:>6.1f}s busy {theirs['busy_s']:>6.1f}s"
            f" x{theirs['ratio']:.2f}   idle riskctl/defaults x{line['idle_vs_defaults']:.2f}"
        )
    print(text, flush=True)


def print_shap(line: dict) -> None:
    r = line["rows_per_s"]
    print(
        f"shap   depth {line['depth']} {line['rows']:>9,} rows {line['threads']} threads  "
        f"riskctl {r['riskctl']:>8,} rows/s  pred_contribs {r['pred_contribs']:>7,} rows/s  "
        f"shap.TreeExplainer {r['shap_tree_explainer']:>7,} rows/s   "
        f"x{line['speedup_wall']:.2f} wall  x{line['speedup_cpu']:.2f} cpu  "
        f"(vs shap x{line['speedup_vs_shap_wall']:.2f}; max |diff| {line['max_abs_diff']:.1e})",
        flush=True,
    )


def run_shap(train_path: Path, explain_path: Path, rows: int, repeat: int) -> list[dict]:
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import engines; "
        "engines.shap_case(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(train_path), str(explain_path), str(rows), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [json.loads(s) for s in done.stdout.splitlines() if s.startswith("{")]
    for line in lines:
        print_shap(line)
    return lines
