"""Writing a changed strategy: the file's comments, order and layout kept (round-trip YAML),
only the changed values replaced."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from riskctl.data.io import write_text


def set_thresholds(source: Path, out: Path,
                   changes: list[tuple[str, str, float]]) -> Path:
    """Write `source` to `out` with each (action, score column) threshold set to its value."""
    yaml = YAML(typ="rt")  # round-trip: builds plain maps and lists, runs no tags
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(Path(source).read_text(encoding="utf-8-sig"))
    thresholds = data.get("thresholds")
    if thresholds is None:
        thresholds = CommentedMap()
        data["thresholds"] = thresholds
    for action, column, value in changes:
        per_action = thresholds.get(action)
        if per_action is None:
            per_action = CommentedMap()
            per_action.fa.set_flow_style()
            thresholds[action] = per_action
        # written exactly: a rounded threshold could flag or unflag the rows at that score
        per_action[column] = float(value)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return write_text(buffer.getvalue(), out)
