"""The rule search, from the search window's summary (`rules.window`): which columns are
rule material, their conditions, the beam search and the pool of candidates the greedy
choice (`rules.select`) counts on the search window's rows. The same on one machine and on a
cluster: only where the summary and the counts come from differs."""

from __future__ import annotations

import numpy as np
import polars as pl

from riskctl.errors import UsageError
from riskctl.outcomes.coverage import history_columns
from riskctl.rules.candidates import (
    Candidate,
    atom_matrix,
    atom_texts,
    beam_search,
    conjunction_masks,
    masks,
)
from riskctl.rules.columns import Material, not_ids, rule_columns, without_leaks
from riskctl.rules.options import Options
from riskctl.rules.pool_cells import PoolCells, pool_cells
from riskctl.rules.select import allowed_good, candidate_pool
from riskctl.rules.window import SearchRows, WindowSummary, shares
from riskctl.simulation.roles import Roles
from riskctl.strategy.engine import compile_strategy
from riskctl.strategy.load import LoadedStrategy

ATTACK = "attack"  # the column naming what really happened, when the data has it


def attack_column(schema: pl.Schema, opts: Options) -> str | None:
    """The column naming each row's attack: --attack, else a column named `attack`."""
    if opts.attack is not None:
        if opts.attack not in schema:
            raise UsageError(f"--attack {opts.attack!r}: no such column", hint="check the name")
        return opts.attack
    return ATTACK if ATTACK in schema else None


def candidate_columns(schema: pl.Schema, roles: Roles, ids: list[str], opts: Options) -> list[str]:
    """The columns rules may use by name and kind: never the label, the time, history
    columns, the attack column or ids (`ids`: a detector's and the data's id columns)."""
    never = [roles.label, *(c for c in (roles.time,) if c), *history_columns(roles.history)]
    attack = attack_column(schema, opts)
    if attack is not None and attack in never:
        raise UsageError(
            f"--attack {attack!r} is the label, the time or a history column",
            hint="name the column that says which attack or segment each row belongs to",
        )
    never += [c for c in (attack,) if c]
    return rule_columns(schema, never, ids, opts.columns, opts.exclude)


def search_pool(
    summary: WindowSummary,
    columns: list[str],
    loaded: LoadedStrategy,
    opts: Options,
    holdout_from: str,
) -> tuple[list[Candidate], Material]:
    """The candidates the greedy choice weighs, and the columns they were searched on."""
    if not summary.bad.sum():
        raise UsageError(
            f"no bad row with a usable label in the search window (before {holdout_from})",
            hint="use a longer history, or move --holdout-from later",
        )
    sample, label = summary.sample, summary.sample_label
    material = without_leaks(
        sample, not_ids(sample, columns), label, loaded.strategy.score_columns()
    )
    if not material.columns:
        raise UsageError(
            "every column left for rules separates the labels almost perfectly (leakage)",
            hint="check those columns; name others with --columns",
        )
    if not (summary.beam_label == 1).any():
        material = Material(
            material.columns,
            [
                *material.warnings,
                "the strategy already stops every bad row with a usable label in the search "
                "window: there is nothing left for a rule to catch",
            ],
        )
    texts = atom_texts(sample, material.columns, label)
    atoms, matrix = atom_matrix(summary.beam, texts)
    goods = int(summary.good.sum())
    allowed = allowed_good(goods, goods // opts.folds, opts.budget_fpr)
    share = shares(summary.size)[1]
    bad, good = summary.beam_label == 1, summary.beam_label == 0
    found = beam_search(atoms, matrix, bad, good, allowed * share, opts.max_conditions)
    return candidate_pool(found), material


def window_masks(
    rows: SearchRows, loaded: LoadedStrategy, whens: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The rows each candidate (`whens`) and each existing rule fires on, as the engine
    decides them."""
    schema = rows.table.schema
    compiled = compile_strategy(loaded, schema)
    existing = masks(rows.table, list(compiled.rules.values()))
    return conjunction_masks(rows.table, whens), existing


def window_cells(rows: SearchRows, loaded: LoadedStrategy, whens: list[str]) -> PoolCells:
    """The cells of the candidates `whens` on `rows` (`rules.pool_cells`)."""
    pool, existing = window_masks(rows, loaded, whens)
    shadow = np.array([r.mode == "shadow" for r in loaded.strategy.rules if r.enabled], bool)
    return pool_cells(rows, pool, existing, shadow)
