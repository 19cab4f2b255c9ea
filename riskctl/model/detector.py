"""The detector directory: an XGBoost model in UBJSON plus `manifest.json`; no format that
runs code when loaded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from riskctl.data.io import atomic_path, sha256_file, write_table
from riskctl.data.output import check_not_input, check_output_dir
from riskctl.errors import DetectorError
from riskctl.features.stored import MANIFEST_KEY, stored_files
from riskctl.files import check_input_file
from riskctl.model.calibrate import ScoreCalibration
from riskctl.model.features import ModelFeature, encode, feature_matrix, feature_types, model_names
from riskctl.tempfiles import note_input

if TYPE_CHECKING:
    import xgboost as xgb

# xgboost is imported where it is used: it costs most of a second, and commands such as
# `riskctl sweep` never need it
MODEL_FILE = "model.ubj"
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 2


def library_versions() -> dict[str, str]:
    import platform
    from importlib.metadata import version

    import riskctl

    # versions from package metadata: importing xgboost or shap just to ask costs seconds
    xgb_dist = "xgboost-cpu" if _has("xgboost-cpu") else "xgboost"
    return {
        "riskctl": riskctl.__version__,
        "xgboost": version(xgb_dist),
        "polars": pl.__version__,
        "numpy": np.__version__,
        "shap": version("shap") if _has("shap") else "not installed",
        "python": platform.python_version(),
    }


def _has(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(distribution)
    except PackageNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class Detector:
    """A trained model and what it needs to score and explain a table."""

    path: Path
    booster: xgb.Booster
    manifest: dict[str, Any]

    @property
    def features(self) -> list[ModelFeature]:
        return [ModelFeature(**f) for f in self.manifest["features"]]

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.manifest["features"]]

    @property
    def ids(self) -> list[str]:
        """The columns the detector was told identify rows (never features, never rules)."""
        return list(self.manifest.get("ids") or [])

    @property
    def label(self) -> str | None:
        return self.manifest.get("label")

    @property
    def time(self) -> str | None:
        return self.manifest.get("time")

    @property
    def calibration(self) -> ScoreCalibration | None:
        """The score calibration fitted at training (`--calibrate`), if any."""
        stored = self.manifest.get("score_calibration")
        return None if stored is None else ScoreCalibration.from_dict(stored, str(self.path))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        """Raw model probabilities through the stored calibration (unchanged without one)."""
        calibration = self.calibration
        return raw if calibration is None else calibration.apply(raw)

    def dmatrix(self, data: pl.DataFrame) -> xgb.DMatrix:
        return self._dmatrix(feature_matrix(data, self.features))

    def _dmatrix(self, values: np.ndarray) -> xgb.DMatrix:
        import xgboost as xgb

        feats = self.features
        return xgb.DMatrix(
            values,
            feature_names=model_names(feats),
            feature_types=feature_types(feats),
            enable_categorical=True,
            nthread=-1,
        )

    def score(self, data: pl.DataFrame) -> np.ndarray:
        return self.calibrated(self.booster.predict(self.dmatrix(data)))

    def score_encoded(self, data: pl.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
        """Scores, and per categorical feature how many values were never seen in training."""
        encoded = encode(data, self.features)
        raw = self.booster.predict(self._dmatrix(encoded.values))
        return self.calibrated(raw), encoded.unseen


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's content (every key but this digest), canonical JSON."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_detector_out(
    out: Path, files: list[str], inputs: list[Path | None], spec: Path | None = None
) -> None:
    """Raise DataError before training when writing the detector into `out` (its `files`,
    and the copy of the features `spec` with its lookup tables) would replace an input:
    one this command read, one of `inputs`, or a file the spec copy is made from."""
    held = [Path(p) for p in inputs if p is not None]
    copies = stored_files(spec, out) if spec is not None else {}
    held += list(copies.values())
    for target in [*(Path(out) / f for f in (MODEL_FILE, MANIFEST_FILE, *files)), *copies]:
        check_not_input(target, "--out", held)


def save_detector(
    booster: xgb.Booster,
    manifest: dict[str, Any],
    out: Path,
    tables: dict[str, pl.DataFrame] | None = None,
) -> Detector:
    """Write `tables` (e.g. the recorded split), model and manifest, each atomically; the
    manifest pins the sha256 of each table, of the model and its own (so none can be changed
    without it showing)."""
    out = check_output_dir(out)
    raw = bytes(booster.save_raw(raw_format="ubj"))
    files = {}
    for name, table in (tables or {}).items():
        write_table(table, out / name)
        files[name] = sha256_file(out / name)
    manifest = dict(
        manifest,
        files=files,
        manifest_version=MANIFEST_VERSION,
        model_file=MODEL_FILE,
        model_sha256=hashlib.sha256(raw).hexdigest(),
    )
    manifest["manifest_sha256"] = manifest_digest(manifest)
    with atomic_path(out / MODEL_FILE) as model_tmp, atomic_path(out / MANIFEST_FILE) as tmp:
        model_tmp.write_bytes(raw)
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Detector(out, booster, manifest)


def load_detector(path: Path | str) -> Detector:
    path = Path(path)
    manifest_path = path / MANIFEST_FILE
    if not manifest_path.exists():  # a pipe or a device: refused by _read_manifest
        raise DetectorError(
            f"{path}: not a detector directory (no {MANIFEST_FILE})",
            hint="train one with `riskctl train DATA --label COL --out DIR`",
        )
    manifest = _read_manifest(manifest_path)
    model_path = path / MODEL_FILE
    note_input(manifest_path)
    note_input(model_path)
    for name in _pinned_files(manifest):  # the split record, the features spec and its tables
        note_input(path / name)
    if not model_path.exists():  # a pipe or a device: refused by sha256_file
        raise DetectorError(f"{model_path}: model file missing", hint="retrain the detector")
    if sha256_file(model_path) != manifest["model_sha256"]:
        raise DetectorError(
            f"{model_path}: sha256 does not match the manifest "
            "(the model was changed or truncated)",
            hint="restore the detector directory from where it was trained, or retrain it",
        )
    import xgboost as xgb

    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(model_path.read_bytes()))
    except xgb.core.XGBoostError as exc:
        raise DetectorError(f"{model_path}: XGBoost cannot load it") from exc
    names = [f["name"] for f in manifest["features"]]
    if list(booster.feature_names or []) != model_names(names):
        raise DetectorError(
            f"{manifest_path}: its features do not match the model's",
            hint="restore the detector directory from where it was trained, or retrain it",
        )
    detector = Detector(path, booster, manifest)
    _ = detector.calibration  # refuses a malformed calibration now, not when scoring
    return detector


def _pinned_files(manifest: dict[str, Any]) -> list[str]:
    """The detector's files besides model and manifest, relative to its directory."""
    names = [str(n) for n in (manifest.get("files") or {})]
    derived = manifest.get(MANIFEST_KEY) or {}
    if isinstance(derived, dict) and isinstance(derived.get("file"), str):
        spec = Path(derived["file"])
        names.append(str(spec))
        names += [str(spec.parent / str(t)) for t in derived.get("tables") or {}]
    return names


def _read_manifest(manifest_path: Path) -> dict[str, Any]:
    """The manifest, refused when it is not the one training wrote (its own sha256)."""
    retrain = "restore the detector directory from where it was trained, or retrain it"
    check_input_file(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded = manifest.get("manifest_sha256")
        _ = manifest["model_sha256"], manifest["features"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise DetectorError(f"{manifest_path}: unreadable manifest ({exc})", hint=retrain) from None
    if recorded is None:
        raise DetectorError(
            f"{manifest_path}: has no integrity digest (written by an older riskctl, or edited)",
            hint="retrain the detector with this version",
        )
    if manifest_digest(manifest) != recorded:
        raise DetectorError(
            f"{manifest_path}: changed since training (its sha256 does not match "
            "manifest_sha256); scores from an edited manifest would be wrong",
            hint=retrain,
        )
    return manifest
