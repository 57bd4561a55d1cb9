"""The units of a previous scan of the same listing, checked against the files as they are now (see record.py)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .. import __version__
from ..digest import sha256
from ..index import FACT_BUILDERS
from .blobs import ContentIds
from .record import Recorder, Tables, effects_ok, encode_node, replay_effects
from .store import Store

RUN_FORMAT = 1
_PACKAGE_DIRS = ("", "cache", "ci", "facts", "index", "scoring", "reporters", "schemas")


_FINGERPRINTS: dict[tuple[str, ...], str] = {}


def code_fingerprint(detectors: Sequence[Any]) -> str:
    """mlscan's version and the size and modification time of every module it runs (its own and each detector's
    module): an edited detector never meets results of its former self. Python and PyYAML versions too.

    Taken once per process and detector set, right after the modules were imported: a process keeps running the code
    it loaded, so files edited or upgraded on disk while it runs (a long org worker, a checkout being merged) must not
    give its results the new code's fingerprint; the next process sees the new files."""
    names = tuple(_name(d) for d in detectors)
    known = _FINGERPRINTS.get(names)
    if known is None:
        known = _FINGERPRINTS[names] = _fingerprint(detectors)
    return known


def _name(d: Any) -> str:
    """``id=module.Class`` of a detector, or of a planned one not imported (``id``, ``module``, ``qualname``, file)."""
    if isinstance(d, tuple):
        return f"{d[0]}={d[1]}.{d[2]}"
    return f"{d.id}={type(d).__module__}.{type(d).__qualname__}"


def _module_file(d: Any) -> str | None:
    if isinstance(d, tuple):
        return str(d[3])
    mod = sys.modules.get(type(d).__module__)
    return str(mod.__file__) if mod is not None and getattr(mod, "__file__", None) else None


def _yaml_dir() -> str | None:
    """PyYAML's package directory, found without importing it (~5 ms of a small scan that reads no YAML): its files'
    sizes and times stand for its version and whether its LibYAML extension is there."""
    loaded = sys.modules.get("yaml")
    file = getattr(loaded, "__file__", None) if loaded is not None else None
    if file is None:
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec("yaml")
        file = spec.origin if spec is not None else None
    return os.path.dirname(file) if file else None


def _listed(d: str, suffixes: tuple[str, ...], into: dict[str, tuple[int, int]]) -> None:
    """Size and modification time of the files of ``d`` ending so (one ``scandir``, no ``pathlib``: ~0.5 ms a scan)."""
    try:
        with os.scandir(d) as it:
            for e in it:
                if e.name.endswith(suffixes):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    into[e.path] = (st.st_size, st.st_mtime_ns)
    except OSError:
        return


def _fingerprint(detectors: Sequence[Any]) -> str:
    import mlscan

    h = sha256(f"{RUN_FORMAT}|{__version__}|{sys.version_info[:2]}".encode())
    files: dict[str, tuple[int, int]] = {}
    yaml_dir = _yaml_dir()
    if yaml_dir is not None:
        _listed(yaml_dir, (".py", ".so", ".pyd"), files)
    base = os.path.dirname(mlscan.__file__ or "")
    for sub in _PACKAGE_DIRS:
        _listed(os.path.join(base, sub) if sub else base, (".py", ".json"), files)
    dirs: set[str] = set()
    single: set[str] = set()
    for det in detectors:
        file = _module_file(det)
        if file:
            single.add(file)
            dirs.add(os.path.dirname(file))
    for d in dirs:  # each detector directory listed once (52 built-in detectors share one)
        _listed(d, (".py",), files)
    for f in single - files.keys():
        try:
            st = os.stat(f)
        except OSError:
            continue
        files[f] = (st.st_size, st.st_mtime_ns)
    h.update("".join(f"{f}|{size}|{mtime}\n" for f, (size, mtime) in sorted(files.items())).encode())
    h.update("|".join(_name(d) for d in detectors).encode())
    return h.hexdigest()


class RunCache:
    """One scan's view of the stored run of its context: which units can be reused, what to store next."""

    def __init__(self, store: Store, index: Any, detectors: Sequence[Any], settings: Iterable[str], started: Any = None) -> None:
        self.store = store
        self.index = index
        self.ids = ContentIds(index.root, index.target.is_git, started)
        self.ids.seed(index.virtual_ids())  # files notebooks write (%%writefile): their own bytes' ids
        # a DetectorPlan: every planned detector, imported or not (the detectors a scan chooses depend on the files)
        signature = getattr(detectors, "signature", None)
        self.fingerprint = code_fingerprint(signature() if signature is not None else detectors)
        h = sha256(self.fingerprint.encode())
        h.update("\0".join([index.target.subdir, str(index.target.is_git), str(index.max_bytes), *settings]).encode())
        h.update(self.ids.listing_key(index.all_paths).encode())
        self.key = h.hexdigest()
        stored = store.get("run", self.key)
        try:
            if not (isinstance(stored, dict) and stored.get("format") == RUN_FORMAT):
                raise ValueError("no run of this format")
            self.tables = Tables(stored["paths"], stored["needles"])
            self.old: dict[str, Any] = dict(stored["nodes"])
            old_ids: list[str | None] = list(stored["ids"])
            self.changed = {i for i, old in enumerate(old_ids) if old is not None and self.ids.get(self.tables.paths[i]) != old}
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeError):
            stored = None  # none stored, or not readable as one: a cold scan
            self.tables, self.old, self.changed = Tables(), {}, set()
        self.hit = stored is not None
        gates = stored.get("gates") if stored is not None else None
        self.gates_old: dict[str, Any] = gates if isinstance(gates, dict) else {}
        self.gates_new: dict[str, list[Any]] = {}
        self._valid: dict[str, bool] = {}
        self._replayed: set[str] = set()
        self.new: dict[str, Any] = {}
        self.poisoned = ""  # why nothing of this scan may be stored
        self.reused = 0
        self.recomputed = 0

    # ------------------------------------------------------------ validity
    def valid(self, nid: str) -> bool:
        """May the stored unit be reused: each observation on a changed file answers the same, each model it used is
        reusable."""
        v = self._valid.get(nid)
        if v is not None:
            return v
        node = self._node(nid)
        if node is None:
            self._valid[nid] = False
            return False
        self._valid[nid] = False  # a cycle (never expected) is not reusable
        changed = self.changed
        try:
            ok = not changed or (not any(i in changed for i in node["c"]) and all(self._same(a) for a in node["a"] if a[0] in changed))
            ok = ok and effects_ok(node, self.tables) and all(self.valid("m:" + m) for m in node["m"])
        except (KeyError, TypeError, IndexError, ValueError):
            ok = False
        self._valid[nid] = ok
        return ok

    def peek(self, nid: str) -> dict[str, Any] | None:
        """The stored unit, decoded (nothing replayed)."""
        return self._node(nid)

    def _node(self, nid: str) -> dict[str, Any] | None:
        text = self.old.get(nid)
        if text is None:
            return None
        try:
            node = json.loads(text)
        except ValueError:  # a damaged entry is a miss: the unit runs again
            return None
        return node if isinstance(node, dict) else None

    def _same(self, answer: list[Any]) -> bool:
        path, kind, arg, was = self.tables.paths[answer[0]], answer[1], answer[2], answer[3]
        ix = self.index
        prev = ix.record_into(None)  # checking is no observation of the unit running now
        try:
            if kind == "m":
                return bool(ix.mentions(path, self.tables.needles[arg])) == was
            if kind == "c":
                return bool(ix.contains(path, self.tables.needles[arg])) == was
            if kind == "s":  # an evidence snippet (FileIndex.snippet) of a file that was readable
                line, _, end = str(arg).partition(":")
                return ix.text(path) is not None and ix.snippet(path, int(line), int(end) or None) == was
            if kind == "f":
                if arg not in FACT_BUILDERS:  # registered by the modules that define them (imported with the detectors)
                    return False
                return bool(json.loads(json.dumps(ix.fact(path, arg))) == was)
            return False
        finally:
            ix.record_into(prev)

    # ------------------------------------------------------------ reuse
    def reuse(self, nid: str) -> Any:
        """Replay the stored unit's effects, and those of the models it used, once each."""
        prev = self.index.record_into(None)  # replayed effects belong to the reused unit, not to the one running now
        try:
            self._replay(nid)
        finally:
            self.index.record_into(prev)
        self.reused += 1
        return None

    def _replay(self, nid: str) -> None:
        if nid in self._replayed:
            return
        self._replayed.add(nid)
        node = self._node(nid)
        if node is None:
            return
        self.new.setdefault(nid, self.old[nid])
        replay_effects(self.index, node, self.tables)
        for m in node["m"]:
            if ("m:" + m) in self.old:
                self._replay("m:" + m)

    # ------------------------------------------------------------ recording
    def record(self, nid: str, rec: Recorder, findings: Any) -> None:
        self.recomputed += 1
        if nid.startswith("p:"):
            # A file's own unit runs again whenever the file changes (its own answers are not worth keeping: re-asking
            # them costs what rerunning it costs), which keeps the units of a 60,000-file repository small.
            own = nid[2:]
            rec.content.add(own)
            rec.answers = {k: v for k, v in rec.answers.items() if k[0] != own}
        self.new[nid] = encode_node(rec, self.tables, findings)

    # ------------------------------------------------------------ detector gates (engine.choose_detectors)
    def stored_gate(self, name: str, recheck: Any) -> bool | None:
        """A word gate's answer from the stored run (None: ask again). An open gate stays open while the file that
        opened it is unchanged; a closed one (every file it could need was asked) opens only if a changed file now
        meets it (``recheck(path)``), so a rescan after an edit reads only the edited files for it."""
        got = self.gates_old.get(name)
        try:
            answer, asked = bool(got[0]), [int(i) for i in got[1]]  # type: ignore[index]
        except (TypeError, ValueError, IndexError, KeyError):
            return None
        if not all(0 <= i < len(self.tables.paths) for i in asked):
            return None
        changed = [i for i in asked if i in self.changed]
        if answer:
            if changed:
                return None  # the file that opened it changed: ask again
            self.gates_new[name] = [True, asked]
            return True
        hit = next((i for i in changed if recheck(self.tables.paths[i])), None)
        self.gates_new[name] = [False, asked] if hit is None else [True, [hit]]
        return hit is not None

    def keep_gate(self, name: str, answer: bool, asked: list[str]) -> None:
        """This scan's answer: an open gate depends on the file that opened it (the last asked), a closed one on all."""
        self.gates_new[name] = [answer, [self.tables.path(p) for p in (asked[-1:] if answer else asked)]]

    def poison(self, why: str) -> None:
        self.poisoned = self.poisoned or why

    def save(self) -> None:
        """Store this scan's units (reused and recomputed) with the content ids of every file they observed."""
        if self.poisoned:
            return
        for key, rec in self.index.memo_nodes().items():
            self.new["m:" + key] = encode_node(rec, self.tables, self.index.memo_value(key))
        if self.hit and not self.changed and self.recomputed == 0 and set(self.new) == set(self.old) and self.gates_new == self.gates_old:
            return  # nothing new to say
        ids = [self.ids.get(p) for p in self.tables.paths]
        self.store.put("run", self.key, {"format": RUN_FORMAT, **self.tables.to_json(), "ids": ids, "nodes": self.new,
                                         "gates": self.gates_new})
