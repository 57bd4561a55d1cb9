"""Turn findings into answers and a level for one rule pack."""

from __future__ import annotations

from collections.abc import Mapping

from .conditions import Findings, evaluate
from .model import Answer, AnswerValue, DimensionScore, Evidence, Finding, Score
from .rulepack import Question, RulePack

MAX_EVIDENCE = 8


class _Cycle(Exception):
    pass


def _evidence(findings: list[Finding]) -> tuple[Evidence, ...]:
    seen: set[tuple[str, int | None, str]] = set()
    out: list[Evidence] = []
    for f in sorted(findings, key=lambda f: (-f.strength.rank, f.evidence[0].path if f.evidence else "")):
        for e in f.evidence:
            key = (e.path, e.line, e.detector)
            if key not in seen:
                seen.add(key)
                out.append(e)
    return tuple(out[:MAX_EVIDENCE])


def _reason(template: str, q: Question, findings: list[Finding]) -> str:
    signals = sorted({f.signal for f in findings})
    paths = []
    for f in findings:
        for e in f.evidence:
            if e.path not in paths:
                paths.append(e.path)
    try:
        return template.format(
            signals=", ".join(signals) or "-",
            count=len(findings),
            paths=", ".join(paths[:3]) or "-",
            looked_for=q.looked_for or q.text,
        )
    except (KeyError, IndexError, ValueError):
        return template


def answer_questions(
    pack: RulePack, findings: Findings, overrides: Mapping[str, tuple[AnswerValue, str, tuple[Evidence, ...]]] | None = None
) -> dict[str, Answer]:
    """Answer every question of the pack. ``overrides`` (attestations) replace an answer that is not yes."""
    overrides = overrides or {}
    answers: dict[str, Answer] = {}
    support: dict[str, list[Finding]] = {}
    in_progress: set[str] = set()

    def answer_of(qid: str) -> tuple[AnswerValue, list[Finding]]:
        if qid not in answers:
            q = pack.question(qid)
            if q is None:
                return AnswerValue.UNKNOWN, []
            if qid in in_progress:
                raise _Cycle(qid)
            in_progress.add(qid)
            answers[qid] = compute(q)
            in_progress.discard(qid)
        return answers[qid].value, support.get(qid, [])

    def compute(q: Question) -> Answer:
        ok, fs = evaluate(q.yes, findings, answer_of)
        if ok:
            value, reason = AnswerValue.YES, _reason(q.reason_yes, q, fs)
        else:
            pok, pfs = evaluate(q.partial, findings, answer_of) if q.partial else (False, [])
            if pok:
                value, reason, fs = AnswerValue.PARTIAL, _reason(q.reason_partial, q, pfs), pfs
            else:
                value, reason, fs = AnswerValue.NO, _reason(q.reason_no, q, []), []
        support[q.id] = fs
        attested = False
        ev = _evidence(fs)
        if value != AnswerValue.YES and q.id in overrides:
            value, reason, ev = overrides[q.id]
            attested = True
        signals = tuple(sorted({f.signal for f in fs}))
        return Answer(q.id, q.text, q.dimension, value, reason, ev, q.looked_for, signals, attested)

    for q in pack.questions:
        try:
            answer_of(q.id)
        except _Cycle as c:
            from .errors import RulePackError

            raise RulePackError(f"{pack.path}:1:1: questions refer to each other in a cycle ({c})") from None
    return answers


def score_pack(pack: RulePack, findings: Findings, overrides: Mapping[str, tuple[AnswerValue, str, tuple[Evidence, ...]]] | None = None) -> Score:
    answers = answer_questions(pack, findings, overrides)
    yes = sum(1 for a in answers.values() if a.value == AnswerValue.YES)
    level, level_name = 0, ""
    if pack.method == "bands":
        for b in pack.bands:
            if b.min <= yes <= b.max:
                level, level_name = b.level, b.name
                break
    else:  # cascade: a level is reached when its requirements and every lower level's are met
        levels = sorted(pack.levels, key=lambda lv: lv.level)
        if levels:
            level, level_name = levels[0].level, levels[0].name
        for lv in levels:
            if all(answers[r].value == AnswerValue.YES for r in lv.requires if r in answers):
                level, level_name = lv.level, lv.name
            else:
                break

    def answer_of(qid: str) -> tuple[AnswerValue, list[Finding]]:
        a = answers.get(qid)
        return (a.value, []) if a else (AnswerValue.UNKNOWN, [])

    radar = []
    for d in pack.dimensions:
        rung = 0
        for r in sorted(d.rungs, key=lambda r: r.level):
            ok, _ = evaluate(r.when, findings, answer_of)
            if not ok:
                break
            rung = r.level
        qs = tuple(q.id for q in pack.questions if q.dimension == d.name)
        radar.append(
            DimensionScore(
                d.name,
                rung,
                d.labels[min(rung, len(d.labels) - 1)],
                qs,
                sum(1 for q in qs if answers[q].value == AnswerValue.YES),
            )
        )
    return Score(
        framework=pack.framework,
        title=pack.title,
        level=level,
        level_name=level_name,
        yes_count=yes,
        total=len(pack.questions),
        answers=tuple(answers[q.id] for q in pack.questions),
        radar=tuple(radar),
    )
