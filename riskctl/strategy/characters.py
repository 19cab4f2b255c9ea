"""Characters that make a strategy say something other than what a reviewer reads.

A zero-width space inside `'gift_cards'` makes a rule never fire; a Cyrillic `е` in an action
named `rеview` makes it another action; both look the same on screen and in a diff. This
module finds such characters in raw text, before any parsing:

* invisible characters: format characters (Unicode category Cf: zero-width spaces and
  joiners, the byte-order mark, soft hyphens, bidirectional controls, tag characters),
  spaces other than the ASCII space (no-break and the other width spaces), line and paragraph
  separators, control characters other than tab and newline, variation selectors, and
  letters that draw nothing (Hangul fillers, the blank Braille pattern);
  Invisible means Unicode's Default_Ignorable_Code_Point set (hard-coded below), the
  categories above, and blank glyphs (Braille blank, Khitan filler);
* look-alike characters (`words=True`): a character whose compatibility form is ASCII
  (fullwidth letters, mathematical letters, ligatures, superscripts), a letter that looks
  like an ASCII letter in a word that also has ASCII letters (Latin dotless `ı`, small
  capitals `ꜰ`, turned letters, `ƿ`), a word that mixes scripts (a Cyrillic or Greek letter
  among Latin ones), and an East Asian character drawn like an ASCII one (`〇`, Hangul `ㅇ`)
  in a Latin word with nothing else of its script. Latin may mix with Han, Hiragana,
  Katakana and Hangul, as Japanese and Korean text does;
* decomposed text (`words=True`): text not in composed form (NFC), e.g. `u` + a combining
  diaeresis for `ü`, which never equals the composed text data holds.

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

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (15.1; the set is
# stable): characters a renderer draws as nothing. Most are format characters (Cf), but not
# all: the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian free
# variation selectors and the variation selectors are marks or letters, and so would pass a
# check on the category alone.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels AQ and AA
    (0x180B, 0x180F),  # Mongolian free variation selectors one to four, vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner, LTR and RTL marks
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, isolates, deprecated format
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors 1 to 16
    (0xFEFF, 0xFEFF),  # zero-width no-break space (byte-order mark)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17 to 256, reserved
)
# characters outside that set that draw nothing: the blank Braille pattern, the Khitan
# filler (a mark with no glyph)
_BLANK = {0x2800, 0x16FE4}
# scripts Latin letters may share a word with (Japanese and Korean text mixes them)
_MIXES_WITH_LATIN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}
# characters of those scripts drawn like an ASCII letter or digit: in a Latin word with no
# other character of their script (`h〇me`) they are look-alikes, beside it (`iPhone版`)
# they are text
_EAST_ASIAN_LOOKALIKES = {
    "\u3007": "o",  # ideographic number zero
    "\u3147": "o",  # Hangul ieung
    "\u3131": "7",  # Hangul kiyeok
    "\u3163": "l",  # Hangul i
    "\u3161": "-",  # Hangul eu
    "\u3134": "L",  # Hangul nieun
    "\u30ed": "o",  # Katakana ro
    "\u53e3": "o",  # CJK mouth
    "\u5de5": "I",  # CJK work
    "\u4e28": "l",  # CJK line
    "\u4e00": "-",  # CJK one
    "\u30fc": "-",  # Katakana prolonged sound mark
    "\u30a8": "I",  # Katakana e
    "\u30cb": "=",  # Katakana ni
    "\u30bf": "9",  # Katakana ta
    "\u3127": "l",  # Bopomofo i
    "\u3108": "C",  # Bopomofo f
}
# Latin letters that read as an ASCII one and whose name does not say which
_LATIN_NAMED_OTHERWISE = {"\u01bf": "p", "\u0196": "l", "\u01a6": "R", "\u0185": "b"}


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
        if self.kind == "decomposed":
            return f"a decomposed character, {self.code_point}, which reads as '{self.looks_like}'"
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
    if code in _BLANK or any(low <= code <= high for low, high in _DEFAULT_IGNORABLE):
        return True
    return unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn", "Cs")


@lru_cache(maxsize=4096)
def latin_lookalike(char: str) -> str | None:
    """The ASCII letter a Latin letter outside ASCII reads as, if it reads as one: a look-alike
    listed, a small capital (`ꜰ` LATIN LETTER SMALL CAPITAL F), and any Latin letter whose name
    ends in a bare letter (turned, dotless, script, open...), unless it is an accented letter
    (it decomposes) or carries a visible mark (WITH STROKE, WITH HOOK) or is the sharp s."""
    if char.isascii() or not char.isalpha():
        return None
    like = _LOOKALIKES.get(char) or _LATIN_NAMED_OTHERWISE.get(char)
    if like is not None:
        return like if _script(char) == "LATIN" else None
    name = unicodedata.name(char, "")
    if not name.startswith("LATIN ") or unicodedata.decomposition(char):
        return None
    if " WITH " in name or "SHARP S" in name:
        return None
    last = name.rsplit(" ", 1)[-1]
    if "SMALL CAPITAL" in name or len(last) == 1:
        return last.lower() if "SMALL" in name else last
    return None


def _not_composed(text: str) -> tuple[int, str] | None:
    """Where `text` is not in composed form (NFC), and what that part reads as: a decomposed
    accent (`u` + U+0308 for `ü`) never equals the composed text the data holds."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return None
    for i, c in enumerate(text):
        if not unicodedata.is_normalized("NFC", c):  # a singleton, e.g. ANGSTROM SIGN
            return i, unicodedata.normalize("NFC", c)
        pair = text[i - 1 : i + 1]
        if i and not unicodedata.is_normalized("NFC", pair):
            return i, unicodedata.normalize("NFC", pair)
    first = next(i for i, c in enumerate(text) if not c.isascii())
    return first, unicodedata.normalize("NFC", text[first])


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
    if words and (decomposed := _not_composed(text)) is not None:
        i, composed = decomposed
        found.setdefault(i, OddCharacter(text[i], i, "decomposed", composed))
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
        out += [(i, c, like) for i, c in letters if (like := latin_lookalike(c)) is not None]
        # East Asian characters drawn like ASCII, with nothing else of their script near
        others = [(start + i, c) for i, c in enumerate(word) if not c.isascii() and c != "_"]
        east = [(i, c) for i, c in others if _script(c) in _MIXES_WITH_LATIN]
        if east and all(c in _EAST_ASIAN_LOOKALIKES for _, c in east):
            out += [(i, c, _EAST_ASIAN_LOOKALIKES[c]) for i, c in east]
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
            like = _compatible_ascii(c) or latin_lookalike(c) or _LOOKALIKES.get(c)
            out.append(like or _EAST_ASIAN_LOOKALIKES.get(c, c))
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
