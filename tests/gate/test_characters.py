"""Strategies whose text does not show what it says: invisible and look-alike characters are
refused where the strategy is loaded (validate, check, simulate, diff all load it so)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.errors import ConfigError
from riskctl.escape import code
from riskctl.strategy.characters import (
    action_name_problem,
    ascii_lookalike,
    is_invisible,
    odd_characters,
    shown,
)
from riskctl.strategy.load import load_strategy
from riskctl.strategy.schema import Strategy

runner = CliRunner()

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u00a0",  # no-break space
    "\u202f",  # narrow no-break space
    "\u2009",  # thin space
    "\u3000",  # ideographic space
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u061c",  # Arabic letter mark
    "\u180e",  # Mongolian vowel separator
    "\u3164",  # Hangul filler
    "\u2800",  # Braille blank
    "\ufe0f",  # variation selector
    "\U000e0041",  # tag latin capital letter A
    "\x01",  # a control character
    "\u2028",  # line separator
]
# a look-alike of one ASCII letter of `gift_cards` (or `toys`), and what it reads as
LOOKALIKES = [
    ("gift_c\u0430rds", "\u0430", "gift_cards"),  # Cyrillic a
    ("gift_cards".replace("c", "\u0441"), "\u0441", "gift_cards"),  # Cyrillic es, twice
    ("t\u03bfys", "\u03bf", "toys"),  # Greek omicron
    ("g\u0131ft_cards", "\u0131", "gift_cards"),  # Latin dotless i
    ("\uff47ift_cards", "\uff47", "gift_cards"),  # fullwidth g
    ("\uff47\uff49\uff46\uff54", "\uff47", "gift"),  # fullwidth throughout
    ("gift_\U0001d41cards", "\U0001d41c", "gift_cards"),  # mathematical bold c
    ("G\u0399FT", "\u0399", "GIFT"),  # Greek capital iota
    ("gift_c\u0251rds", "\u0251", "gift_cards"),  # Latin alpha
    ("\u0455ports", "\u0455", "sports"),  # Cyrillic dze
]
# text in other languages that is what it shows: never refused
GENUINE = ["Zürich", "Москва", "Αθήνα", "東京", "iPhone版", "café", "naïve", "ส้มตำ", "amount > 5"]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_invisible_character_is_found(char: str) -> None:
    text = f"category = 'gift{char}_cards'"
    (odd,) = odd_characters(text)
    assert odd.kind == "invisible" and odd.position == text.index(char)
    assert odd.code_point.startswith(f"U+{ord(char):04X} ")
    assert is_invisible(char)
    assert "\u2028" in char or ascii_lookalike(text).replace(" ", "") == "category='gift_cards'"


@pytest.mark.parametrize(("word", "char", "meant"), LOOKALIKES, ids=lambda v: ascii(v)[:20])
def test_every_lookalike_is_found_with_what_it_reads_as(word: str, char: str, meant: str) -> None:
    odd = odd_characters(f"category = '{word}'")
    assert odd and all(o.kind == "look-alike" for o in odd)
    assert odd[0].char == char
    assert ascii_lookalike(word) == meant
    assert code(char) in shown(word)


@pytest.mark.parametrize("text", GENUINE)
def test_text_that_is_what_it_shows_is_never_flagged(text: str) -> None:
    assert odd_characters(text) == []
    # decomposed accents never equal the composed text data holds: refused, saying so
    nfd = unicodedata.normalize("NFD", text)
    assert odd_characters(nfd) == [] if nfd == text else odd_characters(nfd)[0].kind == "decomposed"


def test_ordinary_whitespace_is_not_invisible() -> None:
    assert odd_characters("a > 1\n\tAND b < 2\r\n") == []


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("r\u0435view", "review"),
        ("bl\u03bfck", "block"),
        ("rev\u0131ew", "review"),
        ("\uff52eview", "review"),
        ("rev\u200biew", "review"),
        ("\ufeffallow", "allow"),
        ("re\u00adview", "review"),
    ],
)
def test_an_action_name_must_be_ascii_and_the_fix_names_it(name: str, meant: str) -> None:
    problem = action_name_problem(name)
    assert problem is not None
    message, fix = problem
    assert "action names must be ASCII" in message and "U+" in message
    assert f"did you mean '{meant}'" in fix


@pytest.mark.parametrize("name", ["review", "block", "manual-review", "step_up_2fa", "Hold"])
def test_ascii_action_names_are_fine(name: str) -> None:
    assert action_name_problem(name) is None


@pytest.mark.parametrize("name", ["2fa", "re view", "", "a/b"])
def test_an_action_that_is_not_a_name_is_refused(name: str) -> None:
    assert action_name_problem(name) is not None


def test_the_hazard_is_real_without_the_check() -> None:
    """Controls: what the refusals prevent. A look-alike `review` is not counted as a
    review, and a literal with a zero-width space matches nothing."""
    spoofed = Strategy.model_validate(
        {"name": "s", "actions": ["block", "r\u0435view", "allow"], "label": "is_bad"}
    )
    assert spoofed.review_actions == []  # review load 0, the capacity guardrail holds
    frame = pl.DataFrame({"category": ["gift_cards"] * 3})
    assert frame.filter(pl.sql_expr("category = 'gift_cards'")).height == 3
    assert frame.filter(pl.sql_expr("category = 'gift\u200b_cards'")).height == 0


BASE = (
    "name: s\nactions: [block, review, allow]\nthresholds:\n  review: {score: 0.5}\nlabel: is_bad\n"
)


@pytest.mark.parametrize(
    ("extra", "line", "words"),
    [
        ('rules:\n  - {name: r, when: "category = \'gift\\u200b_cards\'", action: block}\n', 7,
         ["rule 'r': when", "U+200B ZERO WIDTH SPACE", "retype it as `'gift_cards'`"]),
        ('segments:\n  - name: "\\u0441ards"\n    when: "amount > 1"\n'
         "    thresholds: {review: {score: 0.9}}\n", 7, ["U+0441 CYRILLIC SMALL LETTER ES"]),
        ('description: "a \\u202e b"\n', 6, ["U+202E RIGHT-TO-LEFT OVERRIDE", "delete it"]),
        ('time: "event\\u00a0time"\n', 6, ["U+00A0 NO-BREAK SPACE"]),
        ('history: {decision: "prod_\\u0430ction"}\n', 6, ["U+0430 CYRILLIC SMALL LETTER A"]),
    ],
)  # fmt: skip
def test_every_text_of_a_strategy_is_checked_with_its_line(
    tmp_path: Path, extra: str, line: int, words: list[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE + extra)
    with pytest.raises(ConfigError) as err:
        load_strategy(path)
    assert err.value.location is not None and err.value.location.line == line
    for word in words:
        assert word in str(err.value)


def test_prose_may_be_in_any_script(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    rule = "rules:\n  - {name: r, when: 'amount > 5', action: block, reason: 'Покупка gift-карт'}\n"
    path.write_text(BASE + "description: Стратегия для Zürich и 東京\n" + rule)
    assert load_strategy(path).strategy.rules[0].reason == "Покупка gift-карт"


def test_validate_github_annotates_the_line_of_the_odd_literal(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        BASE + "rules:\n  - name: r\n    when: \"category = 'gift\\u2060_cards'\"\n"
        "    action: block\n"
    )
    for extra in ([], ["--format", "github"]):
        result = runner.invoke(app, ["validate", str(path), *extra])
        assert result.exit_code == 2, result.output
        assert "U+2060 WORD JOINER" in result.output
    assert f"::error file={path},line=8::" in result.output
    assert "\u2060" not in result.output  # the message shows it, not the character itself


def test_diff_refuses_a_lookalike_action_rather_than_show_no_change(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE)
    new.write_text(BASE.replace("review", "r\u0435view"))
    result = runner.invoke(app, ["diff", str(old), str(new)])
    assert result.exit_code == 2, result.output
    assert "U+0435 CYRILLIC SMALL LETTER IE" in result.output
    assert "did you mean 'review'" in result.output


def _naive(text: str) -> list[tuple[int, str, str]]:
    """The oracle: every character judged one by one, every word looked at."""
    from riskctl.strategy.characters import WORD, _compatible_ascii, _mixed_word

    found: dict[int, tuple[int, str, str]] = {}
    for i, c in enumerate(text):
        if is_invisible(c):
            found[i] = (i, c, "invisible")
        elif _compatible_ascii(c) is not None:
            found[i] = (i, c, "look-alike")
    for match in WORD.finditer(text):
        for i, c, _ in _mixed_word(match.group(), match.start()):
            found.setdefault(i, (i, c, "look-alike"))
    return [found[i] for i in sorted(found)]


def test_the_quick_scan_finds_what_looking_at_every_character_finds() -> None:
    import random

    pool = list("abcio_ 'XYZ=()0129") + list("аеоіЖжΑοεβ東版üéñı") + INVISIBLE[:8] + ["ｇ", "ｃ"]
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        expected = _naive(text)
        got = [(o.position, o.char, o.kind) for o in odd_characters(text)]
        assert got == expected, ascii(text)
        assert [(o.position, o.char, o.kind) for o in odd_characters(text, first=True)] == (
            expected[:1]
        ), ascii(text)


def test_a_long_condition_with_genuine_words_in_another_script_is_fine() -> None:
    """1.3 MB of Cyrillic values beside ASCII names (scanned in about 0.6 s; one character
    at a time it took 12 s)."""
    values = ", ".join(f"'Москва_{i}'" for i in range(100_000))
    assert odd_characters(f"city IN ({values})") == []
    assert odd_characters(f"city IN ({values}, 'g\u0131ft')", first=True)[0].char == "\u0131"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("country = '\u0421\u0410'", [("\u0421\u0410", "CA", "Cyrillic")]),  # Cyrillic СА
        ("c = '\u039f\u039a'", [("\u039f\u039a", "OK", "Greek")]),  # Greek ΟΚ
        ("city = 'Москва'", []),  # к and в differ from k and b
        ("category = 'gift_cards'", []),
        ("city = '東京'", []),
    ],
)
def test_words_wholly_in_lookalike_letters_are_found(text: str, expected: list) -> None:
    from riskctl.strategy.characters import lookalike_words

    assert lookalike_words(text) == expected


def test_validate_warns_about_a_literal_wholly_in_lookalike_letters(tmp_path: Path) -> None:
    """A genuine word may be made of such letters, so it is a warning (exit 0)."""
    path = tmp_path / "s.yaml"
    path.write_text(
        BASE + "rules:\n  - name: ca\n    when: \"country = '\\u0421\\u0410'\"\n    action: block\n"
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert f"{path}:8: warning: rule 'ca':" in words
    assert "wholly in Cyrillic letters that look like `CA`" in words


def test_a_file_saved_with_a_byte_order_mark_and_windows_line_ends_loads(tmp_path: Path) -> None:
    """What editors write around the text is not in it: only a BOM inside a value counts."""
    path = tmp_path / "s.yaml"
    rule = (
        "rules:\n  - name: r\n    when: >\n      amount > 5\n      AND\tamount < 9\n"
        "    action: block\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + (BASE + rule).replace("\n", "\r\n").encode())
    assert load_strategy(path).strategy.rules[0].name == "r"


def test_a_name_with_a_line_break_is_refused_on_one_annotation_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        BASE + 'rules:\n  - name: "ok\\n::error file=x::PASSED"\n    when: amount > 5\n'
        "    action: block\n"
    )
    result = runner.invoke(app, ["validate", str(path), "--format", "github"])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"::error file={path},line=7::")
    assert "U+000A LINE FEED" in line and "ok\\n::error file=x::PASSED" in line


def test_conditions_and_prose_may_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        BASE + "description: |\n  line one\n  line two\n"
        "rules:\n  - name: r\n    when: |\n      amount > 5\n      AND amount < 9\n"
        "    action: block\n    reason: |\n      two\n      lines\n"
    )
    assert load_strategy(path).strategy.rules[0].reason == "two\nlines\n"
