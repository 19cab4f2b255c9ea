"""The `history:` section (or its flags) checked against the data: every column it names
exists and has the right type, with the strategy's file:line when the section says it."""

from __future__ import annotations

import difflib
from pathlib import Path

import polars as pl

from riskctl.errors import ConfigError, UsageError, name_list
from riskctl.strategy.load import LoadedStrategy
from riskctl.strategy.schema import History

FLAGS = {"decision": "--decision", "control": "--control", "propensity": "--propensity"}
HINTS = {
    "decision": "--decision names the column with the action production took, spelt as the "
    "strategy spells its actions",
    "no_outcome": "--no-outcome names the actions after which no label can exist, e.g. block",
}


def history_from_flags(
    decision: str | None,
    no_outcome: list[str] | None,
    control: str | None,
    propensity: str | None,
) -> History | None:
    """The `history:` section from command-line flags (None when no flag is given)."""
    if not (decision or no_outcome or control or propensity):
        return None
    if not decision:
        raise UsageError(
            "--no-outcome, --control and --propensity need --decision",
            hint="--decision COL names the column with the action production took",
        )
    kwargs = {"no_outcome": no_outcome} if no_outcome else {}
    return History(decision=decision, control=control, propensity=propensity, **kwargs)


def check_history(
    history: History | None, lf: pl.LazyFrame, loaded: list[LoadedStrategy], source: Path
) -> None:
    """Every column the section names is in the data with a usable type, and the decision
    column holds actions."""
    if history is None:
        return
    owner = next((ls for ls in loaded if ls.strategy.history is history), None)
    schema = lf.collect_schema()
    names = schema.names()
    for key in FLAGS:
        column = getattr(history, key)
        if not column:
            continue
        problem = _problem(key, column, schema)
        if problem is None:
            continue
        close = difflib.get_close_matches(column, names, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "columns are: " + name_list(names)
        if problem != "missing":
            hint = problem
        message = (
            f"column '{column}' is not in {source}"
            if problem == "missing"
            else f"column '{column}' has type {schema[column]}"
        )
        _raise(message, hint, owner, key)
    found = _decision_problem(history, lf, loaded)
    if found is not None:
        key, problem = found
        _raise(problem, HINTS[key], owner, key)


def _raise(message: str, hint: str, owner: LoadedStrategy | None, key: str) -> None:
    if owner is not None:
        raise ConfigError(message, owner.where("history", key), hint=hint)
    flag = FLAGS.get(key, "--no-outcome")
    raise UsageError(f"{flag}: {message}", hint=hint)


def _decision_problem(
    history: History, lf: pl.LazyFrame, loaded: list[LoadedStrategy]
) -> tuple[str, str] | None:
    """(key, why) when the decision column cannot be production's actions: numbers; no
    value among the strategies' actions; a value that is an action spelt another way
    (`BLOCK`); a no-outcome action that neither the data nor the strategies have.
    Production's strategy may have had actions the candidate lacks: those pass."""
    column = history.decision
    if column is None:
        return None
    dtype = lf.collect_schema()[column]
    if dtype.is_float() or dtype.is_temporal() or dtype == pl.Boolean:
        return "decision", f"column '{column}' has type {dtype}, not actions"
    values = lf.select(pl.col(column).cast(pl.String).drop_nulls().unique().head(1000))
    seen = set(values.collect().to_series().to_list())
    actions = {a for ls in loaded for a in ls.strategy.actions}
    unknown = [a for a in history.no_outcome if a not in seen and a not in actions]
    if unknown and loaded:
        close = difflib.get_close_matches(unknown[0], sorted(seen | actions), n=1)
        also = f" (did you mean `{close[0]}`?)" if close else ""
        return "no_outcome", f"'{unknown[0]}' is no action of the strategy or the data{also}"
    known = actions | set(history.no_outcome)
    if not loaded or not seen:
        return None
    if not known & seen:
        shown = ", ".join(repr(v) for v in sorted(seen)[:5])
        return "decision", (
            f"column '{column}' holds no action of the strategy (values like {shown}; "
            f"actions: {', '.join(sorted(known))})"
        )
    spelt = {v.strip().lower(): v for v in known}
    variants = sorted(v for v in seen - known if v.strip().lower() in spelt)
    if variants:
        return "decision", (
            f"column '{column}' writes the action '{spelt[variants[0].strip().lower()]}' as "
            f"'{variants[0]}': actions are compared exactly"
        )
    return None


def _problem(key: str, column: str, schema: pl.Schema) -> str | None:
    if column not in schema:
        return "missing"
    dtype = schema[column]
    if key == "control" and not (dtype == pl.Boolean or dtype.is_integer()):
        return "the control column must be true/false (or 1/0): true for rows let through"
    if key == "propensity" and not dtype.is_numeric():
        return "the propensity column must hold probabilities between 0 and 1"
    return None
