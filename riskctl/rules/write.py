"""The strategy with the suggested rules added in shadow mode, each under a comment giving
its holdout numbers: ready for `riskctl simulate`, `check` and `diff`."""

from __future__ import annotations

from pathlib import Path

from riskctl.numbers import fmt_count, fmt_percent, fmt_points_interval
from riskctl.rules.suggest import Suggested, Suggestion
from riskctl.strategy.load import load_strategy
from riskctl.strategy.write import add_rules


def rule_comment(s: Suggested, folds: int, holdout_from: str) -> str:
    """Two lines: what the rule adds on the holdout, with simulate's 95% intervals."""
    h = s.holdout
    catch, fpr = h.delta.get("catch_rate"), h.delta.get("false_positive_rate")
    catch_text = fmt_points_interval(catch.value, catch.low, catch.high) if catch else "n/a"
    fpr_text = fmt_points_interval(fpr.value, fpr.low, fpr.high, digits=3) if fpr else "n/a"
    return (
        f"suggested by riskctl rules suggest; holdout from {holdout_from}: newly stops "
        f"{h.bad:,} bad, hits {h.good:,} good ({h.unknown:,} unknown)\n"
        f"catch {catch_text}, FPR {fpr_text}, precision {fmt_percent(s.precision.value, 1)}, "
        f"{fmt_count(h.alerts_per_day)} alerts/day, paid in {s.folds_passed} of {folds} periods"
    )


def write_suggested(suggestion: Suggestion, out: Path) -> Path:
    """Write the strategy with the suggested rules appended in shadow mode, then read it
    back as a strategy (it must load)."""
    rules = []
    for s in suggestion.rules:
        fields = {"name": s.rule.name, "when": s.rule.when, "action": s.rule.action}
        fields["mode"] = "shadow"
        comment = rule_comment(s, suggestion.options.folds, suggestion.split.holdout_from)
        rules.append((fields, comment))
    written = add_rules(suggestion.strategy.path, out, rules)
    load_strategy(written)
    return written
