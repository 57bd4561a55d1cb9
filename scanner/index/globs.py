"""Glob selection over repository paths: ``**/name`` by basename, ``**/*.ext`` by suffix, the rest by one
regular expression (``**/`` is zero or more directories, ``*`` stays inside a path component)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..lazyre import lazy_re


class _Matcher:
    """Fast glob selection: ``**/name`` by basename, ``**/*.ext`` by suffix, the rest by regex."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.suffixes: list[str] = []
        regexes: list[str] = []
        for p in patterns:
            body = p[3:] if p.startswith("**/") else None
            if body and not any(c in body for c in "*?[/"):
                self.names.add(body)
            elif body and body.startswith("*") and not any(c in body[1:] for c in "*?[/"):
                self.suffixes.append(body[1:])
            else:
                regexes.append(_glob_to_regex(p))
        self.regex = re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None
        self.suffix_tuple = tuple(self.suffixes)

    def __call__(self, path: str, name: str) -> bool:
        if name in self.names:
            return True
        if self.suffix_tuple and name.endswith(self.suffix_tuple):
            return True
        return bool(self.regex and self.regex.fullmatch(path))


_GLOB_TOKEN = lazy_re(r"\*\*/|\*\*|\*|\?")  # tried in this order at each position, as a left-to-right reading would
_GLOB_REGEX = {"**/": r"(?:[^/]*/)*", "**": r".*", "*": r"[^/]*", "?": r"[^/]"}


def _glob_to_regex(pattern: str) -> str:
    """``**/`` matches zero or more directories, ``*`` stays inside one path component; everything else is literal.
    (The runs between wildcards are escaped whole: a scan turns ~150 globs into expressions, ~1 ms char by char.)"""
    out: list[str] = []
    pos = 0
    for m in _GLOB_TOKEN.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(_GLOB_REGEX[m.group()])
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return "".join(out)


@lru_cache(maxsize=512)
def _name_and_path_regex(pattern: str, last: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A pattern for the names (one per line) that the last component matches, and one for whole paths (both compiled
    when first used: a small repository has no name for most globs, see ``literal_pieces``)."""
    return lazy_re("^" + _glob_to_regex(last).replace("[^/]", "[^/\n]") + "$", re.M), lazy_re(_glob_to_regex(pattern))


@lru_cache(maxsize=512)
def literal_pieces(last: str) -> tuple[str, ...] | None:
    """The literal runs of a glob's last component (``Dockerfile*`` -> ``Dockerfile``): a name it matches holds each
    of them, so a set of names without one of them has no match. None for a ``[...]`` class."""
    if "[" in last:
        return None
    return tuple(p for p in re.split(r"[*?]", last) if p)
