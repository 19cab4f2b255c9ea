from pathlib import Path

import numpy as np
import polars as pl
import pytest

from riskctl.errors import DataError
from riskctl.model.score import score_file


def test_batches_equal_one_pass_in_input_order(tmp_path: Path, detector, history_path) -> None:
    out = tmp_path / "s.parquet"
    summary = score_file(detector.path, history_path, out, keep=["amount"], batch_rows=7_000)
    scored = pl.read_parquet(out)
    history = pl.read_parquet(history_path)
    assert summary.rows == history.height == scored.height
    assert scored["order_id"].equals(history["order_id"])
    np.testing.assert_allclose(scored["score"].to_numpy(), detector.score(history), rtol=1e-6)
    assert scored.columns[-2:] == ["amount", "score"]


@pytest.mark.parametrize("suffix", [".csv", ".ndjson"])
def test_text_inputs_and_outputs(
    tmp_path: Path, detector, history: pl.DataFrame, suffix: str
) -> None:
    src = tmp_path / f"in{suffix}"
    rows = history.head(1_000).drop("attack")
    rows.write_csv(src) if suffix == ".csv" else rows.write_ndjson(src)
    out = tmp_path / f"out{suffix}"
    score_file(detector.path, src, out)
    back = pl.read_csv(out) if suffix == ".csv" else pl.read_ndjson(out)
    np.testing.assert_allclose(
        back["score"].to_numpy(), detector.score(history.head(1_000)), rtol=1e-5
    )


def test_unseen_categories_are_counted(tmp_path: Path, detector, history) -> None:
    src = tmp_path / "in.parquet"
    rows = history.head(500).with_columns(
        pl.when(pl.int_range(pl.len()) < 7)
        .then(pl.lit("XX"))
        .otherwise(pl.col("country"))
        .alias("country")
    )
    rows.write_parquet(src)
    summary = score_file(detector.path, src, tmp_path / "o.parquet")
    assert summary.unseen == {"country": 7}


def test_missing_features_are_all_named_and_nothing_is_written(
    tmp_path: Path, detector, history
) -> None:
    src = tmp_path / "in.parquet"
    history.head(100).drop("amount", "category").write_parquet(src)
    out = tmp_path / "o.parquet"
    with pytest.raises(DataError, match="lacks the detector's feature columns: amount, category"):
        score_file(detector.path, src, out)
    assert not out.exists()


def test_uncastable_column_is_named(tmp_path: Path, detector, history) -> None:
    src = tmp_path / "in.parquet"
    history.head(100).with_columns(pl.lit("lots").alias("amount")).write_parquet(src)
    out = tmp_path / "o.parquet"
    with pytest.raises(
        DataError,
        match="column 'amount' is String and cannot be read as the "
        "number the detector expects \\(e.g. 'lots'\\)",
    ):
        score_file(detector.path, src, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
