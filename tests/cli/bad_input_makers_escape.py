"""Input makers for `cases/escape.yaml`: names and file names that carry each output
medium's syntax (workflow commands, Rich markup, emoji codes, terminal escapes, bidi
overrides), in inputs that are wrong for another reason, so the one error line names them."""

from __future__ import annotations

from pathlib import Path

import yaml
from bad_input_makers import Inputs, maker, strategy_text

HOSTILE = "r\n::error file=x::spoofed [/]oops [gold] :x: \x1b[2K\x1b]8;;http://e/\x07\u202e"
# a strategy refuses names with line breaks or characters you cannot see (HOSTILE itself,
# `hostile_rule_name`); this one loads, and must stay text in every other error
HOSTILE_ONE_LINE = "r ::error file=x::spoofed [/]oops [gold] :x: `tick` | pipe"


def _with_rule(name: str, when: str) -> str:
    rule = yaml.safe_dump([{"name": name, "when": when, "action": "review"}])
    return strategy_text("rules:\n" + "".join(f"  {line}\n" for line in rule.splitlines()))


@maker("hostile_rule_bad_column")
def _hostile_rule_bad_column(i: Inputs) -> Path:
    """A rule with a hostile name whose condition names a column the data lacks."""
    return i.text("hostile_rule.yaml", _with_rule(HOSTILE_ONE_LINE, "no_such_col > 1"))


@maker("hostile_rule_bad_sql")
def _hostile_rule_bad_sql(i: Inputs) -> Path:
    """A rule with a hostile name whose condition does not parse."""
    return i.text("hostile_sql.yaml", _with_rule(HOSTILE_ONE_LINE, "amount >"))


@maker("hostile_rule_name")
def _hostile_rule_name(i: Inputs) -> Path:
    """A rule whose name holds a line break, terminal escapes and a bidi override."""
    return i.text("hostile_name.yaml", _with_rule(HOSTILE, "amount > 1"))


@maker("hostile_file_name")
def _hostile_file_name(i: Inputs) -> Path:
    """A strategy file whose path holds a newline, a workflow command, an escape sequence
    and markup (`[/]` across a folder and its file), with an unknown key."""
    folder = i.dir / "s\n::error::x [gold] \x1b[2K ["
    folder.mkdir()
    path = folder / "]oops.yaml"
    path.write_text(strategy_text("colour: red"), encoding="utf-8")
    return path
