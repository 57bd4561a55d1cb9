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
    from importlib import import_module

    from mlscan.ci import NAMED_DIALECTS

    for module, _, _ in NAMED_DIALECTS.values():  # every CI dialect's patterns (those imported when their files exist too)
        import_module(f"mlscan.ci.{module}")

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
    entry = doc["patterns"][key]
    args = json.loads(entry) if isinstance(entry, str) else entry  # each entry is stored as its own JSON text
    args[1] = [1, 2, 3, 4, 5]  # code the engine refuses
    doc["patterns"][key] = json.dumps(args) if isinstance(entry, str) else args
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


def test_patterns_modules_compile_at_import_come_from_the_store(tmp_path: Path) -> None:
    """A later process puts the stored patterns of modules' imports (PyYAML's reader and resolvers...) into ``re``'s
    cache before importing them: importing PyYAML then compiles nothing. The store lives in the bytecode cache
    (PYTHONPYCACHEPREFIX here); a pattern compiled from data (not held by a module attribute) is never stored."""
    import os
    import subprocess
    import sys

    child = (
        "import json  # the store's reader: imported (its patterns compiled) before the store is read\n"
        "import re\n"
        "import re._compiler as c\n"
        "n = [0]\n"
        "orig = c.compile\n"
        "def counting(*a):\n"
        "    n[0] += 1\n"
        "    return orig(*a)\n"
        "c.compile = counting\n"
        "import mlscan\n"
        "import yaml\n"
        "from mlscan.lazyre import lazy_re\n"
        "lazy_re(r'stored\\s+pattern').search('x')\n"
        "re.compile('from-data-' + 'x' * 3)\n"
        "print(n[0])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")

    def run() -> int:
        out = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    first = run()
    stores = list((tmp_path / "pycache").rglob("lazyre.*" + lazyre.STORE_SUFFIX))
    assert len(stores) == 1
    doc = json.loads(stores[0].read_text())
    assert any("yes|Yes|YES" in k for k in doc["imports"]) and not any("from-data" in k for k in doc["imports"])
    assert any("stored" in k for k in doc["patterns"])
    assert first > 10
    assert run() == 1  # only the pattern made from data compiles


def test_nothing_is_gathered_at_exit_where_nothing_can_be_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE, -B
    monkeypatch.setattr(lazyre, "_saving", False)
    monkeypatch.setattr(lazyre, "_stored", {})
    monkeypatch.setattr(lazyre, "_new", {})
    assert lazyre.compile_pattern(r"not (yet) stored", 0) == re.compile(r"not (yet) stored")
    assert not lazyre._saving


def test_stored_import_patterns_are_built_when_re_asks_for_them() -> None:
    """``re``'s cache holds the stored patterns of modules' imports as seeds, built from their code on the first lookup
    (a stored pattern no module asks for is never built); code the engine refuses is left to ``re`` to compile."""
    cache = lazyre._SeededCache()
    key = (str, r"a(b+)c", 0)
    cache.seeds = {key: lazyre._text(lazyre._engine_args(r"a(b+)c", 0)), (str, r"never", 0): "[]"}
    assert key not in cache
    assert cache[key] == re.compile(r"a(b+)c") and key in cache and list(cache.seeds) == [(str, r"never", 0)]
    with pytest.raises(KeyError):
        cache[(str, "not stored", 0)]
    refused = (str, r"x", 0)
    cache.seeds[refused] = json.dumps([0, [1, 2, 3], 0, {}, [None]])
    with pytest.raises(KeyError):
        cache[refused]
    assert isinstance(re._cache, lazyre._SeededCache)  # type: ignore[attr-defined]  # `import mlscan` installed it
