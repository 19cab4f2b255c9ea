"""Run riskctl's benchmarks and print ratios against the usual pandas / scikit-learn way.

    python benchmarks/run.py [CASE ...] [--train-rows N] [--score-rows N]
    python benchmarks/run.py shap contention      # the explain engines; a busy neighbour
    python benchmarks/run.py dask [--dask-rows N] [--dask-part-rows N] [--dask-worker-memory M]
        [--dask-commands simulate sweep rules features] [--dask-features-rows N]
        [--dask-features-part-rows N]

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
sys.path.insert(0, str(HERE))
from rules_case import case_riskctl_rules, case_tree_rules, rules_cases  # noqa: E402

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
        logit = (
            -4.0
            + 1.2 * num[:, 0]
            + 0.8 * num[:, 1] * num[:, 2]
            + 0.9 * cols["flag_0"]
            + 0.5 * (cats[:, 0] > 8)
            + 0.3 * num[:, 3] ** 2
        )
        cols["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
        cols["t"] = np.datetime64("2026-01-01T00:00:00", "us") + (
            np.arange(start, start + n) * 2_000_000
        ).astype("timedelta64[us]")
        part = path.with_suffix(f".part{start // chunk:04d}.parquet")
        pl.DataFrame(cols).write_parquet(part)
        parts.append(part)
    pl.scan_parquet(parts).sink_parquet(path)
    for part in parts:
        part.unlink()
    return path


def make_scored_table(rows: int, path: Path) -> Path:
    """A pre-scored history for strategy simulation: make_table plus `score` and `amount`."""
    import polars as pl

    if path.exists():
        return path
    base = make_table(rows, 4, path.with_name(f"base_{rows}.parquet"))
    pl.scan_parquet(base).with_columns(
        score=1 / (1 + (-(pl.col("num_00") * 1.5 + pl.col("y") * 3 - 4)).exp()),
        amount=(pl.col("num_01").exp() * 80).round(2),
    ).sink_parquet(path)
    base.unlink()
    return path


BENCH_STRATEGY = """name: bench
actions: [block, review, allow]
thresholds:
  block: {score: 0.95}
  review: {score: 0.8}
rules:
  - {name: r0, when: "num_02 > 2.5 AND flag_1", action: block}
  - {name: r1, when: "num_03 < -2.5", action: review}
  - {name: r2, when: "cat_0 = 'c3' AND num_04 > 1.5", action: review}
  - {name: r3, when: "num_05 + num_06 > 3.5", action: block}
  - {name: r4, when: "flag_2 AND flag_3 AND num_07 > 1", action: review}
  - {name: r5, when: "cat_1 IN ('c1', 'c2') AND amount > 400", action: review}
  - {name: r6, when: "num_08 > 3", action: block}
  - {name: r7, when: "num_09 < -3 OR num_10 > 3", action: review}
  - {name: r8, when: "amount > 1000 AND NOT flag_4", action: review}
  - {name: r9, when: "cat_2 = 'c11' AND num_11 > 1 AND num_11 < 2", action: block}
label: y
time: t
amount: amount
"""
# the strategy before the change: other thresholds, three rules fewer
BENCH_BASELINE = (
    BENCH_STRATEGY.split("  - {name: r7")[0].replace("0.95}", "0.97}").replace("0.8}", "0.85}")
    + "label:"
    + BENCH_STRATEGY.split("label:")[1]
)
# `rules`: the strategy without its rules, so that there is fraud left to find
RULES_STRATEGY = BENCH_STRATEGY.split("rules:")[0] + "label:" + BENCH_STRATEGY.split("label:")[1]
# the same rules as pandas expressions, severity rank: block 0, review 1
PANDAS_RULES = [
    ("(num_02 > 2.5) & flag_1", 0),
    ("num_03 < -2.5", 1),
    ("(cat_0 == 'c3') & (num_04 > 1.5)", 1),
    ("num_05 + num_06 > 3.5", 0),
    ("flag_2 & flag_3 & (num_07 > 1)", 1),
    ("cat_1.isin(['c1', 'c2']) & (amount > 400)", 1),
    ("num_08 > 3", 0),
    ("(num_09 < -3) | (num_10 > 3)", 1),
    ("(amount > 1000) & ~flag_4", 1),
    ("(cat_2 == 'c11') & (num_11 > 1) & (num_11 < 2)", 0),
]
SIM_COLUMNS = [
    "score",
    "y",
    "t",
    "amount",
    "flag_1",
    "flag_2",
    "flag_3",
    "flag_4",
    "cat_0",
    "cat_1",
    "cat_2",
    *[f"num_{i:02d}" for i in range(2, 12)],
]


# ---------------------------------------------------------------- cases (run in children)


def case_riskctl_train(data: str, out: str) -> None:
    config = Path(out).with_suffix(".yaml")
    config.write_text(f"rounds: {ROUNDS}\nearly_stopping_rounds: {ROUNDS}\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "riskctl",
            "train",
            data,
            "--label",
            "y",
            "--time",
            "t",
            "--out",
            out,
            "--config",
            str(config),
            "--quiet",
            "--json",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def case_pandas_train(data: str, out: str) -> None:
    import pandas as pd
    import xgboost as xgb

    df = pd.read_parquet(data).sort_values("t")
    for c in [c for c in df.columns if c.startswith("cat_")]:
        df[c] = df[c].astype("category")
    x, y = df.drop(columns=["y", "t"]), df["y"]
    cut = int(len(df) * 0.8)
    model = xgb.XGBClassifier(
        n_estimators=ROUNDS,
        tree_method="hist",
        max_depth=6,
        learning_rate=0.1,
        enable_categorical=True,
        eval_metric="aucpr",
        n_jobs=os.cpu_count(),
    )
    model.fit(x[:cut], y[:cut], eval_set=[(x[cut:], y[cut:])], verbose=False)
    model.save_model(out + ".ubj")


def case_riskctl_score(detector: str, data: str, out: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "riskctl", "score", detector, data, "--out", out, "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


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
    subprocess.run(
        [sys.executable, "-m", "riskctl", "explain", detector, data, "--out", out, "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


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


def case_riskctl_simulate(data: str, out: str, baseline: str = "") -> None:
    """The `riskctl simulate` command run in this fresh process, as the floor runs in its
    own: each time is one interpreter start, its imports and the work. `baseline`: also
    compare with the baseline strategy (swap set and paired intervals, one pass for both)."""
    import contextlib

    from riskctl.cli.entry import main

    strategy = Path(out).with_suffix(".yaml")
    strategy.write_text(BENCH_STRATEGY)
    sys.argv = ["riskctl", "simulate", str(strategy), "--data", data, "--json"]
    if baseline:
        base = Path(out).with_suffix(".baseline.yaml")
        base.write_text(BENCH_BASELINE)
        sys.argv += ["--baseline", str(base)]
    with open(out, "w") as fh, contextlib.redirect_stdout(fh):
        try:
            main()
        except SystemExit as exc:
            if exc.code:
                raise


def case_pandas_simulate(data: str, out: str) -> None:
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(data, columns=SIM_COLUMNS)
    rank = np.where(df["score"] >= 0.95, 0, np.where(df["score"] >= 0.8, 1, 2))
    for expr, severity in PANDAS_RULES:
        rank = np.where(df.eval(expr).to_numpy(), np.minimum(rank, severity), rank)
    flagged, bad = rank < 2, df["y"].to_numpy() == 1
    metrics = {
        "catch_rate": (flagged & bad).sum() / bad.sum(),
        "false_positive_rate": (flagged & ~bad).sum() / (~bad).sum(),
        "precision": (flagged & bad).sum() / flagged.sum(),
        "alert_rate": flagged.mean(),
    }
    Path(out).write_text(json.dumps({k: float(v) for k, v in metrics.items()}))


def case_polars_floor(data: str, out: str) -> None:
    """One polars pass that reduces the values of every column the simulation reads.

    Each column is summed (strings by their byte lengths, times as integers): `len()` of a
    column would be answered from the file's metadata without reading the column at all.
    """
    import polars as pl

    schema = pl.scan_parquet(data).collect_schema()

    def reduced(name: str) -> pl.Expr:
        column = pl.col(name)
        if schema[name] == pl.String:
            return column.str.len_bytes().sum()
        if schema[name].is_temporal():
            return column.cast(pl.Int64).sum()
        return column.cast(pl.Float64).sum()

    sums = pl.scan_parquet(data).select([reduced(c) for c in SIM_COLUMNS]).collect()
    Path(out).write_text(str(sums.row(0)))


def case_riskctl_sweep(data: str, out: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "riskctl",
            "sweep",
            "--data",
            data,
            "--score",
            "score",
            "--label",
            "y",
            "--amount",
            "amount",
            "--json",
        ],
        check=True,
        stdout=open(out, "w"),  # noqa: SIM115
    )


def case_sklearn_sweep(data: str, out: str) -> None:
    import pandas as pd
    from sklearn.metrics import precision_recall_curve, roc_curve

    df = pd.read_parquet(data, columns=["score", "y"])
    y, s = df["y"].to_numpy(), df["score"].to_numpy()
    start = time.perf_counter()
    roc_curve(y, s, drop_intermediate=False)
    precision_recall_curve(y, s)
    # the arrays alone, reading excluded: riskctl's whole command should still beat this
    Path(out).write_text(str(time.perf_counter() - start))


def case_pandas_loop_sweep(data: str, out: str) -> None:
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(data, columns=["score", "y", "amount"])
    bad = df["y"] == 1
    points = []
    for t in np.linspace(0, 1, 1000):
        flagged = df["score"] >= t
        points.append(((flagged & bad).sum() / bad.sum(), (flagged & ~bad).sum() / (~bad).sum()))
    Path(out).write_text(str(len(points)))


# ---------------------------------------------------------------- derived features

FEATURE_WINDOWS = {"1h": 3_600, "24h": 86_400, "7d": 604_800}
# entity -> (column, the column its distinct counts count)
FEATURE_ENTITIES = {
    "account": ("account_id", "device_id"),
    "device": ("device_id", "account_id"),
    "ip": ("ip", "account_id"),
}


def make_events(rows: int, seed: int, path: Path) -> Path:
    """Raw events over 90 days: accounts, devices and IPs with skewed popularity (a few
    very busy values, as real devices farms and NAT gateways are), second-resolution times
    with ties."""
    import numpy as np
    import polars as pl

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def ids(n_values: int) -> np.ndarray:
        return (rng.pareto(1.2, rows) * n_values / 50).astype(np.int64) % n_values

    pl.DataFrame(
        {
            "event_time": np.datetime64("2026-01-01T00:00:00", "us")
            + (np.sort(rng.integers(0, 90 * 86_400, rows)) * 1_000_000).astype("timedelta64[us]"),
            "account_id": ids(max(rows // 8, 10)),
            "device_id": ids(max(rows // 6, 10)),
            "ip": ids(max(rows // 20, 10)),
            "amount": rng.lognormal(3.5, 1.0, rows).round(2),
        }
    ).write_parquet(path)
    return path


def features_spec(path: Path) -> Path:
    """3 entities x 3 windows x (count, distinct count), and one ring."""
    lines = ["time: event_time", "entities: {account: account_id, device: device_id, ip: ip}"]
    lines.append("features:")
    for entity, (_, other) in FEATURE_ENTITIES.items():
        for window in FEATURE_WINDOWS:
            lines.append(
                f"  - {{name: n_{entity}_{window}, count: rows, per: {entity}, window: {window}}}"
            )
            lines.append(
                f"  - {{name: d_{entity}_{window}, distinct: {other}, per: {entity}, "
                f"window: {window}}}"
            )
    lines.append("  - {name: ring_accounts, ring: {nodes: account, links: [device, ip]}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def case_riskctl_features(spec: str, data: str, out: str, limit: str = "") -> None:
    """`riskctl features`; with `limit` (e.g. 512MiB), in bounded passes within it."""
    from riskctl.features.budget import parse_size
    from riskctl.features.run import features_file

    features_file(
        Path(spec), Path(data), Path(out), memory_limit=parse_size(limit) if limit else None
    )


def case_duckdb_features(data: str, out: str) -> None:
    """The same counts and distinct counts as DuckDB window SQL (no ring: SQL has no
    point-in-time connected components)."""
    import duckdb

    cols = []
    for entity, (column, other) in FEATURE_ENTITIES.items():
        for window, seconds in FEATURE_WINDOWS.items():
            frame = (
                f"PARTITION BY {column} ORDER BY us RANGE BETWEEN {seconds * 1_000_000 - 1} "
                "PRECEDING AND CURRENT ROW EXCLUDE TIES"
            )
            cols.append(f"COUNT(*) OVER ({frame}) AS n_{entity}_{window}")
            cols.append(f"COUNT(DISTINCT {other}) OVER ({frame}) AS d_{entity}_{window}")
    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count() or 1}")
    con.execute(
        f"COPY (SELECT *, {', '.join(cols)} FROM (SELECT *, epoch_us(event_time) AS us "
        f"FROM read_parquet('{data}'))) TO '{out}' (FORMAT parquet)"
    )


def _test_slice(rows: int) -> tuple[object, object]:
    """A seeded test slice: scores and labels (2% bad, moderately separated)."""
    import numpy as np

    rng = np.random.default_rng(6)
    y = (rng.random(rows) < 0.02).astype(np.int8)
    score = 1 / (1 + np.exp(-(rng.normal(size=rows) + 2.0 * y - 4)))
    return score.astype(np.float32), y


def case_riskctl_bootstrap(rows: str, out: str) -> None:
    from riskctl.model.bootstrap import bootstrap_intervals

    score, y = _test_slice(int(rows))
    result = bootstrap_intervals(score, y, (0.001, 0.01, 0.05), reps=1000)  # type: ignore[arg-type]
    Path(out).write_text(json.dumps(result))


def case_sklearn_bootstrap(rows: str, out: str) -> None:
    """The usual way: 1,000 Poisson-weighted replicates, scikit-learn's weighted metrics."""
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

    score, y = _test_slice(int(rows))
    rng = np.random.default_rng(0)
    values: dict[str, list[float]] = {"roc_auc": [], "pr_auc": [], "catch_rate_at_fpr.0.01": []}
    for _ in range(1000):
        w = rng.poisson(1.0, size=len(y))
        values["roc_auc"].append(roc_auc_score(y, score, sample_weight=w))
        values["pr_auc"].append(average_precision_score(y, score, sample_weight=w))
        fpr, tpr, _ = roc_curve(y, score, sample_weight=w)
        values["catch_rate_at_fpr.0.01"].append(float(tpr[fpr <= 0.01].max()))
    Path(out).write_text(
        json.dumps({k: list(np.quantile(v, [0.025, 0.975])) for k, v in values.items()})
    )


def case_riskctl_drift(reference: str, current: str, out: str) -> None:
    with open(out, "w") as fh:
        subprocess.run(
            [sys.executable, "-m", "riskctl", "monitor", "--reference", reference, "--current",
             current, "--label", "y", "--json", "--sample", "0"],
            check=True,
            stdout=fh,
        )  # fmt: skip


def case_pandas_drift(reference: str, current: str, out: str) -> None:
    """The usual way: pandas, deciles with np.quantile, pd.cut, value_counts per column."""
    import numpy as np
    import pandas as pd

    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    result = {}
    for col in ref.columns:
        if col in ("y", "t"):
            continue
        numeric = pd.api.types.is_numeric_dtype(ref[col])
        if not numeric or pd.api.types.is_bool_dtype(ref[col]):
            p = ref[col].astype(str).value_counts(normalize=True)
            q = cur[col].astype(str).value_counts(normalize=True).reindex(p.index, fill_value=0)
        else:
            edges = np.unique(np.nanquantile(ref[col], np.arange(1, 10) / 10))
            bins = [-np.inf, *edges, np.inf]
            p = pd.cut(ref[col], bins).value_counts(normalize=True, sort=False)
            q = pd.cut(cur[col], bins).value_counts(normalize=True, sort=False)
        p, q = np.maximum(p.to_numpy(), 1e-4), np.maximum(q.to_numpy(), 1e-4)
        result[col] = float(np.sum((q - p) * np.log(q / p)))
    Path(out).write_text(json.dumps(result))


def case_riskctl_validate(strategies: str, out: str) -> None:
    """`validate` on every strategy file in a folder (the CI pre-commit hook's job)."""
    from riskctl.gate.validate import validate_paths

    paths = sorted(Path(strategies).glob("*.yaml"))
    Path(out).write_text(json.dumps([str(f) for f in validate_paths(paths)]))


def case_yaml_validate(strategies: str, out: str) -> None:
    """The bare minimum: parse each file with PyYAML's C loader, no checks at all."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsed = [yaml.load(p.read_text(), Loader=loader) for p in Path(strategies).glob("*.yaml")]
    Path(out).write_text(str(len(parsed)))


def make_strategies(count: int, folder: Path) -> Path:
    """`count` copies of the example candidate strategy."""
    from riskctl.resources import strategies_dir

    folder.mkdir(parents=True, exist_ok=True)
    text = (strategies_dir() / "candidate.yaml").read_text()
    for i in range(count):
        (folder / f"s{i:04d}.yaml").write_text(text)
    return folder


def case_riskctl_discover(data: str, out: str) -> None:
    from discover_case import case_riskctl_discover as run_discover

    run_discover(data, out)


CASES = {
    "riskctl_discover": case_riskctl_discover,
    "riskctl_validate": case_riskctl_validate,
    "yaml_validate": case_yaml_validate,
    "riskctl_bootstrap": case_riskctl_bootstrap,
    "sklearn_bootstrap": case_sklearn_bootstrap,
    "riskctl_sweep": case_riskctl_sweep,
    "sklearn_sweep": case_sklearn_sweep,
    "pandas_loop_sweep": case_pandas_loop_sweep,
    "riskctl_simulate": case_riskctl_simulate,
    "pandas_simulate": case_pandas_simulate,
    "polars_floor": case_polars_floor,
    "riskctl_train": case_riskctl_train,
    "pandas_train": case_pandas_train,
    "riskctl_score": case_riskctl_score,
    "pandas_score": case_pandas_score,
    "riskctl_explain": case_riskctl_explain,
    "shap_explain": case_shap_explain,
    "riskctl_features": case_riskctl_features,
    "duckdb_features": case_duckdb_features,
    "riskctl_drift": case_riskctl_drift,
    "pandas_drift": case_pandas_drift,
    "riskctl_rules": case_riskctl_rules,
    "tree_rules": case_tree_rules,
}


# ---------------------------------------------------------------- driver


def features_cases(args: argparse.Namespace) -> list[dict]:
    """riskctl features all at once, in bounded passes, and DuckDB window SQL, back to back
    per size; the bounded run's peak should stay flat as rows grow."""
    results = []
    spec = features_spec(DATA / "features.yaml")
    for rows in args.features_rows:
        events = make_events(rows, 5, DATA / f"events_{rows}.parquet")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"features {rows:,} rows: load average {load} on {os.cpu_count()} cores", flush=True)
        out = str(DATA / "features_riskctl.parquet")
        ours = measure("riskctl_features", str(spec), str(events), out)
        theirs = {"seconds": float("nan"), "peak_mib": float("nan")}
        if args.features_duckdb:
            theirs = measure("duckdb_features", str(events), str(DATA / "features_duckdb.parquet"))
        results.append(report("features", ours, theirs, rows))
        if args.features_memory_limit:
            limit = args.features_memory_limit
            bounded = measure("riskctl_features", str(spec), str(events), out, limit)
            results.append(report(f"features --memory-limit {limit}", bounded, theirs, rows))
    return results


def simulate_cases(args: argparse.Namespace) -> list[dict]:
    """riskctl against pandas and the polars floor, each a fresh process, interleaved
    `--repeat` times (median). riskctl twice: as usual, the file's sha256 remembered from an
    earlier run, and with remembering off (RISKCTL_DIGEST_CACHE=0), the file hashed whole."""
    data = str(make_scored_table(args.simulate_rows, DATA / f"sim_{args.simulate_rows}.parquet"))
    out = str(DATA / "sim_riskctl.json")
    settled = os.stat(data).st_ctime + 2.5  # riskctl remembers digests of settled files only
    time.sleep(max(0.0, settled - time.time()))
    measure("riskctl_simulate", data, out)  # remembers the file's digest
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        runs.setdefault("warm", []).append(measure("riskctl_simulate", data, out))
        runs.setdefault("baseline", []).append(measure("riskctl_simulate", data, out, "1"))
        cold = {"RISKCTL_DIGEST_CACHE": "0"}
        runs.setdefault("cold", []).append(measure("riskctl_simulate", data, out, env=cold))
        runs.setdefault("floor", []).append(measure("polars_floor", data, str(DATA / "f.txt")))
        runs.setdefault("pandas", []).append(
            measure("pandas_simulate", data, str(DATA / "sim_pandas.json"))
        )
    med = {name: sorted(r, key=lambda m: m["seconds"])[len(r) // 2] for name, r in runs.items()}
    return [
        report("simulate", med["warm"], med["pandas"], args.simulate_rows),
        report("vs floor", med["warm"], med["floor"], args.simulate_rows),
        report("vs floor, file hashed", med["cold"], med["floor"], args.simulate_rows),
        report("vs floor, --baseline", med["baseline"], med["floor"], args.simulate_rows),
    ]


def own_peak_kib() -> int:
    """This process's peak resident memory since its exec (KiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # no /proc: the best there is


def measure(case: str, *args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one case in a fresh child process.

    The child reports its own peak, and its children's (riskctl may run as a grandchild), so
    each case's number is its own. Its own peak is read from /proc/self/status (VmHWM, the
    high-water mark of the address space made at exec), not from `ru_maxrss`: Linux carries
    the parent's peak across fork and exec into `ru_maxrss`, so a child of this process,
    which holds the generated tables, would report this process's peak. Grandchildren are
    forked from the small child, so their `ru_maxrss` is theirs. CPU time (user + system, all
    threads and children) is what other work on a shared machine disturbs least.
    """
    code = (
        f"import sys, resource; sys.path.insert(0, {str(HERE)!r}); import run; "
        f"run.CASES[{case!r}](*sys.argv[1:]); "
        "print(max(run.own_peak_kib(), "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))"
    )
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": round(seconds, 2),
        "peak_mib": round(peak_kib / 1024, 1),
        "cpu_s": round(cpu, 2),
    }


def report(name: str, ours: dict[str, float], theirs: dict[str, float], rows: int) -> dict:
    line = {
        "case": name,
        "rows": rows,
        "riskctl": ours,
        "usual": theirs,
        "speedup": round(theirs["seconds"] / ours["seconds"], 2),
        "memory_ratio": round(theirs["peak_mib"] / ours["peak_mib"], 2),
    }
    print(
        f"{name:<6} {rows:>11,} rows  riskctl {ours['seconds']:>7.1f}s {ours['peak_mib']:>8,.0f}"
        f" MiB   usual {theirs['seconds']:>7.1f}s {theirs['peak_mib']:>8,.0f} MiB   "
        f"speed x{line['speedup']:.2f}  memory x{line['memory_ratio']:.2f}"
        + (
            f"  cpu {ours['cpu_s']:.1f}s vs {theirs['cpu_s']:.1f}s"
            if "cpu_s" in ours and "cpu_s" in theirs
            else ""
        ),
        flush=True,
    )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "cases",
        nargs="*",
        default=[
            "simulate",
            "sweep",
            "bootstrap",
            "train",
            "score",
            "explain",
            "drift",
            "features",
            "shap",
            "contention",
            "validate",
            "discover",
            "rules",
        ],
    )
    parser.add_argument("--features-rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument(
        "--features-memory-limit",
        default="512MiB",
        help="features: also run riskctl in bounded passes within this limit ('' to skip)",
    )
    parser.add_argument(
        "--features-duckdb",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="features: also time DuckDB (minutes at 10M rows)",
    )
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--score-rows", type=int, default=10_000_000)
    parser.add_argument("--explain-rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--simulate-rows", type=int, default=10_000_000)
    parser.add_argument("--bootstrap-rows", type=int, default=100_000)
    parser.add_argument("--shap-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["train", "score", "explain", "demo"],
        help="contention: the commands to time",
    )
    parser.add_argument(
        "--no-defaults",
        action="store_true",
        help="contention: skip the libgomp-defaults runs (minutes each beside other work)",
    )
    parser.add_argument("--drift-rows", type=int, default=2_000_000)
    parser.add_argument("--rules-rows", type=int, default=1_000_000)
    parser.add_argument("--rules-budget", type=float, default=0.002)
    parser.add_argument("--validate-files", type=int, default=50)
    parser.add_argument("--discover-rows", type=int, default=1_000_000)
    parser.add_argument("--dask-rows", type=int, default=50_000_000)
    parser.add_argument("--dask-part-rows", type=int, default=1_000_000)
    parser.add_argument("--dask-worker-memory", default="2GiB")
    parser.add_argument(
        "--dask-commands",
        nargs="+",
        default=["simulate", "sweep", "rules", "features"],
        help="dask: which commands to compare (sweep's client holds one row per distinct score)",
    )
    parser.add_argument("--dask-features-rows", type=int, default=5_000_000)
    parser.add_argument("--dask-features-part-rows", type=int, default=500_000)
    args = parser.parse_args()
    results = engine_cases(args)
    if "dask" in args.cases:  # only when asked: 50M rows take a while and disk space
        from dask_case import run_dask, run_dask_features

        only = tuple(c for c in args.dask_commands if c != "features")
        if only:
            results += run_dask(
                DATA, args.dask_rows, args.dask_part_rows, args.dask_worker_memory, only
            )
        if "features" in args.dask_commands:
            results += run_dask_features(
                DATA, args.dask_features_rows, args.dask_features_part_rows, args.dask_worker_memory
            )
    if "discover" in args.cases:
        from discover_case import make_planted

        data = make_planted(args.discover_rows, DATA / f"discover_{args.discover_rows}.parquet")
        out = DATA / "discover_riskctl.parquet"
        ours = measure("riskctl_discover", str(data), str(out))
        nothing = {"seconds": float("nan"), "peak_mib": float("nan")}  # no usual tool to compare
        results.append(report("discover", ours, nothing, args.discover_rows))
        found = json.loads(out.with_suffix(".json").read_text())
        print(f"discover: {found['found']} of {found['planted']} planted blocks found", flush=True)
    if "rules" in args.cases:
        results += rules_cases(
            measure, report, make_scored_table, RULES_STRATEGY, DATA, args.rules_rows,
            args.rules_budget,
        )  # fmt: skip
    if "validate" in args.cases:
        folder = make_strategies(args.validate_files, DATA / f"strategies_{args.validate_files}")
        ours = measure("riskctl_validate", str(folder), str(DATA / "validate_riskctl.json"))
        theirs = measure("yaml_validate", str(folder), str(DATA / "validate_yaml.txt"))
        results.append(report("validate", ours, theirs, args.validate_files))
    if "drift" in args.cases:
        ref = make_table(args.drift_rows, 5, DATA / f"drift_ref_{args.drift_rows}.parquet")
        cur = make_table(args.drift_rows, 6, DATA / f"drift_cur_{args.drift_rows}.parquet")
        ours = measure("riskctl_drift", str(ref), str(cur), str(DATA / "drift_riskctl.json"))
        theirs = measure("pandas_drift", str(ref), str(cur), str(DATA / "drift_pandas.json"))
        results.append(report("drift", ours, theirs, args.drift_rows))
        ours_psi = {
            d["column"]: d["psi"]
            for d in json.loads((DATA / "drift_riskctl.json").read_text())["drift"]
        }
        theirs_psi = json.loads((DATA / "drift_pandas.json").read_text())
        gap = max(abs(ours_psi[c] - v) for c, v in theirs_psi.items())
        print(f"drift: largest PSI difference riskctl vs pandas {gap:.2e}", flush=True)
    if "bootstrap" in args.cases:
        rows = str(args.bootstrap_rows)
        ours = measure("riskctl_bootstrap", rows, str(DATA / "bootstrap_riskctl.json"))
        theirs = measure("sklearn_bootstrap", rows, str(DATA / "bootstrap_sklearn.json"))
        results.append(report("bootstrap", ours, theirs, args.bootstrap_rows))
    if "simulate" in args.cases:
        results += simulate_cases(args)
    if "sweep" in args.cases:
        sim_data = make_scored_table(args.simulate_rows, DATA / f"sim_{args.simulate_rows}.parquet")
        ours = measure("riskctl_sweep", str(sim_data), str(DATA / "sweep_riskctl.json"))
        arrays = measure("sklearn_sweep", str(sim_data), str(DATA / "sweep_sklearn.txt"))
        arrays_only = float((DATA / "sweep_sklearn.txt").read_text())
        loop = measure("pandas_loop_sweep", str(sim_data), str(DATA / "sweep_loop.txt"))
        results.append(report("sweep", ours, loop, args.simulate_rows))
        print(
            f"sweep: riskctl command {ours['seconds']:.1f}s (reading included) vs "
            f"scikit-learn roc_curve + precision_recall_curve on the arrays alone "
            f"{arrays_only:.1f}s: x{arrays_only / ours['seconds']:.2f} "
            f"(scikit-learn process with reading: {arrays['seconds']:.1f}s)",
            flush=True,
        )
        results.append(
            {
                "case": "sweep_vs_sklearn_arrays",
                "riskctl": ours,
                "sklearn_arrays_seconds": arrays_only,
                "sklearn_process": arrays,
            }
        )
    if "features" in args.cases:
        results += features_cases(args)
    if not set(args.cases) & {"train", "score", "explain"}:
        (DATA / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        return
    train_data = make_table(args.train_rows, 1, DATA / f"train_{args.train_rows}.parquet")
    detector = DATA / f"detector_{args.train_rows}"
    if "train" in args.cases or not (detector / "manifest.json").exists():
        ours = measure("riskctl_train", str(train_data), str(detector))
        theirs = measure("pandas_train", str(train_data), str(DATA / "pandas_model"))
        if "train" in args.cases:
            results.append(report("train", ours, theirs, args.train_rows))
    if "score" in args.cases:
        score_data = make_table(args.score_rows, 2, DATA / f"score_{args.score_rows}.parquet")
        ours = measure(
            "riskctl_score", str(detector), str(score_data), str(DATA / "scored_riskctl.parquet")
        )
        theirs = measure(
            "pandas_score", str(detector), str(score_data), str(DATA / "scored_pandas.parquet")
        )
        results.append(report("score", ours, theirs, args.score_rows))
    if "explain" in args.cases:
        for rows in args.explain_rows:
            explain_data = make_table(rows, 3, DATA / f"explain_{rows}.parquet")
            ours = measure(
                "riskctl_explain",
                str(detector),
                str(explain_data),
                str(DATA / "explained_riskctl.parquet"),
            )
            theirs = measure(
                "shap_explain",
                str(detector),
                str(explain_data),
                str(DATA / "explained_shap.parquet"),
            )
            results.append(report("explain", ours, theirs, rows))
    (DATA / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def engine_cases(args: argparse.Namespace) -> list[dict]:
    """The `shap` and `contention` cases (benchmarks/engines.py)."""
    import engines

    results: list[dict] = []
    if "shap" in args.cases:
        train = make_table(100_000, 5, DATA / "shap_train_100000.parquet")
        rows = make_table(args.shap_rows, 6, DATA / f"shap_rows_{args.shap_rows}.parquet")
        results += engines.run_shap(train, rows, args.shap_rows, args.repeat)
    if "contention" in args.cases:
        tasks = {k: v for k, v in contention_tasks().items() if k in args.tasks}
        results += engines.contention_case(tasks, args.repeat, not args.no_defaults)
    return results


def contention_tasks() -> dict[str, list[str]]:
    """Commands the size of the demo's: 133k-row train, 500k-row score, 20k-row explain."""
    train = make_table(133_000, 7, DATA / "cont_train_133000.parquet")
    score = make_table(500_000, 8, DATA / "cont_score_500000.parquet")
    explain = make_table(20_000, 9, DATA / "cont_explain_20000.parquet")
    detector = DATA / "cont_detector"
    config = DATA / "cont_model.yaml"
    config.write_text("rounds: 100\nearly_stopping_rounds: 100\n")
    cli = [sys.executable, "-m", "riskctl"]
    train_cmd = [*cli, "train", str(train), "--label", "y", "--time", "t"]
    train_cmd += ["--out", str(detector), "--config", str(config), "--quiet", "--json"]
    subprocess.run(train_cmd, check=True, stdout=subprocess.DEVNULL)
    return {
        "train": train_cmd,
        "score": [*cli, "score", str(detector), str(score), "--out", str(DATA / "cont.parquet")],
        "explain": [
            *cli,
            "explain",
            str(detector),
            str(explain),
            "--out",
            str(DATA / "cont_explained.parquet"),
            "--quiet",
        ],
        "demo": [*cli, "demo", "--out", str(DATA / "cont_demo"), "--quiet"],
    }


if __name__ == "__main__":
    main()
