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
_Stored = dict[str, Any]  # pattern key -> the engine's arguments, or (as stored) their JSON text, decoded when used
_stored: _Stored | None = None
_imports: _Stored = {}
_new: _Stored = {}
_saving = False  # _save registered to run at exit
STORE_SUFFIX = ".patterns.json"


def _key(source: str | bytes, flags: int) -> str:
    return f"b{flags}:{source.decode('latin-1')}" if isinstance(source, bytes) else f"s{flags}:{source}"


def _interpreter() -> str:
    import _sre

    return f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}"


def _store_path() -> str | None:
    from .bytecode_store import stored_path

    return stored_path(__file__, STORE_SUFFIX)


def _load_doc() -> dict[str, _Stored]:
    """The stored sections: ``patterns`` (lazy_re's) and ``imports`` (patterns modules compile with ``re`` as they are
    imported: PyYAML's, click's...); empty when absent, damaged or of another interpreter."""
    import json

    from .bytecode_store import read

    data = read(_store_path())
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(doc, dict) or doc.get("interpreter") != _interpreter():
        return {}
    return {k: v for k, v in doc.items() if k in ("patterns", "imports") and isinstance(v, dict)}


def _args(value: Any) -> list[Any]:
    """A stored entry's engine arguments: each is kept as its own JSON text, so a process parses only the ~100 it uses
    of the ~550 stored (parsing them all as lists took ~10 ms of every start)."""
    import json

    return json.loads(value) if isinstance(value, str) else value  # type: ignore[no-any-return]


def _all_text(doc: dict[str, _Stored]) -> bool:
    return all(isinstance(v, str) for section in doc.values() for v in section.values())


def _text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _load() -> _Stored:
    global _imports
    doc = _load_doc()
    _imports = doc.get("imports", {})
    if "imports" not in doc or not _all_text(doc):  # none stored yet, or stored as lists: this process stores them at exit
        _save_at_exit()
    return doc.get("patterns", {})


def _save_at_exit() -> None:
    global _saving
    if not _saving and not sys.dont_write_bytecode:  # where nothing can be stored, nothing is gathered at exit
        import atexit

        atexit.register(_save)
        _saving = True


def _held(value: Any, out: set[tuple[type, str | bytes]], depth: int = 0) -> None:
    if isinstance(value, re.Pattern):
        out.add((type(value.pattern), value.pattern))
    elif depth < 3 and isinstance(value, (tuple, list)):
        for v in value:
            _held(v, out, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in list(value.values()):
            _held(v, out, depth + 1)


def _module_patterns() -> set[tuple[type, str | bytes]]:
    """The patterns that modules compiled as they were imported: held by a module attribute, or (but in mlscan's
    modules) by a class attribute, directly or in a tuple, list or dict (PyYAML's resolvers). ``re``'s cache and
    mlscan's tables may hold patterns made from what a scan read: those are never stored."""
    out: set[tuple[type, str | bytes]] = set()
    for name, module in list(sys.modules.items()):
        top = name.split(".")[0]
        if top in ("re", "sre_compile", "sre_parse", "fnmatch", "glob"):
            continue
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name and top != "mlscan":
                for attr in list(vars(value).values()):
                    _held(attr, out)
            elif isinstance(value, re.Pattern):
                out.add((type(value.pattern), value.pattern))
    return out


def _import_patterns(known: _Stored) -> _Stored:
    """The entries of ``re``'s cache that a module attribute holds, for seed_re_cache (those not ``known`` computed)."""
    cache = getattr(re, "_cache", None)
    if not isinstance(cache, dict):
        return {}
    held = _module_patterns()
    out: _Stored = {}
    for key in list(cache):
        if not (isinstance(key, tuple) and len(key) == 3 and (key[0], key[1]) in held and isinstance(key[2], int)):
            continue
        name = _key(key[1], key[2])
        try:
            out[name] = known[name] if name in known else _engine_args(key[1], key[2])
        except Exception:  # noqa: BLE001 - left to re
            continue
    return out


def _save() -> None:
    """Add the patterns compiled in this process to the stored ones (at exit; forked workers exit without it), and the
    patterns modules compiled as they were imported."""
    import json

    from .bytecode_store import write

    try:
        doc = _load_doc()
        if not _new and "imports" in doc and _all_text(doc):
            return
        patterns = {k: _text(v) for k, v in {**doc.get("patterns", {}), **_new}.items()}
        imports = {k: _text(v) for k, v in {**doc.get("imports", {}), **_import_patterns(doc.get("imports", {}))}.items()}
        write(_store_path(), json.dumps({"interpreter": _interpreter(), "patterns": patterns, "imports": imports},
                                        separators=(",", ":")).encode())
    except Exception:  # noqa: BLE001 - a store is an optimisation: never an error at exit
        pass
    _new.clear()


class _SeededCache(dict):  # type: ignore[type-arg]
    """``re``'s own pattern cache, which builds a pattern modules compile as they are imported from its stored code the
    first time ``re`` looks it up (``__missing__``), so neither those imports (PyYAML's reader and resolver...) compile
    it nor this process builds the ~200 stored ones that the modules it imports never ask for (building them all at
    start-up took ~2 ms)."""

    __slots__ = ("seeds",)

    def __missing__(self, key: Any) -> re.Pattern[Any]:
        args = self.seeds.pop(key, None) if isinstance(key, tuple) else None
        if args is None:
            raise KeyError(key)
        try:
            pattern = _build(key[1], _args(args))
        except Exception:  # noqa: BLE001 - not used: re compiles it
            raise KeyError(key) from None
        self[key] = pattern
        return pattern


def seed_re_cache() -> None:
    """Let ``re``'s cache build the stored patterns that modules compile with ``re`` as they are imported from their
    stored code, when one is asked for (_SeededCache). Called by the package before it imports anything else."""
    global _stored
    cache = getattr(re, "_cache", None)
    if type(cache) is not dict and not isinstance(cache, _SeededCache):
        return
    if _stored is None:
        _stored = _load()
    seeds: dict[tuple[type, str | bytes, int], Any] = {}
    for name, args in _imports.items():
        source: str | bytes = name.split(":", 1)[1]
        if name.startswith("b"):
            source = source.encode("latin-1")
        try:
            key = (type(source), source, int(name[1:name.index(":")]))
        except ValueError:
            continue
        if key not in cache:
            seeds[key] = args
    if isinstance(cache, _SeededCache):
        cache.seeds.update(seeds)
        return
    seeded = _SeededCache(cache)
    seeded.seeds = seeds
    re._cache = seeded  # type: ignore[attr-defined]


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
            return _build(source, _args(args))
        except Exception:  # noqa: BLE001 - a stored entry that does not build (the engine refused it): compile anew
            del _stored[key]
    try:
        args = _engine_args(source, flags)
        pattern = _build(source, args)
    except Exception:  # noqa: BLE001 - an invalid pattern (re.compile raises its error), or re internals that differ
        return re.compile(source, flags)
    _save_at_exit()
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
