"""Findings and warnings as JSON values and back, exactly: a finding read from the cache equals the one a scan
makes (attribute types included: tuples stay tuples). A value of any other type cannot be stored
(``Uncacheable``): the scan then keeps what it computed and stores nothing."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..model import Evidence, Finding, Source, Strength, Warning_


class Uncacheable(ValueError):
    """A value the cache cannot hold exactly."""


_ENUMS: dict[str, type] = {"S": Strength, "O": Source}


def value(v: Any) -> Any:
    """A JSON form of an attribute value; containers and enums are tagged (a one-key dict)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return v
    if t is list:
        return {"l": [value(x) for x in v]}
    if t is tuple:
        return {"t": [value(x) for x in v]}
    if t is frozenset:
        return {"f": [value(x) for x in v]}
    if t is set:
        return {"s": [value(x) for x in v]}
    if t is dict or t is MappingProxyType:
        return {"d": [[value(k), value(x)] for k, x in v.items()]}
    if t is Strength:
        return {"S": str(v)}
    if t is Source:
        return {"O": str(v)}
    raise Uncacheable(f"cannot cache a {t.__name__}")


def unvalue(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    (tag, body), = v.items()
    if tag == "l":
        return [unvalue(x) for x in body]
    if tag == "t":
        return tuple(unvalue(x) for x in body)
    if tag == "f":
        return frozenset(unvalue(x) for x in body)
    if tag == "s":
        return {unvalue(x) for x in body}
    if tag == "d":
        return {unvalue(k): unvalue(x) for k, x in body}
    return _ENUMS[tag](body)


def evidence(e: Evidence) -> list[Any]:
    """Every field of an evidence item (a detector may set ``fact``, ``context``, ``chain`` or ``caveats``)."""
    return [e.path, e.line, e.snippet, e.detector, str(e.strength), str(e.source), e.end_line, e.context, list(e.chain),
            list(e.caveats), e.fact]


def unevidence(v: list[Any]) -> Evidence:
    return Evidence(v[0], v[1], v[2], v[3], Strength(v[4]), Source(v[5]), v[6], v[7], tuple(v[8]), tuple(v[9]), v[10])


def finding(f: Finding) -> list[Any]:
    if type(f.attrs) is not MappingProxyType:
        raise Uncacheable("attrs is not a mapping proxy")
    return [f.signal, f.detector, [evidence(e) for e in f.evidence], value(dict(f.attrs)), str(f.strength), str(f.source)]


def unfinding(v: list[Any]) -> Finding:
    attrs: Mapping[str, Any] = MappingProxyType(unvalue(v[3]))
    return Finding(v[0], v[1], tuple(unevidence(e) for e in v[2]), attrs, Strength(v[4]), Source(v[5]))


def warning(w: Warning_) -> list[Any]:
    return [w.code, w.message, w.path]


def unwarning(v: list[Any]) -> Warning_:
    return Warning_(v[0], v[1], v[2])
