"""`riskctl features` end to end, and bad input: one line, exit 2, no output file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from riskctl.cli.app import app
from riskctl.features import add_features

runner = CliRunner()
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "bad_inputs.yaml").read_text())
EVENTS = """\
order_id,purchase_time,signup_time,user_id,device_id,ip_address,amount,is_bad
o1,2026-05-01 10:00:00,2026-05-01 09:59:56,u1,d1,1.0.0.7,20.5,0
o2,2026-05-01 10:30:00,2026-04-01 08:00:00,u2,d1,1.0.0.9,12.0,1
o3,2026-05-01 10:30:00,2026-04-20 08:00:00,u3,d1,2.0.0.1,99.0,0
o4,2026-05-02 11:00:00,2026-04-20 08:00:00,u3,d2,9.9.9.9,5.0,0
o5,2026-05-09 11:00:00,2026-05-09 10:00:00,u4,,2.0.0.1,7.5,0
"""


def spec_text(time: str = "purchase_time", entities: str | None = None, features: str = "") -> str:
    ents = entities or "{account: user_id, device: device_id, ip: ip_address}"
    return (
        f"time: {time}\n"
        f"entities: {ents}\n"
        "lookups:\n"
        "  - {name: ip_country, table: ranges.csv, key: ip_address, range: [lo, hi], "
        "value: country}\n"
        "features:\n"
        f"{features}\n"
    )


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS)
    (tmp_path / "ranges.csv").write_text(
        "lo,hi,country\n1.0.0.0,1.0.0.255,AU\n2.0.0.0,2.0.0.255,FR\n"
    )
    return path


def test_features_end_to_end(tmp_path: Path, events: Path) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(
        spec_text(
            features="""\
  - {name: seconds_since_signup, expr: "purchase_time - signup_time"}
  - {name: accounts_per_device_7d, distinct: user_id, per: device, window: 7d}
  - {name: orders_per_ip_24h, count: rows, per: ip, window: 24h}
  - {name: ring_accounts, ring: {nodes: account, links: [device, ip]}}"""
        )
    )
    out = tmp_path / "out.parquet"
    result = runner.invoke(
        app, ["features", str(spec), "--data", str(events), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == 5
    df = pl.read_parquet(out)
    assert df["seconds_since_signup"].to_list() == [
        4.0,
        2_601_000.0,
        959_400.0,
        1_047_600.0,
        3600.0,
    ]
    # o2 and o3 share a time: neither sees the other
    assert df["accounts_per_device_7d"].to_list() == [1, 2, 2, 1, None]
    assert df["ip_country"].to_list() == ["AU", "AU", "FR", None, "FR"]
    assert df["ring_accounts"].to_list() == [1, 2, 2, 3, 4]


def test_history_is_context_only(tmp_path: Path, events: Path) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(spec_text(features="  - {name: n, count: rows, per: ip, window: all}"))
    full = pl.read_csv(events)
    full.head(3).write_csv(tmp_path / "old.csv")
    full.tail(2).write_csv(tmp_path / "new.csv")
    out = tmp_path / "out.csv"
    args = ["features", str(spec), "--data", str(tmp_path / "new.csv"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--context", str(tmp_path / "old.csv")])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out)["n"].to_list() == [1, 2]  # o5 shares its IP with history row o3


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_old_history_flag_still_works_with_one_notice(
    tmp_path: Path, events: Path, form: str
) -> None:
    """--history is the old name of --context: the same output, and one line on stderr."""
    spec = tmp_path / "features.yaml"
    spec.write_text(spec_text(features="  - {name: n, count: rows, per: ip, window: all}"))
    full = pl.read_csv(events)
    full.head(3).write_csv(tmp_path / "old.csv")
    full.tail(2).write_csv(tmp_path / "new.csv")
    base = ["features", str(spec), "--data", str(tmp_path / "new.csv"), "--out"]
    old = str(tmp_path / "old.csv")
    flag = ["--history", old] if form == "separate" else [f"--history={old}"]
    now = runner.invoke(app, [*base, str(tmp_path / "a.csv"), "--context", old, "--json"])
    then = runner.invoke(app, [*base, str(tmp_path / "b.csv"), *flag, "--json"])
    assert now.exit_code == then.exit_code == 0, then.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "deprecated" not in now.stderr
    assert then.stderr.strip().splitlines() == ["warning: --history is deprecated: use --context"]
    assert json.loads(then.stdout)["context_rows"] == json.loads(now.stdout)["context_rows"] == 3


def test_old_history_flag_is_hidden_and_only_where_context_is() -> None:
    helped = runner.invoke(app, ["features", "--help"])
    assert "--context" in helped.output and "--history" not in helped.output
    # a command without --context does not take the old name either
    refused = runner.invoke(app, ["diff", "a.yaml", "b.yaml", "--history", "x"])
    assert refused.exit_code == 2 and "--history" in refused.output


def test_refuses_to_overwrite_its_input(tmp_path: Path, events: Path) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(spec_text(features="  - {name: n, count: rows, per: device}"))
    before = events.read_bytes()
    result = runner.invoke(
        app, ["features", str(spec), "--data", str(events), "--out", str(events)]
    )
    assert result.exit_code == 2
    assert events.read_bytes() == before


def write_case(tmp_path: Path, case: dict) -> Path:
    """A bad-input case's spec (and lookup file) in `tmp_path`; the spec's path."""
    spec = tmp_path / "features.yaml"
    spec.write_text(
        spec_text(
            case.get("time", "purchase_time"),
            case.get("entities"),
            case.get("features", "  - {name: n, count: rows, per: device}"),
        )
    )
    if "ranges" in case:
        (tmp_path / "ranges.csv").write_text(case["ranges"])
    if case.get("no_ranges_file"):
        (tmp_path / "ranges.csv").unlink()
    return spec


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, events: Path, case: dict) -> None:
    spec = write_case(tmp_path, case)
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["features", str(spec), "--data", str(events), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    flat = " ".join(result.output.split())
    for needle in case["expect"]:
        assert needle.format(spec=spec) in flat, flat
    assert not out.exists()


def test_exact_lookup_and_its_duplicate_keys(tmp_path: Path, events: Path) -> None:
    (tmp_path / "devices.csv").write_text("device,kind\nd1,phone\nd2,emulator\n")
    spec = tmp_path / "features.yaml"
    spec.write_text(
        "time: purchase_time\nlookups:\n"
        "  - {name: device_kind, table: devices.csv, key: device_id, match: device, value: kind}\n"
    )
    out = tmp_path / "out.parquet"
    args = ["features", str(spec), "--data", str(events), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(out)["device_kind"].to_list() == [
        "phone",
        "phone",
        "phone",
        "emulator",
        None,
    ]
    (tmp_path / "devices.csv").write_text("device,kind\nd1,phone\nd1,tablet\n")
    out.unlink()
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "lookup key 'd1' appears more than once" in result.output
    assert not out.exists()


def test_timezone_aware_times_compare_as_instants(tmp_path: Path) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(
        "time: t\nentities: {k: k}\nfeatures:\n  - {name: n, count: rows, per: k, window: 1h}\n"
    )
    base = pl.datetime(2026, 1, 1, 12, time_zone="UTC")
    df = pl.select(
        t=pl.concat_list(base, base + pl.duration(minutes=30))
        .explode()
        .dt.convert_time_zone("Asia/Tokyo"),
        k=pl.lit("a"),
    )
    got = add_features(df, spec).frame
    assert got["n"].to_list() == [1, 2]


def test_the_spec_runs_again_on_its_own_output(tmp_path: Path, events: Path) -> None:
    spec = tmp_path / "features.yaml"
    spec.write_text(
        spec_text(
            features="  - {name: n, count: rows, per: device}\n  - {name: s, sum: n, per: ip}"
        )
    )
    once, twice = tmp_path / "once.parquet", tmp_path / "twice.parquet"
    for source, out in ((events, once), (once, twice)):
        result = runner.invoke(
            app, ["features", str(spec), "--data", str(source), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    assert pl.read_parquet(once).equals(pl.read_parquet(twice))


def test_renamed_options_leave_values_and_other_flags_alone() -> None:
    from riskctl.cli.options import renamed

    args = ["--history", Path("h.csv"), "--history=x", "--historyx", "--", "--history"]
    assert renamed(args, {"--context"}) == (
        ["--context", Path("h.csv"), "--context=x", "--historyx", "--", "--history"],
        ["--history"],
    )
    assert renamed(["--history", "x"], {"--data"}) == (["--history", "x"], [])
