"""Evaluate rule-pack conditions over findings and other answers."""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..model import AnswerValue, Finding, Strength

_STRENGTHS = {s.value: s.rank for s in Strength}


class Findings:
    """Findings grouped by signal, for fast lookup by exact name or glob."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.all = list(findings)
        self.by_signal: dict[str, list[Finding]] = defaultdict(list)
        for f in self.all:
            self.by_signal[f.signal].append(f)

    def matching(self, pattern: str) -> list[Finding]:
        """Findings of a signal name, a glob (``monitoring.*``) or alternatives (``pipeline.dag|schedule.training``)."""
        if "|" in pattern:
            out: list[Finding] = []
            for part in pattern.split("|"):
                out += [f for f in self.matching(part.strip()) if f not in out]
            return out
        if any(c in pattern for c in "*?["):
            return [f for s, fs in self.by_signal.items() if fnmatch.fnmatchcase(s, pattern) for f in fs]
        return list(self.by_signal.get(pattern, ()))


def _attr_ok(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        for op, val in expected.items():
            try:
                if op == "gte" and not (actual is not None and actual >= val):
                    return False
                if op == "lte" and not (actual is not None and actual <= val):
                    return False
                if op == "gt" and not (actual is not None and actual > val):
                    return False
                if op == "lt" and not (actual is not None and actual < val):
                    return False
            except TypeError:
                return False
            if op == "in" and actual not in val:
                return False
            if op == "nin" and actual in val:
                return False
            if op == "ne" and actual == val:
                return False
            if op == "exists" and (actual is not None) != bool(val):
                return False
        return True
    return actual == expected


AnswerLookup = Callable[[str], tuple[AnswerValue, list[Finding]]]
_COMPARE = ("gte", "lte", "gt", "lt", "eq")


def evaluate(
    cond: dict[str, Any], findings: Findings, answer_of: AnswerLookup, metrics: Mapping[str, float] | None = None
) -> tuple[bool, list[Finding]]:
    """(holds, findings that make it hold). ``not`` contributes no evidence.

    ``metrics`` serves ``{metric: NAME, lte: n}`` conditions (pitfalls use the level and the yes count);
    rule packs cannot use them, because a level is computed from the answers."""
    if "const" in cond:
        return bool(cond["const"]), []
    if "any" in cond:
        held = False
        ev: list[Finding] = []
        for c in cond["any"]:
            ok, fs = evaluate(c, findings, answer_of, metrics)
            if ok:
                held = True
                ev += fs
        return held, ev
    if "all" in cond:
        ev = []
        for c in cond["all"]:
            ok, fs = evaluate(c, findings, answer_of, metrics)
            if not ok:
                return False, []
            ev += fs
        return True, ev
    if "n_of" in cond:
        held_n, ev = 0, []
        for c in cond["of"]:
            ok, fs = evaluate(c, findings, answer_of, metrics)
            if ok:
                held_n += 1
                ev += fs
        return (held_n >= int(cond["n_of"])), (ev if held_n >= int(cond["n_of"]) else [])
    if "not" in cond:
        ok, _ = evaluate(cond["not"], findings, answer_of, metrics)
        return not ok, []
    if "metric" in cond:
        value = (metrics or {}).get(cond["metric"])
        if value is None:
            return False, []
        return _attr_ok(value, {k: v for k, v in cond.items() if k in _COMPARE and k != "eq"}) and (
            "eq" not in cond or value == cond["eq"]
        ), []
    if "answer" in cond:  # another question of the pack, or of another pack (``framework: checklist20``)
        value, fs = answer_of(f"{cond['framework']}:{cond['answer']}" if cond.get("framework") else cond["answer"])
        raw = cond.get("is", "yes")
        want = AnswerValue("yes" if raw is True else "no" if raw is False else raw)
        return value == want, (fs if value == want else [])
    # signal
    matched = findings.matching(cond["signal"])
    attrs = cond.get("attrs") or {}
    min_rank = _STRENGTHS.get(cond.get("min_strength", "mention"), 0)
    max_rank = _STRENGTHS.get(cond.get("max_strength", "strong"), 3)
    source = cond.get("source")
    hits = [
        f
        for f in matched
        if min_rank <= f.strength.rank <= max_rank
        and (source is None or str(f.source) == source)
        and all(_attr_ok(f.attrs.get(k), v) for k, v in attrs.items())
    ]
    key = cond.get("distinct")
    if key:
        values = {(f.signal if key == "signal" else _hashable(f.attrs.get(key))) for f in hits}
        values.discard(None)
        count = len(values)
    else:
        count = len(hits)
    return count >= int(cond.get("min_count", 1)), hits


def signals_of(cond: Any, negated: bool = True) -> list[str]:
    """The signal names a condition looks at (``any``/``all``/``of`` members; under ``not`` too unless
    ``negated`` is false), in the order written."""
    if not isinstance(cond, dict):
        return []
    out = [cond["signal"]] if "signal" in cond else []
    for k in ("any", "all", "of"):
        for c in cond.get(k, []):
            out += signals_of(c, negated)
    if negated and "not" in cond:
        out += signals_of(cond["not"], negated)
    return out


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(sorted(map(str, value)))
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    return value
