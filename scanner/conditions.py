"""Evaluate rule-pack conditions over findings and other answers."""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .model import AnswerValue, Finding, Strength

_STRENGTHS = {s.value: s.rank for s in Strength}


class Findings:
    """Findings grouped by signal, for fast lookup by exact name or glob."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.all = list(findings)
        self.by_signal: dict[str, list[Finding]] = defaultdict(list)
        for f in self.all:
            self.by_signal[f.signal].append(f)

    def matching(self, pattern: str) -> list[Finding]:
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
            if op == "ne" and actual == val:
                return False
            if op == "exists" and (actual is not None) != bool(val):
                return False
        return True
    return actual == expected


AnswerLookup = Callable[[str], tuple[AnswerValue, list[Finding]]]


def evaluate(cond: dict[str, Any], findings: Findings, answer_of: AnswerLookup) -> tuple[bool, list[Finding]]:
    """(holds, findings that make it hold). ``not`` contributes no evidence."""
    if "const" in cond:
        return bool(cond["const"]), []
    if "any" in cond:
        held = False
        ev: list[Finding] = []
        for c in cond["any"]:
            ok, fs = evaluate(c, findings, answer_of)
            if ok:
                held = True
                ev += fs
        return held, ev
    if "all" in cond:
        ev = []
        for c in cond["all"]:
            ok, fs = evaluate(c, findings, answer_of)
            if not ok:
                return False, []
            ev += fs
        return True, ev
    if "not" in cond:
        ok, _ = evaluate(cond["not"], findings, answer_of)
        return not ok, []
    if "answer" in cond:
        value, fs = answer_of(cond["answer"])
        raw = cond.get("is", "yes")
        want = AnswerValue("yes" if raw is True else "no" if raw is False else raw)
        return value == want, (fs if value == want else [])
    # signal
    matched = findings.matching(cond["signal"])
    attrs = cond.get("attrs") or {}
    min_rank = _STRENGTHS.get(cond.get("min_strength", "mention"), 0)
    source = cond.get("source")
    hits = [
        f
        for f in matched
        if f.strength.rank >= min_rank
        and (source is None or str(f.source) == source)
        and all(_attr_ok(f.attrs.get(k), v) for k, v in attrs.items())
    ]
    return len(hits) >= int(cond.get("min_count", 1)), hits
