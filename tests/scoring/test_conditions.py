"""The rule condition language: any/all/not/signal/answer with attribute tests."""

from __future__ import annotations

from types import MappingProxyType

from mlscan.model import AnswerValue, Evidence, Finding, Strength
from mlscan.scoring.conditions import Findings, evaluate


def _f(signal: str, strength: Strength = Strength.MEDIUM, **attrs: object) -> Finding:
    return Finding(signal, "t", (Evidence("a.py", 1, "x"),), MappingProxyType(attrs), strength)


FS = Findings([_f("a.x", active=True, n=3), _f("a.y", Strength.WEAK), _f("b.z", active=False)])


def no_answers(qid: str):
    return (AnswerValue.YES if qid == "Q1" else AnswerValue.NO), []


def test_signal_and_attrs() -> None:
    assert evaluate({"signal": "a.x", "attrs": {"active": True}}, FS, no_answers)[0]
    assert not evaluate({"signal": "b.z", "attrs": {"active": True}}, FS, no_answers)[0]
    assert evaluate({"signal": "a.x", "attrs": {"n": {"gte": 3}}}, FS, no_answers)[0]
    assert not evaluate({"signal": "a.x", "attrs": {"n": {"gt": 3}}}, FS, no_answers)[0]
    assert evaluate({"signal": "a.x", "attrs": {"n": {"in": [1, 3]}}}, FS, no_answers)[0]
    assert not evaluate({"signal": "a.x", "attrs": {"n": {"nin": [1, 3]}}}, FS, no_answers)[0]
    assert evaluate({"signal": "a.x", "attrs": {"n": {"nin": [1, 2]}}}, FS, no_answers)[0]


def test_strength_glob_count() -> None:
    assert not evaluate({"signal": "a.y", "min_strength": "medium"}, FS, no_answers)[0]
    assert evaluate({"signal": "a.*", "min_count": 2}, FS, no_answers)[0]
    assert not evaluate({"signal": "a.*", "min_count": 3}, FS, no_answers)[0]


def test_combinators_and_answers() -> None:
    ok, ev = evaluate({"any": [{"signal": "nope"}, {"signal": "a.x"}]}, FS, no_answers)
    assert ok and [f.signal for f in ev] == ["a.x"]
    assert not evaluate({"all": [{"signal": "nope"}, {"signal": "a.x"}]}, FS, no_answers)[0]
    assert evaluate({"not": {"signal": "nope"}}, FS, no_answers)[0]
    assert evaluate({"answer": "Q1"}, FS, no_answers)[0]
    assert evaluate({"answer": "Q2", "is": "no"}, FS, no_answers)[0]
    assert evaluate({"answer": "Q1", "is": True}, FS, no_answers)[0]
