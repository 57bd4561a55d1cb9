"""The compiled methods of mlscan's dataclasses, kept beside the ``.pyc`` files like them.

At import, ``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and (frozen)
``__setattr__``/``__delattr__`` as source text and compiles it: ~300 texts for a scan, ~30 ms of CPU, more than any
other part of a small scan's start-up. ``install()`` gives the ``dataclasses`` module an ``exec`` that looks the text
up first: the code compiled from the same text (with the same flags, ``dont_inherit``: ``dataclasses`` has no
``__future__`` imports) is the same code, so the classes are the same. Texts of mlscan's own modules are compiled
once per installation and stored in the package's ``__pycache__`` (``cache_from_source``: ``PYTHONPYCACHEPREFIX``
is honoured), written at exit when a text was new, unless bytecode writing is off (``PYTHONDONTWRITEBYTECODE``, ``-B``)
or the directory is read-only. Marshal data is code, so it is only read from where Python reads mlscan's bytecode,
never from the facts cache. A file of another Python (its magic number), an unreadable or malformed one, another
Python version's ``dataclasses`` or any other module's classes: compiled as before.
"""

from __future__ import annotations

import builtins
import sys
from types import CodeType
from typing import Any

from .bytecode_store import read, stored_path, write

_OWN = __name__.rpartition(".")[0] or __name__  # "mlscan"
_TEXT_HEAD = "def __create_fn__("  # how every text ``dataclasses._create_fn`` compiles begins (CPython 3.10-3.12)
MAX_ENTRIES = 2000  # beyond: keep only the texts this process used (old versions of edited classes go)

_codes: dict[str, CodeType] = {}
_used: set[str] = set()
_state: dict[str, Any] = {"path": None, "dirty": False, "installed": False}


def _cache_path() -> str | None:
    return stored_path(__file__, ".dataclasses")


def _magic() -> bytes:
    import _frozen_importlib_external as bootstrap

    return bytes(bootstrap.MAGIC_NUMBER)


def _load(path: str) -> dict[str, CodeType]:
    import marshal

    data = read(path)
    if data is None:
        return {}
    try:
        magic = _magic()
        if not data.startswith(magic):
            return {}
        loaded = marshal.loads(data[len(magic) :])  # noqa: S302 - written by save() beside the package's own .pyc files
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType) and _shaped(k, v)}


def _shaped(text: str, code: CodeType) -> bool:
    """Does ``code`` have the shape of ``text`` compiled: a dataclasses text, compiled as ``<string>``, whose module code
    defines ``__create_fn__`` and nothing else runs at its top level?"""
    return (text.startswith(_TEXT_HEAD) and code.co_filename == "<string>" and code.co_name == "<module>"
            and code.co_names == ("__create_fn__",)
            and [c.co_name for c in code.co_consts if isinstance(c, CodeType)] == ["__create_fn__"])


def _own(module: object) -> bool:
    return isinstance(module, str) and (module == _OWN or module.startswith(_OWN + "."))


def _own_class_text(source: Any, globals: Any) -> bool:
    """Is this ``dataclasses``' text for a class of one of mlscan's imported modules? ``globals`` must be that module's
    own namespace (``sys.modules[name].__dict__``, as ``dataclasses`` passes it): a dict that only carries an mlscan
    ``__name__`` is not, and a text not made by ``_create_fn`` is never looked up or stored."""
    if type(source) is not str or type(globals) is not dict or not source.startswith(_TEXT_HEAD):
        return False
    name = globals.get("__name__")
    module = sys.modules.get(name) if _own(name) else None
    return module is not None and getattr(module, "__dict__", None) is globals


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:  # noqa: A002 - builtin exec's names
    """``exec`` for ``dataclasses``: the text of an mlscan module's class compiled once, other calls unchanged."""
    if _own_class_text(source, globals):
        code = _codes.get(source)
        if code is None:
            code = _codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _state["dirty"] = True
        _used.add(source)
        builtins.exec(code, globals, locals)  # noqa: S102 - dataclasses' own generated methods
        return
    if type(source) is str:  # compiled here, ``exec`` would take this module's ``__future__`` flags
        source = compile(source, "<string>", "exec", dont_inherit=True)
    builtins.exec(source, globals, locals)  # noqa: S102 - what dataclasses asked for, unchanged


def install() -> None:
    """Route ``dataclasses``' compilation of generated methods through the stored code (once per process)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    import dataclasses

    # the module compiles its generated methods with ``exec(text, globals, namespace)`` (CPython 3.10-3.12). The texts
    # are made by ``dataclasses`` from the field names of mlscan's own class definitions: no class is ever made from
    # scanned content (mlscan never imports, execs or ``make_dataclass``es anything a scan reads; tests check the
    # source). Only texts of ``_create_fn``'s shape for a class of an imported mlscan module are looked up or stored
    # (``_own_class_text``), stored code is taken only when it has the shape of such a text compiled (``_shaped``),
    # from a file only this user can have written (``bytecode_store.read``); ``_exec`` runs every other call exactly
    # as the builtin would.
    if getattr(dataclasses, "exec", builtins.exec) is not builtins.exec or not hasattr(dataclasses, "_create_fn"):
        return
    path = _cache_path()
    if path is not None:
        _state["path"] = path
        _codes.update(_load(path))
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    import atexit

    atexit.register(save)


def save() -> None:
    """Write the stored code when a text was new (atomically; any failure leaves the file as it was)."""
    if not _state["dirty"] or _state["path"] is None or sys.dont_write_bytecode:
        return
    import marshal

    keep = _codes if len(_codes) <= MAX_ENTRIES else {k: v for k, v in _codes.items() if k in _used}
    try:
        data = _magic() + marshal.dumps(keep)
    except ValueError:  # not expected: code objects and strings marshal
        return
    if write(_state["path"], data):
        _state["dirty"] = False
