"""Training on tables as they come: real exports, roles, config, splits, metrics."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import xgboost as xgb
from sklearn.metrics import brier_score_loss

from riskctl.data.roles import infer_roles
from riskctl.errors import ConfigError, DataError, UsageError
from riskctl.model.quality import catch_rate_at_fpr
from riskctl.model.train import TrainOptions, train

FEATURES = [
    "amount",
    "category",
    "account_age_days",
    "promo_used",
    "accounts_per_device_7d",
    "buyer_orders_24h",
    "country_mismatch",
    "device_new_for_buyer",
]


def export_csv(df: pl.DataFrame, path: Path, date_format: str, truncated: bool = False) -> Path:
    """Write `df` the way a spreadsheet export looks: BOM, US dates, quoted text with commas,
    a few missing labels (and, when `truncated`, an interrupted last line)."""
    text = df.with_columns(
        pl.col("event_time").dt.strftime(date_format),
        (pl.col("category") + ", misc").alias("category"),
        pl.when(pl.int_range(pl.len()) % 500 == 3)
        .then(None)
        .otherwise(pl.col("is_bad"))
        .alias("is_bad"),
    ).write_csv(quote_style="non_numeric")
    lines = text.splitlines()
    path.write_text(
        "\ufeff"
        + "\n".join(lines)
        + "\n"
        + (lines[-1][: len(lines[-1]) // 3] if truncated else ""),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "date_format", ["%-m/%-d/%y %H:%M", "%-m/%-d/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]
)
def test_trains_on_a_raw_csv_export(
    tmp_path: Path, history: pl.DataFrame, date_format: str
) -> None:
    rows = history.head(12_000).select("order_id", "event_time", *FEATURES, "is_bad")
    path = export_csv(rows, tmp_path / "export.csv", date_format)
    result = train(
        path, tmp_path / "det", TrainOptions(label="is_bad", time="event_time", rounds=30)
    )
    m = result.detector.manifest
    assert result.dropped_unlabelled == 24  # every 500th row
    assert m["window"]["train_start"].startswith(str(rows["event_time"].min())[:16])
    split = m["split"]
    assert split["train_rows"] + split["early_stopping_rows"] + split["test_rows"] == 12_000 - 24
    category = next(f for f in m["features"] if f["name"] == "category")
    assert "electronics, misc" in category["categories"]


def test_an_interrupted_export_leaves_out_its_cut_last_line(
    tmp_path: Path, history: pl.DataFrame
) -> None:
    """A file that ends mid-row (no final line break): that row is left out when the file is
    read, as by every command; a short line elsewhere stays an error."""
    rows = history.head(12_000).select("order_id", "event_time", *FEATURES, "is_bad")
    path = export_csv(rows, tmp_path / "export.csv", "%Y-%m-%dT%H:%M:%S", truncated=True)
    result = train(
        path, tmp_path / "det", TrainOptions(label="is_bad", time="event_time", rounds=5)
    )
    assert result.dropped_unlabelled == 24  # every 500th row; the cut last line is no row
    middle = tmp_path / "middle.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    middle.write_text("\n".join([*lines[:5], lines[5][:10], *lines[6:-1]]) + "\n", "utf-8")
    with pytest.raises(DataError, match="line 6 has .* fields, the header has"):
        train(middle, tmp_path / "m", TrainOptions(label="is_bad", time="event_time", rounds=5))


def test_roles_and_their_reasons(history: pl.DataFrame) -> None:
    df = history.head(5_000).with_columns(
        pl.int_range(pl.len()).alias("user_id"),
        pl.lit(3).alias("constant"),
        pl.col("event_time").alias("signup_time"),
    )
    roles = {
        r.column: r
        for r in infer_roles(
            df, "is_bad", "event_time", ids=["seller_id"], exclude=["attack"], features=["constant"]
        )
    }
    assert roles["user_id"].role == "id" and "named like an id" in roles["user_id"].why
    assert roles["ip"].role == "id" and roles["ip"].why == "IP addresses"
    assert roles["order_id"].role == "id" and "distinct values" in roles["order_id"].why
    assert roles["seller_id"].why == "--id"
    assert roles["constant"].role == "numeric feature" and roles["constant"].why == "--feature"
    assert roles["signup_time"].role == "datetime"
    assert roles["category"].role == "categorical feature"
    assert roles["attack"].role == "excluded"
    plain = {r.column: r for r in infer_roles(df, "is_bad", "event_time")}
    assert plain["constant"].role == "excluded" and plain["constant"].why == "constant"


def test_flags_must_name_real_columns(history: pl.DataFrame) -> None:
    with pytest.raises(UsageError, match="--exclude names unknown columns: 'atack'"):
        infer_roles(history.head(10), "is_bad", exclude=["atack"])


def test_monotone_constraint_holds(tmp_path: Path, history_path: Path) -> None:
    config = tmp_path / "model.yaml"
    config.write_text(
        "rounds: 40\nmonotone:\n  accounts_per_device_7d: increasing\n"
        "  account_age_days: decreasing\n"
    )
    det = train(
        history_path,
        tmp_path / "det",
        TrainOptions(label="is_bad", time="event_time", exclude=("attack",), config=config),
    ).detector
    assert det.manifest["params"]["monotone_constraints"].count("1") == 2
    base = pl.read_parquet(history_path).head(300)
    scores = [
        det.score(base.with_columns(pl.lit(v).alias("accounts_per_device_7d")))
        for v in range(1, 12)
    ]
    assert (np.diff(np.stack(scores), axis=0) >= -1e-7).all()


def test_interaction_constraints_are_passed(tmp_path: Path, history_path: Path) -> None:
    config = tmp_path / "model.yaml"
    config.write_text("rounds: 10\ninteractions:\n  - [amount, category]\n")
    det = train(
        history_path,
        tmp_path / "det",
        TrainOptions(label="is_bad", time="event_time", exclude=("attack",), config=config),
    ).detector
    names = det.feature_names
    assert det.manifest["params"]["interaction_constraints"] == str(
        [[names.index("amount"), names.index("category")]]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rounds: 10\nmax_dept: 3\n",
            "model.yaml:2: unknown key 'max_dept' (did you mean `max_depth`?)",
        ),
        (
            "monotone:\n  acounts_per_device_7d: increasing\n",
            "model.yaml:2: monotone: "
            "acounts_per_device_7d: 'acounts_per_device_7d' is not a feature of this detector (did "
            "you mean `accounts_per_device_7d`?)",
        ),
        (
            "monotone:\n  category: increasing\n",
            "model.yaml:2: monotone: category: 'category' is "
            "categorical; only numeric features can be monotone",
        ),
        ("imbalance: lots\n", "model.yaml:1: imbalance:"),
    ],
)
def test_config_errors(tmp_path: Path, history_path: Path, text: str, message: str) -> None:
    config = tmp_path / "model.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as err:
        train(
            history_path,
            tmp_path / "det",
            TrainOptions(label="is_bad", time="event_time", exclude=("attack",), config=config),
        )
    assert str(err.value).replace(f"{tmp_path}/", "").startswith(message)
    assert not (tmp_path / "det").exists()


def test_regime_change_is_called_out(tmp_path: Path, history: pl.DataFrame) -> None:
    later = pl.int_range(pl.len()) > 0.8 * pl.len()
    extra = (pl.int_range(pl.len()) % 20 == 0).cast(pl.Int8)
    rows = (
        history.sort("event_time")
        .with_columns(  # the later fifth gets far more bad rows
            pl.when(later)
            .then(pl.max_horizontal("is_bad", extra))
            .otherwise(pl.col("is_bad"))
            .alias("is_bad")
        )
        .drop("attack")
    )
    path = tmp_path / "h.parquet"
    rows.write_parquet(path)
    result = train(
        path, tmp_path / "det", TrainOptions(label="is_bad", time="event_time", rounds=10)
    )
    codes = [w["code"] for w in result.detector.manifest["warnings"]]
    assert "regime-change" in codes
    regime = result.warnings[codes.index("regime-change")]
    assert "the regime changed" in regime and "(train)" in regime and "(test)" in regime
    assert [w["message"] for w in result.detector.manifest["warnings"]] == result.warnings


def test_random_split_is_stratified(tmp_path: Path, history_path: Path) -> None:
    det = train(
        history_path,
        tmp_path / "det",
        TrainOptions(label="is_bad", exclude=("attack",), rounds=10, valid_fraction=0.25),
    ).detector
    m = det.manifest
    assert m["split"]["kind"] == "random"
    for name in ("early_stopping", "test"):
        assert m["metrics"][f"{name}_bad_rate"] == pytest.approx(
            m["metrics"]["train_bad_rate"], rel=0.05
        )


def test_test_metrics_match_independent_computations(detector, history) -> None:
    m = detector.manifest["metrics"]
    later = history.sort("event_time").tail(detector.manifest["split"]["test_rows"])
    score, y = detector.score(later), later["is_bad"].to_numpy()
    assert m["brier"] == pytest.approx(brier_score_loss(y, score), abs=1e-7)
    assert sum(b["rows"] for b in m["calibration"]) == m["rows"] == len(y)
    assert sum(b["bad"] for b in m["calibration"]) == m["bad"] == y.sum()
    for fpr, rate in m["catch_rate_at_fpr"].items():
        # brute force: every threshold, the best catch rate within the FPR budget
        best = max(
            ((score >= t) & (y == 1)).sum() / y.sum()
            for t in np.unique(score)
            if ((score >= t) & (y == 0)).sum() / (y == 0).sum() <= float(fpr)
        )
        assert rate == pytest.approx(best, abs=1e-12)
    gains = detector.booster.get_score(importance_type="gain")
    assert m["importance_gain"] == pytest.approx(
        {k: gains.get(k, 0.0) for k in detector.feature_names}
    )
    assert catch_rate_at_fpr(np.array([0.9, 0.1]), np.array([1, 0]), 0.0) == 1.0
    assert isinstance(detector.booster, xgb.Booster)
