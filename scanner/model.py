"""Frozen data passed between the stages of a scan: Evidence, Finding, Answer, Score."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .lazyre import lazy_re
from .textsafe import display_path, truncate
from .valueclass import Value, setfield


class AnswerValue(StrEnum):
    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    UNKNOWN = "unknown"


class Strength(StrEnum):
    """How much a finding proves (signals.md §2.0 tiers)."""

    STRONG = "strong"  # config that does the thing, wired into an automated path
    MEDIUM = "medium"  # library used in real code
    WEAK = "weak"  # dependency only, notebook only, disabled config
    MENTION = "mention"  # documentation only

    @property
    def rank(self) -> int:
        return _STRENGTH_RANK[self]


_STRENGTH_RANK = {Strength.STRONG: 3, Strength.MEDIUM: 2, Strength.WEAK: 1, Strength.MENTION: 0}


class Source(StrEnum):
    DECLARED = "declared"  # read from the repository
    OBSERVED = "observed"  # read from a live endpoint
    ATTESTED = "attested"  # asserted by a person in .mlscan.yml


SNIPPET_MAX = 240

# Credentials a scanned file may hold never reach a report: URL user:password@, user-only tokens,
# secret-looking keys with literal values (``${{ secrets.X }}``/``$VAR`` references stay) and AWS key ids.
_URL_CREDENTIALS = lazy_re(r"(?i)\b([a-z][a-z0-9+.-]*://)(?:[^/\s:@'\"]*:[^/\s@'\"]*|[A-Za-z0-9_\-]{20,})@")
_SECRET_VALUE = lazy_re(
    r"(?i)(\b(?:[a-z0-9]+_)*(?:password|passwd|secret|secret_access_key|aws_secret_access_key|access_key_id|access_key|api_key|apikey"
    r"|auth_token|access_token|token|client_secret|private_key|client[-_]key[-_]data|key[-_]data|passphrase)[\"']?\s*[:=]\s*"
    r"|--(?:password|token|api-key|secret)[= ]\s*|\bauthorization:\s*basic\s+|\bbearer\s+(?=[\w.~+/=-]*\d)"
    r"|\bremote\s+modify\s+\S+\s+(?:password|secret_access_key|access_key_id|token|user)\s+)([\"']?)(?![$\[{<*])([^\s\"',;}]+)"
)
_AWS_KEY_ID = lazy_re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
# tokens recognisable by their own prefix wherever they stand (GitHub, GitLab, Slack, OpenAI/Anthropic-style, Hugging
# Face, Google API keys) and private-key blocks; an ``sk-`` key is random and holds digits (a model named
# ``sk-learn-random-forest`` is a name)
_PREFIXED_TOKEN = lazy_re(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abposr]-[\w-]{10,}"
                             r"|sk-(?=[\w-]*\d)[\w-]{20,}|hf_[A-Za-z0-9]{20,}|AIza[\w-]{30,})")
_PRIVATE_KEY = lazy_re(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*(?:-----END [A-Z ]*PRIVATE KEY-----)?")


def redact_secrets(text: str) -> str:
    """``text`` with credential values replaced by ``***``."""
    if not text:
        return text
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    text = _SECRET_VALUE.sub(_redact_value, text)
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY.sub("-----PRIVATE KEY *** -----", text)
    text = _PREFIXED_TOKEN.sub("***", text)
    return _AWS_KEY_ID.sub("***", text)


_CODE_VALUE = lazy_re(r"[A-Za-z_][\w.]*[(\[]|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def _redact_value(m: re.Match[str]) -> str:
    if not m.group(2) and _CODE_VALUE.match(m.group(3)):
        return m.group(0)  # an expression (``token = get_token()``, ``os.environ[...]``), not a literal
    return f"{m.group(1)}{m.group(2)}***"


def clean_snippet(text: str, max_len: int = SNIPPET_MAX) -> str:
    """At most three lines, control characters stripped, length capped."""
    lines = [ln.rstrip()[: max_len + 1] for ln in text.strip("\n").splitlines()[:3]]
    out = "\n".join("".join(ch for ch in ln if ch == "\t" or ch >= " ") for ln in lines)
    return truncate(out, max_len)


def wiring_text(location: str, chain: Iterable[str]) -> str:
    """How a cited file is reached, as every report writes it: ``defined at a.py:4 ← run by run.sh:8 ← called from
    CI step .github/workflows/x.yml:35``, nearest link first ('' without a chain)."""
    links = [c for c in chain if c]
    return " ← ".join((f"defined at {location}", *links)) if links else ""


class Evidence(Value, frozen=True):
    """One cited location: file, line range, snippet and the detector that found it."""
    path: str
    line: int | None
    snippet: str
    detector: str
    strength: Strength
    source: Source
    end_line: int | None
    # where the cited line sits in a structured file (``stages.train.outs``), or the multi-line Python call a cited
    # argument belongs to (``in mlflow.sklearn.log_model()``); "" otherwise
    context: str
    # how the file is reached, nearest first (``run by scripts/train.sh:8``, ``called from ci .github/workflows/t.yml:35``)
    chain: tuple[str, ...]
    # what keeps it from proving the practice on its own (``optional``, ``non-blocking``, ``stub``, ``synthetic input``)
    caveats: tuple[str, ...]
    # the fact this item shows, when a finding cites several (``data_deps``, ``model_outs``): rule packs lead with it
    fact: str

    _fields = ("path", "line", "snippet", "detector", "strength", "source", "end_line", "context", "chain", "caveats", "fact")
    __slots__ = _fields

    def __init__(
        self,
        path: str,
        line: int | None,
        snippet: str,
        detector: str = "",
        strength: Strength = Strength.MEDIUM,
        source: Source = Source.DECLARED,
        end_line: int | None = None,
        context: str = "",
        chain: tuple[str, ...] = (),
        caveats: tuple[str, ...] = (),
        fact: str = "",
    ) -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "snippet", snippet)
        setfield(self, "detector", detector)
        setfield(self, "strength", strength)
        setfield(self, "source", source)
        setfield(self, "end_line", end_line)
        setfield(self, "context", context)
        setfield(self, "chain", chain)
        setfield(self, "caveats", caveats)
        setfield(self, "fact", fact)
        self.__post_init__()

    def __post_init__(self) -> None:
        object.__setattr__(self, "snippet", redact_secrets(self.snippet))

    def location(self) -> str:
        """``path:line`` or ``path:line-end`` (``path`` when the file itself is the evidence)."""
        path = display_path(self.path)
        if not self.line:
            return path
        end = self.end_line if self.end_line and self.end_line > self.line else None
        return f"{path}:{self.line}" + (f"-{end}" if end else "")

    def wiring(self) -> str:
        """``defined at a.py:4 ← run by run.sh:8 ← called from ci .github/workflows/x.yml:35`` ('' when not reached)."""
        return wiring_text(self.location(), self.chain)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line if self.end_line is not None else self.line,
            "snippet": self.snippet,
            "detector": self.detector,
            "source": str(self.source),
            "strength": str(self.strength),
            "context": self.context,
            "chain": list(self.chain),
            "caveats": list(self.caveats),
        }


def _freeze(attrs: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(attrs or {}))


class Finding(Value, frozen=True, eq=False):
    """One fact a detector established, e.g. signal ``airflow.schedule`` with attrs {"active": True}."""

    signal: str
    detector: str
    evidence: tuple[Evidence, ...]
    attrs: Mapping[str, Any]
    strength: Strength
    source: Source

    _fields = ("signal", "detector", "evidence", "attrs", "strength", "source")
    __slots__ = _fields

    def __init__(
        self,
        signal: str,
        detector: str,
        evidence: tuple[Evidence, ...],
        attrs: Mapping[str, Any] | None = None,
        strength: Strength = Strength.MEDIUM,
        source: Source = Source.DECLARED,
    ) -> None:
        setfield(self, "signal", signal)
        setfield(self, "detector", detector)
        setfield(self, "evidence", evidence)
        setfield(self, "attrs", MappingProxyType({}) if attrs is None else attrs)
        setfield(self, "strength", strength)
        setfield(self, "source", source)

    def __reduce__(self) -> tuple[Any, ...]:  # the attrs mapping proxy cannot be pickled (parallel scans send findings)
        return (_unpickle_finding, (self.signal, self.detector, self.evidence, dict(self.attrs), self.strength, self.source))

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "detector": self.detector,
            "strength": str(self.strength),
            "source": str(self.source),
            "attrs": {k: _jsonable(v) for k, v in sorted(self.attrs.items())},
            "evidence": [e.to_json() for e in self.evidence],
        }


def _unpickle_finding(signal: str, detector: str, evidence: tuple[Evidence, ...], attrs: dict[str, Any], strength: Strength,
                      source: Source) -> Finding:
    return Finding(signal, detector, evidence, _freeze(attrs), strength, source)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class Warning_(Value, frozen=True):
    """A problem met while scanning (unparseable file, skipped file); the scan goes on."""

    code: str
    message: str
    path: str | None

    _fields = ("code", "message", "path")
    __slots__ = _fields

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        setfield(self, "code", code)
        setfield(self, "message", message)
        setfield(self, "path", path)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "path": self.path}


class Answer(Value, frozen=True):
    """A question's answer in a scored framework, with its evidence and why."""
    id: str
    text: str
    dimension: str
    value: AnswerValue
    reason: str
    evidence: tuple[Evidence, ...]
    looked_for: str
    signals: tuple[str, ...]
    attested: bool
    evidence_omitted: int  # evidence found beyond the capped ``evidence`` (score.MAX_EVIDENCE)
    # the caveats that cap a yes at partial (every decisive finding carries one): ``optional: runs only when ...``
    capped_by: tuple[str, ...]

    _fields = ("id", "text", "dimension", "value", "reason", "evidence", "looked_for", "signals", "attested", "evidence_omitted", "capped_by")
    __slots__ = _fields

    def __init__(
        self,
        id: str,
        text: str,
        dimension: str,
        value: AnswerValue,
        reason: str,
        evidence: tuple[Evidence, ...],
        looked_for: str = "",
        signals: tuple[str, ...] = (),
        attested: bool = False,
        evidence_omitted: int = 0,
        capped_by: tuple[str, ...] = (),
    ) -> None:
        setfield(self, "id", id)
        setfield(self, "text", text)
        setfield(self, "dimension", dimension)
        setfield(self, "value", value)
        setfield(self, "reason", reason)
        setfield(self, "evidence", evidence)
        setfield(self, "looked_for", looked_for)
        setfield(self, "signals", signals)
        setfield(self, "attested", attested)
        setfield(self, "evidence_omitted", evidence_omitted)
        setfield(self, "capped_by", capped_by)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "text": self.text,
            "dimension": self.dimension,
            "answer": str(self.value),
            "reason": self.reason,
            "looked_for": self.looked_for,
            "signals": list(self.signals),
            "attested": self.attested,
            "evidence": [e.to_json() for e in self.evidence],
        }
        if self.evidence_omitted:
            out["evidence_omitted"] = self.evidence_omitted
        if self.capped_by:
            out["capped_by"] = list(self.capped_by)
        return out


class DimensionScore(Value, frozen=True):
    """The rung one dimension of a framework reaches, from its questions' answers."""
    name: str
    rung: int
    label: str
    questions: tuple[str, ...]
    yes: int

    _fields = ("name", "rung", "label", "questions", "yes")
    __slots__ = _fields

    def __init__(self, name: str, rung: int, label: str, questions: tuple[str, ...], yes: int) -> None:
        setfield(self, "name", name)
        setfield(self, "rung", rung)
        setfield(self, "label", label)
        setfield(self, "questions", questions)
        setfield(self, "yes", yes)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level": self.rung,
            "label": self.label,
            "questions": list(self.questions),
            "yes": self.yes,
        }


class Score(Value, frozen=True):
    """A framework's level, answers and dimensions for one scan."""
    framework: str
    title: str
    level: int
    level_name: str
    yes_count: int
    total: int
    answers: tuple[Answer, ...]
    radar: tuple[DimensionScore, ...]

    _fields = ("framework", "title", "level", "level_name", "yes_count", "total", "answers", "radar")
    __slots__ = _fields

    def __init__(
        self,
        framework: str,
        title: str,
        level: int,
        level_name: str,
        yes_count: int,
        total: int,
        answers: tuple[Answer, ...],
        radar: tuple[DimensionScore, ...],
    ) -> None:
        setfield(self, "framework", framework)
        setfield(self, "title", title)
        setfield(self, "level", level)
        setfield(self, "level_name", level_name)
        setfield(self, "yes_count", yes_count)
        setfield(self, "total", total)
        setfield(self, "answers", answers)
        setfield(self, "radar", radar)


def first_evidence(findings: Iterable[Finding], limit: int) -> list[Evidence]:
    """The first evidence of each finding, in order, without repeats, at most ``limit``."""
    out: list[Evidence] = []
    seen: set[Evidence] = set()
    for f in findings:
        if f.evidence and f.evidence[0] not in seen:
            seen.add(f.evidence[0])
            out.append(f.evidence[0])
            if len(out) >= limit:
                break
    return out
