"""SARIF 2.1.0 reporter: one result per question of each scored framework, for code-scanning UIs.

- ruleId ``<framework>/<question>`` (``checklist20/D4``); one rule per question with its text and what was looked for.
- An answer that is not yes is a ``fail`` result (``no`` -> warning, ``partial``/``unknown`` -> note) located at its
  strongest evidence; a ``no`` has no evidence, so it is located at the closest finding the question's conditions
  name (e.g. a dependency that is never wired), else at the project directory.
- A yes answer is a ``pass`` result (level ``none``) located at its evidence: the proof travels with the log.
  GitHub code scanning lists pass results too; drop them with ``jq 'del(.runs[].results[] | select(.kind=="pass"))'``.
- ``partialFingerprints`` hash (rule, detector, signal, path), never the line, so an alert survives edits above it.
- Scan warnings become ``invocations[0].toolExecutionNotifications``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from ..engine import ScanResult
from ..report import build_report
from .links import repo_web_url

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "mlscan/v1"
MAX_RELATED = 9
_LEVEL = {"no": "warning", "partial": "note", "unknown": "note"}
_STRENGTH_RANK = {"strong": 3, "medium": 2, "weak": 1, "mention": 0}


def render(result: ScanResult, **_: object) -> str:
    report = build_report(result)
    signals = {
        (name, q.id): tuple(sorted(set(condition_signals(q.yes)) | set(condition_signals(q.partial))))
        for name, pack in result.packs.items()
        for q in pack.questions
    }
    return json.dumps(sarif_log(report, signals), indent=2, ensure_ascii=False) + "\n"


def condition_signals(cond: Any) -> Iterable[str]:
    """Every signal name (or glob) a rule-pack condition mentions."""
    if isinstance(cond, Mapping):
        if isinstance(cond.get("signal"), str):
            yield cond["signal"]
        for v in cond.values():
            if isinstance(v, (Mapping, list)):
                yield from condition_signals(v)
    elif isinstance(cond, list):
        for v in cond:
            yield from condition_signals(v)


def fingerprint(rule_id: str, detector: str, signal: str, path: str) -> str:
    return hashlib.sha256("\0".join((rule_id, detector, signal, path)).encode()).hexdigest()[:32]


def _location(ev: Mapping[str, Any], message: str | None = None) -> dict[str, Any]:
    path = str(ev["path"])
    notebook, sep, _written = path.partition("#")
    written = bool(sep) and notebook.endswith(".ipynb")  # a file a notebook writes (%%writefile): the notebook holds it
    phys: dict[str, Any] = {"artifactLocation": {"uri": quote(notebook if written else path, safe="/"), "uriBaseId": "%SRCROOT%"}}
    if ev.get("source") == "observed":  # a live object (k8s://…, mlflow://…, arn:…), not a file of the repository
        phys = {"artifactLocation": {"uri": path}}
    line = None if written else ev.get("line")  # (its lines are the written file's, not the notebook's JSON)
    if isinstance(line, int) and line > 0:
        end = ev.get("end_line")
        region: dict[str, Any] = {"startLine": line}
        if isinstance(end, int) and end > line:
            region["endLine"] = end
        if ev.get("snippet"):
            region["snippet"] = {"text": ev["snippet"]}
        phys["region"] = region
    loc: dict[str, Any] = {"physicalLocation": phys}
    if message:
        loc["message"] = {"text": message}
    return loc


def _project_location(subdir: str) -> dict[str, Any]:
    uri = f"{quote(subdir, safe='/')}/" if subdir else "./"
    return {
        "physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}},
        "message": {"text": "no file found for this practice; the result applies to the whole project"},
    }


def _where(ev: Mapping[str, Any]) -> str:
    return f"{ev.get('path')}:{ev['line']}" if ev.get("line") else str(ev.get("path"))


def _rule(framework: str, q: Mapping[str, Any]) -> dict[str, Any]:
    looked_for = q.get("looked_for") or q.get("text") or q.get("id")
    text = str(q.get("text") or q.get("id"))
    return {
        "id": f"{framework}/{q.get('id')}",
        "name": f"{framework}/{q.get('id')}",
        "shortDescription": {"text": text[:1024]},
        "fullDescription": {"text": f"{text} Looked for: {looked_for}"[:1024]},
        "help": {"text": f"Looked for: {looked_for}", "markdown": f"**{q.get('id')}** — {text}\n\nLooked for: {looked_for}"},
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "tags": ["ml-maturity", framework] + ([str(q["dimension"])] if q.get("dimension") else []),
            "precision": "medium",
            "problem.severity": "recommendation",
        },
    }


def _closest(findings: list[Mapping[str, Any]], patterns: Iterable[str]) -> list[Mapping[str, Any]]:
    pats = tuple(patterns)
    near = [f for f in findings if f.get("evidence") and any(fnmatch.fnmatchcase(str(f.get("signal")), p) for p in pats)]
    return sorted(near, key=lambda f: (-_STRENGTH_RANK.get(str(f.get("strength")), 0), f["evidence"][0].get("path") or "", f["evidence"][0].get("line") or 0))


def _result(
    framework: str,
    rule_index: int,
    q: Mapping[str, Any],
    report: Mapping[str, Any],
    signal_of: Mapping[tuple[str, Any, str], str],
    patterns: Iterable[str],
) -> dict[str, Any]:
    rule_id = f"{framework}/{q.get('id')}"
    answer = str(q.get("answer") or "unknown")
    evidence = [e for e in q.get("evidence") or [] if isinstance(e, Mapping) and e.get("path")]
    reason = str(q.get("reason") or "")
    signal = ""
    if evidence:
        primary = evidence[0]
        related = evidence[1:]
        detector = str(primary.get("detector") or "")
        signal = signal_of.get((primary["path"], primary.get("line"), detector)) or next(iter(q.get("signals") or []), "")
        locations = [_location(primary, _wiring_note(primary))]
    else:
        near = _closest(list(report.get("findings") or []), patterns) if answer == "no" else []
        if near:
            f = near[0]
            primary = f["evidence"][0]
            detector, signal = str(f.get("detector") or ""), str(f.get("signal") or "")
            note = f"closest finding: {signal} ({f.get('strength')}), not enough for yes"
            locations = [_location(primary, note)]
            reason += f" — closest finding: {signal} at {_where(primary)} ({f.get('strength')})"
            related = [g["evidence"][0] for g in near[1:]]
        else:
            primary, related, detector = {"path": ""}, [], ""
            locations = [_project_location(str((report.get("target") or {}).get("subdir") or ""))]
    verdict = f"{q.get('id')} {answer}" + (" (attested)" if q.get("attested") else "")
    text = f"{verdict}: {q.get('text')} — {reason}" if reason else f"{verdict}: {q.get('text')}"
    caveats = [str(c) for c in (primary.get("caveats") or []) if isinstance(c, str)] if evidence else []
    if caveats:
        text += f" — caveats: {'; '.join(caveats)}"
    res: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "kind": "pass" if answer == "yes" else "fail",
        "level": "none" if answer == "yes" else _LEVEL.get(answer, "note"),
        "message": {"text": text},
        "locations": locations,
    }
    if related:
        res["relatedLocations"] = [dict(_location(e), id=i + 1) for i, e in enumerate(related[:MAX_RELATED])]
    res["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(rule_id, detector, signal, str(primary.get("path") or ""))}
    res["properties"] = {
        "answer": answer,
        "framework": framework,
        "dimension": q.get("dimension"),
        "attested": bool(q.get("attested")),
        "signals": list(q.get("signals") or []),
    }
    if evidence and (primary.get("chain") or caveats):
        res["properties"]["chain"] = [str(c) for c in primary.get("chain") or []]
        res["properties"]["caveats"] = caveats
    return res


def _wiring_note(ev: Mapping[str, Any]) -> str | None:
    """``defined at a.py:4 ← run by run.sh:8 ← called from CI step ...`` for a location message (None without a chain)."""
    chain = [str(c) for c in ev.get("chain") or [] if isinstance(c, str)]
    return " ← ".join((f"defined at {_where(ev)}", *chain)) if chain else None


def sarif_log(report: Mapping[str, Any], signals: Mapping[tuple[str, str], tuple[str, ...]] | None = None) -> dict[str, Any]:
    """The SARIF log for a JSON report dict; ``signals`` maps (framework, question) to the signals its rules use."""
    signals = signals or {}
    frameworks = report.get("frameworks") or {report.get("framework"): report}
    signal_of: dict[tuple[str, Any, str], str] = {}
    for f in report.get("findings") or []:
        for ev in f.get("evidence") or []:
            signal_of.setdefault((ev.get("path"), ev.get("line"), ev.get("detector") or f.get("detector")), f.get("signal"))
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for name, fw in frameworks.items():
        for q in fw.get("questions") or []:
            rules.append(_rule(str(name), q))
            results.append(_result(str(name), len(rules) - 1, q, report, signal_of, signals.get((name, q.get("id")), ())))
    tool = report.get("tool") or {}
    target = report.get("target") or {}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "mlscan",
                "version": str(tool.get("version") or ""),
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"mlscan/{target['subdir']}/" if target.get("subdir") else "mlscan/"},
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {"text": str(w.get("message"))},
                        "descriptor": {"id": str(w.get("code"))},
                        **({"locations": [_location({"path": w["path"]})]} if w.get("path") else {}),
                    }
                    for w in report.get("warnings") or []
                ],
            }
        ],
        "results": results,
        "properties": {
            "framework": report.get("framework"),
            "level": report.get("level"),
            "level_name": report.get("level_name"),
            "yes_count": report.get("yes_count"),
            "total": report.get("total"),
            "radar": {d.get("name"): d.get("level") for d in report.get("radar") or []},
        },
    }
    web = repo_web_url(target.get("remote"))
    if web and target.get("commit"):
        run["versionControlProvenance"] = [{"repositoryUri": web, "revisionId": target["commit"]}]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
