"""The data-profile page: numbers read through riskctl's one number formatter, a small
distribution per numeric column, and the columns table fits its card in a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.numbers import fmt_number

from .test_browser import browse

runner = CliRunner()


@pytest.fixture
def table(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    n = 3_000
    frame = pl.DataFrame(
        {
            "order_id": np.arange(n),
            "ratio_of_amount_to_the_customers_ninety_day_median_amount": rng.lognormal(0, 1, n)
            * 1.5664319999999998,
            "hours_since_device_first_seen": rng.exponential(40.0, n),
            "merchant_category_description_text": rng.choice(
                ["electronics and accessories", "gift cards and vouchers"], n
            ),
            "is_bad": (rng.random(n) < 0.05).astype(np.int8),
        }
    )
    frame = frame.with_columns(pl.lit(1.5664319999999998).alias("constant_ratio"))
    path = tmp_path / "t.parquet"
    frame.write_parquet(path)
    return path


def profile_html(table: Path, tmp_path: Path) -> Path:
    out = tmp_path / "profile.html"
    result = runner.invoke(app, ["data", "profile", str(table), "--html", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_numbers_read_through_the_one_formatter(table: Path, tmp_path: Path) -> None:
    soup = BeautifulSoup(profile_html(table, tmp_path).read_text(), "html.parser")
    text = soup.get_text(" ")
    assert "1.5664319999999998" not in text
    for number in re.findall(r"\d[\d,]*\.\d+", text):  # no float noise: 6 digits at most
        assert len(number.replace(",", "").replace(".", "").lstrip("0")) <= 6, number
    row = soup.find("tr", attrs={"data-column": "constant_ratio"})
    cells = [td.get_text(strip=True) for td in row.find_all("td")]
    assert cells.count(fmt_number(1.5664319999999998)) == 2 and "1.56643" in cells
    row = soup.find("tr", attrs={"data-column": "order_id"})
    assert "2,999" in [td.get_text(strip=True) for td in row.find_all("td")]


def test_fmt_number() -> None:
    assert fmt_number(1.5664319999999998) == "1.56643"
    assert fmt_number(0.1 + 0.2) == "0.3"
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(2.0) == "2"
    assert fmt_number(-0.000012345) == "-1.2345e-05"
    assert fmt_number(float("nan")) == "n/a" and fmt_number(None) == "n/a"


def test_each_numeric_column_has_a_small_distribution(table: Path, tmp_path: Path) -> None:
    soup = BeautifulSoup(profile_html(table, tmp_path).read_text(), "html.parser")
    frame = pl.read_parquet(table)
    for name, dtype in frame.schema.items():
        row = soup.find("tr", attrs={"data-column": name})
        svg = row.find("svg")
        assert (svg is not None) == dtype.is_numeric(), name
        if svg is None:
            continue
        heights = [float(r["height"]) for r in svg.find_all("rect")]
        values = frame[name].cast(pl.Float64).to_numpy()
        counts, _ = np.histogram(values, bins=len(heights)) if len(heights) > 1 else ([1], None)
        expected = 24 * np.asarray(counts) / max(counts)
        assert heights == pytest.approx(expected.tolist(), abs=0.01), name
    hours = soup.find("tr", attrs={"data-column": "hours_since_device_first_seen"})
    heights = [float(r["height"]) for r in hours.find_all("rect")]
    assert heights[0] == 24 and heights[-1] < 2  # an exponential: tall at the left


@pytest.mark.browser
@pytest.mark.slow
def test_the_columns_table_fits_its_card(table: Path, tmp_path: Path) -> None:
    page = profile_html(table, tmp_path)
    measure = """<script>window.addEventListener("load", function () {
      var s = document.getElementById("columns"), t = s.querySelector("table");
      var pre = document.createElement("pre"); pre.id = "measured";
      pre.textContent = JSON.stringify({section: s.getBoundingClientRect().width,
        inner: s.clientWidth, table: t.getBoundingClientRect().width,
        scroll: s.scrollWidth, page: document.documentElement.scrollWidth,
        view: window.innerWidth});
      document.body.appendChild(pre); });</script>"""
    head, body, tail = page.read_text().rpartition("</body>")
    page.write_text(head + measure + body + tail)
    result = browse(page, tmp_path, "--window-size=1100,1400", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', result.stdout, re.S)
    assert found
    m = json.loads(found.group(1).replace("&quot;", '"'))
    assert m["table"] <= m["inner"] + 1, m  # the table inside its card
    assert m["scroll"] <= m["inner"] + 1, m
    assert m["page"] <= m["view"], m  # nothing sticks out of the page
