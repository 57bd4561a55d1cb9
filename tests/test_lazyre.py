"""Patterns compiled on first use behave as compiled ones; a wildcard-free fnmatch is equality."""

from __future__ import annotations

import fnmatch
import re

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
