"""Input makers for the bad-input catalogue (`cases/bad_inputs.yaml`).

A maker takes the case's `Inputs` and returns the path of a file or directory it wrote under
`inputs.dir`. Add one with `@maker("name")`; cases then use it as `{name}` in a command.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from riskctl.model.detector import MANIFEST_FILE


@dataclass
class Inputs:
    dir: Path
    history: Path  # labelled history (30k rows)
    scored: Path  # the same, scored
    detector: Path
    strategies: Path
    case: dict[str, Any] = field(default_factory=dict)  # the catalogue entry being run

    def table(self, name: str, df: pl.DataFrame) -> Path:
        path = self.dir / name
        if path.suffix == ".csv":
            df.write_csv(path)
        else:
            df.write_parquet(path)
        return path

    def text(self, name: str, text: str | bytes) -> Path:
        path = self.dir / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def scored_df(self, n: int = 3000) -> pl.DataFrame:
        return pl.read_parquet(self.scored).head(n)


MAKERS: dict[str, Callable[[Inputs], Path]] = {}


def maker(name: str) -> Callable[[Callable[[Inputs], Path]], Callable[[Inputs], Path]]:
    def register(fn: Callable[[Inputs], Path]) -> Callable[[Inputs], Path]:
        MAKERS[name] = fn
        return fn

    return register


STRATEGY = """name: s
actions: [block, review, allow]
thresholds:
  review: {{score: 0.5}}
label: is_bad
{extra}
"""


def strategy_text(extra: str = "", review: str = "0.5") -> str:
    return STRATEGY.format(extra=extra).replace("score: 0.5", f"score: {review}")


# -- good inputs -------------------------------------------------------------------------


@maker("scored")
def _scored(i: Inputs) -> Path:
    return i.table("scored.parquet", i.scored_df())


@maker("history")
def _history(i: Inputs) -> Path:
    return i.table("history.parquet", pl.read_parquet(i.history).head(3000))


@maker("detector")
def _detector(i: Inputs) -> Path:
    return Path(shutil.copytree(i.detector, i.dir / "detector"))


@maker("candidate")
def _candidate(i: Inputs) -> Path:
    return Path(shutil.copy(i.strategies / "candidate.yaml", i.dir / "candidate.yaml"))


@maker("baseline")
def _baseline(i: Inputs) -> Path:
    return Path(shutil.copy(i.strategies / "baseline.yaml", i.dir / "baseline.yaml"))


@maker("reasons")
def _reasons(i: Inputs) -> Path:
    return Path(shutil.copy(i.strategies / "reason_codes.yaml", i.dir / "reason_codes.yaml"))


@maker("simple")
def _simple(i: Inputs) -> Path:
    return i.text("simple.yaml", strategy_text())


@maker("a_file")
def _a_file(i: Inputs) -> Path:
    return i.text("a_file.txt", "not a folder\n")


@maker("a_dir")
def _a_dir(i: Inputs) -> Path:
    path = i.dir / "a_dir"
    path.mkdir()
    (path / "keep.txt").write_text("keep\n")
    return path


@maker("readonly_dir")
def _readonly_dir(i: Inputs) -> Path:
    path = i.dir / "readonly"
    path.mkdir()
    path.chmod(0o555)
    return path


# -- bad scores and labels ------------------------------------------------------------


def _with_scores(i: Inputs, name: str, values: dict[int, float | None]) -> Path:
    df = i.scored_df()
    score = df["score"].to_list()
    for row, value in values.items():
        score[row] = value
    return i.table(name, df.with_columns(pl.Series("score", score, dtype=pl.Float64)))


@maker("nan_scores")
def _nan_scores(i: Inputs) -> Path:
    return _with_scores(i, "nan_scores.parquet", {16: float("nan"), 40: float("nan")})


@maker("inf_scores")
def _inf_scores(i: Inputs) -> Path:
    return _with_scores(i, "inf_scores.parquet", {4: float("inf")})


@maker("neg_inf_scores")
def _neg_inf_scores(i: Inputs) -> Path:
    return _with_scores(i, "neg_inf_scores.parquet", {9: float("-inf")})


@maker("inf_amounts")
def _inf_amounts(i: Inputs) -> Path:
    """The history with an infinite amount (a feature) in two rows, e.g. a ratio over 0."""
    df = pl.read_parquet(i.history).head(3000)
    amount = df["amount"].cast(pl.Float64).to_list()
    amount[7], amount[99] = float("inf"), float("-inf")
    return i.table("inf_amounts.parquet", df.with_columns(pl.Series("amount", amount)))


def _with_amounts(i: Inputs, name: str, values: dict[int, float]) -> Path:
    """The scored table (50 rows) with the given amounts at the given 0-based rows."""
    df = i.scored_df(50)
    amount = df["amount"].cast(pl.Float64).to_list()
    for row, value in values.items():
        amount[row] = value
    return i.table(name, df.with_columns(pl.Series("amount", amount, dtype=pl.Float64)))


for _kind, _values in {
    "nan": {11: float("nan"), 30: float("nan")},
    "inf": {4: float("inf")},
    "neg_inf": {9: float("-inf")},
    "mixed": {2: float("inf"), 6: float("nan"), 20: None},  # null is fine; the others not
    "huge": {3: 1e200, 8: 1e300},  # finite, but no sum of their squares is
}.items():
    for _suffix in ("parquet", "csv"):
        maker(f"{_kind}_amount_{_suffix}")(
            lambda i, k=_kind, v=_values, x=_suffix: _with_amounts(i, f"{k}_amount.{x}", v)
        )


@maker("null_scores")
def _null_scores(i: Inputs) -> Path:
    return _with_scores(i, "null_scores.parquet", {0: None, 1: None, 2: None})


@maker("string_scores")
def _string_scores(i: Inputs) -> Path:
    df = i.scored_df().with_columns(pl.col("score").cast(pl.String))
    return i.table("string_scores.parquet", df)


@maker("nan_scores_csv")
def _nan_scores_csv(i: Inputs) -> Path:
    df = i.scored_df(50).select("order_id", "is_bad", "score", "amount")
    text = df.write_csv().replace(",", ",", 1)
    lines = text.splitlines()
    head, rows = lines[0], lines[1:]
    rows[7] = ",".join(rows[7].split(",")[:2] + ["NaN"] + rows[7].split(",")[3:])
    return i.text("nan_scores.csv", "\n".join([head, *rows]) + "\n")


def _with_labels(i: Inputs, name: str, labels: list[object]) -> Path:
    df = i.scored_df(len(labels))
    return i.table(name, df.with_columns(pl.Series("is_bad", labels)))


@maker("yes_no_labels")
def _yes_no_labels(i: Inputs) -> Path:
    return _with_labels(i, "yes_no.parquet", ["yes", "no"] * 500)


@maker("minus_one_labels")
def _minus_one_labels(i: Inputs) -> Path:
    return _with_labels(i, "minus_one.parquet", [-1, 1] * 500)


@maker("null_labels")
def _null_labels(i: Inputs) -> Path:
    return _with_labels(i, "null_labels.parquet", [None, 0, 1, 0] * 250)


@maker("nan_labels")
def _nan_labels(i: Inputs) -> Path:
    return _with_labels(i, "nan_labels.parquet", [float("nan"), 0.0, 1.0, 0.0] * 250)


@maker("history_yes_no")
def _history_yes_no(i: Inputs) -> Path:
    df = pl.read_parquet(i.history).head(3000)
    labels = pl.when(pl.col("is_bad") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))
    return i.table("history_yes_no.parquet", df.with_columns(labels.alias("is_bad")))


@maker("one_class")
def _one_class(i: Inputs) -> Path:
    df = i.scored_df().with_columns(pl.lit(0, dtype=pl.Int8).alias("is_bad"))
    return i.table("one_class.parquet", df)


@maker("one_row")
def _one_row(i: Inputs) -> Path:
    return i.table("one_row.parquet", i.scored_df(1))


@maker("zero_rows")
def _zero_rows(i: Inputs) -> Path:
    return i.table("zero_rows.parquet", i.scored_df(0))


@maker("bad_time")
def _bad_time(i: Inputs) -> Path:
    df = i.scored_df(200).with_columns(
        pl.Series("event_time", ["not a time"] * 200, dtype=pl.String)
    )
    return i.table("bad_time.parquet", df)


@maker("mixed_time")
def _mixed_time(i: Inputs) -> Path:
    times = ["2024-01-05 10:00:00", "05/01/2024 10:00", "yesterday", "2024-13-45"] * 50
    df = i.scored_df(200).with_columns(pl.Series("event_time", times, dtype=pl.String))
    return i.table("mixed_time.parquet", df)


@maker("numeric_time")
def _numeric_time(i: Inputs) -> Path:
    df = i.scored_df(200).with_columns(pl.lit(3.5).alias("event_time"))
    return i.table("numeric_time.parquet", df)


@maker("string_amount")
def _string_amount(i: Inputs) -> Path:
    df = i.scored_df(200).with_columns(pl.col("amount").cast(pl.String) + " EUR")
    return i.table("string_amount.parquet", df)


@maker("text_in_amount")
def _text_in_amount(i: Inputs) -> Path:
    df = i.scored_df(200).with_columns(pl.col("amount").cast(pl.String))
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 41)
        .then(pl.lit("abc"))
        .otherwise("amount")
        .alias("amount")
    )
    return i.table("text_in_amount.parquet", df)


# -- broken files -------------------------------------------------------------------------


@maker("ragged_csv")
def _ragged_csv(i: Inputs) -> Path:
    return i.text("ragged.csv", "order_id,is_bad,score\n1,0,0.1\n2,1,0.9,extra\n3,0,0.2\n")


@maker("short_row_csv")
def _short_row_csv(i: Inputs) -> Path:
    return i.text("short.csv", "order_id,is_bad,score\n1,0,0.1\n2,1\n3,0,0.2\n")


@maker("dup_header_csv")
def _dup_header_csv(i: Inputs) -> Path:
    return i.text("dup.csv", "order_id,is_bad,score,score\n1,0,0.1,0.2\n2,1,0.9,0.8\n")


@maker("latin1_csv")
def _latin1_csv(i: Inputs) -> Path:
    text = "order_id,is_bad,score,city\n1,0,0.1,München\n2,1,0.9,Köln\n"
    return i.text("latin1.csv", text.encode("latin-1"))


@maker("empty_file_csv")
def _empty_csv(i: Inputs) -> Path:
    return i.text("empty.csv", "")


@maker("binary_parquet")
def _binary_parquet(i: Inputs) -> Path:
    return i.text("garbage.parquet", b"\x00\x01not parquet at all" * 10)


@maker("truncated_parquet")
def _truncated_parquet(i: Inputs) -> Path:
    raw = i.scored.read_bytes()
    return i.text("truncated.parquet", raw[: len(raw) // 2])


@maker("bad_json")
def _bad_json(i: Inputs) -> Path:
    return i.text("bad.ndjson", '{"a": 1}\n{"a": \n')


@maker("unknown_suffix")
def _unknown_suffix(i: Inputs) -> Path:
    return i.text("data.xlsx", "a,b\n1,2\n")


# -- hostile YAML ---------------------------------------------------------------------------


def bomb_text(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in range(levels - 1):
        lines.append(f"b{n}: &b{n} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = f"b{n}"
    return "\n".join(lines) + "\n"


@maker("bomb")
def _bomb(i: Inputs) -> Path:
    return i.text("bomb.yaml", strategy_text() + bomb_text())


@maker("recursive_alias")
def _recursive(i: Inputs) -> Path:
    return i.text("recursive.yaml", strategy_text() + "x: &x [*x]\n")


@maker("dup_threshold")
def _dup_threshold(i: Inputs) -> Path:
    text = strategy_text().replace(
        "  review: {score: 0.5}\n", "  review: {score: 0.5}\n  review: {score: 0.01}\n"
    )
    return i.text("dup_threshold.yaml", text)


@maker("dup_rule_key")
def _dup_rule_key(i: Inputs) -> Path:
    return i.text(
        "dup_rule_key.yaml",
        strategy_text(
            'rules:\n  - name: r\n    when: "amount > 1"\n    action: review\n    action: block\n'
        ),
    )


@maker("python_tag")
def _python_tag(i: Inputs) -> Path:
    return i.text(
        "python_tag.yaml", strategy_text("description: !!python/object/apply:os.system ['true']")
    )


@maker("not_utf8_yaml")
def _not_utf8_yaml(i: Inputs) -> Path:
    return i.text("latin1.yaml", strategy_text("description: München").encode("latin-1"))


@maker("list_yaml")
def _list_yaml(i: Inputs) -> Path:
    return i.text("list.yaml", "- a\n- b\n")


@maker("empty_yaml")
def _empty_yaml(i: Inputs) -> Path:
    return i.text("empty.yaml", "")


@maker("two_docs_yaml")
def _two_docs(i: Inputs) -> Path:
    return i.text("two_docs.yaml", strategy_text() + "---\nname: t\n")


@maker("deep_yaml")
def _deep_yaml(i: Inputs) -> Path:
    return i.text("deep.yaml", strategy_text("description: " + "[" * 3000 + "]" * 3000))


@maker("bomb_catalogue")
def _bomb_catalogue(i: Inputs) -> Path:
    return i.text("bomb_catalogue.yaml", "reasons: {}\n" + bomb_text())


@maker("dup_catalogue")
def _dup_catalogue(i: Inputs) -> Path:
    text = (i.strategies / "reason_codes.yaml").read_text(encoding="utf-8")
    return i.text("dup_catalogue.yaml", text + "reasons: {}\n")


@maker("bomb_model_yaml")
def _bomb_model_yaml(i: Inputs) -> Path:
    return i.text("bomb_model.yaml", "rounds: 5\n" + bomb_text())


@maker("dup_model_yaml")
def _dup_model_yaml(i: Inputs) -> Path:
    return i.text("dup_model.yaml", "rounds: 5\nmax_depth: 3\nrounds: 7\n")


@maker("interactions_model_yaml")
def _interactions_model_yaml(i: Inputs) -> Path:
    return i.text("interactions.yaml", "interactions: [[amount, nope]]\n")


# -- strategies that are valid YAML but wrong -------------------------------------------------


@maker("threshold_above_one")
def _threshold_above_one(i: Inputs) -> Path:
    return i.text("above_one.yaml", strategy_text(review="1.5"))


@maker("string_condition")
def _string_condition(i: Inputs) -> Path:
    return i.text(
        "string_condition.yaml",
        strategy_text('rules:\n  - name: cat_gt\n    when: "category > 5"\n    action: review\n'),
    )


@maker("amount_eq_text")
def _amount_eq_text(i: Inputs) -> Path:
    return i.text(
        "amount_text.yaml",
        strategy_text("rules:\n  - name: amt\n    when: \"amount = 'abc'\"\n    action: review\n"),
    )


@maker("unparsable_condition")
def _unparsable_condition(i: Inputs) -> Path:
    return i.text(
        "unparsable.yaml",
        strategy_text('rules:\n  - name: bad\n    when: "amount >> < 3"\n    action: review\n'),
    )


@maker("non_boolean_condition")
def _non_boolean_condition(i: Inputs) -> Path:
    return i.text(
        "non_boolean.yaml",
        strategy_text('rules:\n  - name: sum\n    when: "amount + 1"\n    action: review\n'),
    )


@maker("unknown_score_column")
def _unknown_score_column(i: Inputs) -> Path:
    return i.text("unknown_score.yaml", strategy_text().replace("{score:", "{scor:"))


@maker("relative_guardrail")
def _relative_guardrail(i: Inputs) -> Path:
    return i.text(
        "relative.yaml",
        strategy_text("guardrails:\n  relative:\n    max_catch_rate_drop: 0.01\n"),
    )


# -- tampered detectors ------------------------------------------------------------------------


def _edit_manifest(i: Inputs, name: str, edit: Callable[[dict], None]) -> Path:
    folder = Path(shutil.copytree(i.detector, i.dir / name))
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    edit(manifest)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
    return folder


def _reverse_categories(m: dict) -> None:
    for f in m["features"]:
        if f.get("categories"):
            f["categories"] = list(reversed(f["categories"]))


@maker("reversed_categories")
def _reversed_categories(i: Inputs) -> Path:
    return _edit_manifest(i, "reversed", _reverse_categories)


@maker("removed_features")
def _removed_features(i: Inputs) -> Path:
    return _edit_manifest(i, "removed", lambda m: m.update(features=m["features"][:2]))


@maker("removed_features_rehashed")
def _removed_features_rehashed(i: Inputs) -> Path:
    from riskctl.model.detector import manifest_digest

    def edit(m: dict) -> None:
        m["features"] = m["features"][:2]
        m["manifest_sha256"] = manifest_digest(m)

    return _edit_manifest(i, "rehashed", edit)


@maker("manifest_not_json")
def _manifest_not_json(i: Inputs) -> Path:
    folder = Path(shutil.copytree(i.detector, i.dir / "notjson"))
    (folder / MANIFEST_FILE).write_text("{not json")
    return folder


@maker("model_truncated")
def _model_truncated(i: Inputs) -> Path:
    folder = Path(shutil.copytree(i.detector, i.dir / "truncated_model"))
    raw = (folder / "model.ubj").read_bytes()
    (folder / "model.ubj").write_bytes(raw[: len(raw) // 3])
    return folder


@maker("model_path_escape")
def _model_path_escape(i: Inputs) -> Path:
    return _edit_manifest(i, "escape", lambda m: m.update(model_file="../../etc/passwd"))


# -- templates -------------------------------------------------------------------------------


def _templates(i: Inputs, body: str) -> Path:
    folder = i.dir / "templates"
    folder.mkdir()
    (folder / "_data.html.j2").write_text(body.replace("{marker}", str(i.dir / "pwned")))
    return folder


@maker("evil_templates")
def _evil_templates(i: Inputs) -> Path:
    return _templates(i, "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}")


@maker("mro_templates")
def _mro_templates(i: Inputs) -> Path:
    return _templates(i, "{{ ''.__class__.__mro__[1].__subclasses__() }}")


@maker("broken_templates")
def _broken_templates(i: Inputs) -> Path:
    return _templates(i, "{% for x in %}")


@maker("undefined_templates")
def _undefined_templates(i: Inputs) -> Path:
    return _templates(i, "{{ ctx.no_such_thing }}")


@maker("divide_templates")
def _divide_templates(i: Inputs) -> Path:
    return _templates(i, "{{ 1 / 0 }}")


@maker("cast_condition")
def _cast_condition(i: Inputs) -> Path:
    return i.text(
        "cast.yaml",
        strategy_text(
            'rules:\n  - name: casty\n    when: "CAST(category AS INT) > 3"\n    action: review\n'
        ),
    )
