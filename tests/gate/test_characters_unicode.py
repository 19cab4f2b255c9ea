"""The character check beyond a hand list: Unicode's whole Default_Ignorable_Code_Point set
is invisible, Latin look-alikes are found by name (small capitals, turned letters), East
Asian characters drawn like ASCII are look-alikes inside a Latin word, and text not in
composed form (NFC) is refused; genuine text in any script stays accepted."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from riskctl.errors import ConfigError
from riskctl.strategy.characters import (
    ascii_lookalike,
    is_invisible,
    latin_lookalike,
    odd_characters,
    shown,
)
from riskctl.strategy.load import load_strategy

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
from bad_input_makers_fix_gate import VARIANTS  # noqa: E402

# DerivedCoreProperties.txt, Default_Ignorable_Code_Point: spot checks from every range
IGNORABLE = [
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E,
    0x180F, 0x200B, 0x200F, 0x202A, 0x202E, 0x2060, 0x2065, 0x206F, 0x3164, 0xFE00, 0xFE0F,
    0xFEFF, 0xFFA0, 0xFFF0, 0xFFF8, 0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A, 0xE0000, 0xE0001,
    0xE0020, 0xE007F, 0xE0100, 0xE01EF, 0xE0FFF,
]  # fmt: skip
GENUINE = ["Zürich", "Москва", "東京", "café", "Kraków", "straße", "Łódź", "Ørsted",
           "Þórr", "Nguyễn", "İstanbul", "iPhone版", "東京〇", "서울ㅇ", "ソニーロボット",
           "Ærø"]  # fmt: skip


@pytest.mark.parametrize("code_point", IGNORABLE, ids=lambda c: f"U+{c:04X}")
def test_every_default_ignorable_code_point_is_invisible(code_point: int) -> None:
    char = chr(code_point)
    assert is_invisible(char)
    text = f"category = 'gift{char}_cards'"
    (odd,) = odd_characters(text)
    assert odd.kind == "invisible" and odd.position == text.index(char)


def test_every_format_mark_with_no_width_is_invisible() -> None:
    """An oracle over all of Unicode: every format character and every ignorable one."""
    for code_point in range(0x110000):
        char = chr(code_point)
        if unicodedata.category(char) == "Cf":
            assert is_invisible(char), f"U+{code_point:04X}"


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("place", ["literal", "segment", "action"])
def test_each_variant_is_refused_where_the_strategy_loads(
    tmp_path: Path, variant: str, place: str
) -> None:
    action, literal = VARIANTS[variant]
    head = "name: s\nactions: [block, review, allow]\nlabel: is_bad\n"
    if place == "literal":
        text = head + f"rules:\n  - {{name: g, when: \"category = '{literal}'\", action: block}}\n"
    elif place == "segment":
        text = (
            head + f'segments:\n  - {{name: "{literal}", when: "amount > 5", thresholds: {{}}}}\n'
        )
    else:
        text = head.replace("block", action)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_strategy(path)
    message = str(err.value) + " " + (err.value.hint or "")
    assert "U+" in message
    if "decomposed" in variant or variant == "angstrom_sign":
        assert place == "action" or "NFC / composed form" in message


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_text_is_accepted_in_literals_and_names(tmp_path: Path, text: str) -> None:
    assert odd_characters(text) == []
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nactions: [block, review, allow]\nlabel: is_bad\n"
        f'rules:\n  - {{name: "{text}", when: "city = \'{text}\'", action: block}}\n'
        f'segments:\n  - {{name: "{text}", when: "city = \'{text}\'", thresholds: {{}}}}\n',
        encoding="utf-8",
    )
    load_strategy(path)


@pytest.mark.parametrize(
    ("char", "like"),
    [("\ua730", "f"), ("\u0299", "b"), ("\u1d0a", "j"), ("\u01bf", "p"), ("\u0196", "l"),
     ("\u0250", "a"), ("\u0131", "i"), ("\u1d00", "a"), ("\u0262", "g")],
)  # fmt: skip
def test_latin_lookalikes_are_found_by_name(char: str, like: str) -> None:
    assert latin_lookalike(char) == like
    word = f"x{char}y"
    (odd,) = odd_characters(word)
    assert odd.kind == "look-alike" and odd.looks_like == like
    assert ascii_lookalike(word) == f"x{like}y"


@pytest.mark.parametrize("char", list("éłøßæðþŋəİğşőơ"))
def test_latin_letters_of_their_own_are_not_lookalikes(char: str) -> None:
    assert latin_lookalike(char) is None
    assert odd_characters(f"x{char}y") == []


def test_east_asian_characters_read_as_ascii_only_inside_latin_words() -> None:
    for word, like in [("h\u3007me", "home"), ("h\u3147me", "home"), ("t\u30edys", "toys")]:
        (odd,) = odd_characters(f"category = '{word}'")
        assert odd.kind == "look-alike" and ascii_lookalike(word) == like
    assert odd_characters("\u30ed\u30dc\u30c3\u30c8") == []  # Katakana: ロボット
    assert odd_characters("iPhone\u7248\u30ed") == []  # beside other Japanese text


def test_decomposed_text_says_what_it_reads_as() -> None:
    (odd,) = odd_characters("Zu\u0308rich")
    assert odd.kind == "decomposed" and odd.looks_like == "\u00fc" and odd.position == 2
    assert "decomposed" in odd.describe()
    assert "\\u0308" in shown("Zu\u0308rich")
    assert odd_characters("Zu\u0308rich", words=False) == []  # prose may be in any form
