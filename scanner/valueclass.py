"""Value classes written out, without ``dataclasses``.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` ... as text and
compiles it when the module is imported: ~300 compiles and ~30 ms for the 56 classes a scan imports, a sixth of a small
repository's scan. mlscan's value classes write their ``__init__`` out and inherit the rest from ``Value``, built from
``operator.attrgetter`` (no code is compiled at run time), with the behaviour of the dataclass each replaces:

- ``class Evidence(Value, frozen=True)`` with ``_fields = (...)`` (and ``__slots__ = _fields`` for a slotted class);
- ``__eq__`` compares the fields' tuples of two instances of the same class (``eq=False``: identity, as ``object``),
  ``__hash__`` hashes that tuple for a frozen class and is None for a mutable one;
- ``__repr__`` is ``Name(field=value, ...)``;
- a frozen class refuses ``setattr``/``delattr`` (``FrozenInstanceError``, an ``AttributeError``); its ``__init__``
  sets fields with ``setfield``;
- a slotted class pickles as the list of its fields' values;
- ``replace(obj, **changes)`` is ``dataclasses.replace``: a new instance with some fields changed, made by ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

setfield = object.__setattr__  # how a frozen class's __init__ sets its fields

T = TypeVar("T", bound="Value")


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen value."""


def _one(getter: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda obj: (getter(obj),)


class Value:
    """Base of a value class; see the module's text."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _key: ClassVar[Callable[[Any], tuple[Any, ...]]]

    def __init_subclass__(cls, frozen: bool = False, eq: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls._fields
        if len(fields) == 1:
            cls._key = staticmethod(_one(attrgetter(fields[0])))  # type: ignore[assignment]
        elif fields:
            cls._key = attrgetter(*fields)  # type: ignore[assignment]
        else:
            cls._key = staticmethod(lambda obj: ())  # type: ignore[assignment]
        if eq:
            cls.__eq__ = Value._eq  # type: ignore[method-assign,assignment]
            cls.__hash__ = Value._hash if frozen else None  # type: ignore[method-assign,assignment]
        if frozen:
            cls.__setattr__ = Value._frozen_setattr  # type: ignore[method-assign,assignment]
            cls.__delattr__ = Value._frozen_delattr  # type: ignore[method-assign,assignment]
        if "__slots__" in cls.__dict__:
            cls.__getstate__ = Value._getstate  # type: ignore[method-assign,assignment]
            cls.__setstate__ = Value._setstate  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"

    def _eq(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key(self) == self._key(other)  # type: ignore[no-any-return]
        return NotImplemented

    def _hash(self) -> int:
        return hash(self._key(self))

    def _frozen_setattr(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _frozen_delattr(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _getstate(self) -> list[Any]:
        return [getattr(self, f) for f in self._fields]

    def _setstate(self, state: list[Any]) -> None:
        for f, v in zip(self._fields, state, strict=True):
            setfield(self, f, v)


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` (``dataclasses.replace``: the new instance is made by ``__init__``)."""
    for f in obj._fields:
        if f not in changes:
            changes[f] = getattr(obj, f)
    return obj.__class__(**changes)


def fields(cls: type[Value]) -> tuple[str, ...]:
    """The names of a value class's fields, in order."""
    return cls._fields
