"""`riskctl explain` end to end: batches of a table explained, optionally under a strategy
(each row gets its action, and the rules that fired lead its reasons), ids masked on request,
and a global summary gathered on the way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import BatchWriter, scan_table, table_format
from riskctl.data.privacy import mask_ids, new_key
from riskctl.data.values import check_scores
from riskctl.errors import UsageError
from riskctl.explain.catalogue import EMPTY, Catalogue, fill, load_catalogue
from riskctl.explain.contributions import check_engine, interactions
from riskctl.explain.reasons import model_reason_code
from riskctl.explain.run import REASON_CODES, REASON_TEXTS, explain_rows
from riskctl.explain.summary import ExplainSummary, SummaryBuilder
from riskctl.features.stored import stored_reason_texts, with_stored_features
from riskctl.model.detector import Detector, load_detector
from riskctl.strategy.decisions import ACTION, DECIDED_BY, FLAGGED, SEGMENT, DecisionSchema
from riskctl.strategy.engine import CompiledStrategy, compile_strategy, decide
from riskctl.strategy.load import load_strategy

# rows read, decided and written at a time (the contributions inside are computed
# `contributions.SHAP_ROWS` at a time)
READ_ROWS = 50_000


@dataclass(frozen=True)
class ExplainOptions:
    top: int = 3
    strategy: Path | None = None
    catalogue: Path | None = None
    only_flagged: bool = False
    mask_ids: bool = False
    mask_key: bytes | None = None
    approximate: bool = False
    engine: str = "fast"
    interactions: bool = False
    summary: bool = False
    by: str | None = None
    batch_rows: int = READ_ROWS
    allow_empty: bool = False  # no rows to explain writes nothing instead of failing
    context: Path | None = None  # earlier rows derived features read as context


@dataclass(frozen=True)
class ExplainResult:
    path: Path | None
    rows_in: int
    rows_explained: int
    uncatalogued: list[str]
    summary: ExplainSummary | None = None
    masked: list[str] = field(default_factory=list)


def rule_reasons(
    decided: pl.DataFrame, schema: DecisionSchema, catalogue: Catalogue
) -> tuple[list[list[str]], list[list[str]]]:
    """Per row, the active rules that fired, in decision order: (codes, texts)."""
    codes: list[list[str]] = [[] for _ in range(decided.height)]
    texts: list[list[str]] = [[] for _ in range(decided.height)]
    entries = catalogue.by_code
    for rule in (d for d in schema.acting if d.kind == "rule"):
        hits = np.flatnonzero(decided[rule.column].to_numpy())
        if len(hits) == 0:
            continue
        entry = entries.get(rule.reason or "")
        rows = decided[hits.tolist()].to_dicts() if entry else [{}] * len(hits)
        for i, row in zip(hits, rows, strict=True):
            if entry:
                codes[i].append(entry.code)
                texts[i].append(fill(entry.text, row))
            else:
                codes[i].append(rule.label)
                texts[i].append(rule.reason or f"Rule {rule.label} ({rule.action})")
    return codes, texts


def _carried(detector: Detector, names: list[str]) -> list[str]:
    wanted = [detector.label, detector.time, *detector.ids]
    return [c for c in dict.fromkeys(wanted) if c and c in names]


@dataclass
class _Explainer:
    """One explanation run: the same steps for a file read in batches and for rows a
    simulation has already decided."""

    detector: Detector
    o: ExplainOptions
    catalogue: Catalogue
    carried: list[str]
    schema: DecisionSchema | None = None
    to_mask: list[str] = field(default_factory=list)
    key: bytes = b""
    builder: SummaryBuilder | None = None
    done: int = 0
    explained: int = 0

    def frame(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Contributions and reasons of one batch of decided (or plain) rows."""
        extra = [ACTION, SEGMENT, DECIDED_BY] if self.schema is not None else []
        frame = explain_rows(
            self.detector,
            batch,
            keep=[*self.carried, *extra],
            k=self.o.top,
            catalogue=self.catalogue,
            approximate=self.o.approximate,
            engine=self.o.engine,
        )
        if self.schema is not None:
            codes, texts = rule_reasons(batch, self.schema, self.catalogue)
            frame = frame.with_columns(
                pl.concat_list(pl.Series(codes, dtype=pl.List(pl.String)), REASON_CODES).alias(
                    REASON_CODES
                ),
                pl.concat_list(pl.Series(texts, dtype=pl.List(pl.String)), REASON_TEXTS).alias(
                    REASON_TEXTS
                ),
            )
        if self.builder is not None:
            inter = interactions(self.detector, batch) if self.o.interactions else None
            self.builder.add(frame, batch, inter)
        if self.to_mask:
            frame = mask_ids(frame, self.to_mask, self.key)
        self.explained += frame.height
        return frame

    def run(
        self,
        batches: Iterable[pl.DataFrame],
        writer: BatchWriter | None,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        for batch in batches:
            self.done += batch.height
            if self.schema is not None and self.o.only_flagged:
                batch = batch.filter(pl.col(FLAGGED))
            if batch.height:
                frame = self.frame(batch)
                if writer is not None:
                    writer.write(frame)
            if progress:
                progress(self.done, total)


def _check_options(out: Path | None, o: ExplainOptions) -> None:
    check_engine(o.engine)
    if out is None and not o.summary:
        raise UsageError("nothing to do: pass --out FILE, --summary, or both")
    if o.only_flagged and o.strategy is None:
        raise UsageError(
            "--only-flagged needs --strategy", hint="flagged is what a strategy decides"
        )
    if out is not None:
        table_format(out)


def _compiled(o: ExplainOptions, schema: pl.Schema) -> CompiledStrategy | None:
    """The strategy compiled against the data; score columns it lacks come from the
    detector, batch by batch."""
    if o.strategy is None:
        return None
    loaded = load_strategy(o.strategy)
    types: dict[str, Any] = dict(schema)
    types.update({c: pl.Float64 for c in loaded.strategy.score_columns() if c not in schema})
    return compile_strategy(loaded, pl.Schema(types))


def _decided_batches(
    lf: pl.LazyFrame, detector: Detector, compiled: CompiledStrategy | None, rows: int
) -> Iterable[pl.DataFrame]:
    for batch in lf.collect_batches(chunk_size=rows):
        if compiled is not None:
            for column in compiled.strategy.score_columns():
                if column not in batch.columns:
                    batch = batch.with_columns(pl.Series(column, detector.score(batch)))
            batch = decide(compiled, batch.lazy()).collect()
        yield batch


def _explainer(
    detector: Detector, o: ExplainOptions, names: list[str], schema: DecisionSchema | None
) -> _Explainer:
    catalogue = load_catalogue(o.catalogue) if o.catalogue else EMPTY
    catalogue.check_columns(detector.feature_names + _catalogue_extra(detector))
    # derived features read as the spec that made them, unless the catalogue says otherwise
    derived = stored_reason_texts(detector.path, detector.manifest)
    used = {k: v for k, v in derived.items() if k in detector.feature_names}
    catalogue = catalogue.with_generated(used, model_reason_code)
    if o.by and o.by not in names:
        raise UsageError(f"--by names an unknown column '{o.by}'")
    carried = _carried(detector, names)
    if o.by and o.by not in carried:
        carried.append(o.by)
    ids = detector.ids
    return _Explainer(
        detector,
        o,
        catalogue,
        carried,
        schema,
        [c for c in ids if c in carried] if o.mask_ids else [],
        o.mask_key or new_key(),
        SummaryBuilder(detector.feature_names, o.by) if o.summary else None,
    )


def _result(ex: _Explainer, out: Path | None) -> ExplainResult:
    return ExplainResult(
        out,
        ex.done,
        ex.explained,
        ex.catalogue.uncatalogued(ex.detector.feature_names),
        ex.builder.build() if ex.builder else None,
        ex.to_mask,
    )


def explain_file(
    detector_dir: Path,
    data: Path,
    out: Path | None,
    o: ExplainOptions = ExplainOptions(),
    progress: Callable[[int, int], None] | None = None,
) -> ExplainResult:
    """Explain a table batch by batch (under a strategy: each row gets its action, and the
    rules that fired lead its reasons), writing `out` and/or gathering a summary."""
    _check_options(out, o)
    detector = load_detector(detector_dir)
    lf = with_stored_features(scan_table(data), detector.path, detector.manifest, o.context)
    schema = lf.collect_schema()
    compiled = _compiled(o, schema)
    check_scores(lf, compiled.strategy.score_columns() if compiled else [], data)
    ex = _explainer(detector, o, schema.names(), compiled.schema if compiled else None)
    total = lf.select(pl.len()).collect().item()
    writer = BatchWriter(out) if out is not None else None
    try:
        ex.run(_decided_batches(lf, detector, compiled, o.batch_rows), writer, total, progress)
        if writer is not None:
            if ex.explained == 0 and o.allow_empty:
                return _result(ex, None)
            if ex.explained == 0:
                raise UsageError(
                    "no rows to explain (no row is flagged)"
                    if o.only_flagged
                    else "no rows to explain"
                )
            writer.finish()
    finally:
        if writer is not None:
            writer.close()
    return _result(ex, out)


def explain_decided(
    detector: Detector,
    table: pl.DataFrame,
    decisions: pl.DataFrame,
    schema: DecisionSchema,
    o: ExplainOptions,
) -> ExplainResult:
    """Explain rows a simulation has already decided (`decisions` row-aligned with `table`),
    in memory: nothing is read or decided again."""
    extra = [c for c in decisions.columns if c not in table.columns]
    decided = pl.concat([table, decisions.select(extra)], how="horizontal")
    if o.only_flagged:
        decided = decided.filter(pl.col(FLAGGED))
    ex = _explainer(detector, o, decided.columns, schema)
    ex.run(decided.iter_slices(o.batch_rows), None, decided.height, None)
    return _result(ex, None)


def _catalogue_extra(detector: Detector) -> list[str]:
    """Columns a catalogue text may name besides features: the training table's others."""
    return [
        r["column"]
        for r in detector.manifest.get("roles", [])
        if r["role"] in ("id", "amount", "datetime", "excluded")
    ]
