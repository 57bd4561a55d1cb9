"""The needles detectors ask the index about, gathered before a scan so each file is tokenised once.

Detectors pass byte-string needles to ``FileIndex.mentions``/``python_files`` inline; rather than ask
every detector (built-in or plug-in) to repeat them in a declaration that would drift, the engine
collects the byte constants of the modules that define the loaded detectors and of the helper modules
they import (constants of functions, nested functions and module-level tuples). A needle missed here
still works: the index tokenises a file again when a needle outside its vocabulary arrives.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import CodeType, FunctionType, ModuleType
from typing import Any

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


def harvest(detectors: Iterable[object]) -> set[bytes]:
    """Byte constants of the detectors' modules and of every loaded ``mlscan`` module."""
    names = {type(d).__module__ for d in detectors}
    names |= {n for n in list(sys.modules) if n == "mlscan" or n.startswith("mlscan.")}
    out: set[bytes] = set()
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            out.update(_needles_of(name, module))
    return out


_SEEN: dict[str, tuple[ModuleType, frozenset[bytes]]] = {}


def _needles_of(name: str, module: ModuleType) -> frozenset[bytes]:
    """A module's needles, gathered once per process (``mlscan org`` workers scan many repositories)."""
    hit = _SEEN.get(name)
    if hit is not None and hit[0] is module:
        return hit[1]
    got = frozenset(_module_needles(module))
    _SEEN[name] = (module, got)
    return got
