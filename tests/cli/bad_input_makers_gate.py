"""Input makers for the CI gate's bad-input cases (`cases/gate.yaml`): strategies whose text
does not show what it says (invisible and look-alike characters), and strategies with no
guardrail to check.

Makers are registered by name for every variant: `action_<v>` puts the character into the
action `review` (so it becomes another action), `literal_<v>` into the literal
`'gift_cards'` of a rule's condition, for each variant `<v>` in `VARIANTS`.
"""

from __future__ import annotations

from pathlib import Path

from bad_input_makers import Inputs, maker, strategy_text

# variant -> (the action `review` spelled with it, the category `gift_cards` spelled with it)
VARIANTS = {
    "cyrillic_ie": ("r\u0435view", "gift_cards".replace("a", "\u0430")),
    "greek_omicron": ("bl\u03bfck", "t\u03bfys"),  # `block` and `toys`: the others have no o
    "dotless_i": ("rev\u0131ew", "g\u0131ft_cards"),
    "fullwidth": ("\uff52eview", "gift_\uff43ards"),
    "zwsp": ("rev\u200biew", "gift\u200b_cards"),
    "zwnj": ("rev\u200ciew", "gift\u200c_cards"),
    "zwj": ("rev\u200diew", "gift\u200d_cards"),
    "word_joiner": ("rev\u2060iew", "gift\u2060_cards"),
    "bom": ("\ufeffreview", "\ufeffgift_cards"),
    "soft_hyphen": ("re\u00adview", "gift\u00ad_cards"),
    "nbsp": ("re\u00a0view", "gift\u00a0cards"),
    "rlo": ("\u202ereview", "gift_cards\u202e"),
}
GUARDED = "guardrails:\n  min_catch_rate: 0.01\n"


def _escaped(text: str) -> str:
    """YAML double-quoted text with every non-ASCII character as an escape, so the file
    itself is plain ASCII (as a hostile pull request's need not be)."""
    return "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in text)


def _register(variant: str, action: str, literal: str) -> None:
    @maker(f"action_{variant}")
    def _action(i: Inputs) -> Path:
        # written raw (UTF-8), as an editor would save it
        text = strategy_text(GUARDED)
        text = text.replace("block" if "\u03bf" in action else "review", action)
        return i.text(f"action_{variant}.yaml", text)

    @maker(f"literal_{variant}")
    def _literal(i: Inputs) -> Path:
        when = _escaped(f"category = '{literal}'")
        rule = f'rules:\n  - name: gift\n    when: "{when}"\n    action: block\n'
        return i.text(f"literal_{variant}.yaml", strategy_text(GUARDED + rule))


for _variant, (_action_name, _literal_text) in VARIANTS.items():
    _register(_variant, _action_name, _literal_text)


@maker("guarded")
def _guarded(i: Inputs) -> Path:
    return i.text("guarded.yaml", strategy_text(GUARDED))


@maker("rule_name_zwsp")
def _rule_name_zwsp(i: Inputs) -> Path:
    rule = 'rules:\n  - name: "gift\\u200b"\n    when: "amount > 5"\n    action: block\n'
    return i.text("rule_name.yaml", strategy_text(GUARDED + rule))


@maker("segment_name_cyrillic")
def _segment_name_cyrillic(i: Inputs) -> Path:
    segment = (
        'segments:\n  - name: "new_\\u0430ccounts"\n    when: "amount > 5"\n'
        "    thresholds:\n      review: {score: 0.9}\n"
    )
    return i.text("segment_name.yaml", strategy_text(GUARDED + segment))


@maker("score_column_zwsp")
def _score_column_zwsp(i: Inputs) -> Path:
    text = strategy_text(GUARDED).replace("{score: 0.5}", '{"sco\\u200bre": 0.5}')
    return i.text("score_column.yaml", text)


@maker("reason_bidi")
def _reason_bidi(i: Inputs) -> Path:
    rule = (
        'rules:\n  - name: gift\n    when: "amount > 5"\n    action: block\n'
        '    reason: "safe \\u202e kcolb"\n'
    )
    return i.text("reason.yaml", strategy_text(GUARDED + rule))


@maker("segment_cyrillic_literal")
def _segment_cyrillic_literal(i: Inputs) -> Path:
    segment = (
        "segments:\n  - name: gift\n    when: \"category = 'gift_c\\u0430rds'\"\n"
        "    thresholds:\n      review: {score: 0.9}\n"
    )
    return i.text("segment_literal.yaml", strategy_text(GUARDED + segment))


@maker("rule_name_newline")
def _rule_name_newline(i: Inputs) -> Path:
    """A name that would add its own line (and its own annotation) to the output."""
    rule = 'rules:\n  - name: "a\\n::error::PASSED"\n    when: "amount > 5"\n    action: block\n'
    return i.text("rule_newline.yaml", strategy_text(GUARDED + rule))


@maker("action_newline")
def _action_newline(i: Inputs) -> Path:
    text = strategy_text(GUARDED).replace("[block, review", '[block, "re\\nview"')
    return i.text("action_newline.yaml", text)
