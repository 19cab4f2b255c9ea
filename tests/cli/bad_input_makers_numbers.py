"""Input makers for the numbers cases (`cases/numbers.yaml`): lookups outside the spec's
folder, a detector whose pinned lookup table changed, and data whose types changed."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker

from riskctl.model.detector import MANIFEST_FILE, manifest_digest
from riskctl.model.train import train_detector
from riskctl.synth.generate import generate_history

COUNTRIES = "country,tier\nUS,1\nGB,1\nDE,1\nFR,1\nNG,3\nVN,3\nRO,2\nBR,2\n"
SPEC = """time: event_time
lookups:
  - {{name: country_tier, table: {table}, key: country, match: country, value: tier}}
"""
_CACHE: dict[str, Path] = {}


def _small_history(rows: int = 4000) -> pl.DataFrame:
    return generate_history(rows=rows, seed=5)


def lookup_detector() -> Path:
    """A detector trained with a features spec that looks a country up (trained once)."""
    if "lookup" not in _CACHE:
        root = Path(tempfile.mkdtemp(prefix="riskctl-numbers-"))
        atexit.register(shutil.rmtree, root, True)
        (root / "spec").mkdir()
        (root / "spec" / "countries.csv").write_text(COUNTRIES)
        spec = root / "spec" / "features.yaml"
        spec.write_text(SPEC.format(table="countries.csv"))
        data = root / "history.parquet"
        _small_history().write_parquet(data)
        train_detector(
            data,
            label="is_bad",
            time="event_time",
            exclude=["attack"],
            out=root / "det",
            rounds=20,
            features_spec=spec,
        )
        _CACHE["lookup"] = root / "det"
    return _CACHE["lookup"]


@maker("raw_small")
def _raw_small(i: Inputs) -> Path:
    return i.table("raw.parquet", _small_history(300).drop("is_bad", "attack"))


@maker("abs_lookup_spec")
def _abs_lookup_spec(i: Inputs) -> Path:
    table = i.text("countries.csv", COUNTRIES)
    (i.dir / "spec").mkdir()
    path = i.dir / "spec" / "features.yaml"
    path.write_text(SPEC.format(table=table.resolve()))
    return path


@maker("parent_lookup_spec")
def _parent_lookup_spec(i: Inputs) -> Path:
    i.text("countries.csv", COUNTRIES)
    (i.dir / "spec").mkdir()
    path = i.dir / "spec" / "features.yaml"
    path.write_text(SPEC.format(table="sub/../../countries.csv"))
    return path


@maker("linked_lookup_spec")
def _linked_lookup_spec(i: Inputs) -> Path:
    """The table is a link, inside the spec's folder, to a file outside it."""
    table = i.text("countries.csv", COUNTRIES)
    (i.dir / "spec").mkdir()
    (i.dir / "spec" / "countries.csv").symlink_to(table.resolve())
    path = i.dir / "spec" / "features.yaml"
    path.write_text(SPEC.format(table="countries.csv"))
    return path


@maker("changed_lookup_detector")
def _changed_lookup_detector(i: Inputs) -> Path:
    det = Path(shutil.copytree(lookup_detector(), i.dir / "det"))
    table = det / "features" / "countries.csv"
    table.write_text(table.read_text().replace("NG,3", "NG,1"))
    return det


@maker("missing_lookup_detector")
def _missing_lookup_detector(i: Inputs) -> Path:
    det = Path(shutil.copytree(lookup_detector(), i.dir / "det"))
    (det / "features" / "countries.csv").unlink()
    return det


@maker("unpinned_lookup_detector")
def _unpinned_lookup_detector(i: Inputs) -> Path:
    """A detector whose (re-signed) manifest does not pin its lookup table."""
    det = Path(shutil.copytree(lookup_detector(), i.dir / "det"))
    manifest = json.loads((det / MANIFEST_FILE).read_text())
    manifest["derived_features"]["tables"] = {}
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (det / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return det


CODES = ["03", "07", "12", "21"]


def with_codes(df: pl.DataFrame) -> pl.DataFrame:
    """`df` with a text store code, zero-padded like many exported codes."""
    codes = pl.Series("store_code", [CODES[i % 4] for i in range(df.height)])
    return df.with_columns(codes)


def code_detector() -> Path:
    """A detector with a categorical `store_code` (text: 03, 07, 12, 21), trained once."""
    if "codes" not in _CACHE:
        root = Path(tempfile.mkdtemp(prefix="riskctl-numbers-"))
        atexit.register(shutil.rmtree, root, True)
        data = root / "history.parquet"
        with_codes(_small_history()).write_parquet(data)
        train_detector(
            data, label="is_bad", time="event_time", exclude=["attack"], out=root / "det", rounds=20
        )
        _CACHE["codes"] = root / "det"
    return _CACHE["codes"]


@maker("code_detector")
def _code_detector(i: Inputs) -> Path:
    return Path(shutil.copytree(code_detector(), i.dir / "codes_det"))


@maker("codes_csv")
def _codes_csv(i: Inputs) -> Path:
    """The codes exported to CSV: `03` reads back as the integer 3."""
    return i.table("codes.csv", with_codes(_small_history(300).drop("is_bad", "attack")))


@maker("codes_int_parquet")
def _codes_int_parquet(i: Inputs) -> Path:
    df = with_codes(_small_history(300)).with_columns(pl.col("store_code").cast(pl.Int64))
    return i.table("codes_int.parquet", df)


def _zoned_parts(i: Inputs, name: str, zones: tuple[str | None, ...]) -> Path:
    """A folder of parts of the small history, part k with its times in zones[k] (None:
    naive); the instants are the same either way."""
    df = _small_history(900)
    root = i.dir / name
    for k, zone in enumerate(zones):
        part = df[k * 300 : (k + 1) * 300]
        if zone is not None:
            utc = pl.col("event_time").dt.replace_time_zone("UTC")
            part = part.with_columns(utc.dt.convert_time_zone(zone))
        (root / f"day={k + 1}").mkdir(parents=True)
        part.write_parquet(root / f"day={k + 1}" / "part-0.parquet")
    return root


@maker("naive_then_utc_parts")
def _naive_then_utc_parts(i: Inputs) -> Path:
    return _zoned_parts(i, "naive_utc", (None, None, "UTC"))


@maker("two_zone_parts")
def _two_zone_parts(i: Inputs) -> Path:
    return _zoned_parts(i, "two_zones", ("Europe/Paris", "America/New_York"))


@maker("utc_parts")
def _utc_parts(i: Inputs) -> Path:
    return _zoned_parts(i, "utc", ("UTC", "UTC"))


@maker("window_spec")
def _window_spec(i: Inputs) -> Path:
    return i.text(
        "window.yaml",
        "time: event_time\nentities: {buyer: buyer_id}\n"
        "features:\n  - {name: n, count: rows, per: buyer, window: 1d}\n",
    )


@maker("naive_parts")
def _naive_parts(i: Inputs) -> Path:
    return _zoned_parts(i, "naive", (None, None))
