"""Regular expressions compiled on first use.

mlscan's modules define ~400 patterns at import; compiling them all took ~40 ms of a small scan's CPU, most of them
for detectors and CI dialects that repository never wakes. ``lazy_re(pattern, flags)`` stands in for
``re.compile(pattern, flags)`` at module level: the pattern compiles the first time one of its methods or attributes
is used, and from then on its bound methods are plain attributes (no indirection per call). It is not a ``re.Pattern``:
use its methods, not ``re.search(PATTERN, ...)``.

Compiling is itself mostly Python (``re._parser`` and ``re._compiler`` turn the pattern into the regular expression
engine's code; the engine's ``_sre.compile`` then checks that code and builds the object): the ~100 patterns a small
scan wakes took ~40 ms. The code of every pattern compiled is kept beside this module's ``.pyc``
(``bytecode_store``, for this exact interpreter), so a later process builds each pattern from its stored code without
parsing it again. The engine validates any code it is given (invalid code raises, never runs); the stored file is
derived from mlscan's own patterns only, and each pattern built from it equals the one ``re.compile`` gives
(tests/test_lazyre.py).
"""

from __future__ import annotations

import re
import sys
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
        p = compile_pattern(self._source, self._flags)
        self.compiled = p
        for attr in _FORWARDED:
            setattr(self, attr, getattr(p, attr))
        return getattr(p, name)

    def __repr__(self) -> str:
        return f"lazy_re({self._source!r}, {self._flags})"


# pattern key -> [flags, code, groups, groupindex, indexgroup]: the arguments of ``_sre.compile`` after the pattern
_Stored = dict[str, list[Any]]
_stored: _Stored | None = None
_new: _Stored = {}
STORE_SUFFIX = ".patterns.json"


def _key(source: str | bytes, flags: int) -> str:
    return f"b{flags}:{source.decode('latin-1')}" if isinstance(source, bytes) else f"s{flags}:{source}"


def _interpreter() -> str:
    import _sre

    return f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}"


def _store_path() -> str | None:
    from .bytecode_store import stored_path

    return stored_path(__file__, STORE_SUFFIX)


def _load() -> _Stored:
    import json

    from .bytecode_store import read

    data = read(_store_path())
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(doc, dict) or doc.get("interpreter") != _interpreter() or not isinstance(doc.get("patterns"), dict):
        return {}
    return doc["patterns"]  # type: ignore[no-any-return]


def _save() -> None:
    """Add the patterns compiled in this process to the stored ones (at exit; forked workers exit without it)."""
    import json

    from .bytecode_store import write

    if not _new:
        return
    patterns = {**_load(), **_new}
    write(_store_path(), json.dumps({"interpreter": _interpreter(), "patterns": patterns}, separators=(",", ":")).encode())
    _new.clear()


def _engine_args(source: str | bytes, flags: int) -> list[Any]:
    """What ``re._compiler.compile`` gives ``_sre.compile`` for this pattern (its code, computed in Python)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(source, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return [flags | parsed.state.flags, list(code), parsed.state.groups - 1, groupindex, indexgroup]


def _build(source: str | bytes, args: list[Any]) -> re.Pattern[Any]:
    import _sre

    flags, code, groups, groupindex, indexgroup = args
    return _sre.compile(source, flags, code, groups, groupindex, tuple(indexgroup))  # type: ignore[no-any-return]


def compile_pattern(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, from the stored code of the pattern when this interpreter compiled it before."""
    global _stored
    if _stored is None:
        _stored = _load()
    key = _key(source, flags)
    args = _stored.get(key)
    if args is not None:
        try:
            return _build(source, args)
        except Exception:  # noqa: BLE001 - a stored entry that does not build (the engine refused it): compile anew
            del _stored[key]
    try:
        args = _engine_args(source, flags)
        pattern = _build(source, args)
    except Exception:  # noqa: BLE001 - an invalid pattern (re.compile raises its error), or re internals that differ
        return re.compile(source, flags)
    if not _new:
        import atexit

        atexit.register(_save)
    _new[key] = _stored[key] = args
    return pattern


def lazy_re(pattern: AnyStr, flags: int | re.RegexFlag = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, compiled when first used."""
    return cast("re.Pattern[AnyStr]", LazyPattern(pattern, int(flags)))


def fnmatchcase(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase`` without compiling a pattern that has no wildcard (it then means equality)."""
    if "*" in pattern or "?" in pattern or "[" in pattern:
        import fnmatch

        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern
