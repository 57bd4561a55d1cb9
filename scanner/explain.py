"""``mlscan explain ID``: a question's wording, what counts as yes, and which detectors feed it."""

from __future__ import annotations

from typing import Any

from .errors import UsageError
from .rulepack import load_packs


def _signals(cond: Any) -> list[str]:
    if not isinstance(cond, dict):
        return []
    out = [cond["signal"]] if "signal" in cond else []
    for k in ("any", "all"):
        for c in cond.get(k, []):
            out += _signals(c)
    if "not" in cond:
        out += _signals(cond["not"])
    return out


def _describe(cond: Any, indent: int = 2) -> list[str]:
    pad = " " * indent
    if "any" in cond:
        return [f"{pad}any of:"] + [ln for c in cond["any"] for ln in _describe(c, indent + 2)]
    if "all" in cond:
        return [f"{pad}all of:"] + [ln for c in cond["all"] for ln in _describe(c, indent + 2)]
    if "not" in cond:
        return [f"{pad}not:"] + _describe(cond["not"], indent + 2)
    if "answer" in cond:
        return [f"{pad}question {cond['answer']} is {cond.get('is', 'yes')}"]
    if "const" in cond:
        return [f"{pad}{'always' if cond['const'] else 'never'} (no file can show this; attest it in .mlscan.yml)"]
    extra = []
    if cond.get("attrs"):
        extra.append(f"with {cond['attrs']}")
    if cond.get("min_count", 1) > 1:
        extra.append(f"at least {cond['min_count']}")
    if cond.get("min_strength"):
        extra.append(f"strength ≥ {cond['min_strength']}")
    label = f" — {cond['label']}" if cond.get("label") else ""
    return [f"{pad}signal {cond['signal']} {' '.join(extra)}".rstrip() + label]


def explain(qid: str, framework: str, rules: list[str]) -> str:
    from .plugins import load_detectors

    packs = load_packs(rules)
    candidates = [packs[framework]] if framework in packs else []
    candidates += [p for n, p in packs.items() if n != framework]
    for pack in candidates:
        q = pack.question(qid)
        if q is None:
            continue
        sigs = sorted(set(_signals(q.yes) + _signals(q.partial or {})))
        feeders = []
        for d in load_detectors():
            if qid in d.questions or any(s.startswith(d.id.split(".")[0] + ".") for s in sigs if d.signals and s in d.signals):
                feeders.append(f"  {d.id}: {d.describe()}")
        lines = [f"{q.id} ({pack.framework}): {q.text}"]
        if q.section or q.dimension:
            lines.append(f"section: {q.section or '-'}   dimension: {q.dimension or '-'}")
        if q.looked_for:
            lines.append(f"looks for: {q.looked_for}")
        if q.why:
            lines.append(f"why: {q.why}")
        lines.append("yes when:")
        lines += _describe(q.yes)
        if q.partial:
            lines.append("partial when:")
            lines += _describe(q.partial)
        lines.append("detectors feeding it:")
        lines += feeders or ["  (none registered)"]
        return "\n".join(lines)
    raise UsageError(f"no question or criterion {qid!r} in any framework (try 'mlscan frameworks')")
