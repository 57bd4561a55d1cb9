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


def _value_classes() -> list[type]:
    """Every Value subclass defined in mlscan's modules (imported here, so the check sees them all)."""
    import importlib
    import pkgutil

    import mlscan
    import mlscan.detectors

    for pkg in (mlscan, mlscan.detectors):
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if not m.name.startswith(("mlscan.org", "mlscan.pr", "mlscan.live")):
                importlib.import_module(m.name)
    seen: list[type] = []
    todo = list(Value.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("mlscan"):
            seen.append(cls)
    return seen


def test_every_value_class_declares_its_annotated_fields() -> None:
    """A field added to a value class (as to a dataclass: an annotation with a default) must also be in ``_fields`` and
    in the written-out ``__init__``, else equality, hashing, pickling and ``replace`` silently drop it."""
    import inspect

    classes = _value_classes()
    assert len(classes) > 20
    for cls in classes:
        own = {k for k, v in inspect.get_annotations(cls).items()
               if not k.startswith("_") and not str(v).startswith(("ClassVar", "typing.ClassVar"))}
        missing = own - set(cls._fields)
        assert not missing, f"{cls.__module__}.{cls.__qualname__}: annotated fields not in _fields: {sorted(missing)}"
        params = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert set(cls._fields) <= params, f"{cls.__qualname__}.__init__ lacks {sorted(set(cls._fields) - params)}"
