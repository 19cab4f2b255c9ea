"""Global views of explanations: which features matter, which reasons dominate, per action
and per segment, and how a feature's value maps to its contribution (dependence)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from riskctl.data.values import name_missing
from riskctl.explain.run import REASON_CODES, REASON_TEXTS

TOP_DEPENDENCE = 5
DEPENDENCE_POINTS = 500
TOP_REASONS = 10


@dataclass(frozen=True)
class ExplainSummary:
    rows: int
    importance: list[tuple[str, float]]  # mean |SHAP|, largest first
    importance_by_segment: dict[str, list[tuple[str, float]]]
    reasons_by_action: dict[str, list[tuple[str, int, float]]]  # code, rows, share (main reason)
    reasons_by_segment: dict[str, list[tuple[str, int, float]]]
    dependence: dict[str, list[tuple[Any, float]]]  # feature -> (value, contribution)
    interactions: list[tuple[str, str, float]]  # mean |interaction|, largest first
    examples: dict[str, str] = field(default_factory=dict)  # code -> one row's text

    def to_dict(self) -> dict[str, Any]:
        def reasons(d: dict[str, list[tuple[str, int, float]]]) -> dict[str, Any]:
            return {
                k: [{"code": c, "rows": n, "share": sh} for c, n, sh in v] for k, v in d.items()
            }

        return {
            "rows": self.rows,
            "importance": [{"feature": f, "mean_abs_shap": v} for f, v in self.importance],
            "importance_by_segment": {
                k: [{"feature": f, "mean_abs_shap": v} for f, v in rows]
                for k, rows in self.importance_by_segment.items()
            },
            "reasons_by_action": reasons(self.reasons_by_action),
            "reasons_by_segment": reasons(self.reasons_by_segment),
            "dependence": {
                f: [{"value": v, "shap": c} for v, c in pts] for f, pts in self.dependence.items()
            },
            "interactions": [{"a": a, "b": b, "mean_abs": v} for a, b, v in self.interactions],
            "examples": self.examples,
        }


def _namer(segments: Iterable[str | None]) -> Callable[[str | None], str]:
    """Segment keys as reported: the rows with no `--by` value under `name_missing`."""
    missing = name_missing(segments)
    return lambda key: missing if key is None else key


class SummaryBuilder:
    """Accumulates the summary batch by batch, in bounded memory."""

    def __init__(self, features: list[str], by: str | None) -> None:
        self.features = features
        self.by = by
        self.rows = 0
        # per `--by` value (None: missing)
        self.abs_sum: dict[str | None, np.ndarray] = defaultdict(lambda: np.zeros(len(features)))
        self.seg_rows: Counter[str | None] = Counter()
        self.by_action: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_segment: dict[str | None, Counter[str]] = defaultdict(Counter)
        self.action_rows: Counter[str] = Counter()
        self.samples: list[pl.DataFrame] = []
        self.inter_sum = np.zeros((len(features), len(features)))
        self.examples: dict[str, str] = {}

    def _segment(self, frame: pl.DataFrame) -> pl.Expr:
        column = self.by or ("segment" if "segment" in frame.columns else None)
        if column is None:
            return pl.lit("all")
        return pl.col(column).cast(pl.String)  # missing: named once all rows are seen

    def add(
        self,
        frame: pl.DataFrame,
        source: pl.DataFrame,
        interaction_values: np.ndarray | None = None,
    ) -> None:
        shap_cols = [f"shap_{f}" for f in self.features]
        keys = frame.select(
            self._segment(frame).alias("_seg"),
            (
                pl.col("action").cast(pl.String) if "action" in frame.columns else pl.lit("all")
            ).alias("_action"),
            pl.col(REASON_CODES).list.first().alias("_code"),
            *(pl.col(c).abs() for c in shap_cols),
        )
        for row in (
            keys.group_by("_seg")
            .agg(pl.len().alias("_n"), *(pl.col(c).sum() for c in shap_cols))
            .iter_rows(named=True)
        ):
            self.abs_sum[row["_seg"]] += np.array([row[c] for c in shap_cols])
            self.seg_rows[row["_seg"]] += row["_n"]
        for action, n in keys.group_by("_action").len().iter_rows():
            self.action_rows[action] += n
        coded = keys.filter(pl.col("_code").is_not_null())
        for action, code, n in coded.group_by("_action", "_code").len().iter_rows():
            self.by_action[action][code] += n
        for seg, code, n in coded.group_by("_seg", "_code").len().iter_rows():
            self.by_segment[seg][code] += n
        if REASON_TEXTS in frame.columns:
            firsts = frame.select(
                pl.col(REASON_CODES).list.first().alias("c"),
                pl.col(REASON_TEXTS).list.first().alias("t"),
            ).drop_nulls()
            for code, text in firsts.unique("c", keep="first", maintain_order=True).iter_rows():
                self.examples.setdefault(code, text)
        self.rows += frame.height
        # a fixed-stride sample for dependence: deterministic, spread over the whole input
        stride = max(1, frame.height // 200)
        self.samples.append(
            pl.concat(
                [source.select(self.features), frame.select([f"shap_{f}" for f in self.features])],
                how="horizontal",
            ).gather_every(stride)
        )
        if interaction_values is not None:
            self.inter_sum += np.abs(interaction_values).sum(axis=0)

    def build(self) -> ExplainSummary:
        total = (
            np.sum([v for v in self.abs_sum.values()], axis=0)
            if self.abs_sum
            else np.zeros(len(self.features))
        )

        def ranked(sums: np.ndarray, n: int) -> list[tuple[str, float]]:
            means = sums / max(n, 1)
            order = np.argsort(-means, kind="stable")
            return [(self.features[i], float(means[i])) for i in order]

        importance = ranked(total, self.rows)

        def reasons(counts: dict[str, Counter[str]], rows: Counter[str]) -> dict[str, Any]:
            return {
                k: [
                    (code, n, n / max(rows[k], 1))
                    for code, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
                ]
                for k, c in sorted(counts.items())
            }

        dependence: dict[str, list[tuple[Any, float]]] = {}
        if self.samples:
            sample = pl.concat(self.samples)
            step = max(1, sample.height // DEPENDENCE_POINTS)
            sample = sample.gather_every(step)
            for feature, _ in importance[:TOP_DEPENDENCE]:
                dependence[feature] = list(
                    zip(sample[feature].to_list(), sample[f"shap_{feature}"].to_list(), strict=True)
                )
        pairs = []
        if self.inter_sum.any():
            mean = self.inter_sum / max(self.rows, 1)
            for i in range(len(self.features)):
                for j in range(i + 1, len(self.features)):
                    # the matrix is symmetric and splits each interaction over both halves
                    pairs.append((self.features[i], self.features[j], float(2 * mean[i, j])))
            pairs.sort(key=lambda p: -p[2])
        name = _namer(self.seg_rows)
        seg_rows = Counter({name(k): n for k, n in self.seg_rows.items()})
        seg_sums = {name(k): v for k, v in self.abs_sum.items()}
        return ExplainSummary(
            rows=self.rows,
            importance=importance,
            importance_by_segment={s: ranked(seg_sums[s], seg_rows[s]) for s in sorted(seg_sums)},
            reasons_by_action=reasons(self.by_action, self.action_rows),
            reasons_by_segment=reasons({name(k): c for k, c in self.by_segment.items()}, seg_rows),
            dependence=dependence,
            interactions=pairs[:10],
            examples=dict(self.examples),
        )
