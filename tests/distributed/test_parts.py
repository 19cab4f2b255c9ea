"""Datasets whose parts are not all alike: empty parts, parts whose columns differ from the
first part's, bad values in one part, scores that are not numbers in one part, and outputs
inside the input dataset."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from riskctl.cli.app import app
from tests.distributed.conftest import assert_same, json_of, split_parts

runner = CliRunner()


def invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


def one_line(result: object) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1, result.output  # type: ignore[attr-defined]
    return lines[0]


@pytest.fixture(scope="module")
def with_empty_parts(small_scored: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scored table with an empty part first and another in the middle."""
    root = tmp_path_factory.mktemp("empty_parts")
    return split_parts(pl.read_parquet(small_scored), root, (0, 4_000, 0, 6_000))


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "CAND", "--baseline", "BASE", "--by", "segment"],
        ["check", "CAND"],
        ["sweep", "--score", "score", "--label", "is_bad", "--amount", "amount"],
        ["sweep", "--strategy", "CAND"],
    ],
    ids=["simulate", "check", "sweep", "sweep-strategy"],
)
def test_empty_parts_add_nothing(
    command, with_empty_parts, small_scored, address, example_strategies
):
    names = {"CAND": "candidate.yaml", "BASE": "baseline.yaml"}
    command = [str(example_strategies / names[c]) if c in names else c for c in command]
    one = invoke(*command, "--data", small_scored, "--json")
    two = invoke(*command, "--data", with_empty_parts, "--json", "--scheduler", address)
    assert one.exit_code in (0, 1) and two.exit_code == one.exit_code, two.output
    a, b = json_of(one.output), json_of(two.output)
    if isinstance(a, dict):
        a.pop("data", None), b.pop("data", None)
    assert_same(a, b)


def test_empty_parts_score_like_one_machine(detector, small_history, address, tmp_path, workdir):
    parts = split_parts(pl.read_parquet(small_history), tmp_path / "parts", (0, 6_000, 4_000))
    det = workdir / "detector"
    one = invoke("score", det, small_history, "--out", tmp_path / "one.parquet", "-q")
    two = invoke("score", det, parts, "--out", tmp_path / "two", "-q", "--scheduler", address)
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    scored = pl.read_parquet(sorted((tmp_path / "two").glob("*.parquet")))
    assert scored.equals(pl.read_parquet(tmp_path / "one.parquet"))


@pytest.mark.parametrize(
    "command",
    [["simulate", "CAND"], ["sweep", "--score", "score", "--label", "is_bad"]],
    ids=["simulate", "sweep"],
)
def test_a_dataset_of_empty_parts_is_refused(
    command, small_scored, address, tmp_path, example_strategies
):
    empty = pl.read_parquet(small_scored).head(0)
    parts = split_parts(empty, tmp_path / "parts", (0, 0))
    command = [str(example_strategies / "candidate.yaml") if c == "CAND" else c for c in command]
    result = invoke(*command, "--data", parts, "--scheduler", address)
    assert result.exit_code == 2, result.output
    assert f"{parts}: no rows to evaluate on" in one_line(result)


def _differing(small_scored: Path, root: Path, change: pl.Expr | None, drop: str | None) -> Path:
    df = pl.read_parquet(small_scored)
    parts = split_parts(df, root, (3_000, 4_000, 3_000))
    second = parts / "day=2" / "part-0.parquet"
    table = pl.read_parquet(second)
    table = table.with_columns(change) if change is not None else table.drop(drop)
    table.write_parquet(second)
    return parts


@pytest.mark.parametrize("how", ["text", "missing"])
@pytest.mark.parametrize("command", ["simulate", "sweep", "explain"])
def test_a_part_unlike_the_first_is_named(
    how, command, small_scored, address, tmp_path, workdir, example_strategies
):
    change = pl.col("amount").cast(pl.String) if how == "text" else None
    drop = None if change is not None else "amount"
    parts = _differing(small_scored, tmp_path / "parts", change, drop)
    args = {
        "simulate": ["simulate", example_strategies / "candidate.yaml", "--data", parts],
        "sweep": ["sweep", "--data", parts, "--score", "score", "--label", "is_bad"]
        + ["--amount", "amount"],
        "explain": ["explain", workdir / "detector", parts, "--out", tmp_path / "out"],
    }[command]
    result = invoke(*args, "--scheduler", address)
    assert result.exit_code == 2, result.output
    line = one_line(result)
    first = parts.resolve() / "day=1" / "part-0.parquet"
    second = parts.resolve() / "day=2" / "part-0.parquet"
    assert line.startswith(f"error: {second}: ") and f"first part {first}" in line, line
    assert "'amount'" in line and "did you mean" not in line
    assert ("holds String (text), but Float64 (numbers)" if how == "text" else "no column") in line
    assert not (tmp_path / "out").exists()


def test_a_bad_value_in_a_part_names_the_part_not_the_strategy(
    small_scored, address, tmp_path, example_strategies
):
    df = pl.read_parquet(small_scored).with_columns(pl.col("amount").cast(pl.String))
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 5_010)
        .then(pl.lit("abc"))
        .otherwise(pl.col("amount"))
        .alias("amount")
    )
    parts = split_parts(df, tmp_path / "parts", (3_000, 4_000, 3_000))
    candidate, baseline = (
        example_strategies / "candidate.yaml",
        example_strategies / "baseline.yaml",
    )
    result = invoke(
        "simulate", candidate, "--baseline", baseline, "--data", parts, "--scheduler", address
    )
    assert result.exit_code == 2, result.output
    line = one_line(result)
    part = parts.resolve() / "day=2" / "part-0.parquet"
    # row 5,011 of the table is data row 2,011 of its part
    assert line.startswith(f"error: {part}: column 'amount' has 1 values that are not numbers")
    assert "first at data row 2,011: 'abc'" in line and "candidate.yaml" not in line


@pytest.mark.parametrize("value", [float("nan"), None, float("inf")], ids=["nan", "null", "inf"])
def test_sweep_refuses_a_score_that_is_not_a_number_in_any_part(
    value, small_scored, address, tmp_path
):
    df = pl.read_parquet(small_scored)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 3_007)
        .then(pl.lit(value, dtype=pl.Float64))
        .otherwise(pl.col("score"))
        .alias("score")
    )
    single = tmp_path / "one.parquet"
    df.write_parquet(single)
    parts = split_parts(df, tmp_path / "parts", (3_000, 4_000, 3_000))
    args = ["sweep", "--score", "score", "--label", "is_bad", "--json", "--all-points"]
    one = invoke(*args, "--data", single)
    two = invoke(*args, "--data", parts, "--scheduler", address)
    assert one.exit_code == two.exit_code == 2, two.output
    part = parts.resolve() / "day=2" / "part-0.parquet"
    line = one_line(two)
    assert line.startswith(f"error: {part}: score column 'score' has 1 missing, NaN or infinite")
    assert "first at data row 8)" in line
    assert "score column 'score' has 1 missing, NaN or infinite" in one_line(one)


@pytest.mark.parametrize("command", ["score", "explain", "simulate", "features"])
def test_out_inside_the_input_dataset_is_refused_before_any_work(
    command, scored_parts, workdir, tmp_path, example_strategies
):
    """Refused before the cluster is even reached (nothing listens at the address)."""
    parts = tmp_path / "parts"
    for part in scored_parts.rglob("*.parquet"):
        target = parts / part.relative_to(scored_parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(part.read_bytes())
    before = sorted(str(p) for p in parts.rglob("*"))
    out = parts / "day=9" / "scored"
    spec = tmp_path / "f.yaml"
    spec.write_text("entity: buyer_id\ntime: event_time\nfeatures:\n  - {name: n, count: 1h}\n")
    args = {
        "score": ["score", workdir / "detector", parts, "--out", out, "--keep-all"],
        "explain": ["explain", workdir / "detector", parts, "--out", out],
        "simulate": ["simulate", example_strategies / "candidate.yaml", "--data", parts]
        + ["--out", out],
        "features": ["features", spec, "--data", parts, "--out", out],
    }[command]
    result = invoke(*args, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert f"--out {out} is inside the input dataset {parts}" in line, line
    assert "read as input the next time" in line
    assert sorted(str(p) for p in parts.rglob("*")) == before


def test_which_outputs_a_dataset_would_take_in(tmp_path):
    from riskctl.distributed.parts import refuse_inside
    from riskctl.errors import UsageError

    data = tmp_path / "data"
    (data / "day=1").mkdir(parents=True)

    def refused(source: str, out: str, folders: tuple[str, ...] = ("",)) -> bool:
        try:
            refuse_inside(tmp_path / out, [source.format(d=data)], folders)
        except UsageError:
            return True
        return False

    assert refused("{d}", "data/scored") and refused("{d}", "data/day=1/x")
    assert refused("{d}", "data")  # (said as: would overwrite the input)
    assert not refused("{d}", "data2") and not refused("{d}", "out")
    assert not refused("{d}", "data/.scratch/x") and not refused("{d}", "data/_tmp")
    assert refused("{d}/*/*.parquet", "data/scored")
    assert not refused("{d}/*.parquet", "data/scored")  # its parts are one level deeper
    assert refused("{d}/*/*.parquet", "data", ("decisions",))
    assert refused("{d}/**/*.parquet", "data/a/b/c")
    assert not refused("{d}/day=1/part-0.parquet", "data/day=1/scored")  # one file


def test_a_derived_table_goes_through_a_detector_that_derives_as_it_is(address, tmp_path):
    """A detector trained with --features, on a table that already holds every derived
    column: read as it is on the cluster, as on one machine (no spec run, no refusal)."""
    from tests.distributed.test_features import SPEC, events

    spec = tmp_path / "features.yaml"
    spec.write_text(SPEC)
    df = events(11, 1_400)
    df.write_parquet(tmp_path / "events.parquet")
    det = tmp_path / "det"
    trained = invoke(
        *["train", tmp_path / "events.parquet", "--label", "bad", "--time", "ts"],
        *["--features", spec, "--rounds", "10", "--out", det, "-q"],
    )
    assert trained.exit_code == 0, trained.output
    derived = tmp_path / "derived.parquet"
    made = invoke("features", spec, "--data", tmp_path / "events.parquet", "--out", derived)
    assert made.exit_code == 0, made.output
    parts = split_parts(pl.read_parquet(derived), tmp_path / "parts", (500, 900))
    for command in ("score", "explain"):
        one = invoke(command, det, derived, "--out", tmp_path / f"{command}1.parquet", "-q")
        two = invoke(
            command, det, parts, "--out", tmp_path / f"{command}2", "-q", "--scheduler", address
        )
        assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
        got = pl.read_parquet(sorted((tmp_path / f"{command}2").glob("*.parquet")))
        assert got.equals(pl.read_parquet(tmp_path / f"{command}1.parquet"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--score", "score", "--label", "is_bad", "--all-points", "--amount", "amount"],
        ["sweep", "--score", "score", "--label", "is_bad", "--by", "category"],
        ["sweep", "--strategy", "CAND", "--all-points"],
    ],
    ids=["plain", "by", "strategy"],
)
def test_sweep_counts_rows_without_a_label_as_one_machine_does(
    command, small_scored, address, tmp_path, example_strategies
):
    """Rows with no label count in flagged and alert rate (and `no_label`), never dropped."""
    df = pl.read_parquet(small_scored).with_columns(
        pl.when(pl.int_range(pl.len()) % 9 == 0)
        .then(None)
        .otherwise(pl.col("is_bad"))
        .alias("is_bad")
    )
    df.write_parquet(tmp_path / "one.parquet")
    parts = split_parts(df, tmp_path / "parts", (3_000, 4_000, 3_000))
    command = [str(example_strategies / "candidate.yaml") if c == "CAND" else c for c in command]
    one = invoke(*command, "--data", tmp_path / "one.parquet", "--json")
    two = invoke(*command, "--data", parts, "--json", "--scheduler", address)
    assert one.exit_code == two.exit_code == 0, two.output
    a, b = json_of(one.output), json_of(two.output)
    curves = a.get("curves", [a])
    assert sum(c["no_label"] for c in curves) > 1_000
    assert_same(a, b)


AMOUNT_COMMANDS = [
    ["simulate", "CAND", "--amount", "amount", "--out", "OUT"],
    ["check", "CAND", "--amount", "amount"],
    ["sweep", "--score", "score", "--label", "is_bad", "--amount", "amount", "--json"],
    ["sweep", "--strategy", "CAND", "--amount", "amount"],
]
AMOUNT_IDS = ["simulate", "check", "sweep", "sweep-strategy"]


def _with_amount(df: pl.DataFrame, rows: list[int], value: float | None) -> pl.DataFrame:
    hit = pl.int_range(pl.len()).is_in(rows)
    amount = pl.when(hit).then(pl.lit(value, dtype=pl.Float64)).otherwise(pl.col("amount"))
    return df.with_columns(amount.cast(pl.Float64).alias("amount"))


def _one_and_parts(
    df: pl.DataFrame, tmp_path: Path, command: list[str], example_strategies: Path
) -> tuple[Path, Path, list[str], list[str]]:
    """`df` as one file and as three parts, and the command for each (its own --out)."""
    single = tmp_path / "one.parquet"
    df.write_parquet(single)
    parts = split_parts(df, tmp_path / "parts", (3_000, 4_000, 3_000))
    names = {"CAND": str(example_strategies / "candidate.yaml")}
    one_cmd = [names.get(c, str(tmp_path / "out1") if c == "OUT" else c) for c in command]
    two_cmd = [names.get(c, str(tmp_path / "out2") if c == "OUT" else c) for c in command]
    return single, parts, one_cmd, two_cmd


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("command", AMOUNT_COMMANDS, ids=AMOUNT_IDS)
def test_a_nan_or_infinite_amount_in_one_part_is_refused_by_name(
    command, value, small_scored, address, tmp_path, example_strategies
):
    """As on one machine: each partition counts its unusable amounts in its own pass."""
    df = _with_amount(pl.read_parquet(small_scored), [3_007, 3_500], value)
    single, parts, one_cmd, two_cmd = _one_and_parts(df, tmp_path, command, example_strategies)
    one = invoke(*one_cmd, "--data", single)
    two = invoke(*two_cmd, "--data", parts, "--scheduler", address)
    assert one.exit_code == two.exit_code == 2, two.output
    part = parts.resolve() / "day=2" / "part-0.parquet"
    line = one_line(two)
    assert line.startswith(f"error: {part}: amount column 'amount' has 2 NaN or infinite"), line
    assert "first at data row 8)" in line and "null" in line
    assert "amount column 'amount' has 2 NaN or infinite" in one_line(one)
    assert "first at data row 3,008)" in one_line(one)
    assert not (tmp_path / "out1").exists() and not (tmp_path / "out2").exists()


@pytest.mark.parametrize("command", AMOUNT_COMMANDS, ids=AMOUNT_IDS)
def test_missing_amounts_count_as_zero_on_the_cluster_too(
    command, small_scored, address, tmp_path, example_strategies
):
    df = _with_amount(pl.read_parquet(small_scored), list(range(0, 10_000, 7)), None)
    single, parts, one_cmd, two_cmd = _one_and_parts(df, tmp_path, command, example_strategies)
    if "--json" not in command:
        one_cmd, two_cmd = [*one_cmd, "--json"], [*two_cmd, "--json"]
    one = invoke(*one_cmd, "--data", single)
    two = invoke(*two_cmd, "--data", parts, "--scheduler", address)
    assert one.exit_code in (0, 1) and two.exit_code == one.exit_code, two.output
    a, b = json_of(one.output), json_of(two.output)
    if isinstance(a, dict):
        for key in ("data", "out"):
            a.pop(key, None), b.pop(key, None)
    assert_same(a, b)
    text = json.dumps(a)
    assert "bad_amount" in text and "NaN" not in text


@pytest.mark.parametrize("command", AMOUNT_COMMANDS, ids=AMOUNT_IDS)
def test_amounts_whose_sum_overflows_only_over_all_parts_are_refused(
    command, small_scored, address, tmp_path, example_strategies
):
    """Each part's sum of squared amounts is finite; the whole's is not."""
    df = _with_amount(pl.read_parquet(small_scored), [10, 3_010, 7_010], 1e154)
    parts = split_parts(df, tmp_path / "parts", (3_000, 4_000, 3_000))
    names = {"CAND": str(example_strategies / "candidate.yaml"), "OUT": str(tmp_path / "out")}
    two = invoke(*[names.get(c, c) for c in command], "--data", parts, "--scheduler", address)
    assert two.exit_code == 2, two.output
    line = one_line(two)
    assert line.startswith(f"error: {parts}: amount column 'amount' holds amounts too large"), line
    assert not (tmp_path / "out").exists()
