"""Next steps, after seed 000's action plan: aim at the next level only, name the bottleneck, pick the
missing answers that unlock the next level most cheaply, say what to do with the tools of that level (never
beyond it), what the transition costs, and the signals that say a team is ready.

Everything comes from the pack: ``guidance.questions`` (cost = ease order, actions per level with tools) and
``guidance.transitions``; a pack without guidance still gets its missing answers, in declaration order.
"""

from __future__ import annotations

from typing import Any

from ..model import Answer, AnswerValue, Evidence, Score, first_evidence
from ..valueclass import Value, setfield
from .conditions import Findings, signals_of
from .rulepack import Question, RulePack

DEFAULT_COST = 5
MAX_EVIDENCE = 3


class Action(Value, frozen=True):
    """One next step: a question to turn to yes and what to do for it."""
    question: str
    text: str
    answer: AnswerValue
    action: str
    tools: tuple[str, ...]
    cost: int
    evidence_present: tuple[Evidence, ...]

    _fields = ("question", "text", "answer", "action", "tools", "cost", "evidence_present")
    __slots__ = _fields

    def __init__(
        self,
        question: str,
        text: str,
        answer: AnswerValue,
        action: str,
        tools: tuple[str, ...],
        cost: int,
        evidence_present: tuple[Evidence, ...],
    ) -> None:
        setfield(self, "question", question)
        setfield(self, "text", text)
        setfield(self, "answer", answer)
        setfield(self, "action", action)
        setfield(self, "tools", tools)
        setfield(self, "cost", cost)
        setfield(self, "evidence_present", evidence_present)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "answer": str(self.answer),
            "action": self.action,
            "tools": list(self.tools),
            "cost": self.cost,
            "evidence_present": [e.to_json() for e in self.evidence_present],
        }


class NextSteps(Value, frozen=True):
    """The steps from a framework's current level to the next one."""
    framework: str
    current_level: int
    current_name: str
    target_level: int | None  # None: already at the top level
    target_name: str
    needed_yes: int
    bottleneck: dict[str, Any] | None
    actions: tuple[Action, ...]
    transition: dict[str, Any] | None
    readiness: tuple[str, ...]

    _fields = ("framework", "current_level", "current_name", "target_level", "target_name", "needed_yes", "bottleneck", "actions", "transition", "readiness")
    __slots__ = _fields

    def __init__(
        self,
        framework: str,
        current_level: int,
        current_name: str,
        target_level: int | None,
        target_name: str,
        needed_yes: int,
        bottleneck: dict[str, Any] | None,
        actions: tuple[Action, ...],
        transition: dict[str, Any] | None,
        readiness: tuple[str, ...] | None = None,
    ) -> None:
        setfield(self, "framework", framework)
        setfield(self, "current_level", current_level)
        setfield(self, "current_name", current_name)
        setfield(self, "target_level", target_level)
        setfield(self, "target_name", target_name)
        setfield(self, "needed_yes", needed_yes)
        setfield(self, "bottleneck", bottleneck)
        setfield(self, "actions", actions)
        setfield(self, "transition", transition)
        setfield(self, "readiness", tuple() if readiness is None else readiness)

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "current_level": self.current_level,
            "current_name": self.current_name,
            "target_level": self.target_level,
            "target_name": self.target_name,
            "needed_yes": self.needed_yes,
            "bottleneck": self.bottleneck,
            "actions": [a.to_json() for a in self.actions],
            "transition": self.transition,
            "readiness": list(self.readiness),
        }


def next_steps(pack: RulePack, score: Score, findings: Findings) -> NextSteps:
    levels = pack.level_numbers
    current = score.level
    target = next((lv for lv in levels if lv > current), None)
    answers = {a.id: a for a in score.answers}
    bottleneck = _bottleneck(score)
    if target is None:
        return NextSteps(pack.framework, current, score.level_name, None, "", 0, bottleneck, (), None)

    if pack.method == "bands":
        band = next(b for b in pack.bands if b.level == target)
        needed = max(band.min - score.yes_count, 0)
        pool = [q for q in pack.questions if answers[q.id].value in (AnswerValue.NO, AnswerValue.PARTIAL)]
    else:
        required = next(lv for lv in pack.levels if lv.level == target).requires
        pool = [q for q in pack.questions if q.id in required and answers[q.id].value != AnswerValue.YES]
        needed = len(pool)
    weakest = bottleneck["dimension"] if bottleneck else ""
    order = {q.id: i for i, q in enumerate(pack.questions)}
    pool.sort(key=lambda q: (_cost(pack, q, answers[q.id]), q.dimension != weakest, order[q.id]))
    actions = tuple(_action(pack, q, answers[q.id], target, findings) for q in pool[:needed])
    if bottleneck is None and actions:  # packs without a radar: the section most of the missing answers sit in
        sections = [pack.question(a.question).section for a in actions]  # type: ignore[union-attr]
        top = max(sections, key=sections.count)
        bottleneck = {"dimension": top, "level": None, "label": ""}
    transition = next(
        (dict(t) for t in pack.guidance.get("transitions", []) if t["from"] == current and t["to"] == target), None
    )
    readiness = tuple(transition.pop("readiness", ())) if transition else ()
    if transition is not None:
        transition.setdefault("source", pack.guidance.get("source", pack.source))
    return NextSteps(
        pack.framework, current, score.level_name, target, pack.level_name(target), needed, bottleneck, actions, transition, readiness
    )


def _bottleneck(score: Score) -> dict[str, Any] | None:
    """The weakest radar dimension (lowest rung, then fewest yes, then declaration order)."""
    if not score.radar:
        return None
    d = min(score.radar, key=lambda d: (d.rung, d.yes))
    return {"dimension": d.name, "level": d.rung, "label": d.label}


def _guide(pack: RulePack, qid: str) -> dict[str, Any]:
    return pack.guidance.get("questions", {}).get(qid, {})  # type: ignore[no-any-return]


def _cost(pack: RulePack, q: Question, a: Answer) -> int:
    """Declared ease order; what is already partly there is one step cheaper."""
    cost = int(_guide(pack, q.id).get("cost", DEFAULT_COST))
    return cost - 1 if a.value == AnswerValue.PARTIAL else cost


def _action(pack: RulePack, q: Question, a: Answer, target: int, findings: Findings) -> Action:
    steps = [s for s in _guide(pack, q.id).get("actions", []) if s["level"] <= target]
    step = max(steps, key=lambda s: s["level"]) if steps else None
    text = step["action"] if step else f"Make this true: {q.looked_for or q.text}"
    tools = tuple(step.get("tools", ())) if step else ()
    present = a.evidence if a.value == AnswerValue.PARTIAL else _related(q, findings)
    return Action(q.id, q.text, a.value, text, tools, _cost(pack, q, a), tuple(present[:MAX_EVIDENCE]))


def _related(q: Question, findings: Findings) -> tuple[Evidence, ...]:
    """Evidence of what is already there for a `no`: findings of the signals the question looks at."""
    found = (f for sig in signals_of(q.yes, negated=False) + signals_of(q.partial or {}, negated=False) for f in findings.matching(sig))
    return tuple(first_evidence(found, MAX_EVIDENCE))


