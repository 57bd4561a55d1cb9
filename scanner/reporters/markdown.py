"""Markdown reporter: a summary fit for a pull-request comment or a wiki page."""

from __future__ import annotations

from ..engine import ScanResult
from ..model import Answer, AnswerValue, Evidence
from ..textsafe import display_path, first_line, more, printable, truncate
from .mdtext import cell_code, prose

MAX_WARNINGS = 50
SNIPPET_CHARS = 100  # of the leading item's first snippet line in the answers table

_MARK = {AnswerValue.YES: "✅ yes", AnswerValue.PARTIAL: "🟡 partial", AnswerValue.NO: "❌ no", AnswerValue.UNKNOWN: "❔ unknown"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _evidence_cell(a: Answer) -> str:
    """The leading item: its line range (and structural path), the first line of its snippet, how the file is reached
    (``defined at ... ← run by ... ← called from ...``) and its caveats; repository text in code spans or escaped."""
    if not a.evidence:
        return ""
    e = a.evidence[0]
    extra = len(a.evidence) - 1 + a.evidence_omitted
    out = cell_code(e.location()) + (f" (+{extra:,})" if extra else "")
    if e.context:
        out += f" at {cell_code(printable(e.context))}"
    line = first_line(e.snippet)
    if line:
        out += "<br>" + cell_code(truncate(printable(line), SNIPPET_CHARS))
    if e.chain:
        out += "<br>" + prose(printable(e.wiring()))
    if e.caveats:
        out += "<br>⚠ " + "; ".join(prose(printable(c)) for c in e.caveats)
    return out


def _loc(e: Evidence) -> str:
    return cell_code(f"{display_path(e.path)}:{e.line}" if e.line else display_path(e.path))


def _crosswalk(result: ScanResult) -> list[str]:
    cw = result.crosswalk
    if not cw:
        return []
    return ["", "## Crosswalk", "", crosswalk_line(cw)]


def crosswalk_line(cw: dict[str, object]) -> str:
    """``checklist20 L2 ≈ Google L1 · Microsoft L2 · AWS Repeatable; also scored: mm5 L3, ...``"""
    names = [k for k in cw if k not in ("google", "google_label", "microsoft", "aws")]
    if not names:
        return ""
    anchors = f"Google {cw.get('google_label', cw.get('google'))} · Microsoft L{cw.get('microsoft')} · AWS {cw.get('aws') or '—'}"
    others = ", ".join(f"{k} {cw[k]}" for k in names[1:])
    return f"{names[0]} L{cw[names[0]]} ≈ {anchors}" + (f"; also scored: {others}" if others else "")


def _pitfalls(result: ScanResult) -> list[str]:
    if not result.pitfalls:
        return []
    out = ["", "## Pitfalls", ""]
    for hit in result.pitfalls:
        p = hit.pitfall
        ev = ", ".join(_loc(e) for e in hit.evidence[:3])
        miss = ", ".join(m.question or m.text for m in hit.missing)
        out.append(f"- **{_cell(p.title)}** ({_cell(p.source)}): {_cell(p.why)}")
        if ev or miss:
            out.append(f"  Evidence: {ev or '-'}" + (f" · missing: {_cell(miss)}" if miss else ""))
        out.append(f"  Fix: {_cell(p.fix)}")
    return out


def _next_steps(result: ScanResult) -> list[str]:
    ns = result.next_steps
    if ns is None or ns.target_level is None:
        return []
    out = ["", f"## Next steps: level {ns.current_level} → {ns.target_level} ({_cell(ns.target_name)})", ""]
    if ns.bottleneck:
        b = ns.bottleneck
        level = f" (L{b['level']} {b['label']})" if b.get("level") is not None else ""
        out.append(f"Bottleneck: **{_cell(b['dimension'])}**{level}. Needed: {ns.needed_yes} more yes.")
        out.append("")
    for i, a in enumerate(ns.actions, 1):
        tools = f" Tools: {', '.join(a.tools)}." if a.tools else ""
        present = f" Already there: {', '.join(_loc(e) for e in a.evidence_present)}." if a.evidence_present else ""
        out.append(f"{i}. **{a.question}** ({a.answer}) {_cell(a.action)}{tools}{present}")
    t = ns.transition
    if t:
        facts = " · ".join(str(t[k]) for k in ("duration", "effort", "cost") if t.get(k))
        out += ["", f"Transition: {_cell(facts)}" + (f" — payoff: {_cell(t['payoff'])}" if t.get("payoff") else "")]
    if ns.readiness:
        out += ["", "Ready to level up when: " + "; ".join(_cell(r) for r in ns.readiness)]
    return out


def render(result: ScanResult, **_: object) -> str:
    s = result.primary
    t = result.target
    where = t.subdir or "."
    out = [
        f"# mlscan: L{s.level} — {s.level_name}",
        "",
        f"**{s.title}** · {s.yes_count}/{s.total} yes · target `{where}`"
        + (f" @ `{t.commit[:12]}`" if t.commit else ""),
        "",
        "## Radar",
        "",
        "| Dimension | Level | |",
        "|---|---|---|",
    ]
    out += [f"| {d.name} | L{d.rung} | {d.label} |" for d in s.radar]
    out += ["", "## Answers", "", "| ID | Question | Answer | Evidence | Why |", "|---|---|---|---|---|"]
    for a in s.answers:
        mark = _MARK[a.value] + (" (attested)" if a.attested else "")
        out.append(f"| {a.id} | {_cell(a.text)} | {mark} | {_evidence_cell(a)} | {prose(a.reason)} |")
    for _name, other in list(result.scores.items())[1:]:
        out += ["", f"## {other.title}", "", f"Level **{other.level}** — {other.level_name} ({other.yes_count}/{other.total} criteria met)"]
    if result.extras.get("live"):  # declared vs observed (scanner/live/render.py)
        from ..live.render import markdown_lines

        out += markdown_lines(result.extras["live"], {a.id: str(a.value) for a in s.answers})
    out += _crosswalk(result) + _pitfalls(result) + _next_steps(result)
    if result.warnings:
        out += ["", f"<details><summary>{len(result.warnings)} scan warning(s)</summary>", ""]
        out += [f"- {cell_code(display_path(w.path or '-'))}: {prose(w.message)}" for w in result.warnings[:MAX_WARNINGS]]
        if len(result.warnings) > MAX_WARNINGS:
            out.append(f"- {more(len(result.warnings) - MAX_WARNINGS)} (see --format json)")
        out += ["", "</details>"]
    # repository text (paths, messages, snippets) with undecodable bytes and control characters as \xNN
    return printable("\n".join(out) + "\n", keep="\n\t")
