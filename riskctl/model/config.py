"""`model.yaml`: training settings a risk data scientist may want to pin.

Every key is optional; unknown keys are errors (with the closest known key).

```yaml
rounds: 300                 # most boosting rounds; early stopping picks the best
early_stopping_rounds: 30   # stop when validation PR AUC has not improved for this many
max_depth: 6
learning_rate: 0.1
min_child_weight: 1.0
subsample: 0.9
colsample_bytree: 0.9
reg_lambda: 1.0
max_bin: 256
imbalance: none             # none (calibrated scores) | balanced | a bad-row weight, e.g. 5
monotone:                   # feature -> increasing | decreasing
  accounts_per_device_7d: increasing
interactions:               # groups of features allowed to interact within a tree
  - [amount, category]
  - [account_age_days, promo_used, accounts_per_device_7d]
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskctl.yamlconfig import LoadedYaml, load_yaml

DOCS = "the model.yaml section of `riskctl train --help`"


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: int = Field(
        300, ge=1, le=20_000, description="Most boosting rounds; early stopping picks the best."
    )
    early_stopping_rounds: int = Field(
        30, ge=1, description="Stop when the early-stopping PR AUC has not improved this long."
    )
    max_depth: int = Field(6, ge=1, le=16, description="Deepest a tree may grow.")
    learning_rate: float = Field(0.1, gt=0, le=1, description="Shrinkage of each round.")
    min_child_weight: float = Field(1.0, ge=0, description="Least hessian weight in a leaf.")
    subsample: float = Field(0.9, gt=0, le=1, description="Share of rows each tree sees.")
    colsample_bytree: float = Field(
        0.9, gt=0, le=1, description="Share of features each tree sees."
    )
    reg_lambda: float = Field(1.0, ge=0, description="L2 regularisation of leaf weights.")
    max_bin: int = Field(256, ge=2, le=4096, description="Histogram bins per feature.")
    imbalance: Literal["none", "balanced"] | float = Field(
        "none",
        description="`none` (calibrated scores), `balanced` (bad rows weighted by the ratio of "
        "good to bad rows), or a weight for bad rows, e.g. 5.",
    )
    monotone: dict[str, Literal["increasing", "decreasing"]] = Field(
        default_factory=dict,
        description="Feature -> `increasing` or `decreasing`: e.g. more accounts on a device "
        "never lowers the risk.",
    )
    interactions: list[list[str]] = Field(
        default_factory=list, description="Groups of features allowed to interact in a tree."
    )


def load_model_config(path: Path | None) -> LoadedYaml[ModelConfig] | None:
    if path is None:
        return None
    return load_yaml(Path(path), ModelConfig, "model config", DOCS)
