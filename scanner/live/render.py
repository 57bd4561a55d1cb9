"""The live section of the text reports (terminal, markdown): per answer what the repository declares next to what
the endpoints show, the contradictions, and the areas that could not be read. Rendered from the report's ``live``."""

from __future__ import annotations

from typing import Any

_ORDER = ("contradicted", "unknown")


def _rows(live: dict[str, Any], answers: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(question, declared, observed, answer) for every question a probe feeds."""
    return [(q, v["declared"], v["observed"], answers.get(q, "")) for q, v in live.get("answers", {}).items() if v.get("observed") is not None]


def _failed(live: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in live.get("areas", []) if a["status"] not in ("ok", "not-installed")]


def _endpoints(live: dict[str, Any]) -> str:
    return ", ".join(f"{e['platform']} {e['endpoint']}" for e in live.get("endpoints", []))


def markdown_lines(live: dict[str, Any], answers: dict[str, str]) -> list[str]:
    def cell(t: Any) -> str:
        return str(t).replace("|", "\\|").replace("\n", " ")

    out = ["", "## Live evidence", "", f"Read: {cell(_endpoints(live))} · {live.get('observed', 0)} objects, {len(live.get('linked', []))} linked "
           "to this repository.", ""]
    rows = _rows(live, answers)
    if rows:
        out += ["| ID | Declared (repository) | Observed (live) | Answer |", "|---|---|---|---|"]
        out += [f"| {q} | {d} | {o} | {a} |" for q, d, o, a in rows]
    if live.get("contradictions"):
        out += ["", "**Contradictions**", ""]
        for c in live["contradictions"]:
            out.append(f"- {c['question']} `{cell(c['observed'])}`: {cell(c['message'])}")
    failed = _failed(live)
    if failed:
        out += ["", "**Could not read** (their evidence is unknown, not absent)", ""]
        out += [f"- {a['area']}: {a['status']} — {cell(a['message'])}" for a in failed]
    return out


def text_lines(live: dict[str, Any], answers: dict[str, str]) -> list[str]:
    out = [f"Live evidence: {_endpoints(live)}; {live.get('observed', 0)} objects, {len(live.get('linked', []))} linked"]
    rows = _rows(live, answers)
    if rows:
        out.append("  " + "  ".join(f"{q} declared {d} / observed {o}" for q, d, o, _a in rows))
    for c in live.get("contradictions", []):
        out.append(f"  contradiction {c['question']}: {c['message']}")
    for a in _failed(live):
        out.append(f"  unknown: {a['area']} ({a['status']}: {a['message']})")
    return out
