"""What a monitor run compares: the reference and current rows, scored and decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from riskctl.data.io import read_table, sha256_file
from riskctl.data.memory import MODEL_COPIES
from riskctl.data.roles import infer_roles
from riskctl.data.values import check_labels, check_scores, label_codes
from riskctl.errors import DataError, UsageError, first_line
from riskctl.model.detector import Detector, load_detector
from riskctl.model.score import score_frame
from riskctl.monitor.series import PERIOD, origin_of, parse_every, with_periods
from riskctl.simulation.evaluation_rows import (
    EvaluationRows,
    check_choice,
    choose_rows,
    named_detectors,
)
from riskctl.strategy.decisions import FLAGGED
from riskctl.strategy.engine import compile_strategy, decide
from riskctl.strategy.load import LoadedStrategy, load_strategy

SIDE = "_side"


@dataclass(frozen=True)
class MonitorOptions:
    current: Path
    reference: Path | None = None
    detector: Path | None = None
    strategy: Path | None = None
    by: tuple[str, ...] = ()
    every: str | None = None
    reference_periods: int | None = None
    score: str | None = None
    label: str | None = None
    time: str | None = None
    sample: int = 2000
    seed: int = 0
    rows: str | None = None  # test, not-train or all: see riskctl.simulation.evaluation_rows


@dataclass(frozen=True)
class Sides:
    """Both sides, scored and (with a strategy) decided; `reference` is None when the
    detector's stored training bins stand in for it."""

    reference: pl.DataFrame | None
    current: pl.DataFrame
    reference_name: str
    current_name: str
    loaded: LoadedStrategy | None
    detector: Detector | None
    score: str | None
    label: str | None
    time: str | None
    every: timedelta | None
    origin: datetime | None
    evaluation_rows: EvaluationRows | None = None  # current rows kept against a split

    @property
    def flagged(self) -> str | None:
        return FLAGGED if self.loaded is not None else None


def _detector(o: MonitorOptions, loaded: LoadedStrategy | None) -> Detector | None:
    if o.detector is not None:
        return load_detector(o.detector)
    if loaded is not None and loaded.strategy.detectors:
        column = next(iter(loaded.strategy.detectors))
        path = loaded.detector_path(column)
        return load_detector(path) if path.exists() else None
    return None


def _role(flag: str | None, *fallbacks: str | None, columns: list[str], what: str) -> str | None:
    if flag is not None:
        if flag not in columns:
            raise DataError(f"no {what} column '{flag}' in the current table")
        return flag
    return next((c for c in fallbacks if c and c in columns), None)


def _split(
    df: pl.DataFrame, time: str | None, every: timedelta, periods: int | None
) -> tuple[pl.DataFrame, pl.DataFrame, str, str]:
    if time is None:
        raise UsageError("--every needs a time column", hint="pass --time COL")
    origin = origin_of(df[time])
    starts = with_periods(df, time, every, origin)[PERIOD]
    distinct = starts.unique().sort()
    if distinct.len() < 2:
        raise DataError(
            "the table covers one --every period only; nothing to compare it with",
            hint="use a shorter --every, or pass --reference FILE",
        )
    k = periods if periods is not None else max(1, distinct.len() // 2)
    if not 1 <= k < distinct.len():
        raise UsageError(
            f"--reference-periods must be between 1 and {distinct.len() - 1} "
            f"(the table has {distinct.len()} periods)"
        )
    cut = distinct[k]
    ref, cur = df.filter(starts < cut), df.filter(starts >= cut)
    return ref, cur, f"the first {k} periods", f"the {distinct.len() - k} periods from {cut}"


def _prepare(df: pl.DataFrame, sides: dict, score: str | None) -> pl.DataFrame:
    det, loaded = sides["detector"], sides["loaded"]
    if score and score not in df.columns and det is not None:
        df = score_frame(det, df, score)
    if loaded is not None:
        try:
            df = decide(compile_strategy(loaded, df.schema), df.lazy()).collect()
        except pl.exceptions.PolarsError as exc:
            raise DataError(
                f"{loaded.path}: cannot apply the strategy: {first_line(exc)}"
            ) from None
    return df


def _check_options(o: MonitorOptions) -> None:
    if o.reference_periods is not None and (o.every is None or o.reference is not None):
        raise UsageError(
            "--reference-periods splits one table: it needs --every and no --reference"
        )
    if o.sample < 0:
        raise UsageError(f"--sample must be 0 or more, not {o.sample}")


def _reference(
    o: MonitorOptions,
    det: Detector | None,
    current: pl.DataFrame,
    time: str | None,
    every: timedelta | None,
) -> tuple[pl.DataFrame | None, pl.DataFrame, str, str]:
    """(reference, current, their names): a second table, a split of one, or none (the
    detector's training bins stand in)."""
    if o.reference is not None:
        return (
            derived(
                read_table(o.reference, MODEL_COPIES, current.estimated_size() * MODEL_COPIES),
                det,
            ),
            current,
            str(o.reference),
            str(o.current),
        )
    if every is not None:
        return _split(current, time, every, o.reference_periods)
    if det is None or not det.manifest.get("bins"):
        raise UsageError(
            "nothing to compare the current table with",
            hint="pass --reference FILE, or --every 1d to split one table into periods, or "
            "a --detector that stores its training bins",
        )
    return None, current, f"the training data of {det.path}", str(o.current)


def aligned_times(
    reference: pl.DataFrame, current: pl.DataFrame, ref_name: str, cur_name: str
) -> pl.DataFrame:
    """The reference with each date-time column in the current table's unit and time zone,
    so the two compare instant for instant; a column with a time zone in one table and none
    in the other cannot be compared (which zone were the naive times in?) and is refused."""
    fixes = []
    for name, want in current.schema.items():
        have = reference.schema.get(name)
        if have is None or have == want:
            continue
        if isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime):
            if (want.time_zone is None) != (have.time_zone is None):
                aware, naive = (cur_name, ref_name) if want.time_zone else (ref_name, cur_name)
                zone = want.time_zone or have.time_zone
                raise DataError(
                    f"column '{name}' has times in time zone {zone} in {aware} but times "
                    f"without a time zone in {naive}: they cannot be compared",
                    hint="give both tables times in a time zone, or both without one",
                )
            column = pl.col(name)
            if want.time_zone is not None:
                column = column.dt.convert_time_zone(want.time_zone)
            fixes.append(column.cast(pl.Datetime(want.time_unit, want.time_zone)))
    return reference.with_columns(fixes) if fixes else reference


def derived(df: pl.DataFrame, det: Detector | None) -> pl.DataFrame:
    """Raw events with the detector's derived features, as every command computes them; a
    table that has them (or a detector without a features spec) is used as it is."""
    if det is None:
        return df
    from riskctl.features.stored import with_stored_features  # raw data only: heavy

    return with_stored_features(df.lazy(), det.path, det.manifest).collect()


def load_sides(o: MonitorOptions) -> Sides:
    _check_options(o)
    loaded = load_strategy(o.strategy) if o.strategy else None
    det = _detector(o, loaded)
    current = derived(read_table(o.current, MODEL_COPIES), det)
    current, chosen = _evaluation_rows(o, loaded, det, current)
    cols = current.columns
    s = loaded.strategy if loaded else None
    label = _role(
        o.label, s.label if s else None, det.label if det else None, columns=cols, what="label"
    )
    time = _role(
        o.time, s.time if s else None, det.time if det else None, columns=cols, what="time"
    )
    dates = [c for c, t in current.schema.items() if t.is_temporal()]
    if time is None and len(dates) == 1:
        time = dates[0]  # the only date column: unambiguous
    every = parse_every(o.every) if o.every else None
    score = o.score or (s.score_columns()[0] if s and s.score_columns() else None)
    if score is None and (det is not None or "score" in cols):
        score = "score"
    # the scores a table brings are checked as `simulate` checks them, on the whole table
    # (row numbers are the file's): a NaN or missing score is never flagged nor allowed
    scores = [*(s.score_columns() if s else []), *([score] if score else [])]
    check_scores(current, scores, o.current)
    reference, current, ref_name, cur_name = _reference(o, det, current, time, every)
    if o.reference is not None and reference is not None:
        check_scores(reference, scores, o.reference)
    if reference is not None:
        reference = aligned_times(reference, current, ref_name, cur_name)
    for name, table in ((cur_name, current), (ref_name, reference)):
        if table is not None and table.height == 0:
            raise DataError(f"{name}: no rows to monitor", hint="check the file or the period")
        if table is not None and label is not None and label in table.columns:
            check_labels(table, label, name)
    parts = {"detector": det, "loaded": loaded}
    current = _prepare(current, parts, score)
    if reference is not None:
        reference = _prepare(reference, parts, score)
    if score and score not in current.columns:
        score = None
    if score and reference is not None and score not in reference.columns:
        raise DataError(
            f"the reference table has no '{score}' column but the current one has",
            hint="pass --detector to score both, or score the reference first",
        )
    origin = None
    every = every or (timedelta(days=1) if time is not None else None)
    if time is not None and every is not None:
        both = current[time] if reference is None else pl.concat([reference[time], current[time]])
        origin = origin_of(both)
    sides = (reference, current, ref_name, cur_name, loaded, det, score, label, time, every)
    return Sides(*sides, origin, chosen)


def _evaluation_rows(
    o: MonitorOptions, loaded: LoadedStrategy | None, det: Detector | None, current: pl.DataFrame
) -> tuple[pl.DataFrame, EvaluationRows | None]:
    """The current rows `--rows` keeps against the recorded split of the detector (and of
    those the strategy names): by default not the rows they trained or stopped early on."""
    known = named_detectors([loaded] if loaded else [], {"": det} if det else {}, o.current)
    kept, chosen = choose_rows(
        current.lazy(), known, check_choice(o.rows), lambda: sha256_file(o.current), o.current
    )
    return (current if chosen is None or chosen.kept == current.height else kept.collect()), chosen


def feature_columns(sides: Sides) -> list[str]:
    """The detector's features, else the columns a detector would learn from."""
    both = set(sides.current.columns)
    if sides.reference is not None:
        both &= set(sides.reference.columns)
    if sides.detector is not None:
        return [c for c in sides.detector.feature_names if c in both]
    base = sides.reference if sides.reference is not None else sides.current
    skip = {sides.score, sides.label, sides.time}
    roles = infer_roles(base, sides.label or "", sides.time)
    return [r.column for r in roles if r.is_feature and r.column not in skip and r.column in both]


def missing_columns(sides: Sides) -> list[str]:
    """Columns of the reference that the current table lacks (a pipeline dropped them)."""
    if sides.reference is None:
        return []
    return [c for c in sides.reference.columns if c not in sides.current.columns]


def labels_array(
    df: pl.DataFrame, label: str | None, time: str | None, days: float
) -> np.ndarray | None:
    """Labels as floats, NaN where missing or younger than `days` against the newest row."""
    if label is None or label not in df.columns:
        return None
    y = label_codes(df[label]).cast(pl.Float64)
    if days > 0 and time is not None:
        cutoff = df[time].max() - timedelta(days=days)  # type: ignore[operator]
        y = pl.select(pl.when(df[time] <= cutoff).then(y)).to_series()
    return y.fill_null(float("nan")).to_numpy()
