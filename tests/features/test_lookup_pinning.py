"""Lookup tables live under the spec's folder, and a detector pins each by its sha256."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from riskctl.errors import ConfigError, DetectorError
from riskctl.features.spec import load_spec
from riskctl.model.detector import MANIFEST_FILE
from riskctl.model.score import score_file
from riskctl.model.train import train_detector
from riskctl.synth.generate import generate_history

TIERS = "country,tier\nUS,1\nGB,1\nDE,1\nFR,1\nNG,3\nVN,3\nRO,2\nBR,2\n"


def _spec(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "features.yaml"
    spec.write_text(
        "time: event_time\nlookups:\n"
        f"  - {{name: country_tier, table: '{table}', key: country, match: country, "
        "value: tier}\n"
    )
    return spec


@pytest.mark.parametrize("table", ["/etc/hostname", "../tiers.csv", "a/../../tiers.csv"])
def test_a_table_outside_the_folder_is_refused_at_load(tmp_path: Path, table: str) -> None:
    (tmp_path / "tiers.csv").write_text(TIERS)
    spec = _spec(tmp_path / "spec", table)
    with pytest.raises(ConfigError) as err:
        load_spec(spec)
    assert str(err.value).startswith(f"{spec}:3: ") and "not under the spec's folder" in str(
        err.value
    )


def test_a_table_in_a_folder_under_the_spec_loads(tmp_path: Path) -> None:
    (tmp_path / "spec" / "tables").mkdir(parents=True)
    (tmp_path / "spec" / "tables" / "tiers.csv").write_text(TIERS)
    spec = _spec(tmp_path / "spec", "tables/tiers.csv")
    assert load_spec(spec).model.lookups[0].table == "tables/tiers.csv"


def test_the_detector_pins_its_lookup_and_refuses_a_changed_one(tmp_path: Path) -> None:
    (tmp_path / "spec" / "tables").mkdir(parents=True)
    source = tmp_path / "spec" / "tables" / "tiers.csv"
    source.write_text(TIERS)
    spec = _spec(tmp_path / "spec", "tables/tiers.csv")
    data = tmp_path / "history.parquet"
    generate_history(rows=4000, seed=3).write_parquet(data)
    det = tmp_path / "det"
    train_detector(
        data, "is_bad", det, time="event_time", exclude=["attack"], rounds=20, features_spec=spec
    )
    manifest = json.loads((det / MANIFEST_FILE).read_text())
    copy = det / "features" / "tables" / "tiers.csv"
    assert copy.read_text() == TIERS
    assert set(manifest["derived_features"]["tables"]) == {"tables/tiers.csv"}

    raw = tmp_path / "raw.parquet"
    pl.read_parquet(data).drop("is_bad", "attack").write_parquet(raw)
    score_file(det, raw, tmp_path / "a.parquet")
    # the table beside the spec changes: the detector scores with the copy it pinned
    source.write_text(TIERS.replace("NG,3", "NG,1").replace("US,1", "US,3"))
    score_file(det, raw, tmp_path / "b.parquet")
    first, second = (pl.read_parquet(tmp_path / f"{n}.parquet")["score"] for n in "ab")
    assert first.equals(second)
    # its own copy changes: refused, naming the file and both digests
    copy.write_text(TIERS.replace("NG,3", "NG,1"))
    with pytest.raises(DetectorError) as err:
        score_file(det, raw, tmp_path / "c.parquet")
    assert not (tmp_path / "c.parquet").exists()
    message = str(err.value)
    assert str(copy) in message and "changed since training" in message
    assert manifest["derived_features"]["tables"]["tables/tiers.csv"][:12] in message
