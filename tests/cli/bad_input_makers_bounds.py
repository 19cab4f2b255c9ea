"""Input makers for the bounds cases (`cases/bounds.yaml`): files that are not files (pipes,
devices), tables far larger in memory than on disk, near-unique segment columns, odd CSVs,
and other inputs that once crashed or hung riskctl."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker, strategy_text

EVENTS = (
    "order_id,user_id,device_id,ip_address,purchase_time,purchase_value\n"
    "1,a,d1,10,2026-01-01 00:00:00,5\n"
    "2,b,d1,20,2026-01-01 01:00:00,7\n"
    "3,a,d2,30,2026-01-02 00:00:00,9\n"
)
SPEC = (
    "time: purchase_time\n"
    "entities: {account: user_id, device: device_id}\n"
    "features:\n"
    "  - {name: orders_per_device_24h, count: rows, per: device, window: 24h}\n"
)


def _fifo(i: Inputs, name: str) -> Path:
    path = i.dir / name
    os.mkfifo(path)
    return path


# -- files that are not regular files: opening one would wait forever -----------------------


@maker("fifo_parquet")
def _fifo_parquet(i: Inputs) -> Path:
    return _fifo(i, "x.parquet")


@maker("fifo_csv")
def _fifo_csv(i: Inputs) -> Path:
    return _fifo(i, "x.csv")


@maker("fifo_strategy")
def _fifo_strategy(i: Inputs) -> Path:
    return _fifo(i, "s.yaml")


@maker("fifo_spec")
def _fifo_spec(i: Inputs) -> Path:
    return _fifo(i, "features.yaml")


@maker("events_csv")
def _events_csv(i: Inputs) -> Path:
    return i.text("events.csv", EVENTS)


@maker("fifo_lookup_spec")
def _fifo_lookup_spec(i: Inputs) -> Path:
    _fifo(i, "ranges.csv")
    lookup = (
        "lookups:\n  - {name: ip_country, table: ranges.csv, key: ip_address, range: [lo, hi], "
        "value: country}\n"
    )
    return i.text("lookup_features.yaml", SPEC + lookup)


@maker("fifo_templates")
def _fifo_templates(i: Inputs) -> Path:
    folder = i.dir / "templates"
    folder.mkdir()
    os.mkfifo(folder / "report.html.j2")
    return folder


@maker("fifo_manifest_detector")
def _fifo_manifest_detector(i: Inputs) -> Path:
    folder = i.dir / "det"
    shutil.copytree(i.detector, folder)
    (folder / "manifest.json").unlink()
    os.mkfifo(folder / "manifest.json")
    return folder


@maker("dev_zero_parquet")
def _dev_zero_parquet(i: Inputs) -> Path:
    """A link named like a table that leads to a device that never ends."""
    path = i.dir / "zero.parquet"
    path.symlink_to("/dev/zero")
    return path


@maker("simple_strategy")
def _simple_strategy(i: Inputs) -> Path:
    return i.text("simple.yaml", strategy_text())


@maker("events_spec")
def _events_spec(i: Inputs) -> Path:
    return i.text("features.yaml", SPEC)


# -- small on disk, large in memory: refused before it is read (the cases set a low limit) ---

HUGE_ROWS = 5_000_000


@maker("huge_parquet")
def _huge_parquet(i: Inputs) -> Path:
    """5M rows of repeated values: about 40 KB on disk, about 80 MB in memory."""
    path = i.dir / "huge.parquet"
    n = HUGE_ROWS
    pl.LazyFrame().select(
        score=pl.repeat(0.5, n, dtype=pl.Float64),
        is_bad=pl.repeat(0, n, dtype=pl.Int8),
        amount=pl.repeat(10.0, n, dtype=pl.Float64),
        event_time=pl.repeat(pl.datetime(2026, 1, 1), n),
    ).sink_parquet(path)
    return path


# -- --by columns with too many values ------------------------------------------------------


@maker("shops_300")
def _shops_300(i: Inputs) -> Path:
    """Scored rows with a `shop` column of 300 values: fine to simulate by, too many to tune."""
    df = i.scored_df(3000)
    shops = pl.int_range(0, df.height, eager=True) % 300
    return i.table("shops.parquet", df.with_columns(shop=pl.format("shop-{}", shops)))


# -- other inputs that once crashed -----------------------------------------------------------


@maker("tz_scored")
def _tz_scored(i: Inputs) -> Path:
    """The scored rows with their event times in UTC (the reference's are naive)."""
    df = i.scored_df(3000).with_columns(pl.col("event_time").dt.replace_time_zone("UTC"))
    return i.table("tz.parquet", df)


@maker("naive_scored")
def _naive_scored(i: Inputs) -> Path:
    return i.table("naive.parquet", i.scored_df(3000))


@maker("big_yaml")
def _big_yaml(i: Inputs) -> Path:
    """A strategy holding 100,001 plain values and no alias at all."""
    values = "".join(f"  - v{n}\n" for n in range(100_001))
    return i.text("big.yaml", strategy_text() + "tags:\n" + values)


@maker("wide_csv")
def _wide_csv(i: Inputs) -> Path:
    names = [f"c{n}" for n in range(20_000)]
    return i.text("wide.csv", ",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")


@maker("long_header_csv")
def _long_header_csv(i: Inputs) -> Path:
    """A header line of about 5 MB (600,000 columns)."""
    names = [f"col{n:05d}" for n in range(600_000)]
    return i.text("long.csv", ",".join(names) + "\n")


@maker("wide_ndjson")
def _wide_ndjson(i: Inputs) -> Path:
    row = "{" + ",".join(f'"k{n}": {n}' for n in range(10_001)) + "}\n"
    return i.text("wide.ndjson", row * 2)


@maker("int_then_text_csv")
def _int_then_text_csv(i: Inputs) -> Path:
    """A score column of whole numbers for 10,000 rows, then text."""
    scores = [str(n % 2) for n in range(10_000)] + ["high"] * 50
    lines = [f"{s},{n % 2}" for n, s in enumerate(scores)]
    return i.text("scores.csv", "score,is_bad\n" + "\n".join(lines) + "\n")


@maker("many_thresholds")
def _many_thresholds(i: Inputs) -> Path:
    """150,000 distinct scores: more operating points than --all-points may print."""
    n = 150_000
    df = pl.DataFrame({"score": pl.int_range(0, n, eager=True) / n, "is_bad": [0, 1] * (n // 2)})
    return i.table("thresholds.parquet", df)
