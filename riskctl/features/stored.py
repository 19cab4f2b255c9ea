"""One spec from training to decision: a detector keeps the features spec it was trained
with (and the lookup tables it names), and every command that reads raw data through the
detector computes the same columns the same way."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.data.io import atomic_path, read_table, sha256_file
from riskctl.data.memory import MODEL_COPIES, check_fits
from riskctl.errors import DetectorError
from riskctl.features import add_features
from riskctl.features.reasons import reason_texts
from riskctl.features.spec import load_spec, lookup_path

SPEC_DIR = "features"
SPEC_FILE = "features.yaml"
MANIFEST_KEY = "derived_features"


def stored_files(spec: Path, detector_dir: Path) -> dict[Path, Path]:
    """Each file `store_spec` writes into the detector -> the file it copies. Every lookup
    table lives under the spec's folder (`load_spec` refuses others) and is copied to the
    same place under the detector's spec."""
    loaded = load_spec(spec)
    target = Path(detector_dir) / SPEC_DIR
    files = {}
    for lookup in loaded.model.lookups:
        files[target / lookup.table] = lookup_path(lookup, Path(spec).parent)
    files[target / SPEC_FILE] = Path(spec)
    return files


def store_spec(spec: Path, detector_dir: Path) -> dict[str, Any]:
    """Copy the spec and its lookup tables into the detector (each through the one writer,
    which refuses to replace an input), each table pinned by its sha256; the manifest entry
    to keep."""
    loaded = load_spec(spec)
    target = Path(detector_dir) / SPEC_DIR
    for dest, source in stored_files(spec, detector_dir).items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            shutil.copyfile(source, tmp)
    return {
        "file": f"{SPEC_DIR}/{SPEC_FILE}",
        "sha256": sha256_file(target / SPEC_FILE),
        "features": loaded.model.names,
        "tables": {lk.table: sha256_file(target / lk.table) for lk in loaded.model.lookups},
    }


def stored_spec(detector_dir: Path, manifest: dict[str, Any]) -> Path | None:
    """The detector's spec, checked against the sha256 its manifest pins, and each of its
    lookup tables against theirs; None without a spec. A lookup the manifest does not pin
    (a detector trained before lookups were pinned) is refused too: its scores could
    change with the table."""
    entry = manifest.get(MANIFEST_KEY)
    if not entry:
        return None
    path = Path(detector_dir) / entry["file"]
    tables = entry.get("tables", {})
    pinned = {path: entry["sha256"]}
    pinned |= {path.parent / name: digest for name, digest in tables.items()}
    for file, digest in pinned.items():
        _check_pin(file, digest)
    unpinned = [lk for lk in load_spec(path).model.lookups if lk.table not in tables]
    if unpinned:
        raise DetectorError(
            f"{path}: lookup '{unpinned[0].name}' (table '{unpinned[0].table}') is not pinned "
            "by the detector's manifest; its scores could change with the table",
            hint="retrain the detector with `riskctl train --features SPEC`",
        )
    return path


def _check_pin(file: Path, digest: str) -> None:
    if not file.is_file():
        raise DetectorError(
            f"{file}: missing; the detector's manifest pins it (sha256 {digest[:12]}...)",
            hint="restore the detector's copy, or retrain with `riskctl train --features SPEC`",
        )
    found = sha256_file(file)
    if found != digest:
        raise DetectorError(
            f"{file}: changed since training: sha256 {found[:12]}... where the detector's "
            f"manifest pins {digest[:12]}...; scores would silently differ",
            hint="restore the table the detector was trained with, or retrain with "
            "`riskctl train --features SPEC`",
        )


def with_stored_features(
    lf: pl.LazyFrame,
    detector_dir: Path,
    manifest: dict[str, Any],
    context: Path | None = None,
) -> pl.LazyFrame:
    """`lf` with the detector's derived columns; a table that has them all is used as is."""
    spec = stored_spec(detector_dir, manifest)
    if spec is None:
        return lf
    names = manifest[MANIFEST_KEY]["features"]
    if all(n in lf.collect_schema().names() for n in names):
        return lf
    check_fits(lf, "the data", MODEL_COPIES)
    earlier = read_table(context, MODEL_COPIES) if context is not None else None
    label = manifest.get("label")
    return add_features(lf.collect(), spec, context=earlier, outcomes=(label,)).frame.lazy()


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
