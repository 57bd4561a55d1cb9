"""``mlscan explain ID``: a question's wording, what counts as yes, and which detectors feed it."""

from __future__ import annotations

import fnmatch
from typing import Any

from .errors import UsageError
from .scoring.conditions import signals_of
from .scoring.rulepack import load_packs


def _describe(cond: Any, indent: int = 2) -> list[str]:
    pad = " " * indent
    if "any" in cond:
        return [f"{pad}any of:"] + [ln for c in cond["any"] for ln in _describe(c, indent + 2)]
    if "all" in cond:
        return [f"{pad}all of:"] + [ln for c in cond["all"] for ln in _describe(c, indent + 2)]
    if "n_of" in cond:
        return [f"{pad}at least {cond['n_of']} of:"] + [ln for c in cond["of"] for ln in _describe(c, indent + 2)]
    if "not" in cond:
        return [f"{pad}not:"] + _describe(cond["not"], indent + 2)
    if "answer" in cond:
        of = f" of {cond['framework']}" if cond.get("framework") else ""
        return [f"{pad}question {cond['answer']}{of} is {cond.get('is', 'yes')}"]
    if "const" in cond:
        return [f"{pad}{'always' if cond['const'] else 'never'} (no file can show this; attest it in .mlscan.yml)"]
    extra = []
    if cond.get("attrs"):
        extra.append(f"with {cond['attrs']}")
    if cond.get("min_count", 1) > 1:
        extra.append(f"at least {cond['min_count']}" + (f" distinct {cond['distinct']}" if cond.get("distinct") else ""))
    if cond.get("min_strength"):
        extra.append(f"strength ≥ {cond['min_strength']}")
    if cond.get("max_strength"):
        extra.append(f"strength ≤ {cond['max_strength']}")
    label = f" — {cond['label']}" if cond.get("label") else ""
    return [f"{pad}signal {cond['signal']} {' '.join(extra)}".rstrip() + label]


def explain(qid: str, framework: str, rules: list[str]) -> str:
    from .plugins import load_detectors

    packs = load_packs(rules)
    if framework not in packs:
        raise UsageError(f"unknown framework {framework!r}; known: {', '.join(sorted(packs))}")
    candidates = [packs[framework]]
    candidates += [p for n, p in packs.items() if n != framework]
    for pack in candidates:
        q = pack.question(qid)
        if q is None:
            continue
        sigs = sorted({p for s in signals_of(q.yes) + signals_of(q.partial or {}) for p in s.split("|")})
        feeders = []
        for d in load_detectors():
            emits = any(fnmatch.fnmatchcase(emitted, s) for s in sigs for emitted in d.signals)
            if (pack.framework == "checklist20" and qid in d.questions) or emits:
                feeders.append(f"  {d.id}: {d.describe()}")
        lines = [f"{q.id} ({pack.framework}): {q.text}"]
        if q.section or q.dimension:
            lines.append(f"section: {q.section or '-'}   dimension: {q.dimension or '-'}")
        if q.looked_for:
            lines.append(f"looks for: {q.looked_for}")
        if q.why:
            lines.append(f"why: {q.why}")
        needed_by = [lv for lv in pack.levels if q.id in lv.requires]
        if needed_by:
            lines.append("required for: " + ", ".join(f"level {lv.level} ({lv.name})" for lv in needed_by))
        elif pack.method == "cascade":
            lines.append("required for: no level (reported only)")
        if q.applies:
            lines.append("applies when:")
            lines += _describe(q.applies)
        lines.append("yes when:")
        lines += _describe(q.yes)
        if q.partial:
            lines.append("partial when:")
            lines += _describe(q.partial)
        lines.append("detectors feeding it:")
        lines += feeders or ["  (none registered)"]
        guide = pack.guidance.get("questions", {}).get(q.id)
        if guide:
            lines.append(f"next-step guidance (cost {guide.get('cost', '-')}, 1 = cheapest):")
            for step in guide.get("actions", []):
                tools = f" [{', '.join(step['tools'])}]" if step.get("tools") else ""
                lines.append(f"  aiming at level {step['level']}: {step['action']}{tools}")
        return "\n".join(lines)
    raise UsageError(f"no question or criterion {qid!r} in any framework (try 'mlscan frameworks')")
