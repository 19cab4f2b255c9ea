"""The reason catalogue: stable codes and readable text for model and rule reasons.

```yaml
reasons:
  - code: R12
    features: [accounts_per_device_7d]          # contributions of these are summed
    text: "Device shared by {accounts_per_device_7d} accounts this week"
  - code: R101                                  # no features: a code rules point at
    text: "Device farm: many new accounts on one device"
```

Text is a template filled with the row's values. A field may name a format after a colon:
`{amount:money}`, `{account_age_days:days}`, `{seller_refund_rate_30d:percent}`,
`{buyer_orders_24h:count}`, `{x:number}`, `{x:text}`, and durations held in seconds, minutes
or hours (`{seconds_since_signup:seconds}` reads "4 seconds", "3.5 hours" or "12 days");
without one the format follows the
column's name and type (amount/price/value: money, *_days: days, *rate*/*share*: percent).
Only plain field names are allowed: a template cannot reach into objects.
"""

from __future__ import annotations

import difflib
import math
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from riskctl.errors import ConfigError
from riskctl.yamlconfig import LoadedYaml, load_yaml

DOCS = "strategies/reason_codes.yaml"
FORMATS = ("money", "days", "percent", "count", "number", "text", "seconds", "minutes", "hours")
DURATION_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3_600}


class ReasonEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, description="Stable code, e.g. R12.")
    text: str = Field(min_length=1, description="Readable text; {column} fields are filled.")
    features: list[str] = Field(
        default_factory=list, description="Features whose contributions this reason sums."
    )


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reasons: list[ReasonEntry] = Field(description="The catalogue's entries.")


@dataclass(frozen=True)
class Catalogue:
    entries: list[ReasonEntry]
    loaded: LoadedYaml[CatalogueFile] | None = None

    @property
    def by_code(self) -> dict[str, ReasonEntry]:
        return {e.code: e for e in self.entries}

    def entry_for_feature(self) -> dict[str, ReasonEntry]:
        return {f: e for e in self.entries for f in e.features}

    def with_generated(self, texts: dict[str, str], code: Any) -> Catalogue:
        """This catalogue plus an entry per feature in `texts` it does not cover (its own
        entries win); `code(feature)` names the added entries."""
        covered = self.entry_for_feature()
        added = [
            ReasonEntry(code=code(name), text=text, features=[name])
            for name, text in texts.items()
            if name not in covered
        ]
        return Catalogue([*self.entries, *added], self.loaded) if added else self

    def uncatalogued(self, features: list[str]) -> list[str]:
        """Features with no entry: their reasons fall back to generated text."""
        covered = self.entry_for_feature()
        return [f for f in features if f not in covered]

    def check_columns(self, columns: list[str], what: str = "the detector's features") -> None:
        """Every feature and template field must be a known column."""
        for i, e in enumerate(self.entries):
            for j, f in enumerate(e.features):
                if f not in columns:
                    raise _unknown(f, columns, self._where("reasons", i, "features", j), what)
            for field_name, _ in template_fields(e.text):
                if field_name not in columns:
                    raise _unknown(field_name, columns, self._where("reasons", i, "text"), what)

    def _where(self, *key: str | int) -> Any:
        return self.loaded.where(*key) if self.loaded else None


EMPTY = Catalogue([])


def _unknown(name: str, columns: list[str], where: Any, what: str) -> ConfigError:
    close = difflib.get_close_matches(name, columns, n=1)
    return ConfigError(
        f"unknown feature '{name}' (not among {what})",
        where,
        hint=f"did you mean `{close[0]}`?" if close else None,
    )


def template_fields(text: str) -> list[tuple[str, str]]:
    """(field, format) pairs of a template; raises ValueError on anything but plain fields."""
    out = []
    for _, field_name, spec, conversion in string.Formatter().parse(text):
        if field_name is None:
            continue
        if not field_name.isidentifier() or conversion:
            raise ValueError(f"field {{{field_name}}} must be a plain column name")
        if spec and spec not in FORMATS:
            raise ValueError(
                f"unknown format '{spec}' in {{{field_name}:{spec}}} "
                f"(formats: {', '.join(FORMATS)})"
            )
        out.append((field_name, spec or ""))
    return out


def load_catalogue(path: Path | str) -> Catalogue:
    loaded = load_yaml(Path(path), CatalogueFile, "reason catalogue", DOCS)
    seen_codes: dict[str, int] = {}
    seen_features: dict[str, str] = {}
    for i, e in enumerate(loaded.model.reasons):
        if e.code in seen_codes:
            raise ConfigError(
                f"duplicate code '{e.code}' (first at reasons[{seen_codes[e.code]}])",
                loaded.where("reasons", i, "code"),
            )
        seen_codes[e.code] = i
        for j, f in enumerate(e.features):
            if f in seen_features:
                raise ConfigError(
                    f"feature '{f}' is already in reason {seen_features[f]}",
                    loaded.where("reasons", i, "features", j),
                    hint="a feature belongs to one reason",
                )
            seen_features[f] = e.code
        try:
            template_fields(e.text)
        except ValueError as exc:
            raise ConfigError(str(exc), loaded.where("reasons", i, "text")) from None
    return Catalogue(list(loaded.model.reasons), loaded)


def infer_format(column: str, value: Any) -> str:
    name = column.lower()
    if isinstance(value, bool):
        return "text"
    if any(w in name for w in ("amount", "price", "value", "gmv", "spend")) and "avg" not in name:
        return "money"
    if name.endswith(("_days", "_day")) or name.startswith("days_"):
        return "days"
    if any(w in name for w in ("rate", "share", "ratio_pct", "pct")):
        return "percent"
    if isinstance(value, int):
        return "count"
    return "number" if isinstance(value, float) else "text"


def format_value(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fmt in DURATION_SECONDS and isinstance(value, int | float):
        return format_duration(value * DURATION_SECONDS[fmt])
    if fmt == "money" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if fmt == "days" and isinstance(value, int | float):
        days = round(value, 1)
        days = int(days) if float(days).is_integer() else days
        return f"{days} day" if days == 1 else f"{days} days"
    if fmt == "percent" and isinstance(value, int | float):
        return f"{100 * value:.1f}%"
    if fmt == "count" and isinstance(value, int | float):
        return f"{int(value):,}"
    if fmt == "number" and isinstance(value, int | float):
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def format_duration(seconds: float) -> str:
    """4 seconds, 12 minutes, 3.5 hours, 12 days: the unit a person would say."""
    for unit, size, below in (
        ("second", 1, 90),
        ("minute", 60, 90 * 60),
        ("hour", 3_600, 36 * 3_600),
        ("day", 86_400, math.inf),
    ):
        if abs(seconds) < below:
            amount = round(seconds / size, 1) if size > 1 else round(seconds)
            amount = int(amount) if float(amount).is_integer() else amount
            return f"{amount} {unit}" + ("" if amount == 1 else "s")
    return f"{seconds} seconds"


def fill(text: str, row: dict[str, Any]) -> str:
    """The template with each field replaced by the row's value, formatted."""
    parts = []
    for literal, field_name, spec, _ in string.Formatter().parse(text):
        parts.append(literal)
        if field_name is not None:
            value = row.get(field_name)
            parts.append(format_value(value, spec or infer_format(field_name, value)))
    return "".join(parts)
