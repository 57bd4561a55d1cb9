"""Run detectors over a file index in one process: the shared Python pass (every Python file and notebook
parsed once for all detectors that visit it) and each detector's own pass. ``parallel`` runs the same two
functions in forked workers; ``engine`` chooses between them. A broken detector loses its findings, never
the scan. With the facts cache (``units``: mlscan.cache.units.Units) each detector pass and each file of the Python
pass is a unit, reused when nothing it observed changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .detector import Detector
from .index import FileEntry, FileIndex
from .model import Finding

PYTHON_FILES = ("**/*.py", "**/*.ipynb")


def python_pass(index: FileIndex, detectors: Sequence[Detector], files: Sequence[FileEntry] | None = None,
                units: Any = None) -> dict[str, list[Finding]]:
    """Every Python file and notebook (or ``files``) once, parsed once for all the detectors that want it
    (Detector.visit). With ``units`` (the facts cache) each file is a unit: reused when nothing it observed changed,
    else run and recorded."""
    visitors = [d for d in detectors if type(d).visit is not Detector.visit]
    out: dict[str, list[Finding]] = {d.id: [] for d in visitors}
    if not visitors:
        return out
    for e in index.select(PYTHON_FILES) if files is None else files:
        if units is not None:
            nid = "p:" + e.path
            reused = units.reuse(nid)
            if reused is not None:
                for det_id, found in reused.items():
                    if det_id in out:
                        out[det_id].extend(found)
                continue
            rec = units.start()
            mine: dict[str, list[Finding]] = {}
            try:
                _visit_file(index, e, visitors, mine)
            finally:
                units.stop(rec)
            units.done(nid, rec, mine)
            for det_id, found in mine.items():
                out[det_id].extend(found)
        else:
            _visit_file(index, e, visitors, out)
    return out


def _visit_file(index: FileIndex, e: FileEntry, visitors: list[Detector], out: dict[str, list[Finding]]) -> None:
    wanted = []
    for d in list(visitors):
        try:
            if d.wants(index, e):
                wanted.append(d)
        except Exception as exc:  # a detector's pre-filter that breaks stops that detector only
            _visitor_failed(index, d, e.path, exc, visitors)
    if not wanted:
        return
    tree = index.python(e.path) if any(d.visit_reads_tree for d in wanted) else None
    if tree is None and any(d.visit_reads_tree for d in wanted):
        return  # does not parse: no visitor looks at it (one reading a fact finds none)
    for d in wanted:
        try:
            out.setdefault(d.id, []).extend(d.visit(index, e, tree))
        except Exception as exc:  # as in detect_one: the detector stops, the scan goes on
            _visitor_failed(index, d, e.path, exc, visitors)


def _visitor_failed(index: FileIndex, det: Detector, path: str, exc: Exception, visitors: list[Detector]) -> None:
    what = "input nested too deeply; detector skipped" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
    index.warn("detector-error", f"{det.id}: {what}", path)
    if det in visitors:
        visitors.remove(det)


def detect_one(index: FileIndex, det: Detector, units: Any = None) -> list[Finding]:
    """A detector's own pass (Detector.detect); a broken detector loses its findings, never the scan. With ``units``
    (the facts cache) it is a unit: reused when nothing it observed changed, else run and recorded."""
    if units is None:
        return _detect(index, det)
    nid = "d:" + det.id
    reused = units.reuse(nid)
    if reused is not None:
        return reused  # type: ignore[no-any-return]
    rec = units.start()
    try:
        found = _detect(index, det)
    finally:
        units.stop(rec)
    units.done(nid, rec, found)
    return found


def _detect(index: FileIndex, det: Detector) -> list[Finding]:
    try:
        return list(det.detect(index))
    except RecursionError:
        index.warn("detector-error", f"{det.id}: input nested too deeply; detector skipped")
    except Exception as e:
        index.warn("detector-error", f"{det.id}: {type(e).__name__}: {e}")
    return []
