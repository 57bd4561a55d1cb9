"""The engine's side of the facts cache: run a unit of detector work or reuse it (see record.py and run.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..index.formats import memory_failures
from ..model import Finding
from .codec import Uncacheable
from .record import Recorder, decode_findings, encode_findings

# Reuse below this share of the Python files (or with any detector pass to rerun on such a scale) runs the rest with
# the parallel workers; above it the few units left run in the scanning process.
MOSTLY = 0.8
# Warnings that depend on how the scan went, not on the repository: such a scan is not stored (a detector-error only
# from the Python pass, see Units.save).
UNSTORABLE = ("detector-error", "parallel-fallback")


class Units:
    def __init__(self, run: Any, store: Any, own_store: bool) -> None:
        self.run = run
        self.store = store
        self.own_store = own_store
        self.index = run.index
        self._prev: list[Recorder | None] = []
        self.memory_failures_at_open = memory_failures()

    # ------------------------------------------------------------ recording
    def start(self) -> Recorder:
        rec = Recorder()
        self._prev.append(self.index.record_into(rec))
        return rec

    def stop(self, rec: Recorder) -> None:
        self.index.record_into(self._prev.pop())

    def done(self, nid: str, rec: Recorder, findings: Any) -> None:
        """Store a unit that ran: ``findings`` is a list (a detector pass), a {detector: list} (a file of the Python
        pass) or None (work outside both)."""
        try:
            if isinstance(findings, dict):
                encoded: Any = {k: encode_findings(v) for k, v in findings.items() if v}
            else:
                encoded = None if findings is None else encode_findings(findings)
        except Uncacheable as e:
            self.run.poison(str(e))
            return
        self.run.record(nid, rec, encoded)

    def done_plain(self, nid: str, plain: tuple[Any, ...], encoded: Any) -> None:
        """A unit a worker process ran (its recorder as plain data, its findings already encoded; None: uncacheable)."""
        if encoded is False:
            self.run.poison("uncacheable finding")
            return
        self.run.record(nid, Recorder.from_plain(plain), encoded)

    # ------------------------------------------------------------ reuse
    def valid(self, nid: str) -> bool:
        return bool(self.run.valid(nid))

    def reuse(self, nid: str) -> Any:
        """The unit's findings when it can be reused (its effects replayed), else None."""
        try:
            if not self.run.valid(nid):
                return None
            node = self.run.peek(nid)
            stored = None if node is None else node["f"]
            if stored is None:
                found: Any = [] if nid.startswith("d:") else {}
            elif isinstance(stored, dict):
                found = {k: decode_findings(v) for k, v in stored.items()}
            else:
                found = decode_findings(stored)
            self.run.reuse(nid)
        except Exception:  # noqa: BLE001 - a damaged or foreign entry: the unit runs (its effects are idempotent)
            return None
        return found

    def restore_memo(self, key: str, decode: Any) -> Any:
        """A model (FileIndex.memo with a codec) decoded from the stored run when nothing its build observed changed
        (its effects and those of the models it used replayed), else ``MISSING``: build it."""
        from ..index import _MISSING

        nid = "m:" + key
        try:
            if not self.run.valid(nid):
                return _MISSING
            node = self.run.peek(nid)
            stored = None if node is None else node.get("f")
            if stored is None:
                return _MISSING
            value = decode(stored)
        except Exception:  # noqa: BLE001 - a damaged or foreign entry: the model is built (as without a cache)
            return _MISSING
        self.run.reuse(nid)
        return value

    def mostly_reusable(self, index: Any, detectors: Sequence[Any]) -> bool:
        """Is so little left to run that the scanning process should run it alone?"""
        if not self.run.hit:
            return False
        from ..detection import PYTHON_FILES

        files = index.select(PYTHON_FILES)
        if not files:
            return True
        fresh = sum(1 for e in files if not self.run.valid("p:" + e.path))
        return fresh <= (1 - MOSTLY) * len(files)

    def shared_models(self) -> bool:
        """Must the models a parallel scan builds before its workers start (the wiring graph) be built? They are
        replayed when reusable, built again when not, so the report does not depend on which kind of scan filled the
        cache."""
        if "top" not in self.run.old:
            return False
        try:
            if self.run.valid("top"):
                self.run.reuse("top")
                return False
        except Exception:  # noqa: BLE001 - a damaged or foreign entry (an effect naming a path it does not store): built again
            return True
        return True

    # ------------------------------------------------------------ end
    def save(self) -> None:
        # A detector pass that fails is a unit like any other (its warning is one of its effects, replayed with it);
        # a visitor that fails in the Python pass stops visiting later files, which per-file units cannot replay.
        if memory_failures() != self.memory_failures_at_open:
            self.run.poison("a parser ran out of memory: the outcome depends on this process's limit, not the file")
        if any(w.code in UNSTORABLE and (w.code != "detector-error" or w.path is not None) for w in self.index.warnings):
            self.run.poison("a visitor failed or a worker task ran again")
        try:
            self.run.save()
        except Uncacheable:
            return

    def close(self) -> None:
        self.run.ids.close()
        if self.own_store:
            self.store.close()
        else:
            self.store.flush()


def open_units(cache: Any, index: Any, detectors: Sequence[Any], settings: Sequence[str], started: Any = None) -> Units | None:
    """The facts cache for this scan (None: off, or unusable here). ``started``: ``blobs.start_git_index``'s process,
    ended here when the cache is not used."""
    from .blobs import discard

    if cache is None or cache is False:
        discard(started)
        return None
    from .run import RunCache
    from .store import Store

    if isinstance(cache, Store):
        store, own = cache, False
    else:
        store, own = Store(None if cache is True else Path(cache)), True
    try:
        run = RunCache(store, index, detectors, [str(s) for s in settings], started)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        discard(started)
        if own:
            store.close()
        return None
    if store.broken:
        run.ids.close()
        return None
    from .facts import FactCache

    index.fact_store = FactCache(store, run.fingerprint, run.ids)
    units = Units(run, store, own)
    index.memo_store = units.restore_memo
    index.recording(True)
    return units


def findings_plain(found: list[Finding]) -> Any:
    """Encoded findings for a worker's result (False when they cannot be stored)."""
    try:
        return encode_findings(found)
    except Uncacheable:
        return False
