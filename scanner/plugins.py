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
    stored_key = [list(key[0]), list(key[1]), [_finder_name(f) for f in sys.meta_path]]
    got = _stored_groups(stored_key)
    if got is False:
        own_file: list[str] = []
        got = _read_own_groups(own_file)
        _store_groups(stored_key, got, own_file[0] if own_file else None)
    elif isinstance(got, _Same):  # the path or a directory of it changed, but no distribution did: the same answer
        got = got.groups  # (not stored again: checking the changed entries costs less than writing)
    _OWN = (key, got)
    return got  # type: ignore[return-value]


def _finder_name(f: Any) -> str:
    kind = f if isinstance(f, type) else type(f)
    return f"{kind.__module__}.{kind.__qualname__}"


class _Same:
    """A stored answer whose key no longer matches, but whose distributions are the ones on the path now."""

    __slots__ = ("groups",)

    def __init__(self, groups: dict[str, list[tuple[str, str]]] | None) -> None:
        self.groups = groups


# The answer of ``_read_own_groups`` (reading every distribution's entry points: ~2.5 ms of CPU and more of wall in an
# environment of 150 packages, every process) kept beside this module's bytecode (mlscan.bytecode_store), keyed by the
# path, its directories' modification times (installing or removing a distribution changes them) and the meta-path
# finders; mlscan's own entry_points.txt is checked by its modification time. ``python -m mlscan`` puts the working
# directory first on the path, and creating any file there changes its time: an entry that is new or changed since
# does not matter when it holds no distribution (``_holds_distributions``), nor a removed one that held none, so the
# stored answer holds (_Same) while the entries that do hold one are the same, unchanged, in that order.
def _stored_groups(key: list[Any]) -> dict[str, list[tuple[str, str]]] | None | bool | _Same:
    import json

    from .bytecode_store import read, stored_path

    raw = read(stored_path(__file__, ".entry-points.json"))
    if raw is None:
        return False
    try:
        data = json.loads(raw)
        same = data["key"] == key
        if not same and not _same_distributions(data["key"], data["holders"], key):
            return False
        if data["groups"] is None:
            return None if same else _Same(None)
        if os.stat(data["own"]).st_mtime_ns != data["own_mtime"]:
            return False
        groups = {str(g): [(str(n), str(v)) for n, v in eps] for g, eps in data["groups"].items()}
        return groups if same else _Same(groups)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return False


def _same_distributions(stored: list[Any], holders: list[str], key: list[Any]) -> bool:
    """Does the path of ``key`` hold the distributions the ``stored`` key's path held (``holders``: its entries that
    hold one), with the same meta-path finders?"""
    if stored[2] != key[2]:
        return False
    before = {entry: mtime for entry, mtime in zip(stored[0], stored[1]) if mtime is not None}
    now: list[str] = []
    for entry, mtime in zip(key[0], key[1]):
        if mtime is not None and before.get(entry) == mtime:
            if entry in holders:
                now.append(entry)
        elif _holds_distributions(entry):
            return False
    return now == holders


def _holds_distributions(entry: str) -> bool:
    """Can this path entry change ``_read_own_groups``'s answer (a ``*.dist-info``/``*.egg-info`` in it, a file such as
    a zip archive, an ``.egg``)? A missing or unreadable directory cannot."""
    root = entry or "."
    if root.lower().endswith(".egg"):
        return True
    try:
        children = os.listdir(root)
    except NotADirectoryError:
        return True
    except OSError:
        return False
    return any(c.lower().endswith((".dist-info", ".egg-info")) for c in children)


def _store_groups(key: list[Any], groups: dict[str, list[tuple[str, str]]] | None, own: str | None) -> None:
    import json

    from .bytecode_store import stored_path, write

    try:
        mtime = os.stat(own).st_mtime_ns if own else None
    except OSError:
        return
    if groups is not None and mtime is None:
        return
    write(stored_path(__file__, ".entry-points.json"),
          json.dumps({"key": key, "groups": groups, "own": own, "own_mtime": mtime,
                      "holders": [e for e in key[0] if _holds_distributions(e)]}).encode("utf-8"))


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


def _read_own_groups(own_file: list[str] | None = None) -> dict[str, list[tuple[str, str]]] | None:
    """(``own_file`` receives the path of mlscan's entry_points.txt.)"""
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
            if own_file is not None:
                own_file.append(os.path.join(root, mine[0], "entry_points.txt"))
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
    return plan_detectors(only, defer=False).choose(lambda gate: True)


def _load_class(ep: Any) -> type[Detector]:
    try:
        cls = ep.load()
    except Exception as e:  # a broken plugin is a configuration problem, reported in one line
        raise PluginError(f"{_describe(ep)}: cannot load detector: {e}") from None
    if not (isinstance(cls, type) and issubclass(cls, Detector)) or not cls.id:
        raise PluginError(f"{_describe(ep)}: not a Detector subclass with an id")
    return cls


class DetectorPlan:
    """The registered detectors of a scan (``only`` applied): those the manifest says every repository needs, and any
    detector when a plug-in is installed, are loaded at once; the others (``deferred``, each with its Gate) when
    ``choose`` finds the repository needs them (mlscan.manifest)."""

    def __init__(self, entries: list[tuple[Any, Any]]) -> None:
        self._entries = entries  # (entry point, Gate | None) in entry-point order
        self._classes: dict[int, type[Detector]] = {}
        for i, (ep, gate) in enumerate(entries):
            if gate is None:
                self._classes[i] = _load_class(ep)

    @property
    def deferred(self) -> list[Any]:
        """The gates of the detectors not imported yet."""
        return [gate for i, (_, gate) in enumerate(self._entries) if i not in self._classes]

    @property
    def gates(self) -> list[Any]:
        return [gate for _, gate in self._entries if gate is not None]

    def module_names(self) -> set[str]:
        """The modules that define the planned detectors (deferred ones included)."""
        return {ep.value.partition(":")[0].strip() for ep, _ in self._entries}

    def signature(self) -> list[Any]:
        """Every planned detector as the facts cache's fingerprint names it: a loaded one itself, a deferred one
        ``(id, module, class, file)`` (its file beside the manifest: deferral is for mlscan's own detectors only)."""
        from .manifest import manifest_path

        here = os.path.dirname(manifest_path())
        out: list[Any] = []
        for i, (ep, gate) in enumerate(self._entries):
            cls = self._classes.get(i)
            if cls is not None:
                out.append(cls())
                continue
            module, _, attr = ep.value.partition(":")
            module = module.strip()
            out.append((gate.id, module, attr.strip(), os.path.join(here, module.rpartition(".")[2] + ".py")))
        return out

    def count(self) -> int:
        """How many detectors the plan holds (distinct ids, as ``load_detectors`` gives them)."""
        ids = {self._classes[i].id if i in self._classes else gate.id for i, (_, gate) in enumerate(self._entries)}
        return len(ids)

    def load_all(self) -> None:
        """Import every deferred detector (the scan vocabulary is harvested from all of them)."""
        for i, (ep, _) in enumerate(self._entries):
            if i not in self._classes:
                self._classes[i] = _load_class(ep)

    def choose(self, needed: Any) -> list[Detector]:
        """The detectors whose gate ``needed(gate)`` accepts (and every ungated one), instantiated, sorted by id."""
        seen: dict[str, Detector] = {}
        for i, (ep, gate) in enumerate(self._entries):
            if gate is not None and not needed(gate):
                continue
            cls = self._classes.get(i)
            if cls is None:
                cls = self._classes[i] = _load_class(ep)
            seen.setdefault(cls.id, cls())
        return [seen[k] for k in sorted(seen)]


def plan_detectors(only: set[str] | None = None, *, defer: bool = True) -> DetectorPlan:
    """The registered detectors (``only``: those entry-point names). With ``defer`` and no plug-in installed (the
    manifest lists every entry point, with the same target), detectors with a gate are imported only when chosen."""
    eps = [ep for ep in entry_points_of(DETECTOR_GROUP) if only is None or ep.name in only]
    gates: dict[str, Any] = {}
    if defer:
        from .manifest import read_manifest

        manifest = read_manifest()
        if manifest is not None and all(manifest[1].get(ep.name) == ep.value.strip() for ep in eps):
            gates = manifest[0]
    return DetectorPlan([(ep, gates.get(ep.name)) for ep in eps])


def describe_entry_point(ep: Any) -> str:
    """``dist[name]`` for messages and ``mlscan frameworks``."""
    return _describe(ep)


def rule_pack_entry_points() -> list[Any]:
    return entry_points_of(RULES_GROUP)
