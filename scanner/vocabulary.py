"""The needles detectors ask the index about, gathered before a scan so each file is tokenised once.

Detectors pass byte-string needles to ``FileIndex.mentions``/``python_files`` inline; rather than ask
every detector (built-in or plug-in) to repeat them in a declaration that would drift, the engine
collects the byte constants of the modules that define the loaded detectors and of mlscan's helper modules
(HELPER_PACKAGES; constants of functions, nested functions and module-level tuples). A needle missed here
still works: the index tokenises a file again when a needle outside its vocabulary arrives.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from types import CodeType, FunctionType, ModuleType
from typing import Any

from .bytecode_store import read, stored_path, write

MAX_NEEDLE = 120


def _add_bytes(value: Any, out: set[bytes], depth: int = 0) -> None:
    """Add ``value`` if it is a needle-sized byte string, or the needles of a tuple/set/list (two levels deep)."""
    if isinstance(value, bytes):
        if 1 < len(value) <= MAX_NEEDLE:
            out.add(value)
    elif isinstance(value, (tuple, frozenset, list, set)) and depth < 2:
        for v in value:
            if isinstance(v, (bytes, tuple, frozenset, list, set)):
                _add_bytes(v, out, depth + 1)


def _module_needles(module: ModuleType) -> set[bytes]:
    """Byte constants of the module's own functions and classes (nested code included) and of its other values."""
    name = module.__name__
    out: set[bytes] = set()
    codes: list[CodeType] = []
    for value in vars(module).values():
        if type(value) is FunctionType:
            if value.__module__ == name:
                codes.append(value.__code__)
        elif isinstance(value, type):
            if value.__module__ == name:
                for attr in vars(value).values():
                    func = getattr(attr, "__func__", attr)
                    if type(func) is FunctionType:
                        codes.append(func.__code__)
                    else:
                        _add_bytes(attr, out)
        else:
            _add_bytes(value, out)
    while codes:  # code constants are exactly bytes, tuple, frozenset, code, str, numbers, None...: no subclasses
        for c in codes.pop().co_consts:
            kind = type(c)
            if kind is CodeType:
                codes.append(c)
            elif kind is bytes:
                if 1 < len(c) <= MAX_NEEDLE:
                    out.add(c)
            elif kind is tuple or kind is frozenset:
                for v in c:
                    if type(v) is not str:
                        _add_bytes(v, out, 1)
    return out


# The packages of mlscan whose modules ask ``mentions`` (the detectors' helpers); the engine, scoring, reporters and
# cache ask nothing (tests/test_detection.py fails on a late needle of any fixture).
HELPER_PACKAGES = ("mlscan.detectors", "mlscan.facts", "mlscan.ci", "mlscan.index", "mlscan.live")


def harvest(detectors: Iterable[object]) -> set[bytes]:
    """Byte constants of the detectors' modules and of every loaded ``mlscan`` module of HELPER_PACKAGES (read from
    the copy stored beside the bytecode while no loaded mlscan module changed: ``_stored``)."""
    names = harvested_modules(detectors)
    key = _key(names)
    if key is not None and _stored_key(key):
        return set(_STORED["needles"])
    out = walk_modules(names)
    if key is not None:
        _store(key, out)
    return out


def harvested_modules(detectors: Iterable[object]) -> set[str]:
    names = {type(d).__module__ for d in detectors}
    return names | {n for n in list(sys.modules) if n.partition(".")[2] and _package(n) in HELPER_PACKAGES}


def planned(modules: set[str], load_all: Any) -> set[bytes]:
    """The harvest of every planned detector, deferred ones included (``modules``: the modules defining them), as if
    all were loaded: the needles a scan that imported every detector stored (``_plan_key``: the source files of the
    detectors' directory and of mlscan's helper packages unchanged since), else ``load_all()`` imports them and they
    are harvested (and stored). A scan that loads few detectors then splits files into the same words as one that
    loads all: no needle of a helper module that a skipped detector imports arrives late."""
    key = _plan_key(modules)
    path = stored_path(__file__, ".plan-needles.json")
    if key is not None:
        raw = read(path)
        if raw is not None:
            try:
                data = json.loads(raw)
                if isinstance(data, dict) and data.get("key") == key and all(isinstance(x, str) for x in data["needles"]):
                    return {x.encode("latin-1") for x in data["needles"]}
            except (ValueError, KeyError, TypeError, UnicodeEncodeError):
                pass
    load_all()
    names = modules | {n for n in list(sys.modules) if n.partition(".")[2] and _package(n) in HELPER_PACKAGES}
    out = walk_modules(names)
    if key is not None:
        write(path, json.dumps({"key": key, "needles": sorted(n.decode("latin-1") for n in out)}).encode("utf-8"))
    return out


def _plan_key(modules: set[str]) -> list[Any] | None:
    """The planned modules' names and the name, size and modification time of every module of mlscan's top level, of
    its packages and of the detectors' directory (a value imported from any of them counts); None for a detector
    outside mlscan."""
    if any(not n.startswith("mlscan.") for n in modules):
        return None
    base = os.path.dirname(__file__)
    try:
        with os.scandir(base) as it:
            dirs = [base, *sorted(d.path for d in it if d.is_dir() and not d.name.startswith(("_", ".")))]
    except OSError:
        return None
    from importlib import import_module

    dirs += sorted({os.path.dirname(import_module(n.rpartition(".")[0]).__file__ or "") for n in modules})
    files = []
    for d in dirs:
        try:
            with os.scandir(d or ".") as it:
                for f in it:
                    if f.name.endswith(".py"):
                        st = f.stat()
                        files.append([f.path, st.st_mtime_ns, st.st_size])
        except OSError:
            return None
    return [sorted(modules), sorted(files)]


def walk_modules(names: Iterable[str]) -> set[bytes]:
    out: set[bytes] = set()
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            out.update(_needles_of(name, module))
    return out


# A scan's harvest (~5 ms, the same in every scan of an installation) kept as JSON beside vocabulary's bytecode, like
# the .pyc files (``cache_from_source``; not written under PYTHONDONTWRITEBYTECODE), keyed by the harvested modules'
# names and by the path, size and modification time of every loaded mlscan module (a value imported from any of them
# counts). Only mlscan's own detectors: a plug-in's helpers lie outside the key.
_STORED: dict[str, Any] = {}


def _key(names: set[str]) -> list[Any] | None:
    if any(n != "mlscan" and not n.startswith("mlscan.") for n in names):
        return None
    files = []
    for n in sorted(n for n in list(sys.modules) if n == "mlscan" or n.startswith("mlscan.")):
        f = getattr(sys.modules.get(n), "__file__", None)
        if not f:
            continue
        try:
            st = os.stat(f)
        except OSError:
            return None
        files.append([n, f, st.st_mtime_ns, st.st_size])
    return [sorted(names), files]


def _stored_path() -> str | None:
    return stored_path(__file__, ".needles.json")


def _stored_key(key: list[Any]) -> bool:
    """Is the stored harvest (read once) the one of ``key``?"""
    if "key" not in _STORED:
        _STORED["key"] = None
        raw = read(_stored_path())
        if raw is not None:
            try:
                data = json.loads(raw)
                if isinstance(data, dict) and isinstance(data.get("needles"), list) and all(isinstance(x, str) for x in data["needles"]):
                    _STORED.update(key=data.get("key"), needles=frozenset(x.encode("latin-1") for x in data["needles"]))
            except (OSError, ValueError, UnicodeEncodeError):
                pass
    return bool(_STORED["key"] == key)


def _store(key: list[Any], needles: set[bytes]) -> None:
    _STORED.update(key=key, needles=frozenset(needles))
    write(_stored_path(), json.dumps({"key": key, "needles": sorted(n.decode("latin-1") for n in needles)}).encode("utf-8"))


def _package(name: str) -> str:
    """``mlscan.facts`` for ``mlscan.facts.ops`` and for ``mlscan.facts`` itself."""
    return ".".join(name.split(".")[:2])


_SEEN: dict[str, tuple[ModuleType, frozenset[bytes]]] = {}


def _needles_of(name: str, module: ModuleType) -> frozenset[bytes]:
    """A module's needles, gathered once per process (``mlscan org`` workers scan many repositories)."""
    hit = _SEEN.get(name)
    if hit is not None and hit[0] is module:
        return hit[1]
    got = frozenset(_module_needles(module))
    _SEEN[name] = (module, got)
    return got
