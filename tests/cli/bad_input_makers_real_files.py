"""Input makers for `cases/real_files.yaml`: tables as real exports come (a semicolon or tab
separated file named .csv, a lookup table mangled by a spreadsheet, a scored table scored
again)."""

from __future__ import annotations

from pathlib import Path

from bad_input_makers import Inputs, maker


@maker("semicolon_csv")
def _semicolon_csv(i: Inputs) -> Path:
    df = i.scored_df(500)
    path = i.dir / "semicolon.csv"
    df.write_csv(path, separator=";")
    return path


@maker("tab_csv")
def _tab_csv(i: Inputs) -> Path:
    df = i.scored_df(500)
    path = i.dir / "tabbed.csv"
    df.write_csv(path, separator="\t")
    return path


@maker("comma_tsv")
def _comma_tsv(i: Inputs) -> Path:
    df = i.scored_df(500)
    path = i.dir / "commas.tsv"
    df.write_csv(path)
    return path


@maker("mangled_lookup_spec")
def _mangled_lookup_spec(i: Inputs) -> Path:
    """A features spec whose range lookup table has spreadsheet-mangled bounds in 8 rows."""
    rows = ["lo,hi,band"]
    for k in range(30):
        hi = "1.02E+09x" if k % 3 == 0 and k < 24 else str(k * 100 + 99)
        rows.append(f"{k * 100},{hi},b{k}")
    i.text("bands.csv", "\n".join(rows) + "\n")
    return i.text(
        "mangled.yaml",
        "time: event_time\nentities: {buyer: buyer_id}\n"
        "lookups:\n  - {name: band, table: bands.csv, key: amount, range: [lo, hi], value: band}\n"
        "features:\n  - {name: n, count: rows, per: buyer, window: 7d}\n",
    )
