"""Input makers for `cases/fix_gate.yaml`: strategies whose text hides what it says with a
character the first character check missed (Default_Ignorable_Code_Point characters that
are marks or letters, small capitals and other Latin look-alikes, East Asian characters drawn
like ASCII, decomposed accents), each in an action name, a rule literal and a segment name;
and baselines whose data pin does not match the data.

`fg_action_<v>` spells the action of `VARIANTS[v][0]`'s target with the variant,
`fg_literal_<v>` puts `VARIANTS[v][1]` as the literal of a rule's condition, and
`fg_segment_<v>` names a segment with it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bad_input_makers import Inputs, maker, strategy_text

# variant -> (an action name spelled with it, a literal / segment name spelled with it)
VARIANTS = {
    "mongolian_fvs1": ("rev\u180biew", "gift\u180b_cards"),
    "mongolian_fvs4": ("rev\u180fiew", "gift\u180f_cards"),
    "khmer_aq": ("rev\u17b4iew", "gift\u17b4_cards"),
    "khmer_aa": ("rev\u17b5iew", "gift\u17b5_cards"),
    "khitan_filler": ("rev\U00016fe4iew", "gift\U00016fe4_cards"),
    "hangul_choseong_filler": ("rev\u115fiew", "gift\u115f_cards"),
    "hangul_jungseong_filler": ("rev\u1160iew", "gift\u1160_cards"),
    "hangul_filler": ("rev\u3164iew", "gift\u3164_cards"),
    "halfwidth_hangul_filler": ("rev\uffa0iew", "gift\uffa0_cards"),
    "variation_selector_1": ("rev\ufe00iew", "gift\ufe00_cards"),
    "variation_selector_17": ("rev\U000e0100iew", "gift\U000e0100_cards"),
    "tag_a": ("rev\U000e0041iew", "gift\U000e0041_cards"),
    "cancel_tag": ("review\U000e007f", "gift_cards\U000e007f"),
    "grapheme_joiner": ("rev\u034fiew", "gift\u034f_cards"),
    "braille_blank": ("rev\u2800iew", "gift\u2800cards"),
    "ideographic_zero": ("bl\u3007ck", "t\u3007ys"),
    "hangul_ieung": ("bl\u3147ck", "t\u3147ys"),
    "katakana_ro": ("bl\u30edck", "t\u30edys"),
    "small_capital_f": ("\ua730lag", "gi\ua730t_cards"),
    "small_capital_b": ("\u0299lock", "gift_cards_\u0299"),
    "small_capital_j": ("\u1d0aunk", "\u1d0aewels"),
    "wynn": ("\u01bfay", "\u01bfayments"),
    "turned_a": ("rev\u0250ew", "gift_c\u0250rds"),
    "latin_iota": ("\u0196ow", "\u0196ow_value"),
    "decomposed_u": ("Zu\u0308rich", "Zu\u0308rich"),
    "decomposed_e": ("cafe\u0301", "cafe\u0301"),
    "angstrom_sign": ("\u212bngstrom", "\u212bngstrom"),
}
GUARDED = "guardrails:\n  min_catch_rate: 0.01\n"


def _escaped(text: str) -> str:
    """YAML double-quoted text with every non-ASCII character as an escape."""
    return "".join(
        c if c.isascii() else (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
        for c in text
    )


def _target(action: str) -> str:
    """The ASCII action the variant's action name reads as (replaced in the strategy)."""
    for name in ("review", "block"):
        if sum(a == b for a, b in zip(action, name, strict=False)) >= 3:
            return name
    return "block"


def _register(variant: str, action: str, literal: str) -> None:
    @maker(f"fg_action_{variant}")
    def _action(i: Inputs) -> Path:
        text = strategy_text(GUARDED).replace(_target(action), f'"{_escaped(action)}"', 1)
        return i.text(f"fg_action_{variant}.yaml", text)

    @maker(f"fg_literal_{variant}")
    def _literal(i: Inputs) -> Path:
        when = _escaped(f"category = '{literal}'")
        rule = f'rules:\n  - name: gift\n    when: "{when}"\n    action: block\n'
        return i.text(f"fg_literal_{variant}.yaml", strategy_text(GUARDED + rule))

    @maker(f"fg_segment_{variant}")
    def _segment(i: Inputs) -> Path:
        segment = (
            f'segments:\n  - name: "{_escaped(literal)}"\n    when: "amount > 5"\n'
            "    thresholds:\n      review: {score: 0.9}\n"
        )
        return i.text(f"fg_segment_{variant}.yaml", strategy_text(GUARDED + segment))


for _variant, (_action_name, _literal_text) in VARIANTS.items():
    _register(_variant, _action_name, _literal_text)


WRONG = "0" * 64


def _digest(i: Inputs) -> str:
    """The sha256 of the `{scored}` file (name it before this maker in the command)."""
    return hashlib.sha256((i.dir / "scored.parquet").read_bytes()).hexdigest()


@maker("fg_base_pin_wrong")
def _base_pin_wrong(i: Inputs) -> Path:
    text = strategy_text(GUARDED + f"data_sha256: '{WRONG}'\n").replace("name: s", "name: base")
    return i.text("fg_base_pin.yaml", text)


@maker("fg_base_pin_right")
def _base_pin_right(i: Inputs) -> Path:
    text = strategy_text(GUARDED + f"data_sha256: '{_digest(i)}'\n")
    return i.text("fg_base_right.yaml", text.replace("name: s", "name: base"))


@maker("fg_cand_pin_right")
def _cand_pin_right(i: Inputs) -> Path:
    text = strategy_text(f"data_sha256: '{_digest(i)}'\n", review="0.02")
    return i.text("fg_cand_right.yaml", text.replace("name: s", "name: cand"))


@maker("fg_cand_pin_wrong")
def _cand_pin_wrong(i: Inputs) -> Path:
    text = strategy_text(f"data_sha256: '{WRONG}'\n", review="0.02")
    return i.text("fg_cand_wrong.yaml", text.replace("name: s", "name: cand"))


@maker("fg_cand_no_pin")
def _cand_no_pin(i: Inputs) -> Path:
    text = strategy_text("", review="0.02").replace("name: s", "name: cand")
    return i.text("fg_cand_no_pin.yaml", text)
