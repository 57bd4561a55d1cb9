"""Value classes behave as the dataclasses they replaced: equality, hash, repr, frozen fields, pickling, replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from types import MappingProxyType

import pytest
from mlscan.index import FileEntry, IndexChanges, ScanStats
from mlscan.model import Evidence, Finding, Source, Strength, Warning_
from mlscan.valueclass import FrozenInstanceError, Value, fields, replace, setfield


class _Pair(Value, frozen=True):
    """Two fields, slotted."""

    a: int
    b: str

    _fields = ("a", "b")
    __slots__ = _fields

    def __init__(self, a: int, b: str = "x") -> None:
        setfield(self, "a", a)
        setfield(self, "b", b)


class _One(Value, frozen=True):
    """One field, not slotted."""

    a: float

    _fields = ("a",)

    def __init__(self, a: float) -> None:
        setfield(self, "a", a)


@dataclasses.dataclass(frozen=True, slots=True)
class _DcPair:
    a: int
    b: str = "x"


@dataclasses.dataclass(frozen=True)
class _DcOne:
    a: float


@pytest.mark.parametrize(("ours", "theirs"), [(_Pair, _DcPair), (_One, _DcOne)])
def test_same_behaviour_as_a_dataclass(ours: type, theirs: type) -> None:
    args = (3, "y") if ours is _Pair else (2.5,)
    x, y, d = ours(*args), ours(*args), theirs(*args)
    assert x == y and x is not y and not (x != y)
    assert hash(x) == hash(y) == hash(d)  # the same tuple hashed: set and dict orders do not move
    assert repr(x).replace(ours.__qualname__, "C") == repr(d).replace(theirs.__qualname__, "C")
    assert x != ours(*(9, "y")[: len(args)])
    assert (x == d) is False  # another class: NotImplemented both ways, then identity
    with pytest.raises(FrozenInstanceError):
        x.a = 1
    with pytest.raises(AttributeError):
        del x.a
    assert pickle.loads(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)) == x
    assert copy.copy(x) == x and copy.deepcopy(x) == x
    assert fields(ours) == tuple(f.name for f in dataclasses.fields(theirs))


def test_slots_and_replace() -> None:
    p = _Pair(1)
    assert not hasattr(p, "__dict__") and _One(1.0).__dict__ == {"a": 1.0}
    q = replace(p, b="z")
    assert (q.a, q.b, p.b) == (1, "z", "x")
    with pytest.raises(TypeError):
        replace(p, c=1)


def test_mlscan_values() -> None:
    e = Evidence("a.py", 3, "token = 'abcdefghijklmnop'", "d", Strength.STRONG, Source.DECLARED, 4, "", ("run by x",))
    assert "abcdefghijklmnop" not in e.snippet  # __init__ still redacts
    assert replace(e, line=5).snippet == e.snippet and replace(e, line=5).line == 5
    assert pickle.loads(pickle.dumps(e, protocol=pickle.HIGHEST_PROTOCOL)) == e and {e, replace(e)} == {e}
    f = Finding("s", "d", (e,))
    assert f.attrs == MappingProxyType({}) and f != Finding("s", "d", (e,))  # eq=False: identity, as before
    g = pickle.loads(pickle.dumps(f))
    assert (g.signal, g.evidence, dict(g.attrs)) == ("s", (e,), {})
    assert Warning_("c", "m") == Warning_("c", "m", None) and hash(Warning_("c", "m")) == hash(("c", "m", None))
    assert FileEntry("a", "a", "project").test is False
    changes = IndexChanges([], {}, {}, [], set(), {}, 3)
    assert changes.fx == {} and changes.__hash__ is None and pickle.loads(pickle.dumps(changes)) == changes
    stats = ScanStats()
    stats.skip("big", "x")
    stats.skip("big", "x")
    assert stats.skipped == {"big": ["x"]} and ScanStats().skipped == {}
