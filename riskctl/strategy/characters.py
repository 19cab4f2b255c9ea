"""Characters that make a strategy say something other than what a reviewer reads.

A zero-width space inside `'gift_cards'` makes a rule never fire; a Cyrillic `е` in an action
named `rеview` makes it another action; both look the same on screen and in a diff. This
module finds such characters in raw text, before any parsing:

* invisible characters: format characters (Unicode category Cf: zero-width spaces and
  joiners, the byte-order mark, soft hyphens, bidirectional controls, tag characters),
  spaces other than the ASCII space (no-break and the other width spaces), line and paragraph
  separators, control characters other than tab and newline, variation selectors, and
  letters that draw nothing (Hangul fillers, the blank Braille pattern);
* look-alike characters (`words=True`): a character whose compatibility form is ASCII
  (fullwidth letters, mathematical letters, ligatures, superscripts), a letter that looks
  like an ASCII letter in a word that also has ASCII letters (Latin dotless `ı`, small
  capitals), and a word that mixes scripts (a Cyrillic or Greek letter among Latin ones).
  Latin may mix with Han, Hiragana, Katakana and Hangul, as Japanese and Korean text does.

`ascii_lookalike` says what a look-alike text was probably meant to read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from riskctl.escape import code

# letters that look like an ASCII letter and have no compatibility mapping to it
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "ү": "y", "ɡ": "g", "ѡ": "w", "ь": "b", "п": "n", "т": "t", "м": "m", "к": "k",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q",
    "Ԝ": "W", "Һ": "H", "Ӏ": "I", "Ү": "Y", "З": "3",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "μ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "զ": "q", "ա": "w",
    # Latin letters that are not ASCII but read as ASCII
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ɪ": "i", "ʏ": "y", "ᴀ": "a", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ᴋ": "k", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u",
    "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ꜱ": "s", "ʀ": "r", "ɢ": "g", "ʜ": "h", "ʟ": "l",
    "ɴ": "n", "ǀ": "l", "ɛ": "e", "ɔ": "c", "ʋ": "u", "ꞵ": "b",
}  # fmt: skip

# the look-alikes that are drawn the same as an ASCII letter (the others above differ a
# little, e.g. Cyrillic `к` and `в`): a word made only of these reads as ASCII
_IDENTICAL = set(
    "аеорсухѕіјԁһӏԛԝАВЕКМНОРСТХІЈЅԚԜҮҺӀ"  # Cyrillic
    "ονϲϳΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ"  # Greek
    "օսհո"  # Armenian
)

# letters that draw nothing although they are not format characters
_BLANK_LETTERS = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x180E}
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
# scripts Latin letters may share a word with (Japanese and Korean text mixes them)
_MIXES_WITH_LATIN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}


@dataclass(frozen=True)
class OddCharacter:
    """One character that does not show what it is, at `position` (0-based) in the text."""

    char: str
    position: int
    kind: str  # "invisible" or "look-alike"
    looks_like: str  # the ASCII text it reads as ("" for an invisible character)

    @property
    def code_point(self) -> str:
        """`U+0435 CYRILLIC SMALL LETTER IE`."""
        return f"U+{ord(self.char):04X} {_name(self.char)}"

    def describe(self) -> str:
        if self.kind == "line break":
            return f"a line break or tab, {self.code_point}"
        if self.kind == "invisible":
            return f"an invisible character, {self.code_point}"
        if not self.looks_like:
            return f"{self.code_point}, not ASCII"
        return f"{self.code_point}, which looks like '{self.looks_like}'"


_CONTROL_NAMES = {"\t": "CHARACTER TABULATION", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}


def _name(char: str) -> str:
    """The character's Unicode name (control characters have none there)."""
    if char in _CONTROL_NAMES:
        return _CONTROL_NAMES[char]
    if unicodedata.category(char) == "Cc":
        return "CONTROL CHARACTER"
    return unicodedata.name(char, "UNNAMED CHARACTER")


@lru_cache(maxsize=4096)
def is_invisible(char: str) -> bool:
    """True for a character that shows as nothing, or as an ordinary space, but is not one."""
    if char in "\t\n\r ":
        return False
    code = ord(char)
    if code in _BLANK_LETTERS or any(code in r for r in _VARIATION_SELECTORS):
        return True
    return unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn", "Cs")


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    """The script of a letter, from its Unicode name (LATIN, CYRILLIC, GREEK, CJK...)."""
    name = unicodedata.name(char, "")
    for prefix in ("FULLWIDTH ", "HALFWIDTH ", "MATHEMATICAL ", "SMALL "):
        name = name.removeprefix(prefix)
    return name.split(" ")[0] if name else "UNKNOWN"


@lru_cache(maxsize=4096)
def _compatible_ascii(char: str) -> str | None:
    """The ASCII text a character's compatibility form is (fullwidth `ｇ` is `g`), if any."""
    if char.isascii():
        return None
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and folded.isascii() and folded.strip():
        return folded
    return None


# characters worth a closer look: anything but printable ASCII, tab and newlines
_UNUSUAL = re.compile(r"[^\x20-\x7e\t\n\r]")
# a word: letters, digits and `_`, and any other character outside ASCII but spaces (an
# invisible character inside a word does not part it on screen)
WORD = re.compile(r"(?:\w|[^\x00-\x7f\s])+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_BREAK = re.compile(r"[\t\n\r]")


def odd_characters(
    text: str, words: bool = True, first: bool = False, one_line: bool = False
) -> list[OddCharacter]:
    """Every invisible character in `text`, and with `words`, every look-alike one (see the
    module's docstring), in order of position; with `one_line` (a name), tabs and line
    breaks too; `first`: the first one only. Each distinct character is judged once, and
    only words with a character outside ASCII are looked at, so long text is quick."""
    found: dict[int, OddCharacter] = {}
    if one_line and (brk := _BREAK.search(text)) is not None:
        found[brk.start()] = OddCharacter(brk.group(), brk.start(), "line break", "")
    distinct = set(_UNUSUAL.findall(text))
    odd: dict[str, OddCharacter] = {}
    for c in distinct:
        if is_invisible(c):
            odd[c] = OddCharacter(c, 0, "invisible", "")
        elif words and (ascii_form := _compatible_ascii(c)) is not None:
            odd[c] = OddCharacter(c, 0, "look-alike", ascii_form)
    if odd:
        for match in re.finditer("|".join(map(re.escape, odd)), text):
            i, template = match.start(), odd[match.group()]
            found[i] = OddCharacter(template.char, i, template.kind, template.looks_like)
            if first:
                break
    if words and distinct:
        scripts = {_script(c) for c in distinct if c.isalpha()} - _MIXES_WITH_LATIN
        # with one script outside ASCII, a word mixes scripts only if it has ASCII letters
        every_word = len(scripts) > 1
        for match in WORD.finditer(text):
            if first and found and match.start() > min(found):
                break
            word = match.group()
            if not word.isascii() and (every_word or _ASCII_LETTER.search(word)):
                for i, c, like in _mixed_word(word, match.start()):
                    found.setdefault(i, OddCharacter(c, i, "look-alike", like))
    return [found[i] for i in sorted(found)][: 1 if first else None]


def _mixed_word(word: str, start: int) -> list[tuple[int, str, str]]:
    """The letters of one word that break its script: look-alikes of ASCII letters among
    ASCII letters, and the letters of a second script (Cyrillic among Latin)."""
    letters = [(start + i, c) for i, c in enumerate(word) if c.isalpha()]
    has_ascii = any(c.isascii() for _, c in letters)
    out = []
    if has_ascii:
        out += [
            (i, c, _LOOKALIKES[c]) for i, c in letters if c in _LOOKALIKES and _script(c) == "LATIN"
        ]
    scripts: dict[str, list[tuple[int, str]]] = {}
    for i, c in letters:
        script = _script(c)
        if script not in _MIXES_WITH_LATIN:
            scripts.setdefault(script, []).append((i, c))
    if len(scripts) > 1:
        # the letters of the smaller scripts stand out: 'rеview' is Latin with one Cyrillic
        main = max(scripts, key=lambda s: (len(scripts[s]), s == "LATIN"))
        for script, chars in scripts.items():
            if script != main:
                out += [(i, c, _LOOKALIKES.get(c, "")) for i, c in chars]
    return out


def lookalike_words(text: str) -> list[tuple[str, str, str]]:
    """Words written wholly in another script whose every letter looks like an ASCII one
    (`СА` in Cyrillic reads as `CA`): (word, what it reads as, its script). Such a word may
    be genuine (a Russian word), so this is for a warning, not a refusal."""
    out: list[tuple[str, str, str]] = []
    if text.isascii():
        return out
    for match in WORD.finditer(text):
        word = match.group()
        letters = [c for c in word if c.isalpha()]
        if not letters or word.isascii() or any(c.isascii() for c in letters):
            continue
        if all(c in _IDENTICAL for c in letters):
            out.append((word, ascii_lookalike(word), _script(letters[0]).capitalize()))
    return out


def ascii_lookalike(text: str) -> str:
    """`text` as it reads on screen: invisible characters dropped, look-alikes replaced by the
    ASCII they resemble (`rеview` -> `review`)."""
    out = []
    for c in text:
        if is_invisible(c):
            out.append(" " if unicodedata.category(c) == "Zs" else "")
        else:
            out.append(_compatible_ascii(c) or _LOOKALIKES.get(c, c))
    return "".join(out)


def shown(text: str) -> str:
    """`text` with every invisible or look-alike character, tab and line break written as its
    code (`\\u0435`, `\\n`, as riskctl writes every character a reader cannot see), so a
    one-line message shows where it is."""
    odd = {o.position for o in odd_characters(text)} | {m.start() for m in _BREAK.finditer(text)}
    return "".join(code(c) if i in odd else c for i, c in enumerate(text))


ACTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def action_name_problem(name: str) -> tuple[str, str] | None:
    """Why `name` cannot be an action, and the fix; None when it can. Actions are ASCII
    letters, digits, `_` and `-`, beginning with a letter: a look-alike letter would make
    another action that reads the same (`rеview` is not `review`, so it is not counted as
    a review)."""
    if ACTION_NAME.match(name):
        return None
    odd = next((c for c in name if not c.isascii() or is_invisible(c)), None)
    if odd is None:
        return (
            f"action '{shown(name)}' is not a name: use ASCII letters, digits, '_' or '-', "
            "beginning with a letter",
            "e.g. block, review, allow",
        )
    if is_invisible(odd):
        found = OddCharacter(odd, 0, "invisible", "")
    else:
        like = _compatible_ascii(odd) or _LOOKALIKES.get(odd, "")
        found = OddCharacter(odd, 0, "look-alike", like)
    intended = ascii_lookalike(name)
    fix = (
        f"did you mean '{intended}'? Retype the name in ASCII"
        if ACTION_NAME.match(intended)
        else "retype the name in ASCII letters, digits, '_' or '-'"
    )
    return (
        f"action '{shown(name)}' holds {found.describe()}: action names must be ASCII",
        fix,
    )
