"""`riskctl data profile` on the demo's history and on a raw CSV export."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.data.profile import profile_table
from riskctl.synth.generate import generate_history

runner = CliRunner()

EXPORT = (
    "\ufeffuser_id,signup_time,purchase_time,purchase_value,device_id,source,browser,sex,age,"
    "ip_address,class\n"
    "22058,2/24/15 22:55,4/18/15 2:47,34,QVPSPJUOCKZAR,SEO,Chrome,M,39,732758368.8,0\n"
    "333320,6/7/15 20:39,6/8/15 1:38,16,EOGFQPIZPYXFZ,Ads,Chrome,F,53,350311387.9,1\n"
    "1359,1/1/15 18:52,1/1/15 18:52,15,YSSKYOSJHPPLJ,SEO,Opera,M,53,2621473820,1\n"
    "150084,4/28/15 21:13,5/4/15 13:54,44,ATGTXKYKUDUQN,SEO,Safari,M,41,3840542444,0\n"
    "221365,7/21/15 7:09,9/9/15 18:40,39,NAUITBZFJKHWW,Ads,Safari,M,45,415583117.5,0\n"
    "159135,5/21/15 6:03,7/9/15 8:05,42,ALEYXFHDESUVA,Ads,Chrome,M,18,2809315200,0\n"
    "1999,3/12/15 2:4"
)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "Fraud_Data.csv"
    path.write_bytes(EXPORT.encode("utf-8"))
    return path


def test_profile_of_a_raw_export(export: Path) -> None:
    result = invoke("data", "profile", export, "--json")
    assert result.exit_code == 0, result.output
    p = json.loads(result.stdout)
    cols = {c["name"]: c for c in p["columns"]}
    assert list(cols)[0] == "user_id"  # the byte-order mark is not part of the name
    assert p["rows"] == 7 and p["label"] == "class" and p["time"] == "purchase_time"
    assert "named like a label" in p["inferred"]["label"]
    assert cols["signup_time"]["dtype"].startswith("Datetime")  # US dates parsed
    assert cols["purchase_time"]["low"] == "2015-01-01 18:52:00"
    assert p["time_span"]["end"] == "2015-09-09 18:40:00"
    assert cols["ip_address"]["role"] == "id" and "IP address" in cols["ip_address"]["why"]
    assert cols["user_id"]["role"] == "id"
    assert cols["class"]["role"] == "label" and cols["class"]["nulls"] == 1
    assert (p["labelled_rows"], p["unlabelled_rows"], p["bad_rows"]) == (6, 1, 2)
    assert any("truncated" in n for n in p["notes"])
    assert sum(r["rows"] for r in p["periods"]) == 7


def test_labels_other_than_zero_one_are_reported_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    pl.DataFrame({"stars": [1, 5, 3, 4] * 5, "label": [-1, 1, 1, -1] * 5}).write_csv(path)
    p = profile_table(path, label="label")
    assert p.label_values == ["-1", "1"] and p.bad_rate is None
    assert any("--bad" in n for n in p.notes)
    assert profile_table(path, label="label", bad="-1").bad_rate == pytest.approx(0.5)


def test_profile_of_the_demo_history_with_html(tmp_path: Path) -> None:
    history = generate_history(rows=4_000, seed=3)
    # the latest week's labels have not matured: most bad rows are not known yet
    last = history["event_time"].max() - pl.duration(days=7)
    late = (pl.col("event_time") > last) & (pl.col("is_bad") == 1)
    history = history.with_columns(
        pl.when(late & (pl.int_range(pl.len()) % 5 != 0))
        .then(0)
        .otherwise("is_bad")
        .alias("is_bad")
    )
    path = tmp_path / "history.parquet"
    history.write_parquet(path)
    page = tmp_path / "profile.html"
    result = invoke("data", "profile", path, "--label", "is_bad", "--html", page)
    assert result.exit_code == 0, result.output
    assert "Label maturity" in result.stdout and "look immature" in result.stdout
    p = profile_table(path, label="is_bad", time="event_time")
    assert p.bad_rows == history["is_bad"].sum() and p.time_span["days"] == pytest.approx(90, 0.1)
    roles = {c.name: c.role for c in p.columns}
    assert roles["order_id"] == "id" and roles["event_time"] == "time"
    assert roles["amount"] == "numeric feature" and roles["category"] == "categorical feature"
    weekly = history.group_by(pl.col("event_time").dt.truncate("1w")).agg(pl.col("is_bad").sum())
    assert sorted(r["bad"] for r in p.periods) == sorted(weekly["is_bad"].to_list())
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert len(soup.select("#columns tbody tr")) == history.width
    assert soup.select_one('tr[data-column="order_id"]').find_all("td")[2].text == "id"
    assert len(soup.select("#periods tbody tr")) == len(p.periods)


def test_profile_flags_are_checked(export: Path) -> None:
    result = invoke("data", "profile", export, "--label", "nope")
    assert result.exit_code == 2 and "--label names an unknown column: nope" in result.output
    result = invoke("data", "profile", export, "--period", "fortnight")
    assert result.exit_code == 2 and "--period" in result.output


def test_a_ragged_middle_line_is_described_and_named(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n")
    result = invoke("data", "profile", path, "--json")
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notes"]
    assert any("line 3 has 2 fields, the header has 3 and 1 more" in n for n in notes), notes
    clean = tmp_path / "clean.csv"
    clean.write_text("a,b,c\n1,2,3\n4,5,6\n")
    assert json.loads(invoke("data", "profile", clean, "--json").stdout)["notes"] == []
