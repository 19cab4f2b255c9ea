"""A semantic diff of two strategies: what a reviewer needs to know, not which lines moved.

Either side may be `git:REF:path`, read with `git show` (no checkout needed), so CI can
compare a pull request's strategy with the target branch's.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from riskctl.errors import ConfigError, RiskctlError, UsageError
from riskctl.strategy.load import LoadedStrategy, load_strategy
from riskctl.strategy.measurement import MEASUREMENT_FIELDS
from riskctl.strategy.schema import Strategy
from riskctl.tempfiles import track_partial, untrack_partial


@dataclass(frozen=True)
class Change:
    kind: str  # threshold, segment, rule, guardrail, measurement, setting
    what: str
    change: str  # added, removed, changed
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        if self.change == "added":
            return f"{self.kind} {self.what}: added ({show(self.after)})"
        if self.change == "removed":
            return f"{self.kind} {self.what}: removed (was {show(self.before)})"
        return f"{self.kind} {self.what}: {show(self.before)} -> {show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(v)}" for k, v in value.items())
    return str(value)


def read_strategy(spec: str, workdir: Path | None = None) -> LoadedStrategy:
    """A strategy from a path, or from `git:REF:path` (as of that commit)."""
    if not spec.startswith("git:"):
        return load_strategy(Path(spec))
    try:
        _, ref, path = spec.split(":", 2)
    except ValueError:
        raise UsageError(
            f"{spec}: expected git:REF:path, e.g. git:origin/main:strategies/candidate.yaml"
        ) from None
    commit = _resolve_ref(spec, ref, workdir)
    text = _git(["show", f"{commit}:{path}"], spec, workdir)
    # loaded from a private temporary folder that is always removed (on signals too)
    with tempfile.TemporaryDirectory(prefix="riskctl-git-") as folder:
        track_partial(Path(folder), tree=True)
        try:
            copy = Path(folder) / (Path(path).name or "strategy.yaml")
            copy.write_text(text, encoding="utf-8")
            loaded = load_strategy(copy)
        except RiskctlError as exc:
            real = os.path.realpath(folder)
            raise _named_as(exc, {str(copy): spec, folder: spec, real: spec}) from None
        finally:
            untrack_partial(Path(folder))
    return LoadedStrategy(loaded.strategy, Path(f"{ref}:{path}"), loaded.lines, loaded.sha256)


def _named_as(exc: RiskctlError, names: dict[str, str]) -> RiskctlError:
    """`exc` with each temporary path in its message and hint replaced by what the user
    wrote (`git:REF:path`): the temporary copy is gone once the error is read."""
    for old, new in names.items():
        exc.message = exc.message.replace(old, new)
        exc.hint = exc.hint.replace(old, new) if exc.hint else exc.hint
    exc.args = (exc.message,)
    if isinstance(exc, ConfigError) and exc.location is not None:
        file = names.get(str(exc.location.file), str(exc.location.file))
        exc.location = dataclasses.replace(exc.location, file=Path(file))
    return exc


def _resolve_ref(spec: str, ref: str, workdir: Path | None) -> str:
    """The commit `ref` names. A ref is never passed where git could read it as an option:
    it must not start with '-', and git is told where options end."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        raise UsageError(
            f"{spec}: {ref!r} is not a valid git ref",
            hint="use a branch, tag or commit, e.g. git:origin/main:strategies/candidate.yaml",
        )
    out = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        spec,
        workdir,
        missing=f"{ref!r} is not a valid git ref",
    )
    return out.strip()


def _git(args: list[str], spec: str, workdir: Path | None, missing: str | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=workdir, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise UsageError(f"{spec}: cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or [missing or "git failed"])[0]
        raise UsageError(
            f"{spec}: {missing or first}",
            hint="check the ref and the path (relative to the repository root)",
        )
    return result.stdout


def _pairs(thresholds: dict[str, dict[str, float]]) -> dict[str, float]:
    return {f"{a}:{c}": v for a, t in thresholds.items() for c, v in t.items()}


def _compare(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        if key not in after:
            changes.append(Change(kind, key, "removed", before[key], None))
        elif key not in before:
            changes.append(Change(kind, key, "added", None, after[key]))
        elif before[key] != after[key]:
            changes.append(Change(kind, key, "changed", before[key], after[key]))
    return changes


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif v is not None:
            out[f"{prefix}{k}"] = v
    return out


def _segment_changes(a: Strategy, b: Strategy) -> list[Change]:
    changes: list[Change] = []
    segs_a = {s.name: s for s in a.segments}
    segs_b = {s.name: s for s in b.segments}
    for name in dict.fromkeys([*segs_a, *segs_b]):
        if name not in segs_b:
            changes += _whole_segment(a, segs_a[name], "removed")
        elif name not in segs_a:
            changes += _whole_segment(b, segs_b[name], "added")
        else:
            sa, sb = segs_a[name], segs_b[name]
            if sa.when != sb.when:
                changes.append(Change("segment", f"{name}.when", "changed", sa.when, sb.when))
            changes += _compare(
                "segment threshold",
                {f"{name} {k}": v for k, v in _pairs(sa.thresholds).items()},
                {f"{name} {k}": v for k, v in _pairs(sb.thresholds).items()},
            )
    # the first matching segment wins: reordering segments a row matches both of moves it
    return changes + _order("segment order", "first match wins, can move decisions", segs_a, segs_b)


def _whole_segment(s: Strategy, segment: Any, change: str) -> list[Change]:
    """A segment added or removed, with everything it decides: its condition, its place
    (the first matching segment wins) and every threshold it sets, each on its own line."""
    place = [g.name for g in s.segments].index(segment.name) + 1
    pairs = {f"{segment.name} {k}": v for k, v in _pairs(segment.thresholds).items()}
    whole = {
        "when": segment.when,
        "position": f"{place} of {len(s.segments)}",
        "thresholds": _pairs(segment.thresholds) or "none (the strategy's own apply)",
    }
    before, after = ({}, pairs) if change == "added" else (pairs, {})
    return [
        Change(
            "segment",
            segment.name,
            change,
            *((None, whole) if change == "added" else (whole, None)),
        ),
        *_compare("segment threshold", before, after),
    ]


def _order(kind: str, what: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """A change when the names both sides have come in another order."""
    common = [n for n in a if n in b]
    order_b = [n for n in b if n in a]
    if common == order_b:
        return []
    return [Change(kind, what, "changed", " > ".join(common), " > ".join(order_b))]


def _rule_changes(a: Strategy, b: Strategy) -> list[Change]:
    changes: list[Change] = []
    rules_a = {r.name: r for r in a.rules}
    rules_b = {r.name: r for r in b.rules}
    for name in dict.fromkeys([*rules_a, *rules_b]):
        if name not in rules_b:
            changes.append(Change("rule", name, "removed", _rule(rules_a[name]), None))
        elif name not in rules_a:
            changes.append(Change("rule", name, "added", None, _rule(rules_b[name])))
        else:
            changes += _compare(
                "rule",
                {f"{name}.{k}": v for k, v in _rule(rules_a[name]).items()},
                {f"{name}.{k}": v for k, v in _rule(rules_b[name]).items()},
            )
    # among active rules giving the same action, the first that matches decides a row: its
    # `decided_by` and the reason shown
    for action in dict.fromkeys(r.action for r in [*a.rules, *b.rules]):
        what = f"'{action}' rules: the first that matches decides (decided_by, reason)"
        changes += _order("rule order", what, _acting(rules_a, action), _acting(rules_b, action))
    return changes


def _acting(rules: dict[str, Any], action: str) -> dict[str, Any]:
    return {n: r for n, r in rules.items() if r.action == action and r.mode == "active"}


def diff_strategies(old: LoadedStrategy, new: LoadedStrategy) -> list[Change]:
    """What changed between two strategies, in the terms that move decisions."""
    a, b = old.strategy, new.strategy
    changes = _compare("threshold", _pairs(a.thresholds), _pairs(b.thresholds))
    changes += _segment_changes(a, b) + _rule_changes(a, b)
    changes += _compare(
        "guardrail", _flat(a.guardrails.model_dump()), _flat(b.guardrails.model_dump())
    )
    # how metrics are measured (label, time, costs, reviews...): the baseline's guardrails
    # are judged with the baseline's, so a reviewer sees each change as such
    changes += _compare(
        "measurement",
        _flat({k: v for k, v in a.model_dump().items() if k in MEASUREMENT_FIELDS}),
        _flat({k: v for k, v in b.model_dump().items() if k in MEASUREMENT_FIELDS}),
    )
    skip = {"thresholds", "segments", "rules", "guardrails", *MEASUREMENT_FIELDS}
    changes += _compare(
        "setting",
        _flat({k: v for k, v in a.model_dump().items() if k not in skip}),
        _flat({k: v for k, v in b.model_dump().items() if k not in skip}),
    )
    return changes


def _rule(rule: Any) -> dict[str, Any]:
    return {
        "when": rule.when,
        "action": rule.action,
        "mode": rule.mode,
        "enabled": rule.enabled,
        "reason": rule.reason,
    }
