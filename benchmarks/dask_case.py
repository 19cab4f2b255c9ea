"""The `dask` benchmark: `riskctl simulate`, `riskctl sweep` and `riskctl rules suggest` on
N rows, and `riskctl features` (the `features` benchmark's spec: 3 entities x 3 windows x
count and distinct count, and a ring) on M raw events, on one machine (one Parquet file)
and on a local Dask cluster of two worker processes (the same rows as Parquet parts): wall
time, peak memory of the one-machine process, and peak memory of the cluster's client and
of each worker."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any


def make_parts(rows: int, part_rows: int, root: Path) -> Path:
    """The simulation columns of `run.make_scored_table`, written straight as parts."""
    import numpy as np
    import polars as pl

    done = root / "_done"
    if done.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    for index, start in enumerate(range(0, rows, part_rows)):
        n = min(part_rows, rows - start)
        rng = np.random.default_rng([7, start])
        num = rng.normal(size=(n, 12)).astype(np.float32)
        cols: dict[str, Any] = {f"num_{j:02d}": num[:, j] for j in range(2, 12)}
        cols.update({f"flag_{j}": rng.random(n) < 0.2 for j in range(1, 5)})
        cats = rng.integers(0, 12, size=(n, 3))
        cols.update({f"cat_{j}": np.char.add("c", cats[:, j].astype(str)) for j in range(3)})
        logit = -4.0 + 1.2 * num[:, 0] + 0.8 * num[:, 1] * num[:, 2] + 0.9 * cols["flag_1"]
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
        cols["y"] = y
        cols["t"] = np.datetime64("2026-01-01T00:00:00", "us") + (
            np.arange(start, start + n) * 200_000
        ).astype("timedelta64[us]")
        cols["score"] = 1 / (1 + np.exp(-(num[:, 0] * 1.5 + y * 3 - 4)))
        cols["amount"] = np.round(np.exp(num[:, 1]) * 80, 2)
        pl.DataFrame(cols).write_parquet(root / f"part-{index:05d}.parquet")
    done.touch()
    return root


def one_file(parts: Path, path: Path) -> Path:
    import polars as pl

    if not path.exists():
        pl.scan_parquet(sorted(parts.glob("part-*.parquet"))).sink_parquet(path)
    return path


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_cli(*argv: str) -> dict[str, float]:
    """Wall seconds and peak RSS of one riskctl command line in a fresh process. The peak is
    the process's own high-water mark (VmHWM), which exec resets: `getrusage` would report
    at least the RSS of the process that started it."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path\n"
        "from riskctl.cli.app import main\n"
        f"sys.argv = ['riskctl', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        "hwm = [l for l in Path('/proc/self/status').read_text().splitlines()"
        " if l.startswith('VmHWM:')][0].split()[1]\n"
        "print('PEAK_KIB', hwm, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")]
    if done.returncode not in (0, 1) or not peak:
        raise RuntimeError(f"riskctl {' '.join(argv)} failed: {done.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_mib": round(int(peak[0].split()[1]) / 1024, 1)}


def on_cluster(measure: Any, argv: list[str], memory_limit: str) -> dict[str, Any]:
    """One command against a fresh two-worker local cluster; the workers' peaks after."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=":0",
        silence_logs=50,
    ) as cluster:
        with Client(cluster) as client:
            idle = client.run(_peak_mib)
        start = time.perf_counter()
        client_side = measure(*argv, "--scheduler", cluster.scheduler_address)
        seconds = time.perf_counter() - start
        with Client(cluster) as client:
            peaks = client.run(_peak_mib)
    return {
        "seconds": round(seconds, 2),
        "client_peak_mib": client_side["peak_mib"],
        "worker_idle_mib": [round(v, 1) for v in idle.values()],
        "worker_peak_mib": [round(v, 1) for v in peaks.values()],
    }


def _line(name: str, rows: int, part_rows: int, one: dict, two: dict, limit: str) -> dict:
    print(
        f"dask {name:<8} {rows:>11,} rows  one machine {one['seconds']:>7.1f}s "
        f"{one['peak_mib']:>7,.0f} MiB   cluster (2 workers) {two['seconds']:>7.1f}s, "
        f"client {two['client_peak_mib']:,.0f} MiB, workers "
        + " / ".join(f"{v:,.0f}" for v in two["worker_peak_mib"])
        + f" MiB peak (limit {limit} each)",
        flush=True,
    )
    return {
        "case": f"dask {name}",
        "rows": rows,
        "part_rows": part_rows,
        "one_machine": one,
        "cluster": two,
        "worker_memory_limit": limit,
    }


def run_dask_features(data: Path, rows: int, part_rows: int, memory_limit: str) -> list:
    """`features` on one machine and on the cluster; the outputs compared row for row."""
    import polars as pl
    from run import features_spec, make_events

    single = make_events(rows, 3, data / f"dask_events_{rows}.parquet")
    parts = data / f"dask_events_{rows}_{part_rows}"
    if not (parts / "_done").exists():
        parts.mkdir(parents=True, exist_ok=True)
        for i, start in enumerate(range(0, rows, part_rows)):
            pl.scan_parquet(single).slice(start, part_rows).sink_parquet(
                parts / f"part-{i:05d}.parquet"
            )
        (parts / "_done").touch()
    spec = features_spec(data / "dask_features.yaml")
    outs = data / f"dask_features_one_{rows}.parquet", data / f"dask_features_two_{rows}"
    argv = ["features", str(spec), "--json", "--out"]
    one = measure_cli(*argv, str(outs[0]), "--data", str(single))
    two = on_cluster(measure_cli, [*argv, str(outs[1]), "--data", str(parts)], memory_limit)
    same = (
        pl.scan_parquet(outs[0])
        .collect()
        .equals(pl.scan_parquet(sorted(outs[1].glob("*.parquet"))).collect())
    )
    if not same:
        raise RuntimeError("features on the cluster differ from one machine")
    return [_line("features", rows, part_rows, one, two, memory_limit)]


def run_dask(
    data: Path, rows: int, part_rows: int, memory_limit: str, only: tuple[str, ...] = ()
) -> list:
    parts = make_parts(rows, part_rows, data / f"dask_{rows}_{part_rows}")
    single = one_file(parts, data / f"dask_{rows}_{part_rows}.parquet")
    strategy = data / "dask_strategy.yaml"
    from run import BENCH_STRATEGY, RULES_STRATEGY

    strategy.write_text(BENCH_STRATEGY)
    rules_strategy = data / "dask_rules_strategy.yaml"
    rules_strategy.write_text(RULES_STRATEGY)
    commands = {
        "simulate": ["simulate", str(strategy), "--json", "--data"],
        "sweep": [
            "sweep",
            "--score",
            "score",
            "--label",
            "y",
            "--amount",
            "amount",
            "--json",
            "--data",
        ],
        "rules": ["rules", "suggest", str(rules_strategy), "--json", "--data"],
    }
    results = []
    for name, argv in commands.items():
        if only and name not in only:
            continue
        one = measure_cli(*argv, str(single))
        two = on_cluster(measure_cli, [*argv, str(parts)], memory_limit)
        line = _line(name, rows, part_rows, one, two, memory_limit)
        results.append(line)
    return results
