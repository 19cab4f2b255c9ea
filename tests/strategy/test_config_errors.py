"""Bad strategy files give one exact line: file:line, key path, what is wrong, how to fix."""

from pathlib import Path

import polars as pl
import pytest
import yaml

from riskctl.errors import ConfigError
from riskctl.strategy.engine import compile_strategy
from riskctl.strategy.load import load_strategy

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "config_errors.yaml").read_text())
SCHEMA = pl.Schema(
    {"amount": pl.Float64, "account_age_days": pl.Int64, "score": pl.Float64, "category": pl.String}
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_config_error_message(case: dict, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(case["strategy"])
    with pytest.raises(ConfigError) as err:
        compile_strategy(load_strategy(path), SCHEMA)
    message = str(err.value)
    assert "\n" not in message
    if "error" in case:
        assert message == case["error"].format(file=path)
    else:
        assert message.startswith(case["error_starts"].format(file=path))
