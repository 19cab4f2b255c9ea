"""The manifest of a detector trained on a cluster: the keys `model.train` writes, with the
three slices, window and digests measured over the whole partitioned dataset."""

from __future__ import annotations

from typing import Any

import polars as pl

from riskctl.data.roles import ColumnRole
from riskctl.distributed.train_split import Split, TrainSurvey
from riskctl.model.boosting import LabelCounts
from riskctl.model.config import ModelConfig
from riskctl.model.diagnose import few_test_bad, regime_change
from riskctl.model.features import Feature
from riskctl.model.manifest_keys import boosting_keys, learnt_keys
from riskctl.model.split import SLICE_NAMES, TEST, TRAIN
from riskctl.model.train import TrainOptions


def _window(surveys: list[TrainSurvey], split: Split) -> dict[str, str]:
    """First and last event time of each slice."""
    if split.kind != "time" or not split.time:
        return {}
    t = split.time
    times = pl.concat([s.times for s in surveys]).select(t).drop_nulls()[t]
    slices = [
        times.filter(times < split.cutoff),
        times.filter((times >= split.cutoff) & (times < split.test_cutoff)),
        times.filter(times >= split.test_cutoff),
    ]
    out = {}
    for name, values in zip(SLICE_NAMES, slices, strict=True):
        out[f"{name}_start"], out[f"{name}_end"] = str(values.min()), str(values.max())
    return out


def manifest_of(
    o: TrainOptions,
    split: Split,
    surveys: list[TrainSurvey],
    roles: list[ColumnRole],
    features: list[Feature],
    params: dict[str, Any],
    imbalance: dict[str, Any],
    config: ModelConfig,
    rounds: int,
    best: int,
    metrics: dict[str, Any],
    counts: list[LabelCounts],
    digest: str,
) -> tuple[dict[str, Any], list[str]]:
    train, test = counts[TRAIN], counts[TEST]
    train_rate, test_rate = train.bad / max(train.n, 1), test.bad / max(test.n, 1)
    metrics = {**metrics, "train_bad_rate": train_rate, "test_bad_rate": test_rate}
    findings = regime_change((train.bad, train.n), (test.bad, test.n)) + few_test_bad(
        test.bad, metrics.get("intervals")
    )
    manifest: dict[str, Any] = {
        **learnt_keys(o, roles, features),
        "split": {
            "kind": split.kind,
            "groups": [],
            "duplicate_rows": split.duplicates,
            "valid_fraction": o.valid_fraction,
            "test_fraction": o.test_fraction,
            "seed": o.seed,
            **{f"{name}_rows": c.n for name, c in zip(SLICE_NAMES, counts, strict=True)},
            "note": "on a cluster a time split sends every row at a cut-off time to the later "
            "slice; a random split is drawn per row from its digest, so copies of a row share "
            "a slice",
        },
        "window": _window(surveys, split),
        **boosting_keys(params, imbalance, config, rounds, best),
        "metrics": metrics,
        "periods": [],
        "warnings": [f.to_dict() for f in findings],
        "dropped_unlabelled": sum(s.unlabelled for s in surveys),
        "data_sha256": digest,
        "distributed": {"partitions": len(surveys), "engine": "xgboost.dask"},
    }
    return manifest, [f.message for f in findings]
