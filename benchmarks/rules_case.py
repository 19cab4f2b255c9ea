"""The `rules` benchmark: `riskctl rules suggest` against a shallow-tree-leaves baseline
(the leaves of a depth-3 scikit-learn tree fitted on the rows the strategy lets through,
picked greedily by precision within the FPR budget, as in Feedzai's RIFF), on the same
search/holdout split. Quality: holdout marginal catch of the chosen set, and whether its
holdout marginal FPR keeps the budget. Time and peak memory are measured from outside.

    python benchmarks/run.py rules [--rules-rows N] [--rules-budget B]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HOLDOUT = 0.3


def case_riskctl_rules(data: str, strategy: str, budget: str, out: str) -> None:
    import contextlib

    from riskctl.cli.entry import main

    sys.argv = ["riskctl", "rules", "suggest", strategy, "--data", data, "--json"]
    sys.argv += ["--budget-fpr", budget, "--holdout", str(HOLDOUT)]
    with open(out, "w") as fh, contextlib.redirect_stdout(fh):
        try:
            main()
        except SystemExit as exc:
            if exc.code:
                raise


def case_tree_rules(data: str, strategy: str, budget: str, out: str) -> None:
    """Depth-3 tree leaves on the open search rows, greedy by precision within the budget
    on the search window; measured on the holdout the same way riskctl counts."""
    import numpy as np
    import polars as pl
    from sklearn.tree import DecisionTreeClassifier

    from riskctl.simulation.simulate import run_simulation
    from riskctl.strategy.decisions import FLAGGED

    run = run_simulation(
        Path(strategy), Path(data), carry=pl.scan_parquet(data).collect_schema().names()
    )
    table, roles = run.table, run.roles
    flagged = run.candidate.decisions[FLAGGED].to_numpy()
    y = table[roles.label].to_numpy()
    t = table[roles.time].to_numpy()
    cut = np.sort(t)[int(len(t) * (1 - HOLDOUT))]
    search, holdout = t < cut, t >= cut
    skip = {roles.label, roles.time}
    x = table.select([_as_number(table, c) for c in table.columns if c not in skip])
    x = x.fill_null(-1e9).to_numpy()
    fit = search & ~flagged
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=20, random_state=0)
    tree.fit(x[fit], y[fit])
    leaf = tree.apply(x)
    chosen = _greedy_leaves(leaf, y, search, flagged, float(budget))
    new = np.isin(leaf, chosen) & ~flagged & holdout
    goods, bads = int((y[holdout] == 0).sum()), int((y[holdout] == 1).sum())
    Path(out).write_text(
        json.dumps(
            {
                "leaves": len(chosen),
                "catch": float((new & (y == 1)).sum() / bads),
                "fpr": float((new & (y == 0)).sum() / goods),
            }
        )
    )


def _as_number(table, column: str):
    """A column as numbers for the tree: numbers and booleans as they are, text as ranks,
    times as epoch microseconds."""
    import polars as pl

    dtype = table.schema[column]
    if dtype.is_numeric() or dtype == pl.Boolean or dtype.is_temporal():
        return pl.col(column).cast(pl.Int64 if dtype.is_temporal() else pl.Float64)
    return pl.col(column).cast(pl.String).rank("dense").cast(pl.Float64)


def _greedy_leaves(leaf, y, search, flagged, budget: float) -> list[int]:
    import numpy as np

    open_rows = search & ~flagged
    goods = int((y[search] == 0).sum())
    stats = []
    for value in np.unique(leaf[open_rows]):
        rows = open_rows & (leaf == value)
        bad, good = int((y[rows] == 1).sum()), int((y[rows] == 0).sum())
        if bad:
            stats.append((bad / (bad + good), bad, good, int(value)))
    chosen, used = [], 0
    for _, _, good, value in sorted(stats, reverse=True):
        if (used + good) / goods <= budget:
            chosen.append(value)
            used += good
    return chosen


def rules_cases(measure, report, make_scored_table, strategy_text, data_dir, rows, budget):
    """riskctl and the tree baseline on the same data and split: time, memory, quality."""
    data = make_scored_table(rows, data_dir / f"sim_{rows}.parquet")
    strategy = data_dir / "rules_strategy.yaml"
    strategy.write_text(strategy_text)
    ours_out, theirs_out = data_dir / "rules_riskctl.json", data_dir / "rules_tree.json"
    ours = measure("riskctl_rules", str(data), str(strategy), str(budget), str(ours_out))
    theirs = measure("tree_rules", str(data), str(strategy), str(budget), str(theirs_out))
    mine = json.loads(ours_out.read_text())
    tree = json.loads(theirs_out.read_text())
    together = mine["together"] or {"metrics": {}, "intervals": {}}
    catch = together["metrics"].get("catch_rate", 0.0)
    fpr = together["metrics"].get("false_positive_rate", 0.0)
    print(
        f"rules at FPR budget {budget}: riskctl {len(mine['rules'])} rules, holdout catch "
        f"+{100 * catch:.2f} pp at FPR +{100 * fpr:.4f} pp (within budget at the upper bound: "
        f"{mine['within_budget']}); tree leaves {tree['leaves']}, holdout catch "
        f"+{100 * tree['catch']:.2f} pp at FPR +{100 * tree['fpr']:.4f} pp",
        flush=True,
    )
    result = report("rules", ours, theirs, rows)
    result["quality"] = {"riskctl": {"catch": catch, "fpr": fpr}, "tree_leaves": tree}
    return [result]
