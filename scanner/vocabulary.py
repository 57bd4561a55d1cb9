"""The needles detectors ask the index about, gathered before a scan so each file is tokenised once.

Detectors pass byte-string needles to ``FileIndex.mentions``/``python_files`` inline; rather than ask
every detector (built-in or plug-in) to repeat them in a declaration that would drift, the engine
collects the byte constants of the modules that define the loaded detectors and of the helper modules
they import (constants of functions, nested functions and module-level tuples). A needle missed here
still works: the index tokenises a file again when a needle outside its vocabulary arrives.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import CodeType, FunctionType, ModuleType
from typing import Any

MAX_NEEDLE = 120


def _consts(code: CodeType) -> Iterator[Any]:
    for c in code.co_consts:
        if isinstance(c, CodeType):
            yield from _consts(c)
        else:
            yield c


def _bytes_in(value: Any, depth: int = 0) -> Iterator[bytes]:
    if isinstance(value, bytes):
        if 1 < len(value) <= MAX_NEEDLE:
            yield value
    elif isinstance(value, (tuple, frozenset, list, set)) and depth < 2:
        for v in value:
            yield from _bytes_in(v, depth + 1)


def _module_needles(module: ModuleType) -> Iterator[bytes]:
    for value in vars(module).values():
        if isinstance(value, FunctionType) and value.__module__ == module.__name__:
            for c in _consts(value.__code__):
                yield from _bytes_in(c)
        elif isinstance(value, type) and value.__module__ == module.__name__:
            for attr in vars(value).values():
                func = getattr(attr, "__func__", attr)
                if isinstance(func, FunctionType):
                    for c in _consts(func.__code__):
                        yield from _bytes_in(c)
                else:
                    yield from _bytes_in(attr)
        else:
            yield from _bytes_in(value)


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
