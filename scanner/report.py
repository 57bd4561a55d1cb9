"""The JSON report: a contract other tools rely on. Extend it; never break it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from . import __version__
from .engine import ScanResult
from .model import Score
from .textsafe import clean_tree, truncate

SCHEMA_VERSION = "1.1"  # 1.1: crosswalk, pitfalls, next_steps, attestations
# A report stays small whatever the repository holds (10,000 workflows: one finding each): the first findings of
# each signal, evidence and warnings are kept, and the number left out is stated (``*_omitted``).
MAX_FINDINGS_PER_SIGNAL = 50
MAX_FINDING_EVIDENCE = 20
MAX_WARNINGS = 500
MAX_ATTR_CHARS = 500
MAX_ATTR_ITEMS = 50


def score_json(score: Score) -> dict[str, Any]:
    return {
        "framework": score.framework,
        "title": score.title,
        "level": score.level,
        "level_name": score.level_name,
        "yes_count": score.yes_count,
        "total": score.total,
        "questions": [a.to_json() for a in score.answers],
        "radar": [d.to_json() for d in score.radar],
    }


def build_report(result: ScanResult) -> dict[str, Any]:
    primary = result.primary
    t = result.target
    findings, omitted = _capped_findings(result)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlscan", "version": __version__},
        "target": {
            "path": result.display_path,
            "root": str(t.root),
            "subdir": t.subdir,
            "commit": t.commit,
            "remote": t.remote_url,
            "git": t.is_git,
        },
        "framework": primary.framework,
        "title": primary.title,
        "level": primary.level,
        "level_name": primary.level_name,
        "yes_count": primary.yes_count,
        "total": primary.total,
        "questions": [a.to_json() for a in primary.answers],
        "radar": [d.to_json() for d in primary.radar],
        "frameworks": {name: score_json(s) for name, s in result.scores.items()},
        "findings": findings,
        "warnings": [w.to_json() for w in result.warnings[:MAX_WARNINGS]],
        "skipped": result.skipped,
        "policy": result.policy,
        "stats": result.stats,
        "crosswalk": result.crosswalk,
        "pitfalls": [p.to_json() for p in result.pitfalls],
        "next_steps": result.next_steps.to_json() if result.next_steps else None,
        "attestations": [a.to_json() for a in result.attestations],
    }
    for key, value in result.extras.items():
        if value:
            report[key] = value
    live = result.extras.get("live")
    if live and live.get("framework") == primary.framework:  # declared vs observed per answer (docs/live.md)
        for q in report["questions"]:
            if q["id"] in live["answers"]:
                q["live"] = live["answers"][q["id"]]
    if omitted:
        report["findings_omitted"] = dict(sorted(omitted.items()))
    if len(result.warnings) > MAX_WARNINGS:
        report["warnings_omitted"] = len(result.warnings) - MAX_WARNINGS
    # every string as every format shows it: undecodable bytes and control characters as \xNN (textsafe)
    return clean_tree(report)  # type: ignore[no-any-return]


def _capped_findings(result: ScanResult) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The first MAX_FINDINGS_PER_SIGNAL findings of each signal (report order) as JSON, their evidence and
    attribute values capped too; and how many findings of each signal were left out."""
    kept: Counter[str] = Counter()
    omitted: Counter[str] = Counter()
    out: list[dict[str, Any]] = []
    for f in sorted(result.findings, key=_finding_key):
        if kept[f.signal] >= MAX_FINDINGS_PER_SIGNAL:
            omitted[f.signal] += 1
            continue
        kept[f.signal] += 1
        j = f.to_json()
        if len(j["evidence"]) > MAX_FINDING_EVIDENCE:
            j["evidence_omitted"] = len(j["evidence"]) - MAX_FINDING_EVIDENCE
            j["evidence"] = j["evidence"][:MAX_FINDING_EVIDENCE]
        j["attrs"] = {k: _capped(v) for k, v in j["attrs"].items()}
        out.append(j)
    return out, omitted


def _capped(value: Any) -> Any:
    """An attribute value with long strings cut and long lists shortened (a detector may copy a command line)."""
    if isinstance(value, str):
        return truncate(value, MAX_ATTR_CHARS)
    if isinstance(value, list):
        return [_capped(v) for v in value[:MAX_ATTR_ITEMS]]
    if isinstance(value, dict):
        return {k: _capped(v) for k, v in list(value.items())[:MAX_ATTR_ITEMS]}
    return value


def _finding_key(f: Any) -> tuple[str, str, int]:
    e = f.evidence[0] if f.evidence else None
    return (f.signal, e.path if e else "", (e.line or 0) if e else 0)
