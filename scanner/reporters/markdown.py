"""Markdown reporter: a summary fit for a pull-request comment or a wiki page."""

from __future__ import annotations

from ..engine import ScanResult
from ..model import Answer, AnswerValue

_MARK = {AnswerValue.YES: "✅ yes", AnswerValue.PARTIAL: "🟡 partial", AnswerValue.NO: "❌ no", AnswerValue.UNKNOWN: "❔ unknown"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _evidence_cell(a: Answer) -> str:
    if not a.evidence:
        return ""
    e = a.evidence[0]
    loc = f"{e.path}:{e.line}" if e.line else e.path
    more = f" (+{len(a.evidence) - 1})" if len(a.evidence) > 1 else ""
    return f"`{_cell(loc)}`{more}"


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
        out.append(f"| {a.id} | {_cell(a.text)} | {mark} | {_evidence_cell(a)} | {_cell(a.reason)} |")
    for _name, other in list(result.scores.items())[1:]:
        out += ["", f"## {other.title}", "", f"Level **{other.level}** — {other.level_name} ({other.yes_count}/{other.total} criteria met)"]
    if result.warnings:
        out += ["", f"<details><summary>{len(result.warnings)} scan warning(s)</summary>", ""]
        out += [f"- `{w.path or '-'}`: {_cell(w.message)}" for w in result.warnings[:50]]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
