"""Load detectors and rule packs from entry points (built-in ones are registered the same way).

``importlib.metadata`` costs ~40 ms to import and ~10 ms per group lookup, a large share of a small scan. When the
only distribution on the path that mentions mlscan is mlscan itself (no plug-in installed: the usual case), its own
``entry_points.txt`` is read directly; otherwise, or whenever the environment is anything but plain directories on
``sys.path``, ``importlib.metadata`` answers as before (tests/test_plugins_fast.py checks both give the same).
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Any

from .detector import Detector
from .errors import PluginError

DETECTOR_GROUP = "mlscan.detectors"
RULES_GROUP = "mlscan.rules"


class _Dist:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class OwnEntryPoint:
    """An entry point of mlscan's own distribution, as ``importlib.metadata.EntryPoint`` exposes it to mlscan."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name: str, value: str, group: str, dist: _Dist) -> None:
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        obj: Any = import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def _sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """``entry_points.txt`` as importlib.metadata reads it: ``[group]`` headers, ``name = value`` lines, ``#`` comments."""
    out: dict[str, list[tuple[str, str]]] = {}
    group: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = out.setdefault(line[1:-1].strip(), [])
        elif group is not None and "=" in line:
            name, _, value = line.partition("=")
            group.append((name.strip(), value.strip()))
    return out


_OWN: tuple[Any, dict[str, list[tuple[str, str]]] | None] | None = None


def _stem(child: str) -> str:
    """The normalised distribution name of a ``*.dist-info``/``*.egg-info`` entry (importlib.metadata's ``Lookup``)."""
    name = child.lower().rpartition(".")[0].partition("-")[0]
    return name.replace("-", "_").replace(".", "_")


def _own_groups() -> dict[str, list[tuple[str, str]]] | None:
    """mlscan's entry points read from its own ``entry_points.txt``, or None when ``importlib.metadata`` must answer:
    a plug-in (any other distribution whose entry points mention mlscan), more than one mlscan distribution on the
    path, a zip archive or egg on the path, or a meta-path finder other than the standard one that finds distributions."""
    global _OWN
    key = _path_key()
    if _OWN is not None and _OWN[0] == key:
        return _OWN[1]
    got = _read_own_groups()
    _OWN = (key, got)
    return got


def _path_key() -> tuple[Any, ...]:
    """What the answer depends on: the path, its directories' modification times (a distribution installed or
    removed changes them) and the meta-path finders."""
    times = []
    for entry in sys.path:
        try:
            times.append(os.stat(entry or ".").st_mtime_ns)
        except OSError:
            times.append(None)
    return tuple(sys.path), tuple(times), tuple(map(id, sys.meta_path))


def _read_own_groups() -> dict[str, list[tuple[str, str]]] | None:
    from importlib.machinery import PathFinder

    if any(getattr(f, "find_distributions", None) is not None and f is not PathFinder for f in sys.meta_path):
        return None
    own: str | None = None
    for entry in sys.path:
        root = entry or "."
        if not os.path.isdir(root):
            if os.path.exists(root):
                return None  # a zip archive: importlib.metadata reads those
            continue
        if root.lower().endswith(".egg"):
            return None
        try:
            children = os.listdir(root)
        except OSError:
            continue
        mine = [c for c in children if c.lower().endswith((".dist-info", ".egg-info")) and _stem(c) == "mlscan"]
        if len(mine) > 1:
            return None  # which one importlib.metadata takes depends on the listing order
        if mine and own is None:
            own = _read(os.path.join(root, mine[0], "entry_points.txt"))  # the first on the path wins, as there
            if own is None:
                return None
        for child in children:
            if child.lower().endswith((".dist-info", ".egg-info")) and _stem(child) != "mlscan":
                text = _read(os.path.join(root, child, "entry_points.txt"))
                if text is not None and "mlscan" in text:
                    return None  # a plug-in
    return None if own is None else _sections(own)


def entry_points_of(group: str) -> list[Any]:
    """The entry points of ``group``, in the order ``importlib.metadata.entry_points(group=...)`` gives them."""
    own = _own_groups()
    if own is not None:
        dist = _Dist("mlscan")
        return [OwnEntryPoint(n, v, group, dist) for n, v in own.get(group, ())]
    from importlib.metadata import entry_points

    return list(entry_points(group=group))


def _describe(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return f"{dist.name if dist else '?'}[{ep.name}]"


def load_detectors(only: set[str] | None = None) -> list[Detector]:
    """Instantiate every registered detector, sorted by id; ``only`` limits to those ids."""
    seen: dict[str, Detector] = {}
    for ep in entry_points_of(DETECTOR_GROUP):
        if only is not None and ep.name not in only:
            continue
        try:
            cls = ep.load()
        except Exception as e:  # a broken plugin is a configuration problem, reported in one line
            raise PluginError(f"{_describe(ep)}: cannot load detector: {e}") from None
        if not (isinstance(cls, type) and issubclass(cls, Detector)) or not cls.id:
            raise PluginError(f"{_describe(ep)}: not a Detector subclass with an id")
        seen.setdefault(cls.id, cls())
    return [seen[k] for k in sorted(seen)]


def describe_entry_point(ep: Any) -> str:
    """``dist[name]`` for messages and ``mlscan frameworks``."""
    return _describe(ep)


def rule_pack_entry_points() -> list[Any]:
    return entry_points_of(RULES_GROUP)
