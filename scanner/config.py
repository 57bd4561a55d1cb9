"""``.mlscan.yml`` in the scanned repository: excludes and attestations.

The file is looked up in the project directory, else at the repository root. It is configuration, so a
malformed file stops the scan with ``file:line: message`` (exit 2), unlike the scanned files themselves.

    exclude: ["examples/**"]
    attestations:
      - question: T1
        answer: yes
        reason: onboarding is pair-programmed; the wiki page is outside the repo
        owner: ml-platform@acme.example
        expires: 2026-12-31
        framework: checklist20     # optional: default every scanned pack with that question id
    projects: [services/churn, services/fraud]   # monorepo: what `mlscan org scan` scans one by one (root file only)
    live:                          # live endpoints to read (docs/live.md); never an endpoint URI
      k8s: {namespaces: [ml], names: [churn-train]}

An active attestation replaces the scanned answer (``attested: true``, evidence ``.mlscan.yml:line`` with
source ``attested``); an expired one is a warning and does not count; ``--no-attestations`` ignores them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .index import FileIndex
from .index.formats import LineDict, LineList, load_yaml_all
from .model import AnswerValue, Evidence, Source, Strength, Warning_
from .valueclass import Value, setfield

if TYPE_CHECKING:
    from datetime import date

CONFIG_NAMES = (".mlscan.yml", ".mlscan.yaml")
Override = tuple[AnswerValue, str, tuple[Evidence, ...]]


class ConfigError(UsageError):
    """``.mlscan.yml`` is malformed: ``file:line: message``, exit 2."""


class Attestation(Value, frozen=True):
    """A team's own answer to a question in .mlscan.yml: reason, owner, expiry and status."""
    question: str
    answer: AnswerValue
    reason: str
    owner: str
    expires: str | None
    framework: str | None
    path: str
    line: int
    status: str  # active | expired | ignored
    evidence: Evidence

    _fields = ("question", "answer", "reason", "owner", "expires", "framework", "path", "line", "status", "evidence")
    __slots__ = _fields

    def __init__(
        self,
        question: str,
        answer: AnswerValue,
        reason: str,
        owner: str,
        expires: str | None,
        framework: str | None,
        path: str,
        line: int,
        status: str,
        evidence: Evidence,
    ) -> None:
        setfield(self, "question", question)
        setfield(self, "answer", answer)
        setfield(self, "reason", reason)
        setfield(self, "owner", owner)
        setfield(self, "expires", expires)
        setfield(self, "framework", framework)
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "status", status)
        setfield(self, "evidence", evidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": str(self.answer),
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires,
            "framework": self.framework,
            "status": self.status,
            "path": self.path,
            "line": self.line,
        }


class RepoConfig(Value):
    """What the repository's .mlscan.yml says: excludes, attestations, live endpoints, warnings."""
    path: str | None
    excludes: list[str]
    attestations: list[Attestation]
    warnings: list[Warning_]
    live: dict[str, Any] | None  # the ``live:`` section (scanner/live/run.py reads it)

    _fields = ("path", "excludes", "attestations", "warnings", "live")

    def __init__(
        self,
        path: str | None = None,
        excludes: list[str] | None = None,
        attestations: list[Attestation] | None = None,
        warnings: list[Warning_] | None = None,
        live: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.excludes = [] if excludes is None else excludes
        self.attestations = [] if attestations is None else attestations
        self.warnings = [] if warnings is None else warnings
        self.live = live

    def overrides_for(self, framework: str, question_ids: set[str]) -> dict[str, Override]:
        """Active attestations that apply to one pack, as score overrides."""
        out: dict[str, Override] = {}
        for a in self.attestations:
            if a.status != "active" or a.question not in question_ids or (a.framework and a.framework != framework):
                continue
            until = f", until {a.expires}" if a.expires else ""
            out[a.question] = (a.answer, f"attested by {a.owner}{until}: {a.reason}", (a.evidence,))
        return out

    def report(self) -> list[dict[str, Any]]:
        return [a.to_json() for a in self.attestations]


def find_config(index: FileIndex) -> str | None:
    """Path (repo-root relative) of the config: the project directory first, then the repository root."""
    sub = index.target.subdir
    dirs = [f"{sub}/", ""] if sub else [""]
    for d in dirs:
        for name in CONFIG_NAMES:
            hits = index.select((d + name,))
            if hits:
                return hits[0].path
    return None


def load_config(
    index: FileIndex,
    *,
    use_attestations: bool = True,
    known: Mapping[str, set[str]] | None = None,
    today: date | None = None,
) -> RepoConfig:
    """Read and validate ``.mlscan.yml``; ``known`` maps every loaded framework to its question ids."""
    path = find_config(index)
    if path is None:
        return RepoConfig()
    where = str(index.root / path)
    text = index.text(path)
    if text is None:
        raise ConfigError(f"{where}:1: cannot read the configuration file")
    try:
        docs = load_yaml_all(text)
    except ValueError as e:
        m = re.match(r"line (\d+): (.*)", str(e))
        raise ConfigError(f"{where}:{m.group(1) if m else 1}: invalid YAML: {m.group(2) if m else e}") from None
    if not docs:
        return RepoConfig(path=path)
    if len(docs) > 1:
        raise ConfigError(f"{where}:1: expected one YAML document, found {len(docs)}")
    data = docs[0]
    if not isinstance(data, dict):
        raise ConfigError(f"{where}:1: expected a mapping with 'exclude' and/or 'attestations'")
    _validate(data, where)
    cfg = RepoConfig(path=path, excludes=[str(x) for x in data.get("exclude") or []], live=dict(data["live"]) if data.get("live") else None)
    from datetime import date  # only for a repository with a configuration file (~3 ms)

    today = today or date.today()
    seen: dict[tuple[str | None, str], int] = {}
    items = data.get("attestations") or LineList()
    for i, item in enumerate(items):
        line = items.line_of(i) if isinstance(items, LineList) else 1
        cfg.attestations.append(_attestation(index, path, where, item, line, known, today, use_attestations, seen))
        a = cfg.attestations[-1]
        if a.status == "expired":
            cfg.warnings.append(
                Warning_("attestation-expired", f"attestation for {a.question} (line {a.line}) expired on {a.expires}; it does not count", path)
            )
    return cfg


def _attestation(
    index: FileIndex,
    path: str,
    where: str,
    item: dict[str, Any],
    line: int,
    known: Mapping[str, set[str]] | None,
    today: date,
    use: bool,
    seen: dict[tuple[str | None, str], int],
) -> Attestation:
    def line_of(key: str) -> int:
        return item.line_of(key) if isinstance(item, LineDict) else line

    qid, fw = str(item["question"]), item.get("framework")
    if known is not None:
        if fw is not None and fw not in known:
            raise ConfigError(f"{where}:{line_of('framework')}: unknown framework {fw!r}; known: {', '.join(sorted(known))}")
        ids = known[fw] if fw is not None else set().union(*known.values())
        if qid not in ids:
            raise ConfigError(f"{where}:{line_of('question')}: unknown question {qid!r}" + (f" in {fw}" if fw else ""))
    key = (fw, qid)
    if key in seen:
        raise ConfigError(f"{where}:{line}: question {qid} is attested twice (first on line {seen[key]})")
    seen[key] = line
    expires = item.get("expires")
    status = "active" if use else "ignored"
    if expires is not None:
        try:
            from datetime import date

            until = date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}:{line_of('expires')}: 'expires' is not a valid date: {expires!r}") from None
        if until < today and use:
            status = "expired"
    raw = item["answer"]
    answer = AnswerValue("yes" if raw is True else "no" if raw is False else raw)
    evidence = Evidence(
        path=path,
        line=line,
        end_line=line + max(len(item) - 1, 0),
        snippet=index.snippet(path, line, line + max(len(item) - 1, 0)),
        detector="attestation",
        strength=Strength.STRONG,
        source=Source.ATTESTED,
    )
    return Attestation(qid, answer, str(item["reason"]), str(item["owner"]), expires, fw, path, line, status, evidence)


def _validate(data: Any, where: str) -> None:
    import jsonschema

    from .scoring.rulepack import load_schema

    validator = jsonschema.Draft202012Validator(load_schema("config"))
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    line, node = getattr(data, "line", 1) or 1, data
    for part in err.absolute_path:
        if isinstance(node, LineDict) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line, node = node.line_of(part), node[part]
        else:
            break
    path = list(err.absolute_path)
    where_in = f" (attestation {path[1] + 1})" if len(path) >= 2 and path[0] == "attestations" else ""
    raise ConfigError(f"{where}:{line}: {err.message}{where_in}")
