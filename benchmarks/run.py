"""Run riskctl's benchmarks and print ratios against the usual pandas / scikit-learn way.

    python benchmarks/run.py [CASE ...] [--train-rows N] [--score-rows N]

Each case runs in a child process; its wall time and peak RSS are measured from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
N_NUMERIC, N_BOOL, N_CAT = 35, 5, 5
ROUNDS = 200


# ---------------------------------------------------------------- data

def make_table(rows: int, seed: int, path: Path) -> Path:
    """rows x 45 features (35 numeric, 5 boolean, 5 text categories), a label and a time."""
    import numpy as np
    import polars as pl

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = 1_000_000
    parts = []
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        rng = np.random.default_rng([seed, start])
        cols: dict[str, object] = {}
        num = rng.normal(size=(n, N_NUMERIC)).astype(np.float32)
        for j in range(N_NUMERIC):
            cols[f"num_{j:02d}"] = num[:, j]
        for j in range(N_BOOL):
            cols[f"flag_{j}"] = rng.random(n) < 0.2
        cats = rng.integers(0, 12, size=(n, N_CAT))
        for j in range(N_CAT):
            cols[f"cat_{j}"] = np.char.add("c", cats[:, j].astype(str))
        logit = (-4.0 + 1.2 * num[:, 0] + 0.8 * num[:, 1] * num[:, 2] + 0.9 * cols["flag_0"]
                 + 0.5 * (cats[:, 0] > 8) + 0.3 * num[:, 3] ** 2)
        cols["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
        cols["t"] = (np.datetime64("2026-01-01T00:00:00", "us")
                     + (np.arange(start, start + n) * 2_000_000).astype("timedelta64[us]"))
        part = path.with_suffix(f".part{start // chunk:04d}.parquet")
        pl.DataFrame(cols).write_parquet(part)
        parts.append(part)
    pl.scan_parquet(parts).sink_parquet(path)
    for part in parts:
        part.unlink()
    return path


# ---------------------------------------------------------------- cases (run in children)

def case_riskctl_train(data: str, out: str) -> None:
    config = Path(out).with_suffix(".yaml")
    config.write_text(f"rounds: {ROUNDS}\nearly_stopping_rounds: {ROUNDS}\n")
    subprocess.run([sys.executable, "-m", "riskctl", "train", data, "--label", "y", "--time",
                    "t", "--out", out, "--config", str(config), "--quiet", "--json"],
                   check=True, stdout=subprocess.DEVNULL)


def case_pandas_train(data: str, out: str) -> None:
    import pandas as pd
    import xgboost as xgb

    df = pd.read_parquet(data).sort_values("t")
    for c in [c for c in df.columns if c.startswith("cat_")]:
        df[c] = df[c].astype("category")
    x, y = df.drop(columns=["y", "t"]), df["y"]
    cut = int(len(df) * 0.8)
    model = xgb.XGBClassifier(n_estimators=ROUNDS, tree_method="hist", max_depth=6,
                              learning_rate=0.1, enable_categorical=True, eval_metric="aucpr",
                              n_jobs=os.cpu_count())
    model.fit(x[:cut], y[:cut], eval_set=[(x[cut:], y[cut:])], verbose=False)
    model.save_model(out + ".ubj")


def case_riskctl_score(detector: str, data: str, out: str) -> None:
    subprocess.run([sys.executable, "-m", "riskctl", "score", detector, data, "--out", out,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)


def case_pandas_score(detector: str, data: str, out: str) -> None:
    import pandas as pd
    import xgboost as xgb

    model = xgb.XGBClassifier()
    model.load_model(str(Path(detector) / "model.ubj"))
    df = pd.read_parquet(data)
    for c in [c for c in df.columns if c.startswith("cat_")]:
        df[c] = df[c].astype("category")
    x = df[model.get_booster().feature_names]
    df[["y"]].assign(score=model.predict_proba(x)[:, 1]).to_parquet(out)


def case_riskctl_explain(detector: str, data: str, out: str) -> None:
    subprocess.run([sys.executable, "-m", "riskctl", "explain", detector, data, "--out", out,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)


def case_shap_explain(detector: str, data: str, out: str) -> None:
    import pandas as pd
    import shap
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(Path(detector) / "model.ubj"))
    df = pd.read_parquet(data)
    for c in [c for c in df.columns if c.startswith("cat_")]:
        df[c] = df[c].astype("category")
    x = xgb.DMatrix(df[booster.feature_names], enable_categorical=True)
    values = shap.TreeExplainer(booster).shap_values(x)
    pd.DataFrame(values, columns=[f"shap_{n}" for n in booster.feature_names]).to_parquet(out)


CASES = {"riskctl_train": case_riskctl_train, "pandas_train": case_pandas_train,
         "riskctl_score": case_riskctl_score, "pandas_score": case_pandas_score,
         "riskctl_explain": case_riskctl_explain, "shap_explain": case_shap_explain}


# ---------------------------------------------------------------- driver

def measure(case: str, *args: str) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one case in a fresh child process.

    The child reports its own peak, and its children's (riskctl runs as a grandchild), so
    each case's number is its own.
    """
    code = (f"import sys, resource; sys.path.insert(0, {str(HERE)!r}); import run; "
            f"run.CASES[{case!r}](*sys.argv[1:]); "
            "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], check=True,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 2), "peak_mib": round(peak_kib / 1024, 1)}


def report(name: str, ours: dict[str, float], theirs: dict[str, float], rows: int) -> dict:
    line = {"case": name, "rows": rows, "riskctl": ours, "usual": theirs,
            "speedup": round(theirs["seconds"] / ours["seconds"], 2),
            "memory_ratio": round(theirs["peak_mib"] / ours["peak_mib"], 2)}
    print(f"{name:<6} {rows:>11,} rows  riskctl {ours['seconds']:>7.1f}s {ours['peak_mib']:>8,.0f}"
          f" MiB   usual {theirs['seconds']:>7.1f}s {theirs['peak_mib']:>8,.0f} MiB   "
          f"speed x{line['speedup']:.2f}  memory x{line['memory_ratio']:.2f}", flush=True)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", nargs="*", default=["train", "score", "explain"])
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--score-rows", type=int, default=10_000_000)
    parser.add_argument("--explain-rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    results = []
    train_data = make_table(args.train_rows, 1, DATA / f"train_{args.train_rows}.parquet")
    detector = DATA / f"detector_{args.train_rows}"
    if "train" in args.cases or not (detector / "manifest.json").exists():
        ours = measure("riskctl_train", str(train_data), str(detector))
        theirs = measure("pandas_train", str(train_data), str(DATA / "pandas_model"))
        if "train" in args.cases:
            results.append(report("train", ours, theirs, args.train_rows))
    if "score" in args.cases:
        score_data = make_table(args.score_rows, 2, DATA / f"score_{args.score_rows}.parquet")
        ours = measure("riskctl_score", str(detector), str(score_data),
                       str(DATA / "scored_riskctl.parquet"))
        theirs = measure("pandas_score", str(detector), str(score_data),
                         str(DATA / "scored_pandas.parquet"))
        results.append(report("score", ours, theirs, args.score_rows))
    if "explain" in args.cases:
        for rows in args.explain_rows:
            explain_data = make_table(rows, 3, DATA / f"explain_{rows}.parquet")
            ours = measure("riskctl_explain", str(detector), str(explain_data),
                           str(DATA / "explained_riskctl.parquet"))
            theirs = measure("shap_explain", str(detector), str(explain_data),
                             str(DATA / "explained_shap.parquet"))
            results.append(report("explain", ours, theirs, rows))
    (DATA / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
