"""The one YAML loader: duplicate keys, alias bombs and the like are refused with file:line."""

from pathlib import Path

import pytest

from riskctl.errors import ConfigError
from riskctl.safeyaml import MAX_NODES, parse_yaml
from riskctl.strategy.write import set_thresholds

P = Path("s.yaml")


def bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    prev = "a"
    for i in range(levels - 1):
        name = f"l{i}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_without_expanding() -> None:
    # 9 ** 9 strings if expanded: the check counts each written node once, so this returns
    with pytest.raises(ConfigError, match="aliases expand this document"):
        parse_yaml(bomb(), P)


def test_modest_aliases_are_fine() -> None:
    data, _ = parse_yaml("base: &b {score: 0.5}\nother: *b\n", P)
    assert data == {"base": {"score": 0.5}, "other": {"score": 0.5}}


def test_expansion_just_under_the_limit_loads() -> None:
    data, _ = parse_yaml(bomb(levels=2, width=300), P)
    assert len(data["l0"]) == 300 and MAX_NODES > 300 * 300


@pytest.mark.parametrize(
    ("text", "line", "first"),
    [
        ("a: 1\nb:\n  x: 1\n  x: 2\n", 4, 3),
        ("a: 1\na: 2\n", 2, 1),
        ("t: {review: 0.5, review: 0.01}\n", 1, 1),
    ],
)
def test_duplicate_keys_name_both_lines(text: str, line: int, first: int) -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, P)
    assert str(info.value).startswith(f"s.yaml:{line}: duplicate key")
    assert f"also at line {first}" in str(info.value)


def test_merge_keys_may_be_overridden() -> None:
    data, _ = parse_yaml("b: &b {x: 1}\nc:\n  <<: *b\n  x: 2\n", P)
    assert data["c"] == {"x": 2}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &a [*a]\n", "alias refers to the node that contains it"),
        ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("a: 1\n---\nb: 2\n", "not valid YAML"),
        ("[" * 5000 + "]" * 5000, "not valid YAML"),
    ],
)
def test_hostile_documents(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_yaml(text, P)


def test_round_trip_writes_use_the_same_checks(tmp_path: Path) -> None:
    src = tmp_path / "s.yaml"
    src.write_text(
        "name: s\nactions: [review, allow]\nthresholds:\n  review: {score: 0.5}\n" + bomb()
    )
    out = tmp_path / "out.yaml"
    with pytest.raises(ConfigError, match="aliases expand"):
        set_thresholds(src, out, [("review", "score", 0.4)])
    assert not out.exists()


SCALARS = [
    *("yes", "No", "ON", "off", "true", "False", "y", "n", "Y"),
    *("1", "-0", "0777", "08", "0x1F", "0b101", "1_000", "12:30:00", "1:20", "+1"),
    *("1.5", "1e3", "1.0e3", "1.0e+3", "1.5e-3", ".5", "1.", "-.inf", ".NaN", "190:20:30.15"),
    *("", "~", "null", "NULL", "Null", "2024-01-01", "2024-01-01 10:00:00", "2024-1-1"),
    *("2024-01-01T10:00:00Z", "2024-01-01 10:00:00 +02:00", "'yes'", '"1"', "!!str 1"),
    *("!!float 1", "!!binary aGk=", "[1, y, no]", "{a: 1}", "0o17", "1,000", "=x"),
]


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalars_are_typed_as_yaml_1_1(scalar: str) -> None:
    """`yes`/`no`/`on`/`off` are booleans, `y`/`n` and `1e3` are text, `0777` is octal:
    the same values as PyYAML's safe loader (an independent implementation) reads."""
    yaml = pytest.importorskip("yaml")
    want = yaml.safe_load(f"k: {scalar}\n")["k"]
    got = parse_yaml(f"k: {scalar}\n", P)[0]["k"]
    assert got == want or (got != got and want != want)  # NaN equals nothing
    assert type(got) is type(want)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_version_directive_does_not_change_the_rules(version: str) -> None:
    assert parse_yaml(f"%YAML {version}\n---\nk: [yes, 1e3, 0777]\n", P)[0] == {
        "k": [True, "1e3", 511]
    }
