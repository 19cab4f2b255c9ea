"""One spec from training to decision: a detector keeps the features spec it was trained
with (and the lookup tables it names), and every command that reads raw data through the
detector computes the same columns the same way."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import read_table, sha256_file
from riskctl.data.memory import MODEL_COPIES, check_fits
from riskctl.errors import DetectorError
from riskctl.features import add_features
from riskctl.features.reasons import reason_texts
from riskctl.features.spec import load_spec

SPEC_DIR = "features"
SPEC_FILE = "features.yaml"
MANIFEST_KEY = "derived_features"


def store_spec(spec: Path, detector_dir: Path) -> dict[str, Any]:
    """Copy the spec and its lookup tables into the detector; the manifest entry to keep."""
    loaded = load_spec(spec)
    target = Path(detector_dir) / SPEC_DIR
    target.mkdir(parents=True, exist_ok=True)
    tables = {}
    for lookup in loaded.model.lookups:
        source = Path(lookup.table)
        source = source if source.is_absolute() else spec.parent / source
        # lookups that point outside the spec's folder are kept by absolute path
        if not Path(lookup.table).is_absolute() and ".." not in Path(lookup.table).parts:
            dest = target / lookup.table
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            tables[lookup.table] = sha256_file(dest)
    shutil.copyfile(spec, target / SPEC_FILE)
    return {
        "file": f"{SPEC_DIR}/{SPEC_FILE}",
        "sha256": sha256_file(target / SPEC_FILE),
        "features": loaded.model.names,
        "tables": tables,
    }


def stored_spec(detector_dir: Path, manifest: dict[str, Any]) -> Path | None:
    """The detector's spec, checked against the sha256 its manifest pins; None without one."""
    entry = manifest.get(MANIFEST_KEY)
    if not entry:
        return None
    path = Path(detector_dir) / entry["file"]
    pinned = {path: entry["sha256"]}
    pinned |= {path.parent / name: digest for name, digest in entry.get("tables", {}).items()}
    for file, digest in pinned.items():
        if not file.is_file() or sha256_file(file) != digest:
            raise DetectorError(
                f"{file}: missing, or its sha256 does not match the detector's manifest",
                hint="retrain the detector with `riskctl train --features SPEC`",
            )
    return path


def with_stored_features(
    lf: pl.LazyFrame,
    detector_dir: Path,
    manifest: dict[str, Any],
    history: Path | None = None,
) -> pl.LazyFrame:
    """`lf` with the detector's derived columns; a table that has them all is used as is."""
    spec = stored_spec(detector_dir, manifest)
    if spec is None:
        return lf
    names = manifest[MANIFEST_KEY]["features"]
    if all(n in lf.collect_schema().names() for n in names):
        return lf
    check_fits(lf, "the data", MODEL_COPIES)
    earlier = read_table(history, MODEL_COPIES) if history is not None else None
    return add_features(lf.collect(), spec, history=earlier).frame.lazy()


def derive_for_training(lf: pl.LazyFrame, spec: Path | None) -> pl.LazyFrame:
    """Training data with the spec's derived columns (a table that has them is used as is)."""
    if spec is None:
        return lf
    check_fits(lf, "the data", MODEL_COPIES)
    return add_features(lf.collect(), spec, reuse_existing=True).frame.lazy()


def stored_reason_texts(detector_dir: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """Generated reason templates for the detector's derived features (none without a spec)."""
    spec = stored_spec(detector_dir, manifest)
    return reason_texts(load_spec(spec).model) if spec is not None else {}
