"""Compare two JSON reports (``mlscan.report.build_report`` documents) into one diff document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import __version__

DIFF_SCHEMA_VERSION = "1.0"

# Only ``yes`` counts towards a level; ``partial`` is on the way. ``no`` and ``unknown`` rank the same:
# a move between them is a change, neither better nor worse.
_RANK = {"yes": 2, "partial": 1, "no": 0, "unknown": 0}

Report = Mapping[str, Any]


def _evidence_key(ev: Mapping[str, Any]) -> tuple[str, str, str]:
    """Evidence identity without the line: moved lines are not a change."""
    return (str(ev.get("path") or ""), str(ev.get("detector") or ""), " ".join(str(ev.get("snippet") or "").split()))


def _evidence_delta(base: Iterable[Mapping[str, Any]], head: Iterable[Mapping[str, Any]]) -> tuple[list[Any], list[Any]]:
    b = {_evidence_key(e): e for e in base}
    h = {_evidence_key(e): e for e in head}
    return [dict(e) for k, e in h.items() if k not in b], [dict(e) for k, e in b.items() if k not in h]


def _direction(base: str, head: str) -> str:
    rb, rh = _RANK.get(base, 0), _RANK.get(head, 0)
    return "better" if rh > rb else "worse" if rh < rb else "changed"


def _side(report: Report) -> dict[str, Any]:
    t = report.get("target") or {}
    return {
        "path": t.get("path"),
        "subdir": t.get("subdir") or "",
        "commit": t.get("commit"),
        "remote": t.get("remote"),
        "schema_version": report.get("schema_version"),
        "tool_version": (report.get("tool") or {}).get("version"),
    }


def _frameworks(report: Report) -> dict[str, Mapping[str, Any]]:
    fw = report.get("frameworks")
    if isinstance(fw, Mapping) and fw:
        return dict(fw)
    # a report without the per-framework block: its top level is the primary framework
    return {str(report.get("framework") or "checklist20"): report}


def _framework_diff(name: str, base: Mapping[str, Any], head: Mapping[str, Any]) -> dict[str, Any]:
    bq = {q["id"]: q for q in base.get("questions") or []}
    hq = {q["id"]: q for q in head.get("questions") or []}
    changes: list[dict[str, Any]] = []
    for qid in list(bq) + [q for q in hq if q not in bq]:
        b, h = bq.get(qid), hq.get(qid)
        b_ans = b.get("answer") if b else None
        h_ans = h.get("answer") if h else None
        if b_ans == h_ans:
            continue
        added, removed = _evidence_delta((b or {}).get("evidence") or [], (h or {}).get("evidence") or [])
        q = h or b or {}
        changes.append(
            {
                "id": qid,
                "text": q.get("text", ""),
                "dimension": q.get("dimension"),
                "base": b_ans,
                "head": h_ans,
                "direction": _direction(b_ans or "unknown", h_ans or "unknown"),
                "reason": {"base": (b or {}).get("reason"), "head": (h or {}).get("reason")},
                "evidence_added": added,
                "evidence_removed": removed,
            }
        )
        capped = [c for c in (h or {}).get("capped_by") or [] if isinstance(c, str)]
        if capped:  # the caveats that hold the head answer at partial
            changes[-1]["capped_by"] = capped
    bl, hl = int(base.get("level") or 0), int(head.get("level") or 0)
    by, hy = int(base.get("yes_count") or 0), int(head.get("yes_count") or 0)
    return {
        "framework": name,
        "title": head.get("title") or base.get("title") or name,
        "level": {"base": bl, "head": hl, "change": hl - bl},
        "level_name": {"base": base.get("level_name"), "head": head.get("level_name")},
        "yes_count": {"base": by, "head": hy, "change": hy - by},
        "total": int(head.get("total") or base.get("total") or 0),
        "changes": changes,
    }


def _pitfalls(base: Report, head: Report) -> dict[str, list[dict[str, Any]]]:
    bp = {p["id"]: p for p in base.get("pitfalls") or []}
    hp = {p["id"]: p for p in head.get("pitfalls") or []}
    keep = ("id", "title", "why", "fix", "evidence")
    return {
        "added": [{k: p.get(k) for k in keep} for i, p in hp.items() if i not in bp],
        "removed": [{k: p.get(k) for k in keep} for i, p in bp.items() if i not in hp],
    }


def compare(base: Report, head: Report, *, base_ref: str | None = None, head_ref: str | None = None, reused: bool = False,
            head_dirty: bool = False) -> dict[str, Any]:
    """The diff document (``schemas/diff.schema.json``) from ``base`` to ``head``."""
    bf, hf = _frameworks(base), _frameworks(head)
    primary = str(head.get("framework") or base.get("framework") or next(iter(hf), "checklist20"))
    frameworks = [_framework_diff(n, bf[n], hf[n]) for n in hf if n in bf]
    frameworks.sort(key=lambda f: f["framework"] != primary)  # the primary framework first
    main = next((f for f in frameworks if f["framework"] == primary), None)
    doc: dict[str, Any] = {
        "schema_version": DIFF_SCHEMA_VERSION,
        "tool": {"name": "mlscan", "version": __version__},
        "base": {**_side(base), "ref": base_ref},
        "head": {**_side(head), "ref": head_ref, "reused_base_scan": reused, "dirty": head_dirty},
        "framework": primary,
        "level": main["level"] if main else {"base": 0, "head": 0, "change": 0},
        "level_name": main["level_name"] if main else {"base": None, "head": None},
        "yes_count": main["yes_count"] if main else {"base": 0, "head": 0, "change": 0},
        "frameworks": frameworks,
        "frameworks_only_in_base": sorted(n for n in bf if n not in hf),
        "frameworks_only_in_head": sorted(n for n in hf if n not in bf),
        "pitfalls": _pitfalls(base, head),
    }
    regs = regressions(doc)
    doc["regressed"] = bool(regs)
    doc["regressions"] = regs
    return doc


def regressions(doc: Mapping[str, Any]) -> list[str]:
    """What got worse, one line each: a framework's level, then each answer (``checklist20 O2: yes -> no``)."""
    out: list[str] = []
    for f in doc.get("frameworks") or []:
        lv = f["level"]
        if lv["change"] < 0:
            out.append(f"{f['framework']} level: L{lv['base']} -> L{lv['head']}")
        for c in f["changes"]:
            if c["direction"] == "worse":
                out.append(f"{f['framework']} {c['id']}: {c['base'] or 'absent'} -> {c['head'] or 'absent'}")
    return out
