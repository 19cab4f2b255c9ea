"""`train` on a cluster with XGBoost's Dask interface (`xgboost.dask`).

Three passes over the partitions: a survey (label checks, row and bad counts, event-time
value counts for the split, a sample for role inference), the categories of the categorical
features over the training rows, then the feature matrices, built on the workers and fed to
`xgboost.dask` without ever being gathered. The slices are one machine's three (train, early
stopping, test); the test slice's scores come back to this machine for the metrics.

What differs from one machine: roles and medians come from a sample (every partition's
first rows, `SAMPLE_ROWS` in all); a time split sends every row at a cut-off time to the
later slice; a random split is drawn per partition and class. The model is the same kind
(hist, same parameters), its test metrics close to the one-machine model's, and the same
partitioning and seed give the same model. Groups, calibration, forced categorical columns,
`--bad` and periods run on one machine only (refused by name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import require_columns, scan_table
from riskctl.data.labels import binary_label
from riskctl.data.roles import CATEGORICAL, infer_roles
from riskctl.distributed.cluster import Cluster, ClusterOptions
from riskctl.distributed.derived import derived_by
from riskctl.distributed.limits import one_machine_only
from riskctl.distributed.parts import dataset_sha256, part_sha256, partitions
from riskctl.distributed.schemas import check_time_zones
from riskctl.distributed.train_manifest import manifest_of
from riskctl.distributed.train_split import (
    Split,
    TrainSurvey,
    choose_split,
    digests_part,
    slice_counts,
    slice_of,
    with_duplicates,
)
from riskctl.errors import DataError
from riskctl.features.stored import MANIFEST_KEY, store_spec
from riskctl.model.boosting import LabelCounts, boosting_params
from riskctl.model.config import ModelConfig, load_model_config
from riskctl.model.detector import check_detector_out, save_detector
from riskctl.model.features import (
    Feature,
    feature_matrix,
    feature_types,
    features_from_roles,
    model_names,
)
from riskctl.model.periods import DEFAULT_PERIOD, check_period
from riskctl.model.quality import test_metrics
from riskctl.model.split import (
    EARLY_STOPPING,
    SLICE_NAMES,
    TEST,
    TRAIN,
    check_fractions,
    duplicate_columns,
)
from riskctl.model.train import TrainOptions, TrainResult, in_time_order

SAMPLE_ROWS = 200_000


def _labelled(part: Path, o: TrainOptions) -> pl.DataFrame:
    lf = scan_table(part)
    wanted = {"label": o.label, **({"time": o.time} if o.time else {})}
    wanted.update({"amount": o.amount} if o.amount else {})
    require_columns(lf.collect_schema().names(), wanted, str(part))
    return in_time_order(lf.filter(pl.col(o.label).is_not_null()).collect(), o.time, part)


def survey_part(part: Path, o: TrainOptions, sample_rows: int) -> TrainSurvey:
    lf = scan_table(part)
    rows = int(lf.select(pl.len()).collect().item())
    df = _labelled(part, o)
    y = df[o.label].cast(pl.Int64, strict=False)
    times = pl.DataFrame()
    if o.time:
        times = df.group_by(o.time, y.fill_null(0).clip(0, 1).alias("bad")).agg(n=pl.len())
    return TrainSurvey(
        part_sha256(part),
        rows,
        rows - df.height,
        df[o.label].unique(),
        int(y.fill_null(0).clip(0, 1).sum()),
        times,
        df.head(sample_rows),
    )


def categories_part(
    part: Path, o: TrainOptions, split: Split, index: int, columns: list[str]
) -> dict[str, list[str]]:
    df = _labelled(part, o)
    df = df.filter(pl.Series(slice_of(df, split, index, o.label) == TRAIN))
    return {c: df[c].cast(pl.String).drop_nulls().unique().to_list() for c in columns}


def matrix_part(
    part: Path, o: TrainOptions, split: Split, index: int, features: list[Feature], which: int
) -> tuple[np.ndarray, np.ndarray]:
    df = _labelled(part, o)
    df = df.filter(pl.Series(slice_of(df, split, index, o.label) == which))
    return feature_matrix(df, features), df[o.label].cast(pl.Float32).to_numpy()


def _check(surveys: list[TrainSurvey], data: Path) -> None:
    # the labels read as on one machine, from every part's distinct values
    binary_label(pl.concat([s.labels for s in surveys]), None, str(data))
    bad = sum(s.bad for s in surveys)
    good = sum(s.rows - s.unlabelled for s in surveys) - bad
    if bad < 10 or good < 10:
        raise DataError(
            f"{data}: needs at least 10 bad and 10 good labelled rows (has {bad} bad, {good} good)"
        )


def duplicates_part(
    part: Path, o: TrainOptions, split: Split, index: int
) -> tuple[np.ndarray, np.ndarray]:
    return digests_part(_labelled(part, o), split, index, o.label)


def _roles(sample: pl.DataFrame, o: TrainOptions) -> list[Any]:
    return infer_roles(
        sample, o.label, o.time, list(o.ids), o.amount, list(o.exclude), list(o.features)
    )


def _features(
    cluster: Cluster,
    parts: list[Path],
    o: TrainOptions,
    split: Split,
    sample: pl.DataFrame,
    roles: list[Any],
) -> list[Feature]:
    features = features_from_roles(sample, roles)
    categorical = [r.column for r in roles if r.role == CATEGORICAL and r.is_feature]
    if categorical:
        calls = [(p, o, split, i, categorical) for i, p in enumerate(parts)]
        seen = cluster.map(categories_part, calls, name="categories")
        union = {c: sorted({v for s in seen for v in s[c]}) for c in categorical}
        features = [
            replace(f, categories=union[f.name]) if f.name in union else f for f in features
        ]
    return features


def _matrices(
    client: Any,
    parts: list[Path],
    o: TrainOptions,
    split: Split,
    features: list[Feature],
    which: int,
) -> tuple[Any, Any]:
    """Feature matrix and labels as dask arrays, partition i built and kept on worker
    i mod n (workers in address order): a fixed partitioning trains the same model."""
    import operator

    import dask
    import dask.array as da

    workers = sorted(client.nthreads())
    xs, ys = [], []
    for i, p in enumerate(parts):
        where = {"workers": [workers[i % len(workers)]], "allow_other_workers": False}
        pair = client.submit(matrix_part, p, o, split, i, features, which, pure=False, **where)
        x = client.submit(operator.getitem, pair, 0, **where)
        y = client.submit(operator.getitem, pair, 1, **where)
        xs.append(
            da.from_delayed(dask.delayed(x), shape=(math.nan, len(features)), dtype=np.float32)
        )
        ys.append(da.from_delayed(dask.delayed(y), shape=(math.nan,), dtype=np.float32))
    return da.concatenate(xs), da.concatenate(ys)


@dataclass(frozen=True)
class Boosting:
    """What training on the cluster needs, besides the client."""

    parts: list[Path]
    o: TrainOptions
    split: Split
    features: list[Feature]
    params: dict[str, Any]
    config: ModelConfig
    rounds: int


def _boost(client: Any, job: Boosting) -> tuple[Any, int, np.ndarray, np.ndarray]:
    """Train with xgboost.dask; the booster and the test slice's scores and labels."""
    with client.as_current():
        return _train_current(client, job)


def _train_current(client: Any, job: Boosting) -> tuple[Any, int, np.ndarray, np.ndarray]:
    from xgboost import dask as dxgb

    parts, o, split, features = job.parts, job.o, job.split, job.features
    params, config, rounds = job.params, job.config, job.rounds
    names, types = model_names(features), feature_types(features)
    x_train, y_train = _matrices(client, parts, o, split, features, TRAIN)
    x_valid, y_valid = _matrices(client, parts, o, split, features, EARLY_STOPPING)
    x_test, y_test = _matrices(client, parts, o, split, features, TEST)
    common = {
        "feature_names": names,
        "feature_types": types,
        "enable_categorical": True,
        "max_bin": config.max_bin,
    }
    dtrain = dxgb.DaskQuantileDMatrix(client, x_train, y_train, **common)
    dvalid = dxgb.DaskQuantileDMatrix(client, x_valid, y_valid, ref=dtrain, **common)
    result = dxgb.train(
        client,
        params,
        dtrain,
        num_boost_round=rounds,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=config.early_stopping_rounds,
        verbose_eval=False,
    )
    booster = result["booster"]
    best = int(booster.best_iteration)
    booster = booster[: best + 1]
    scores = dxgb.predict(client, booster, x_test, validate_features=False)
    score, label = client.compute([scores, y_test], sync=True)
    return booster, best, np.asarray(score), np.asarray(label)


def _check_slices(counts: list[LabelCounts]) -> None:
    """Each slice needs bad and good rows, as on one machine."""
    for name, c in zip(SLICE_NAMES, counts, strict=True):
        if c.bad == 0 or c.bad == c.n:
            raise DataError(
                f"the {name.replace('_', '-')} slice has {c.n:,} rows and "
                f"{'no bad' if c.bad == 0 else 'no good'} rows",
                hint="use more history, or other --valid-fraction/--test-fraction",
            )


def train_dataset(data: Path, out: Path, o: TrainOptions, options: ClusterOptions) -> TrainResult:
    """`model.train.train` on a cluster with xgboost.dask; writes the same detector directory."""
    check_fractions(o.valid_fraction, o.test_fraction)
    one_machine_only(
        {
            "--group": o.groups,
            "--calibrate": o.calibrate,
            "--categorical": o.categorical,
            "--bad": o.bad,
            "--period": None if check_period(o.period) == DEFAULT_PERIOD else o.period,
        }
    )
    spec = o.features_spec
    check_detector_out(out, [], [data, o.config], spec)
    if spec is None:
        return _train_parts(data, data, out, o, options)
    with derived_by(Path(spec), data, None, Path(out).parent, options) as derived:
        return _train_parts(derived, data, out, replace(o, features_spec=None), options, spec)


def _train_parts(
    data: Path,
    raw: Path,
    out: Path,
    o: TrainOptions,
    options: ClusterOptions,
    spec: Path | None = None,
) -> TrainResult:
    """Train on the parts of `data` (`raw` derived by `spec`, when given)."""
    loaded_config = load_model_config(o.config)
    config = loaded_config.model if loaded_config else ModelConfig()
    rounds = o.rounds or config.rounds
    parts = [p.resolve() for p in partitions(data)]
    check_time_zones(parts)
    with Cluster(options) as cluster:
        per_part = max(SAMPLE_ROWS // len(parts), 1)
        surveys = cluster.map(survey_part, [(p, o, per_part) for p in parts], name="survey")
        _check(surveys, data)
        sample = pl.concat([s.sample for s in surveys], how="vertical_relaxed")
        roles = _roles(sample, o)
        same = duplicate_columns([r.column for r in roles if r.is_feature], o.label, o.time)
        split = replace(choose_split(surveys, o), same=same)
        found = cluster.map(
            duplicates_part, [(p, o, split, i) for i, p in enumerate(parts)], name="duplicates"
        )
        split = with_duplicates(split, found, sum(s.rows - s.unlabelled for s in surveys))
        features = _features(cluster, parts, o, split, sample, roles)
        counts = slice_counts(surveys, split)
        _check_slices(counts)
        params, imbalance = boosting_params(config, loaded_config, features, counts[TRAIN], o.seed)
        params.pop("nthread", None)  # each worker uses its own threads
        job = Boosting(parts, o, split, features, params, config, rounds)
        booster, best, score, y_test = cluster.call(_boost, job, name="training")
        digest = dataset_sha256(parts, [s.sha256 for s in surveys], data)
        if raw != data:  # the pin is on the raw events, as on one machine
            raw_parts = [p.resolve() for p in partitions(raw)]
            digests = cluster.map(part_sha256, [(p,) for p in raw_parts])
            digest = dataset_sha256(raw_parts, digests, raw)
    names = [f.name for f in features]
    metrics = {**test_metrics(booster, score, y_test, seed=o.seed, features=names), "slice": "test"}
    manifest, warnings = manifest_of(
        o,
        split,
        surveys,
        roles,
        features,
        params,
        imbalance,
        config,
        rounds,
        best,
        metrics,
        counts,
        digest,
    )
    if spec is not None:
        manifest[MANIFEST_KEY] = store_spec(spec, out)
    detector = save_detector(booster, manifest, out)
    unlabelled = sum(s.unlabelled for s in surveys)
    return TrainResult(detector, roles, unlabelled, warnings)
