"""A large scan's detector work shared by forked worker processes.

Most of a scan is per-file work (split into words, parse, walk) that does not depend on other files, so it
spreads over cores. Workers are forked from the scanning process once the file index exists: they inherit the
index, the detectors and the vocabulary without pickling anything, run tasks, and send back plain results —
findings, and what they recorded in the index (warnings, skipped files, files read and parsed; IndexChanges).
The parent merges in task order, so the findings, warnings and stats do not depend on which worker finished
first; the JSON report of a parallel scan is the serial scan's.

1. words: the files ``mentions`` will be asked about are split into words, in chunks; the parent merges
   the words (one int per file), so no later process splits a file again;
2. the CI model and the wiring graph, which nearly every detector consults, are built once, in the parent;
3. tasks: each detector's own pass (Detector.detect), then the shared Python pass in contiguous chunks of
   files; the parent puts each detector's findings back in serial order.

A task whose worker dies or whose result cannot be pickled runs again in the parent (``parallel-fallback``
warning): nothing is lost. Where ``fork`` is not available (Windows) the scan runs in one process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .detector import Detector
from .index import FileEntry, FileIndex, IndexChanges
from .model import Finding

AUTO_MIN_FILES = 3000  # below this many files in scope, starting workers costs more than it saves
MAX_AUTO_JOBS = 8
WORD_SUFFIXES = frozenset({".py", ".ipynb", ".yaml", ".yml", ".json"})  # what detectors ask ``mentions`` about
CHUNKS_PER_JOB = 6  # several chunks per worker: files of very different cost even out


def available() -> bool:
    import multiprocessing  # here, not at module level: small scans never pay for it

    return "fork" in multiprocessing.get_all_start_methods()


def auto_jobs(files_in_scope: int) -> int:
    """Workers for ``--jobs 0`` (auto): one per CPU (at most MAX_AUTO_JOBS) for a large repository, else 1."""
    if files_in_scope < AUTO_MIN_FILES or not available():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS))


@dataclass
class _Run:
    """What the forked workers inherit (module state set just before the pool starts)."""

    index: FileIndex
    detectors: Sequence[Detector]
    python_files: list[FileEntry]
    tasks: list[tuple[str, Any]]


_RUN: _Run | None = None


def run_parallel(index: FileIndex, detectors: Sequence[Detector], jobs: int) -> list[Finding] | None:
    """The findings of run_detectors, computed by ``jobs`` worker processes; None when fork is unavailable."""
    if not available():
        return None
    from .engine import PYTHON_FILES

    python_files = list(index.select(PYTHON_FILES))
    word_paths = [e.path for e in index.entries if e.suffix in WORD_SUFFIXES]
    _map(index, detectors, python_files, [("words", c) for c in _chunks(word_paths, jobs * CHUNKS_PER_JOB)], jobs)
    _shared_models(index)
    visitors = any(type(d).visit is not Detector.visit for d in detectors)
    py_chunks = _chunks(list(range(len(python_files))), jobs * CHUNKS_PER_JOB) if visitors else []
    tasks = [("detect", i) for i in range(len(detectors))] + [("python", (c[0], c[-1] + 1)) for c in py_chunks]
    results = _map(index, detectors, python_files, tasks, jobs)
    python: dict[str, list[Finding]] = {}
    for (kind, _), result in zip(tasks, results, strict=True):
        if kind == "python":
            for det_id, found in result.items():
                python.setdefault(det_id, []).extend(found)
    findings: list[Finding] = []
    for i, det in enumerate(detectors):
        findings.extend(python.get(det.id, ()))
        findings.extend(results[i])
    return findings


def _shared_models(index: FileIndex) -> None:
    from .wiring import wiring

    try:
        wiring(index)  # memoised in the index (with the CI model it is built from), inherited by the workers
    except Exception:  # noqa: BLE001 - a detector that needs it meets the same error and reports it
        pass


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        if end > start:
            out.append(items[start:end])
        start = end
    return out


def _map(index: FileIndex, detectors: Sequence[Detector], python_files: list[FileEntry], tasks: list[tuple[str, Any]],
         jobs: int) -> list[Any]:
    """Run the tasks in forked workers; results in task order, the workers' index changes merged in that order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _RUN
    if not tasks:
        return []
    _RUN = _Run(index, detectors, python_files, tasks)
    results: list[Any] = []
    try:
        with ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_work, i) for i in range(len(tasks))]
            for i, fut in enumerate(futures):
                try:
                    result, changes = fut.result()
                except Exception as e:  # noqa: BLE001 - a dead worker, an unpicklable result: run it here
                    index.warn("parallel-fallback", f"task {tasks[i][0]} {i} ran in the main process ({type(e).__name__})")
                    result = _execute(_RUN, tasks[i])
                else:
                    index.absorb(changes)
                results.append(result)
    except OSError as e:  # no processes to be had (limits, no /dev/shm): the rest runs here
        index.warn("parallel-fallback", f"worker processes unavailable ({e.strerror or e}); scanning in one process")
        results += [_execute(_RUN, t) for t in tasks[len(results):]]
    finally:
        _RUN = None
    return results


def _work(i: int) -> tuple[Any, IndexChanges]:
    """In a worker: one task, and what it changed in the worker's copy of the index."""
    run = _RUN
    assert run is not None, "parallel task outside a forked worker"
    kind, _ = run.tasks[i]
    mark = run.index.mark()
    result = _execute(run, run.tasks[i])
    return result, run.index.changes_since(mark, words=kind == "words")


def _execute(run: _Run, task: tuple[str, Any]) -> Any:
    from .engine import detect_one, python_pass

    kind, arg = task
    if kind == "words":
        run.index.prime_words(arg)
        return None
    if kind == "detect":
        return detect_one(run.index, run.detectors[arg])
    start, end = arg
    return python_pass(run.index, run.detectors, run.python_files[start:end])
