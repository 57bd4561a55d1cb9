"""The JSON report: a contract other tools rely on. Extend it; never break it."""

from __future__ import annotations

from typing import Any

from . import __version__
from .engine import ScanResult
from .model import Score

SCHEMA_VERSION = "1.1"  # 1.1: crosswalk, pitfalls, next_steps, attestations


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
        "findings": [f.to_json() for f in sorted(result.findings, key=_finding_key)],
        "warnings": [w.to_json() for w in result.warnings],
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
    return report


def _finding_key(f: Any) -> tuple[str, str, int]:
    e = f.evidence[0] if f.evidence else None
    return (f.signal, e.path if e else "", (e.line or 0) if e else 0)
