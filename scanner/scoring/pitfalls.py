"""Pitfalls: the anti-patterns the seed models name, found with evidence.

Each pitfall is declared in ``rules/pitfalls.yaml`` as a condition over the findings and the basis pack's
answers (the same condition language as rule packs, plus ``metric: level|yes_count``). A pitfall that holds
reports the findings that make it hold (evidence) and the answers or signals its negated parts found missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..model import Answer, AnswerValue, Evidence, Finding, Score, first_evidence
from ..valueclass import Value, setfield
from .conditions import Findings, evaluate
from .rulepack import package_dir, read_data_file

MAX_EVIDENCE = 8


class Pitfall(Value, frozen=True):
    """A known anti-pattern: the conditions that reveal it, why it matters and the fix."""
    id: str
    title: str
    source: str
    why: str
    fix: str
    when: Mapping[str, Any]

    _fields = ("id", "title", "source", "why", "fix", "when")
    __slots__ = _fields

    def __init__(self, id: str, title: str, source: str, why: str, fix: str, when: Mapping[str, Any]) -> None:
        setfield(self, "id", id)
        setfield(self, "title", title)
        setfield(self, "source", source)
        setfield(self, "why", why)
        setfield(self, "fix", fix)
        setfield(self, "when", when)


class Missing(Value, frozen=True):
    """A negated part of a pitfall's condition: an answer that is not yes, or a signal not found."""

    text: str
    question: str
    answer: str
    signal: str

    _fields = ("text", "question", "answer", "signal")
    __slots__ = _fields

    def __init__(self, text: str, question: str = "", answer: str = "", signal: str = "") -> None:
        setfield(self, "text", text)
        setfield(self, "question", question)
        setfield(self, "answer", answer)
        setfield(self, "signal", signal)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.question:
            out["question"] = self.question
            out["answer"] = self.answer
        if self.signal:
            out["signal"] = self.signal
        return out


class PitfallHit(Value, frozen=True):
    """A pitfall the scan found, with the evidence and the missing practices behind it."""
    pitfall: Pitfall
    evidence: tuple[Evidence, ...]
    missing: tuple[Missing, ...]

    _fields = ("pitfall", "evidence", "missing")
    __slots__ = _fields

    def __init__(self, pitfall: Pitfall, evidence: tuple[Evidence, ...], missing: tuple[Missing, ...]) -> None:
        setfield(self, "pitfall", pitfall)
        setfield(self, "evidence", evidence)
        setfield(self, "missing", missing)

    def to_json(self) -> dict[str, Any]:
        p = self.pitfall
        return {
            "id": p.id,
            "title": p.title,
            "source": p.source,
            "why": p.why.strip(),
            "fix": p.fix.strip(),
            "evidence": [e.to_json() for e in self.evidence],
            "missing": [m.to_json() for m in self.missing],
        }


class PitfallSet(Value, frozen=True):
    """The pitfalls of a pack file and the framework their conditions refer to."""
    framework: str  # the pack whose answers the conditions refer to
    pitfalls: tuple[Pitfall, ...]

    _fields = ("framework", "pitfalls")
    __slots__ = _fields

    def __init__(self, framework: str, pitfalls: tuple[Pitfall, ...]) -> None:
        setfield(self, "framework", framework)
        setfield(self, "pitfalls", pitfalls)


def pitfalls_file() -> Path:
    return package_dir("mlscan.rules") / "pitfalls.yaml"


@lru_cache(maxsize=4)
def load_pitfalls(path: Path | None = None) -> PitfallSet:
    data = read_data_file(path or pitfalls_file(), "pitfalls", validate=path is not None)
    items = tuple(
        Pitfall(p["id"], p["title"], p["source"], " ".join(p["why"].split()), " ".join(p["fix"].split()), p["when"])
        for p in data["pitfalls"]
    )
    return PitfallSet(data["framework"], items)


def find_pitfalls(findings: Findings, basis: Score | None, pitfalls: PitfallSet | None = None) -> list[PitfallHit]:
    """Every pitfall whose condition holds, with evidence. ``basis`` answers ``{answer: X}`` (checklist20)."""
    pitfalls = pitfalls or load_pitfalls()
    answers: dict[str, Answer] = {a.id: a for a in basis.answers} if basis else {}
    metrics = {"level": basis.level, "yes_count": basis.yes_count} if basis else {}

    def answer_of(qid: str) -> tuple[AnswerValue, list[Finding]]:
        a = answers.get(qid)
        return (a.value, []) if a else (AnswerValue.UNKNOWN, [])

    def holds(cond: Mapping[str, Any]) -> bool:
        return evaluate(dict(cond), findings, answer_of, metrics)[0]

    hits: list[PitfallHit] = []
    for p in pitfalls.pitfalls:
        ok, fs = evaluate(dict(p.when), findings, answer_of, metrics)
        if not ok:
            continue
        evidence = _evidence(fs)
        missing: list[Missing] = []
        for kind, ref, label in _parts(p.when, True, holds):
            a = answers.get(ref) if kind != "absent" else None
            if kind == "present":
                evidence += [e for e in (a.evidence if a else ()) if e not in evidence]
            elif kind == "missing":
                text = f"{ref}: {a.text}" if a else ref
                missing.append(Missing(text, question=ref, answer=str(a.value) if a else "unknown"))
            else:
                missing.append(Missing(label, signal=ref))
        hits.append(PitfallHit(p, tuple(evidence[:MAX_EVIDENCE]), tuple(_unique(missing))))
    return hits


def _evidence(findings: list[Finding]) -> list[Evidence]:
    """First evidence of each finding, strongest first; only the first MAX_EVIDENCE are shown."""
    return first_evidence(sorted(findings, key=lambda f: -f.strength.rank), MAX_EVIDENCE)


def _parts(cond: Mapping[str, Any], positive: bool, holds: Any) -> Iterator[tuple[str, str, str]]:
    """What made a holding condition hold: ("present", question, "") for answers that are yes,
    ("missing", question, "") for answers a ``not`` needed to be other than yes, ("absent", signal, label)
    for signals a ``not`` needed to be absent. Only branches that hold are followed."""
    if "not" in cond:
        inner = cond["not"]
        if positive and ("signal" in inner or cond.get("label")):
            yield "absent", str(inner.get("signal", "")), cond.get("label") or f"no {inner['signal']} found"
        else:
            yield from _parts(inner, not positive, holds)
        return
    if "answer" in cond and cond.get("is", "yes") in ("yes", True):
        yield ("present" if positive else "missing"), cond["answer"], ""
        return
    if "signal" in cond and not positive:
        yield "absent", cond["signal"], cond.get("label") or f"no {cond['signal']} found"
        return
    members = [*cond.get("any", ()), *cond.get("all", ()), *cond.get("of", ())]
    for c in members:
        # positive: follow the members that hold; negative (inside not): every member of an `any` is false
        if (positive and holds(c)) or (not positive and "all" not in cond):
            yield from _parts(c, positive, holds)


def _unique(items: list[Missing]) -> list[Missing]:
    seen: set[Missing] = set()
    out = []
    for m in items:
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out
