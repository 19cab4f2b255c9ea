"""The derived-features spec (`features.yaml`): what to compute, validated with file:line errors.

```yaml
time: purchase_time
entities: {account: user_id, device: device_id, ip: ip_address}
features:
  - {name: seconds_since_signup, expr: "purchase_time - signup_time"}
  - {name: accounts_per_device_7d, distinct: user_id, per: device, window: 7d}
  - {name: orders_per_ip_24h, count: rows, per: ip, window: 24h}
  - {name: ring_accounts, ring: {nodes: account, links: [device, ip]}}
lookups:
  - {name: ip_country, table: ip_to_country.csv, key: ip_address,
     range: [lower_bound_ip_address, upper_bound_ip_address], value: country}
```
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskctl.errors import ConfigError, Location
from riskctl.sqlsafe import sql_expr
from riskctl.yamlconfig import LoadedYaml, load_yaml

DOCS = "docs/reference/features-spec.md"
KINDS = ("expr", "count", "distinct", "sum", "mean", "since_first", "since_last", "ring")
WINDOW_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
DURATION_UNITS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400}
_WINDOW = re.compile(r"^([1-9][0-9]{0,5})([smhdw])$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# columns riskctl writes beside the data (score, explain, simulate): a feature of the same
# name would be refused, or overwritten, downstream
RESERVED = {"score", "margin", "reason_codes", "reason_texts", "action", "flagged"}
RESERVED |= {"decided_by", "segment", "matched"}


def window_seconds(window: str) -> int | None:
    """`7d` -> 604800; `all` -> None. The spec has validated the syntax."""
    if window == "all":
        return None
    match = _WINDOW.match(window)
    assert match is not None
    return int(match.group(1)) * WINDOW_UNITS[match.group(2)]


def _check_window(value: str) -> str:
    number = re.match(r"^(-?[0-9]+)([smhdw])$", value)
    if number and not _WINDOW.match(value):
        raise ValueError(
            f"bad window '{value}': the number must be 1 to 999999 (e.g. 7d), or use `all`"
        )
    if value != "all" and not _WINDOW.match(value):
        raise ValueError(
            f"bad window '{value}': write a number and a unit (s, m, h, d, w), "
            "e.g. 1h, 24h, 7d, 30d, or `all`"
        )
    return value


class Ring(BaseModel):
    """Accounts linked by shared entities: the connected component of a row's account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nodes: str = Field(description="Entity whose values are the ring's members (accounts).")
    links: list[str] = Field(min_length=1, description="Entities that link members they share.")
    window: str = Field("all", description="Only `all`: links never expire.")
    measure: Literal["size", "bad_rate"] = Field(
        "size", description="size: members; bad_rate: share with a matured bad label."
    )

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        _check_window(value)
        if value != "all":
            raise ValueError(
                f"ring window '{value}' is not supported: ring links never expire; "
                "use `window: all`"
            )
        return value


class Feature(BaseModel):
    """One derived column; exactly one of the kind keys says how it is computed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The new column's name.")
    expr: str | None = Field(None, description="Row-level SQL expression.")
    count: str | None = Field(None, description="`rows`, or a column: its non-null values.")
    distinct: str | None = Field(None, description="Column whose distinct values are counted.")
    sum: str | None = Field(None, description="Column summed over the window.")
    mean: str | None = Field(None, description="Column averaged over the window.")
    since_first: str | None = Field(None, description="Unit: seconds, minutes, hours, days.")
    since_last: str | None = Field(None, description="Unit: seconds, minutes, hours, days.")
    ring: Ring | None = Field(None, description="Connected component of linked accounts.")
    per: str | None = Field(None, description="Entity the window is kept for.")
    window: str = Field("all", description="1h, 24h, 7d, 30d, ... or all.")
    label: str | None = Field(None, description="Label column (1 = bad), for ring bad rates.")
    label_maturity_days: float | None = Field(
        None,
        gt=0,
        le=36_500,
        allow_inf_nan=False,
        strict=True,
        description="A label counts from event time + this many days on (up to 100 years).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"bad feature name '{value}': use letters, digits and _")
        if value in RESERVED or value.startswith("shap_"):
            raise ValueError(
                f"'{value}' is a column riskctl writes (scores, explanations, decisions): "
                "give the feature another name"
            )
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        return _check_window(value)

    @field_validator("since_first", "since_last")
    @classmethod
    def _unit(cls, value: str | None) -> str | None:
        if value is not None and value not in DURATION_UNITS:
            raise ValueError(f"unknown unit '{value}': use one of {', '.join(DURATION_UNITS)}")
        return value

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @model_validator(mode="after")
    def _one_kind(self) -> Feature:
        kinds = [k for k in KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            got = "none" if not kinds else " and ".join(kinds)
            raise ValueError(
                f"feature '{self.name}' needs exactly one kind key, got {got}: "
                f"one of {', '.join(KINDS)}"
            )
        kind = kinds[0]
        windowed = kind in ("count", "distinct", "sum", "mean", "since_first", "since_last")
        if windowed and self.per is None:
            raise ValueError(f"feature '{self.name}': `{kind}` needs `per: <entity>`")
        if not windowed and self.per is not None:
            raise ValueError(f"feature '{self.name}': `per` only goes with windowed kinds")
        if kind in ("expr", "since_first", "since_last", "ring") and self.window != "all":
            raise ValueError(f"feature '{self.name}': `window` does not apply to `{kind}`")
        bad_rate = self.ring is not None and self.ring.measure == "bad_rate"
        if bad_rate and (self.label is None or self.label_maturity_days is None):
            raise ValueError(
                f"feature '{self.name}': a ring bad rate needs `label` and `label_maturity_days`"
            )
        if not bad_rate and (self.label is not None or self.label_maturity_days is not None):
            raise ValueError(
                f"feature '{self.name}': `label` goes only with `measure: bad_rate` rings"
            )
        return self


class Lookup(BaseModel):
    """A join to a side table: an exact key (`match`) or a range of keys (`range`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The new column's name.")
    table: str = Field(
        description="Side table (CSV, Parquet, NDJSON) under the spec's folder, relative to it."
    )
    key: str = Field(description="Column of the data to look up (a number or a dotted IPv4).")
    match: str | None = Field(None, description="Exact join: the side table's key column.")
    range: list[str] | None = Field(
        None, min_length=2, max_length=2, description="Range join: [lower, upper] columns."
    )
    value: str = Field(description="Side-table column that becomes the new column.")

    @model_validator(mode="after")
    def _one_join(self) -> Lookup:
        if (self.match is None) == (self.range is None):
            raise ValueError(f"lookup '{self.name}' needs exactly one of `match` or `range`")
        return self


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    time: str = Field(description="Event-time column.")
    entities: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Entity name -> its id column, or a list of columns (a composite key).",
    )
    features: list[Feature] = Field(
        default_factory=list, description="Derived columns, computed in this order."
    )
    lookups: list[Lookup] = Field(
        default_factory=list, description="Joins to side tables, computed before features."
    )
    outcomes: list[str] = Field(
        default_factory=list,
        description="Outcome columns (labels, chargebacks) that are filled in after the event: "
        "a --context row that repeats a data row is matched without them.",
    )

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name, columns in value.items():
            if not columns or (isinstance(columns, list) and not all(columns)):
                raise ValueError(f"entity '{name}' needs a column (or a list of columns)")
        return value

    @property
    def outcome_columns(self) -> list[str]:
        """The columns that may differ between two copies of one event: `outcomes` and the
        labels rings read."""
        return list(dict.fromkeys([*self.outcomes, *(f.label for f in self.features if f.label)]))

    @property
    def names(self) -> list[str]:
        return [lk.name for lk in self.lookups] + [f.name for f in self.features]


def load_spec(path: Path) -> LoadedYaml[FeatureSpec]:
    """Read and validate a features.yaml; raises ConfigError with file:line."""
    loaded = load_yaml(Path(path), FeatureSpec, "features", DOCS)
    seen: dict[str, Location] = {}
    named = [("lookups", i, lk.name) for i, lk in enumerate(loaded.model.lookups)]
    named += [("features", i, f.name) for i, f in enumerate(loaded.model.features)]
    for section, i, name in named:
        where = loaded.where(section, i, "name")
        if name in seen:
            raise ConfigError(
                f"the name '{name}' is used twice (first at line {seen[name].line})",
                where,
                hint="give each feature its own name",
            )
        seen[name] = where
    for i, lookup in enumerate(loaded.model.lookups):
        lookup_path(lookup, Path(path).parent, loaded.where("lookups", i, "table"))
    for i, f in enumerate(loaded.model.features):
        if f.expr is not None:
            _check_expr(f.expr, loaded.where("features", i, "expr"))
    return loaded


def _check_expr(text: str, where: Location) -> None:
    """An `expr` only computes on the row's columns: refused here, when the spec loads, before
    anything reads data (polars' own parse errors are reported with the data's columns)."""
    with contextlib.suppress(pl.exceptions.PolarsError):
        sql_expr(text, where, "`expr`")


def lookup_path(lookup: Lookup, base: Path, where: Location | None = None) -> Path:
    """The lookup's table under the spec's folder `base`; an absolute path, or one that
    leads out of the folder (`..`, a link), is refused: a detector copies the tables under
    its spec and pins each by sha256, which needs them to live there."""
    table = Path(lookup.table)
    outside = table.is_absolute() or table.drive != ""
    if not outside:
        try:
            (base / table).resolve().relative_to(base.resolve())
        except ValueError:
            outside = True
    if outside:
        raise ConfigError(
            f"'{lookup.table}' is not under the spec's folder",
            where,
            hint="copy the table beside the spec, or into a folder under it, and name it "
            "relative to the spec, e.g. `table: tables/ip_to_country.csv`",
        )
    return base / table
