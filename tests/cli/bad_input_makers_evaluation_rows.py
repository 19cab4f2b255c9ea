"""Input makers for the evaluation-rows cases (`cases/evaluation_rows.yaml`): a strategy
naming a copy of the session detector, whose recorded split holds every row of `{history}`
(its earliest rows, all training rows)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bad_input_makers import Inputs, maker, strategy_text


@maker("rows_strategy")
def _rows_strategy(i: Inputs) -> Path:
    copy = Path(shutil.copytree(i.detector, i.dir / "rows-detector"))
    return i.text("rows.yaml", strategy_text(f"detectors: {{score: {copy}}}\n"))
