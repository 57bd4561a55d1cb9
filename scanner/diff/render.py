"""The diff document as terminal text, Markdown (a pull-request comment section) or JSON.

Everything that comes from the scanned repository (paths, snippets, reasons quoting them) is put in
code spans or escaped, so a file cannot inject Markdown or HTML into the comment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..lazyre import lazy_re
from ..reporters.links import blob_url
from ..reporters.mdtext import code

__all__ = ["RENDERERS", "code", "escape", "markdown", "terminal", "to_json"]

_CONTROL = lazy_re(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = lazy_re(r"([\\`*_\[\]<>|#!~])")
_ARROW = {"better": "⬆", "worse": "⬇", "changed": "↔"}
_MARK = {"yes": "✅ yes", "partial": "🟡 partial", "no": "❌ no", "unknown": "❔ unknown", None: "— (absent)"}
DEFAULT_EVIDENCE_LIMIT = 5


def escape(text: Any) -> str:
    """Plain text for Markdown (and table cells): specials escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(_CONTROL.sub(" ", str(text or "")).split()))


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _short(commit: str | None) -> str:
    return commit[:7] if commit else "work tree"


def _where(doc: Mapping[str, Any]) -> str:
    return doc["head"].get("subdir") or doc["base"].get("subdir") or "."


def _ev_line(ev: Mapping[str, Any], side: Mapping[str, Any]) -> str:
    path, line = str(ev.get("path") or ""), ev.get("line")
    loc = f"{path}:{line}" if line else path
    url = blob_url(side.get("remote"), side.get("commit"), path, line if isinstance(line, int) else None)
    where = f"[{code(loc)}]({url})" if url else code(loc)
    snippet = str(ev.get("snippet") or "")
    det = f" ({escape(ev.get('detector'))})" if ev.get("detector") else ""
    out = f"{where}{det}" + (f": {code(snippet[:200])}" if snippet else "")
    chain = [str(c) for c in ev.get("chain") or [] if isinstance(c, str)] if isinstance(ev.get("chain"), list) else []
    if chain:  # how the file is reached, nearest first
        out += " ← " + " ← ".join(escape(c) for c in chain[:4])
    caveats = [str(c) for c in ev.get("caveats") or [] if isinstance(c, str)] if isinstance(ev.get("caveats"), list) else []
    if caveats:
        out += " ⚠ " + "; ".join(escape(c) for c in caveats[:3])
    return out


def _capped(change: Mapping[str, Any]) -> str:
    """`` ⚠ optional, stub``: the short names of the caveats that cap the head answer at partial ('' when none)."""
    capped = change.get("capped_by") if isinstance(change.get("capped_by"), list) else []
    names = list(dict.fromkeys(str(c).split(":")[0] for c in capped if isinstance(c, str)))
    return " ⚠ " + ", ".join(escape(n) for n in names[:3]) if names else ""


def markdown(doc: Mapping[str, Any], *, evidence_limit: int = DEFAULT_EVIDENCE_LIMIT, report_url: str | None = None) -> str:
    """One comment section: the level and yes-count change, the answers that changed (worse first) with
    the evidence that appeared or disappeared, pitfalls added/removed and the other frameworks' levels."""
    lv, yc, ln = doc["level"], doc["yes_count"], doc["level_name"]
    base, head = doc["base"], doc["head"]
    arrow = " ⬇" if lv["change"] < 0 else " ⬆" if lv["change"] > 0 else ""
    out = [
        f"### ML maturity of {code(_where(doc))}: L{lv['base']} → L{lv['head']}{arrow}",
        "",
        f"| {escape(doc['framework'])} | base {code(_short(base.get('commit')))} | head {code(_short(head.get('commit')))}"
        + (" + uncommitted changes" if head.get("dirty") else "") + " | change |",
        "|---|---|---|---|",
        f"| Level | L{lv['base']} {escape(ln.get('base'))} | L{lv['head']} {escape(ln.get('head'))} | {_signed(lv['change'])} |",
        f"| Yes answers | {yc['base']} | {yc['head']} | {_signed(yc['change'])} |",
        "",
    ]
    frameworks = doc.get("frameworks") or []
    primary = frameworks[0] if frameworks else None
    if doc.get("regressed"):
        out += ["**Regressions:** " + "; ".join(escape(r).replace(r" -\>", " →") for r in doc["regressions"]), ""]
    if primary is None or not primary["changes"]:
        out += ["No answer changed." if primary is not None else "No framework in common between the two reports.", ""]
    else:
        changes = sorted(primary["changes"], key=lambda c: ("worse", "changed", "better").index(c["direction"]))
        out += ["| Question | Answer | |", "|---|---|---|"]
        for c in changes:
            out.append(f"| **{escape(c['id'])}** {escape(c['text'])} | {_MARK.get(c['base'], escape(c['base']))} → "
                       f"{_MARK.get(c['head'], escape(c['head']))}{_capped(c)} | {_ARROW[c['direction']]} {c['direction']} |")
        out.append("")
        out += _evidence(changes, base, head, evidence_limit, report_url)
    pit = doc.get("pitfalls") or {}
    if pit.get("added"):
        out += ["**Pitfalls added:** " + ", ".join(escape(p.get("title") or p["id"]) for p in pit["added"]), ""]
    if pit.get("removed"):
        out += ["**Pitfalls removed:** " + ", ".join(escape(p.get("title") or p["id"]) for p in pit["removed"]), ""]
    others = [f for f in frameworks[1:] if f["changes"] or f["level"]["change"]]
    if others:
        out += ["| Other framework | Level | Yes | Answers changed |", "|---|---|---|---|"]
        out += [f"| {escape(f['title'])} | L{f['level']['base']} → L{f['level']['head']} | {_signed(f['yes_count']['change'])} | "
                + (", ".join(f"{escape(c['id'])} {_ARROW[c['direction']]}" for c in f["changes"]) or "—") + " |" for f in others]
        out.append("")
    if head.get("reused_base_scan"):
        out += ["<sub>No file of this project changed: the base scan was reused.</sub>", ""]
    return "\n".join(out)


def _evidence(changes: list[Mapping[str, Any]], base: Mapping[str, Any], head: Mapping[str, Any], limit: int,
              report_url: str | None) -> list[str]:
    with_ev = [c for c in changes if c["evidence_added"] or c["evidence_removed"] or c["reason"].get("head")]
    if not with_ev:
        return []
    out = ["<details><summary>Evidence that appeared or disappeared</summary>", ""]
    cut = False
    for c in with_ev:
        out.append(f"**{escape(c['id'])}** ({escape(c['base'])} → {escape(c['head'])}): {escape(c['reason'].get('head'))}")
        out.append("")
        for label, evs, side in (("gone", c["evidence_removed"], base), ("new", c["evidence_added"], head)):
            for ev in evs[:limit]:
                out.append(f"- {label}: {_ev_line(ev, side)}")
            if len(evs) > limit:
                cut = True
                out.append(f"- … {len(evs) - limit} more {label}")
        out.append("")
    if cut or limit == 0:
        out += [f"Evidence cut; the full report: {report_url}" if report_url else "Evidence cut; see the full report artifact.", ""]
    out += ["</details>", ""]
    return out


def terminal(doc: Mapping[str, Any]) -> str:
    """Plain text for a terminal or a CI log."""
    lv, yc = doc["level"], doc["yes_count"]
    base, head = doc["base"], doc["head"]
    out = [
        f"mlscan diff {_where(doc)}: {base.get('ref') or _short(base.get('commit'))} -> {head.get('ref') or _short(head.get('commit'))}"
        + (" + uncommitted changes" if head.get("dirty") else ""),
        f"  level ({doc['framework']}): L{lv['base']} -> L{lv['head']} ({_signed(lv['change'])})",
        f"  yes answers: {yc['base']} -> {yc['head']} ({_signed(yc['change'])})",
    ]
    for f in doc.get("frameworks") or []:
        if not f["changes"] and not f["level"]["change"]:
            continue
        out.append(f"  {f['framework']}: L{f['level']['base']} -> L{f['level']['head']}, {len(f['changes'])} answer(s) changed")
        for c in f["changes"]:
            capped = "; ".join(str(x).split(":")[0] for x in c.get("capped_by") or [])
            out.append(f"    {c['id']}: {c['base']} -> {c['head']} ({c['direction']})" + (f" capped by: {capped}" if capped else ""))
            for ev in c["evidence_removed"]:
                out.append(f"      - {ev.get('path')}:{ev.get('line') or ''} {ev.get('detector') or ''}")
            for ev in c["evidence_added"]:
                out.append(f"      + {ev.get('path')}:{ev.get('line') or ''} {ev.get('detector') or ''}")
    for p in (doc.get("pitfalls") or {}).get("added", []):
        out.append(f"  pitfall added: {p['id']}")
    for p in (doc.get("pitfalls") or {}).get("removed", []):
        out.append(f"  pitfall removed: {p['id']}")
    if doc.get("regressed"):
        out.append("  regressions: " + "; ".join(doc["regressions"]))
    if head.get("reused_base_scan"):
        out.append("  (no file of the project changed: the base scan was reused)")
    return "\n".join(_CONTROL.sub(" ", line) for line in out) + "\n"


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"terminal": terminal, "markdown": markdown, "json": to_json}
