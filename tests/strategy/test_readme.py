"""Every field of the strategy schema is documented in strategies/README.md."""

import typing

from pydantic import BaseModel

from riskctl.resources import strategies_dir
from riskctl.strategy.schema import Strategy


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = info.annotation
        args = typing.get_args(ann)
        nested = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        listed = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if typing.get_origin(ann) is list and listed:
            paths.append(path)
            paths += field_paths(listed[0], f"{path}[].")
        elif nested:
            paths += field_paths(nested[0], f"{path}.")
        else:
            paths.append(path)
    return paths


def test_every_strategy_field_is_documented() -> None:
    readme = (strategies_dir() / "README.md").read_text(encoding="utf-8")
    paths = field_paths(Strategy)
    assert "guardrails.relative.max_catch_rate_drop" in paths and "rules[].mode" in paths
    missing = [p for p in paths if f"`{p}`" not in readme]
    assert missing == [], f"undocumented in strategies/README.md: {missing}"
