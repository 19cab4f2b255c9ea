"""The strategy file's schema. Unknown keys are errors, so a typo never passes silently."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from riskctl.data.values import NONE


def _not_a_boolean(value: object) -> object:
    # YAML reads yes/no/on/off/true/false as booleans: `max_false_positive_rate: yes` would be
    # a limit of 100%, a guardrail that can never fail
    if isinstance(value, bool):
        raise ValueError(f"needs a number, not {str(value).lower()} (a yes/no/on/off/true/false)")
    return value


Number = Annotated[float, BeforeValidator(_not_a_boolean)]


def _a_number(value: float) -> float:
    # NaN compares false with every score, so the action would silently never fire
    if math.isnan(value):
        raise ValueError("a threshold must be a number, not NaN")
    return value


Thresholds = dict[str, dict[str, Annotated[Number, AfterValidator(_a_number)]]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Segment(_Strict):
    name: str = Field(description="Segment name shown in reports.")
    when: str = Field(description="SQL condition on columns; the first matching segment wins.")
    thresholds: Thresholds = Field(description="Action -> {score column: threshold} overrides.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v.strip() == NONE:
            raise ValueError(f"'{NONE}' names the rows in no segment; pick another name")
        return v


class Rule(_Strict):
    name: str = Field(description="Stable rule name.")
    when: str = Field(description="SQL condition on columns, compiled with polars.")
    action: str = Field(description="The action a matching row gets.")
    reason: str | None = Field(None, description="Reason code or free text shown for a hit.")
    mode: Literal["active", "shadow"] = Field(
        "active", description="`shadow` rules are evaluated and reported but never act."
    )
    enabled: bool = Field(True, description="`false` turns the rule off entirely.")


class Costs(_Strict):
    false_positive: Number = Field(0.0, ge=0, description="Cost of one flagged good row.")
    review: Number = Field(0.0, ge=0, description="Cost of one manual review.")


class RelativeGuardrails(_Strict):
    max_catch_rate_drop: Number | None = Field(
        None, ge=0, description="Largest allowed fall in catch rate vs the baseline."
    )
    max_false_positive_rate_increase: Number | None = Field(
        None, ge=0, description="Largest allowed rise in false-positive rate vs the baseline."
    )


class Guardrails(_Strict):
    """Limits `riskctl check` holds a candidate to. A guardrail on a proportion fails only when
    its whole 95% interval is on the wrong side (`--strict`: the point estimate)."""

    max_false_positive_rate: Number | None = Field(
        None, ge=0, le=1, description="Fails when flagged good / all good is above it."
    )
    min_catch_rate: Number | None = Field(
        None, ge=0, le=1, description="Fails when flagged bad / all bad is below it."
    )
    min_precision: Number | None = Field(
        None, ge=0, le=1, description="Fails when flagged bad / flagged is below it."
    )
    max_review_per_day: Number | None = Field(
        None, ge=0, description="Fails when the mean reviews per day are above it."
    )
    max_review_peak_per_day: Number | None = Field(
        None,
        ge=0,
        description="Fails when the most reviews on one calendar day are above it "
        "(the busiest day, which the mean hides).",
    )
    max_days_over_capacity: Number | None = Field(
        None,
        ge=0,
        description="Fails when more calendar days than this send more rows to review than "
        "`review_capacity_per_day` (which it needs).",
    )
    max_expected_cost: Number | None = Field(
        None, ge=0, description="Fails when the expected cost is above it."
    )
    relative: RelativeGuardrails | None = Field(
        None, description="Limits on the change against `--baseline`."
    )


class History(_Strict):
    decision: str = Field(
        description="Column with the action production took on each row (its strategy's "
        "decision, before any control group let the row through).",
    )
    no_outcome: list[str] = Field(
        default_factory=lambda: ["block"],
        description="Actions after which no label can exist (an order never shipped cannot be "
        "charged back). Rows with one of these decisions, outside the control group, are "
        "`blocked by production`.",
    )
    control: str | None = Field(
        None,
        description="Boolean column: true for rows production let through at random whatever "
        "its decision (the control group).",
    )
    propensity: str | None = Field(
        None,
        description="Optional column: the probability each row was let through (1 for rows "
        "production allowed). Default: worked out from the control group's share of the "
        "rows production would have stopped.",
    )


class NewBlocks(_Strict):
    """A nightly alarm for attacks nobody has labelled: `riskctl discover` on the current
    rows; a new dense block in any of their windows crosses the limit."""

    accounts: str = Field(description="Account column.")
    items: list[str] = Field(
        min_length=1, description="Entity columns (`a+b`: one entity per combination)."
    )
    window: str = Field("1d", description="Window length, e.g. 1d.")
    max_p_value: Number = Field(
        0.001, gt=0, le=1, description="A new block at or below this p-value crosses the limit."
    )
    min_accounts: int = Field(5, ge=1, description="Only blocks of at least this many accounts.")


class Monitoring(_Strict):
    """Limits `riskctl monitor` checks; crossing one exits 1 (for a nightly job)."""

    max_psi: Number | None = Field(None, ge=0, description="Largest PSI any feature may reach.")
    max_psi_per_feature: dict[str, Number] = Field(
        default_factory=dict, description="Feature -> its own PSI limit (wins over max_psi)."
    )
    max_score_psi: Number | None = Field(None, ge=0, description="Largest PSI of the score.")
    max_alert_rate_change: Number | None = Field(
        None, ge=0, le=1, description="Largest allowed change of the alert rate (absolute)."
    )
    min_estimated_precision: Number | None = Field(
        None, ge=0, le=1, description="Smallest label-free estimated precision."
    )
    max_missing_rate_increase: Number | None = Field(
        None, ge=0, le=1, description="Largest rise of any feature's missing share."
    )
    max_unseen_share: Number | None = Field(
        None, ge=0, le=1, description="Largest share of rows with a category never seen."
    )
    new_blocks: NewBlocks | None = Field(
        None, description="Dense blocks (`riskctl discover`) new in the current rows."
    )


class Strategy(_Strict):
    """A strategy: its actions, score thresholds, segments, rules, guardrails and
    monitoring limits. In Python, `riskctl.Strategy.model_validate(keys)` builds one from a
    dict of the keys below, checked as a file is."""

    name: str = Field(description="Strategy name.")
    description: str = Field("", description="What this strategy is for.")
    detectors: dict[str, str] = Field(
        default_factory=dict,
        description="Score column -> detector directory (relative to the strategy file); "
        "used only when the data lacks that column.",
    )
    actions: list[str] = Field(description="Actions, most severe first; the last one passes.")
    reviews: list[str] | None = Field(
        None,
        description="Actions that send a row to manual review: they count in review load, "
        "review cost and the review-capacity guardrail (default: the action named `review`, "
        "if there is one).",
    )
    thresholds: Thresholds = Field(
        default_factory=dict,
        description="Action -> {score column: threshold}; a row gets the action when its "
        "score >= the threshold.",
    )
    segments: list[Segment] = Field(
        default_factory=list,
        description="The first segment whose condition matches a row overrides the "
        "thresholds it names.",
    )
    rules: list[Rule] = Field(default_factory=list, description="Named SQL conditions.")
    label: str | None = Field(
        None,
        description="Label column (1 = bad, 0 = good). `--label` wins; else the detector's.",
    )
    bad: str | None = Field(
        None,
        description="The label value that means bad, for labels other than 0/1 "
        "(e.g. `-1`, `fraud`, `yes`); every other value is good.",
    )
    time: str | None = Field(
        None, description="Event-time column, for review load per day and label maturity."
    )
    amount: str | None = Field(
        None, description="Money column for the amount-weighted metrics and expected cost."
    )
    costs: Costs = Field(default_factory=Costs, description="Costs for the expected cost.")
    review_capacity_per_day: Number | None = Field(
        None, ge=0, description="Reviews the team can absorb per day; shown beside review load."
    )
    label_maturity_days: Number = Field(  # up to a century: a cut-off in range
        0,
        ge=0,
        le=36_500,
        description="Rows younger than this, against the newest row of the data, are left "
        "out of label metrics (they still count in alert rate and review load).",
    )
    guardrails: Guardrails = Field(
        default_factory=Guardrails, description="Limits `riskctl check` enforces."
    )
    history: History | None = Field(
        None,
        description="How the history was produced: production's decision, the actions after "
        "which no outcome exists, the control group and its propensity.",
    )
    monitoring: Monitoring = Field(
        default_factory=Monitoring, description="Limits `riskctl monitor` checks."
    )
    data_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="Pins the evaluation file: a different file fails loudly (exit 2).",
    )

    @field_validator("bad", mode="before")
    @classmethod
    def _bad(cls, v: object) -> object:
        """`bad: -1` or `bad: true` as written, without quotes: the value as text."""
        if isinstance(v, bool):
            return str(v).lower()
        return str(v) if isinstance(v, int | float) else v

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[str]) -> list[str]:
        if len(v) < 2:
            raise ValueError("needs at least two actions, e.g. [review, allow]")
        if len(set(v)) != len(v):
            raise ValueError("actions must be unique")
        return v

    @property
    def pass_action(self) -> str:
        return self.actions[-1]

    @property
    def review_actions(self) -> list[str]:
        """Actions that consume review capacity, as declared (or `review` by default)."""
        if self.reviews is not None:
            return list(self.reviews)
        return ["review"] if "review" in self.actions else []

    def score_columns(self) -> list[str]:
        cols = {c for t in self.thresholds.values() for c in t}
        cols |= {c for s in self.segments for t in s.thresholds.values() for c in t}
        return sorted(cols)
