"""Regular expressions compiled on first use.

mlscan's modules define ~400 patterns at import; compiling them all took ~40 ms of a small scan's CPU, most of them
for detectors and CI dialects that repository never wakes. ``lazy_re(pattern, flags)`` stands in for
``re.compile(pattern, flags)`` at module level: the pattern compiles the first time one of its methods or attributes
is used, and from then on its bound methods are plain attributes (no indirection per call). It is not a ``re.Pattern``:
use its methods, not ``re.search(PATTERN, ...)``.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_FORWARDED = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
              "pattern", "flags", "groups", "groupindex")


class LazyPattern:
    __slots__ = ("_source", "_flags", "compiled", *_FORWARDED)

    def __init__(self, source: str | bytes, flags: int = 0) -> None:
        self._source, self._flags = source, flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_source", "_flags"):
            raise AttributeError(name)
        p = re.compile(self._source, self._flags)
        self.compiled = p
        for attr in _FORWARDED:
            setattr(self, attr, getattr(p, attr))
        return getattr(p, name)

    def __repr__(self) -> str:
        return f"lazy_re({self._source!r}, {self._flags})"


def lazy_re(pattern: AnyStr, flags: int | re.RegexFlag = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, compiled when first used."""
    return cast("re.Pattern[AnyStr]", LazyPattern(pattern, int(flags)))


def fnmatchcase(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase`` without compiling a pattern that has no wildcard (it then means equality)."""
    if "*" in pattern or "?" in pattern or "[" in pattern:
        import fnmatch

        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern
