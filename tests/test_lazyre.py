"""Patterns compiled on first use behave as compiled ones; a wildcard-free fnmatch is equality."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
from mlscan import lazyre
from mlscan.lazyre import LazyPattern, fnmatchcase, lazy_re


def test_lazy_pattern_compiles_on_first_use_and_matches_like_re() -> None:
    rx = lazy_re(r"(?P<word>[a-z]+)\d", re.I)
    assert isinstance(rx, LazyPattern) and repr(rx).startswith("lazy_re(")
    assert rx.search("x Ab1").group("word") == "Ab"
    assert rx.pattern == r"(?P<word>[a-z]+)\d" and rx.flags & re.I and rx.groupindex == {"word": 1}
    assert rx.sub("-", "a1b2") == "--" and rx.findall("a1 b2") == ["a", "b"] and rx.split("a1b") == ["", "a", "b"]
    assert [m.group() for m in rx.finditer("a1 b2")] == ["a1", "b2"] and rx.fullmatch("ab1") and not rx.match("1")
    assert isinstance(rx.compiled, re.Pattern)  # type: ignore[attr-defined]
    b = lazy_re(rb"[A-Z]+")
    assert b.findall(b"aBCd") == [b"BC"]


def test_fnmatchcase_equals_the_stdlib() -> None:
    for name in ("tracking.python", "tracking.server", "ci.tests", "a[b]"):
        for pat in ("tracking.*", "tracking.python", "ci.?ests", "ci.tests", "a[b]", "[ab]*", "*"):
            assert fnmatchcase(name, pat) == fnmatch.fnmatchcase(name, pat), (name, pat)


def _module_patterns() -> list[LazyPattern]:
    import sys

    from mlscan.plugins import load_detectors

    load_detectors()
    import mlscan.ci  # noqa: F401 - every CI dialect's patterns

    out = []
    for name, module in list(sys.modules.items()):
        if name.startswith("mlscan"):
            out += [v for v in vars(module).values() if isinstance(v, LazyPattern)]
    return out


def test_patterns_built_from_stored_code_equal_compiled_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every module-level pattern of mlscan, built from its code as stored by an earlier process, equals the pattern
    ``re.compile`` gives (a pattern's equality compares its flags and its engine code)."""
    store = tmp_path / "lazyre.patterns.json"
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    monkeypatch.setattr(lazyre, "_store_path", lambda: str(store))
    monkeypatch.setattr(lazyre, "_stored", {})
    monkeypatch.setattr(lazyre, "_new", {})
    patterns = _module_patterns()
    assert len(patterns) > 200
    first = [lazyre.compile_pattern(p._source, p._flags) for p in patterns]
    lazyre._save()
    assert not lazyre._new
    monkeypatch.setattr(lazyre, "_stored", None)  # a later process: read from the store
    built = [lazyre.compile_pattern(p._source, p._flags) for p in patterns]
    assert not lazyre._new  # nothing compiled anew
    for p, a, b in zip(patterns, first, built, strict=True):
        expected = re.compile(p._source, p._flags)
        assert a == expected and b == expected and b.groupindex == expected.groupindex, p
    rx = lazy_re(r"(?P<word>[a-z]+)\d", re.I)
    assert rx.search("x Ab1").group("word") == "Ab"


def test_a_damaged_or_foreign_store_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "lazyre.patterns.json"
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    monkeypatch.setattr(lazyre, "_store_path", lambda: str(store))
    monkeypatch.setattr(lazyre, "_new", {})
    monkeypatch.setattr(lazyre, "_stored", {})
    lazyre.compile_pattern(r"a(b+)c", 0)
    lazyre._save()
    doc = json.loads(store.read_text())
    key = next(iter(doc["patterns"]))
    doc["patterns"][key][1] = [1, 2, 3, 4, 5]  # code the engine refuses
    store.write_text(json.dumps(doc))
    monkeypatch.setattr(lazyre, "_stored", None)
    assert lazyre.compile_pattern(r"a(b+)c", 0) == re.compile(r"a(b+)c")
    store.write_text(json.dumps({**doc, "interpreter": "another Python"}))
    monkeypatch.setattr(lazyre, "_stored", None)
    lazyre.compile_pattern(r"x", 0)
    assert lazyre._stored is not None and key not in lazyre._stored
    store.write_text("not json")
    monkeypatch.setattr(lazyre, "_stored", None)
    assert lazyre.compile_pattern(r"a(b+)c", 0) == re.compile(r"a(b+)c")
    with pytest.raises(re.error):
        lazyre.compile_pattern(r"a(", 0)
