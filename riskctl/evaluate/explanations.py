"""`riskctl explain` end to end: batches of a table explained, optionally under a strategy
(each row gets its action, and the rules that fired lead its reasons), ids masked on request,
and a global summary gathered on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.io import BatchWriter, scan_table, table_format
from riskctl.data.privacy import mask_ids, new_key
from riskctl.errors import UsageError
from riskctl.evaluate.summary import ExplainSummary, SummaryBuilder
from riskctl.explain.catalogue import EMPTY, Catalogue, fill, load_catalogue
from riskctl.explain.contributions import check_engine, interactions
from riskctl.explain.run import REASON_CODES, REASON_TEXTS, explain_rows
from riskctl.model.detector import Detector, load_detector
from riskctl.strategy.engine import ACTION, DECIDED_BY, FLAGGED, SEGMENT, compile_strategy, decide
from riskctl.strategy.load import LoadedStrategy, load_strategy

BATCH_ROWS = 50_000


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
    batch_rows: int = BATCH_ROWS


@dataclass(frozen=True)
class ExplainResult:
    path: Path | None
    rows_in: int
    rows_explained: int
    uncatalogued: list[str]
    summary: ExplainSummary | None = None
    masked: list[str] = field(default_factory=list)


def rule_reasons(
    decided: pl.DataFrame, loaded: LoadedStrategy, catalogue: Catalogue
) -> tuple[list[list[str]], list[list[str]]]:
    """Per row, the active rules that fired, most severe first: (codes, texts)."""
    s = loaded.strategy
    rank = {a: i for i, a in enumerate(s.actions)}
    rules = sorted(
        (r for r in s.rules if r.enabled and r.mode == "active"), key=lambda r: rank[r.action]
    )
    codes: list[list[str]] = [[] for _ in range(decided.height)]
    texts: list[list[str]] = [[] for _ in range(decided.height)]
    entries = catalogue.by_code
    for rule in rules:
        hits = np.flatnonzero(decided[f"rule:{rule.name}"].to_numpy())
        if len(hits) == 0:
            continue
        entry = entries.get(rule.reason or "")
        rows = decided[hits.tolist()].to_dicts() if entry else [{}] * len(hits)
        for i, row in zip(hits, rows, strict=True):
            if entry:
                codes[i].append(entry.code)
                texts[i].append(fill(entry.text, row))
            else:
                codes[i].append(rule.name)
                texts[i].append(rule.reason or f"Rule {rule.name} ({rule.action})")
    return codes, texts


def _carried(detector: Detector, names: list[str]) -> list[str]:
    wanted = [detector.label, detector.time, *(detector.manifest.get("ids") or [])]
    return [c for c in dict.fromkeys(wanted) if c and c in names]


def explain_file(
    detector_dir: Path,
    data: Path,
    out: Path | None,
    o: ExplainOptions = ExplainOptions(),
    progress: Callable[[int, int], None] | None = None,
) -> ExplainResult:
    if out is None and not o.summary:
        raise UsageError("nothing to do: pass --out FILE, --summary, or both")
    if o.only_flagged and o.strategy is None:
        raise UsageError(
            "--only-flagged needs --strategy", hint="flagged is what a strategy decides"
        )
    check_engine(o.engine)
    if out is not None:
        table_format(out)
    detector = load_detector(detector_dir)
    catalogue = load_catalogue(o.catalogue) if o.catalogue else EMPTY
    catalogue.check_columns(detector.feature_names + _catalogue_extra(detector))
    lf = scan_table(data)
    schema = lf.collect_schema()
    if o.by and o.by not in schema:
        raise UsageError(f"--by names an unknown column '{o.by}'")
    loaded = load_strategy(o.strategy) if o.strategy else None
    compiled = None
    if loaded is not None:
        # score columns the data lacks come from the detector, batch by batch
        types: dict[str, Any] = dict(schema)
        types.update({c: pl.Float64 for c in loaded.strategy.score_columns() if c not in schema})
        compiled = compile_strategy(loaded, pl.Schema(types))
    carried = _carried(detector, schema.names())
    if o.by and o.by not in carried:
        carried.append(o.by)
    key = o.mask_key or new_key()
    to_mask = [c for c in detector.manifest.get("ids") or [] if c in carried] if o.mask_ids else []
    total = lf.select(pl.len()).collect().item()
    builder = SummaryBuilder(detector.feature_names, o.by) if o.summary else None
    done = explained = 0
    writer = BatchWriter(out) if out is not None else None
    try:
        for batch in lf.collect_batches(chunk_size=o.batch_rows):
            done += batch.height
            extra: list[str] = []
            if compiled is not None and loaded is not None:
                for column in loaded.strategy.score_columns():
                    if column not in batch.columns:
                        batch = batch.with_columns(pl.Series(column, detector.score(batch)))
                batch = decide(compiled, batch.lazy()).collect()
                if o.only_flagged:
                    batch = batch.filter(pl.col(FLAGGED))
                extra = [ACTION, SEGMENT, DECIDED_BY]
            if batch.height == 0:
                if progress:
                    progress(done, total)
                continue
            frame = explain_rows(
                detector,
                batch,
                keep=[*carried, *extra],
                k=o.top,
                catalogue=catalogue,
                approximate=o.approximate,
                engine=o.engine,
            )
            if loaded is not None:
                codes, texts = rule_reasons(batch, loaded, catalogue)
                frame = frame.with_columns(
                    pl.concat_list(pl.Series(codes, dtype=pl.List(pl.String)), REASON_CODES).alias(
                        REASON_CODES
                    ),
                    pl.concat_list(pl.Series(texts, dtype=pl.List(pl.String)), REASON_TEXTS).alias(
                        REASON_TEXTS
                    ),
                )
            if builder is not None:
                builder.add(frame, batch, interactions(detector, batch) if o.interactions else None)
            if to_mask:
                frame = mask_ids(frame, to_mask, key)
            if writer is not None:
                writer.write(frame)
            explained += frame.height
            if progress:
                progress(done, total)
        if writer is not None:
            if explained == 0:
                raise UsageError(
                    "no rows to explain (no row is flagged)"
                    if o.only_flagged
                    else "no rows to explain"
                )
            writer.finish()
    finally:
        if writer is not None:
            writer.close()
    return ExplainResult(
        out,
        done,
        explained,
        catalogue.uncatalogued(detector.feature_names),
        builder.build() if builder else None,
        to_mask,
    )


def _catalogue_extra(detector: Detector) -> list[str]:
    """Columns a catalogue text may name besides features: the training table's others."""
    return [
        r["column"]
        for r in detector.manifest.get("roles", [])
        if r["role"] in ("id", "amount", "datetime", "excluded")
    ]
