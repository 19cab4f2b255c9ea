"""Input makers for `cases/yaml_words.yaml`: strategy files with the YAML slips people make
by hand (a tab, a missing colon, a key out of line, an unclosed bracket or quote)."""

from __future__ import annotations

from pathlib import Path

from bad_input_makers import Inputs, maker

GOOD = "name: s\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n"


@maker("yaml_tab_indent")
def _tab(i: Inputs) -> Path:
    """A tab before a nested key."""
    return i.text("tab.yaml", GOOD.replace("  review:", "\treview:"))


@maker("yaml_missing_colon")
def _missing_colon(i: Inputs) -> Path:
    """`actions [review, allow]`: no colon after the key."""
    return i.text("colon.yaml", GOOD.replace("actions:", "actions"))


@maker("yaml_key_out_of_line")
def _out_of_line(i: Inputs) -> Path:
    """A key one space further in than its neighbour."""
    return i.text("indent.yaml", GOOD.replace("label: is_bad", " label: is_bad"))


@maker("yaml_unclosed_bracket")
def _unclosed(i: Inputs) -> Path:
    """A flow list never closed."""
    return i.text("bracket.yaml", GOOD.replace("[review, allow]", "[review, allow"))
