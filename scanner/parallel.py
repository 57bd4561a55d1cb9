"""A large scan's detector work shared by forked worker processes.

Most of a scan is per-file work (split into words, parse, walk) that does not depend on other files, so it
spreads over cores. With ``jobs`` N the scanning process forks children once the file index exists: they
inherit the index, the detectors and the vocabulary without pickling anything. The processes claim tasks from
shared counters (one per kind of task), so none idles while work is left; a child writes each result with what
the task recorded in its copy of the index (warnings, skipped files, files read and parsed, words:
IndexChanges) to a file of a private temporary directory. The parent merges in task order, so the findings,
warnings and stats do not depend on which process ran what: the JSON report of a parallel scan is the
single-process one.

1. words: N children split the files ``mentions`` will be asked about into words, in chunks; the parent merges
   the words (one int per file), so no later process splits a file again, and its own heap stays compact. The
   children also parse the wiring graph's roots among their files (Python files naming an orchestrator or
   ``__main__``) and send back the file facts derived from them (the graph's and every eager one), and those of the
   notebooks they parsed to split them;
2. the modules the roots import, then those they import, and so on (``wiring.ImportFrontier``), have their file facts
   derived by N children a level at a time (a level of fewer than FOLLOW_MIN_FILES files by the parent);
3. the CI model and the wiring graph, which nearly every detector consults, are built once, in the parent, from
   those facts; the files the roots' commands (CI, containers) reach, and their imports, are asked of N children a
   breadth-first level at a time too (``FileIndex.prefetch_facts``: a level of fewer than FOLLOW_MIN_FILES files is
   parsed by the parent as the graph asks); the Kubernetes documents several detector passes read are built then too;
4. the parent and N - 1 children run each detector's own pass (Detector.detect) and the shared Python pass in
   contiguous chunks of files; the parent takes the detector passes first, the children the Python chunks
   (PARENT_FIRST, CHILD_FIRST); each detector's findings are put back in the single-process order.

A task whose child dies or whose result cannot be pickled runs again in the parent (``parallel-fallback``
warning): nothing is lost. Each process keeps a share of the text and parse caches (FileIndex.share_caches).
Where ``fork`` is not available (Windows) the scan runs in one process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from .cache.record import Recorder
from .cache.units import Units, findings_plain
from .detection import PYTHON_FILES, _detect, _visit_file, detect_one, python_pass
from .detector import Detector
from .index import MAX_NOTEBOOK_BYTES, FileEntry, FileIndex, IndexChanges
from .jobs import _word_paths, available
from .model import Finding

CHUNKS_PER_JOB = 6  # several chunks per worker: files of very different cost even out
# the words phase's chunks are smaller: its cost per file varies most (a wiring root or a notebook is parsed, with its
# eager facts; another file is only split), and no process can take over the tail of the slowest chunk (PrefectHQ/prefect
# with 12 chunks: one worker 2.7 s of CPU, the other 3.9 s)
WORDS_CHUNKS_PER_JOB = 24
# the modules the wiring graph's roots import are parsed by the workers a level of imports at a time (fewer files: the
# scanning process parses them itself, cheaper than forking)
FOLLOW_MIN_FILES = 24
FOLLOW_CHUNKS_PER_JOB = 8
# Which tasks each process takes first. Detector passes over the whole repository build repository-wide tables
# (Kubernetes documents, config references) and touch most of the index: the scanning process runs them first, so
# they are mostly built once and the children, which take the per-file Python pass first, copy fewer of the pages
# they share with it (every object a process touches gets its own copy: reference counts are written).
PARENT_FIRST = ("words", "detect", "python")
CHILD_FIRST = ("words", "python", "detect")


def count_words_phase(index: FileIndex) -> None:
    """The index records of the words phase without splitting anything: every file it would read counts as read, and
    one too large to read is reported (``raw`` refuses it by its size). A scan that reuses stored units skips the
    phase but must report what a parallel scan reports."""
    prev = index.record_into(None)
    try:
        for path in _word_paths(index):
            limit = MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else index.max_bytes
            try:
                st = os.lstat(os.path.join(str(index.root), path))
            except OSError:
                index.raw(path, limit)  # missing: reported as the phase would
                continue
            if st.st_size > limit or not stat.S_ISREG(st.st_mode):
                index.raw(path, limit)
            else:
                index.mark_read(path, st.st_size)
    finally:
        index.record_into(prev)


@dataclass
class _Run:
    """What a task needs; forked children inherit it."""

    index: FileIndex
    detectors: Sequence[Detector]
    python_files: list[FileEntry]
    tasks: list[tuple[str, Any]]
    units: Units | None = None
    sent_memos: set[str] | None = None  # in a worker: the models whose recorders went back already


def run_parallel(index: FileIndex, detectors: Sequence[Detector], jobs: int, units: Units | None = None) -> list[Finding] | None:
    """The findings of run_detectors, computed by ``jobs`` worker processes; None when fork is unavailable. With
    ``units`` (the facts cache) reusable units are replayed here and only the others are given to the workers, which
    send back what each observed."""
    if not available():
        return None
    python_files = list(index.select(PYTHON_FILES))
    if units is None or not units.run.hit:
        # words: children only, so the scanning process's heap stays compact (what every later child inherits)
        for log in _map(index, detectors, python_files, [("words", c) for c in _chunks(_word_paths(index), jobs * WORDS_CHUNKS_PER_JOB)],
                        jobs, children_only=True):
            index.adopt_facts(log)
        _follow_imports(index, detectors, python_files, jobs)
    # the imports of the files the roots' commands reach (CI, containers) are asked by the graph a level at a time
    index.fact_prefetcher = lambda name, paths: prefetch_facts(index, name, paths, jobs)
    try:
        _shared_models(index)
    finally:
        index.fact_prefetcher = None
    visitors = any(type(d).visit is not Detector.visit for d in detectors)
    if units is None:
        py_chunks = _chunks(range(len(python_files)), jobs * CHUNKS_PER_JOB) if visitors else []
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
    return _run_units(index, detectors, python_files, jobs, units, visitors)


def _run_units(index: FileIndex, detectors: Sequence[Detector], python_files: list[FileEntry], jobs: int, units: Units,
               visitors: bool) -> list[Finding]:
    """run_parallel with the facts cache: reusable units replayed here, the others run by the workers and recorded."""
    per_file: dict[int, dict[str, list[Finding]]] = {}
    todo: list[int] = []
    for i, e in enumerate(python_files if visitors else ()):
        reused = units.reuse("p:" + e.path)
        if reused is None:
            todo.append(i)
        else:
            per_file[i] = reused
    own: dict[int, list[Finding]] = {}
    for i, det in enumerate(detectors):
        reused = units.reuse("d:" + det.id)
        if reused is not None:
            own[i] = reused
    tasks = [("detect", i) for i in range(len(detectors)) if i not in own]
    tasks += [("units", tuple(c)) for c in _chunks(todo, jobs * CHUNKS_PER_JOB)]
    results = _map(index, detectors, python_files, tasks, jobs, units=units)
    for (kind, arg), result in zip(tasks, results, strict=True):
        payload, memos = result
        for key, plain in memos.items():
            index.adopt_memo_node(key, Recorder.from_plain(plain))
        if kind == "detect":
            found, plain, encoded = payload
            units.done_plain("d:" + detectors[arg].id, plain, encoded)
            own[arg] = found
        else:
            for i, mine, plain, encoded in payload:
                units.done_plain("p:" + python_files[i].path, plain, encoded)
                per_file[i] = mine
    python: dict[str, list[Finding]] = {}
    for i in sorted(per_file):
        for det_id, found in per_file[i].items():
            python.setdefault(det_id, []).extend(found)
    findings: list[Finding] = []
    for i, det in enumerate(detectors):
        findings.extend(python.get(det.id, ()))
        findings.extend(own[i])
    return findings


def _follow_imports(index: FileIndex, detectors: Sequence[Detector], python_files: list[FileEntry], jobs: int) -> None:
    """Derive the file facts of the modules the wiring graph's roots import, level by level (wiring.ImportFrontier), in
    the workers while a level is large enough to be worth forking for (else here), so that the scanning process, which
    builds the graph with nothing else running, parses none of them."""
    from .facts.wiring import FILE_FACTS, ImportFrontier

    try:
        frontier = ImportFrontier(index)
        todo = frontier.pending()
        while todo:
            if len(todo) < FOLLOW_MIN_FILES:
                for path in todo:
                    index.fact(path, FILE_FACTS)
            else:
                for log in _map(index, detectors, python_files, [("facts", (FILE_FACTS, c)) for c in _chunks(todo, jobs * FOLLOW_CHUNKS_PER_JOB)],
                                jobs, children_only=True):
                    index.adopt_facts(log)
            todo = frontier.pending()
    except Exception:  # noqa: BLE001 - the graph derives what is missing itself (and meets the same error)
        pass


def _shared_models(index: FileIndex) -> None:
    from .facts.ops import k8s_docs
    from .facts.wiring import wiring

    # memoised in the index, inherited by the workers. The Kubernetes documents are read by several detector passes,
    # which the scanning process and the workers share out: built by whichever process needed them first, they were
    # built in both (kubeflow/pipelines: the passes' worker parsed 456 YAML files, 198 when it inherits them)
    for build in (wiring, k8s_docs):  # wiring: with the CI model it is built from
        try:
            build(index)
        except Exception:  # noqa: BLE001 - a detector that needs it meets the same error and reports it
            pass


def prefetch_facts(index: FileIndex, name: str, paths: list[str], jobs: int) -> None:
    """Derive one file fact of many files (at least FOLLOW_MIN_FILES: fewer are left to whoever asks) in ``jobs`` forked
    workers (the scanning process waits: it is building a shared model that needs them) and adopt what they derived:
    that fact, and the eager facts of each file they parsed."""
    if len(paths) < FOLLOW_MIN_FILES:
        return
    for log in _map(index, [], [], [("facts", (name, c)) for c in _chunks(paths, jobs * FOLLOW_CHUNKS_PER_JOB)], jobs, children_only=True):
        index.adopt_facts(log)


def _chunks(items: Sequence[Any], n: int) -> list[Sequence[Any]]:
    """``items`` in at most ``n`` contiguous slices of (nearly) equal length."""
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
         jobs: int, children_only: bool = False, units: Units | None = None) -> list[Any]:
    """Run the tasks in this process and ``jobs - 1`` forked children (``children_only``: in ``jobs`` children),
    each claiming the next task from a shared counter (the load balances itself). Children write each result with
    their index changes to a file; the results come back in task order and the changes are merged in that order."""
    import multiprocessing
    import tempfile

    if not tasks:
        return []
    run = _Run(index, detectors, python_files, tasks, units)
    index.share_caches(jobs)
    gc.collect()
    _trim()
    gc.freeze()  # inherited objects stay out of the children's collections: their pages stay shared
    results: dict[int, Any] = {}
    children: list[int] = []
    parent = os.getpid()
    # a terminated scan (a CI timeout) stops its children and removes their files (the finally below)
    old_term = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        with tempfile.TemporaryDirectory(prefix="mlscan-") as out:
            ctx = multiprocessing.get_context("fork")
            queues = _Queues({kind: [i for i, t in enumerate(tasks) if t[0] == kind] for kind in dict.fromkeys(t[0] for t in tasks)},
                             ctx)
            for _ in range(min(jobs, len(tasks)) - (0 if children_only else 1)):
                try:
                    pid = os.fork()
                except OSError as e:  # no processes to be had (limits): fewer workers
                    index.warn("parallel-fallback", f"worker process unavailable ({e.strerror or e})")
                    break
                if pid == 0:  # the child: claim, run, write; never returns
                    _child(run, queues, out, parent)
                children.append(pid)
            if not children_only:
                index.keep_yaml_here()  # this process's passes keep the YAML they parse; the children keep none
            own: Iterable[int] = queues.claims(PARENT_FIRST) if not children_only else () if children else range(len(tasks))
            for i in own:  # with children_only, this process runs tasks only if no child could start
                results[i] = _execute(run, tasks[i])
                index.drop_set_aside()
                _trim()
            while children:
                os.waitpid(children[-1], 0)
                children.pop()
            for i, task in enumerate(tasks):
                if i in results:
                    continue
                try:
                    results[i], changes = load_result(os.path.join(out, f"{i}.pickle"))
                except Exception:  # noqa: BLE001 - its worker died, the result could not be pickled, or it was refused
                    index.warn("parallel-fallback", f"{task[0]} task {i} ran again in the main process")
                    results[i] = _execute(run, task)
                else:
                    index.absorb(changes)
    finally:
        for pid in children:  # this process stopped early (an interrupt): its children stop too
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
        gc.unfreeze()
        index.share_caches(1)
    return [results[i] for i in range(len(tasks))]


# Everything a task result is made of beyond plain containers and scalars (findings, evidence, warnings, index
# changes). A result names nothing else: a file that does (tampered with, or a plug-in's attribute of another type)
# is refused, and its task runs again in the scanning process.
RESULT_CLASSES = frozenset({
    ("mlscan.model", "_unpickle_finding"), ("mlscan.model", "Evidence"), ("mlscan.model", "Strength"),
    ("mlscan.model", "Source"), ("mlscan.model", "Warning_"), ("mlscan.index", "IndexChanges"),
    ("builtins", "set"), ("builtins", "frozenset"),
})


class _ResultUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in RESULT_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a task result")
        return super().find_class(module, name)


def load_result(path: str) -> tuple[Any, IndexChanges]:
    """A child's result file. Only RESULT_CLASSES are looked up while it is read, so no stored reference can make
    the load call anything else (pickle would otherwise call whatever a file names, e.g. ``os.system``). The files
    are written by this scan's own children into its private (0700) temporary directory; symlinks are not followed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        result, changes = _ResultUnpickler(fh).load()
    if not isinstance(changes, IndexChanges):
        raise pickle.UnpicklingError("not a task result")
    return result, changes


class _Queues:
    """A shared counter per task kind: each process claims the next task of the kinds it prefers first."""

    def __init__(self, groups: dict[str, list[int]], ctx: Any) -> None:
        self.groups = groups
        self.counters = {kind: ctx.Value("i", 0) for kind in groups}

    def claims(self, order: Sequence[str]) -> Iterator[int]:
        """Task numbers for this process, one at a time: of the kinds in ``order`` first, then of any kind."""
        for kind in [*[k for k in order if k in self.groups], *[k for k in self.groups if k not in order]]:
            group, counter = self.groups[kind], self.counters[kind]
            while True:
                with counter.get_lock():
                    at = counter.value
                    counter.value = at + 1
                if at >= len(group):
                    break
                yield group[at]


_TRIM: list[Any] = []  # glibc's malloc_trim, looked up once (None where the C library has none)


def _trim() -> None:
    """Give the free pages of the C heap back to the system (glibc ``malloc_trim(0)``), before forking and after each task.
    Large buffers (a 4 MB notebook's text, dict tables that grew) are freed into the heap, not unmapped: glibc raises its
    mmap threshold to the largest buffer freed, and only trims the heap's top. Freed pages then stayed resident in every
    process, and the ones inherited at a fork were counted in both (the 100k-file synthetic repository: peak summed PSS
    -9 MiB, docs/benchmarks.md). A no-op without glibc (musl, macOS)."""
    if not _TRIM:
        try:
            import ctypes

            _TRIM.append(ctypes.CDLL(None).malloc_trim)
        except (OSError, AttributeError):
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def _terminate(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _child(run: _Run, queues: _Queues, out: str, parent: int) -> NoReturn:
    """A forked worker: its results and what each task changed in its copy of the index, one file per task.
    It stops when the scanning process is gone (killed outright: no result is wanted any more)."""
    code = 0
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if run.units is not None:
        run.sent_memos = set(run.index.memo_nodes())  # inherited from the scanning process: it has them
    try:
        for i in queues.claims(CHILD_FIRST):
            if os.getppid() != parent:
                break
            mark = run.index.mark()
            result = _execute(run, run.tasks[i])
            run.index.drop_set_aside()
            _trim()
            changes = run.index.changes_since(mark, words=run.tasks[i][0] == "words")
            path = os.path.join(out, f"{i}.pickle")
            try:
                with open(path + ".part", "wb") as fh:
                    pickle.dump((result, changes), fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(path + ".part", path)
            except Exception:  # noqa: BLE001 - unpicklable: the main process runs the task again
                continue
    except BaseException:  # noqa: BLE001 - the main process reruns whatever has no result file
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers inherited from the parent


def _execute(run: _Run, task: tuple[str, Any]) -> Any:
    kind, arg = task
    if kind == "words":
        return _words_task(run.index, arg)
    if kind == "facts":
        return _facts_task(run.index, *arg)
    if run.units is not None:
        return _execute_unit(run, kind, arg)
    if kind == "detect":
        return detect_one(run.index, run.detectors[arg])
    start, end = arg
    return python_pass(run.index, run.detectors, run.python_files[start:end])


def _words_task(index: FileIndex, paths: Sequence[str]) -> list[list[Any]]:
    """Split the files into words, then derive the file facts the wiring graph's roots will ask of them (parsing those
    files here, not in the scanning process, which builds the graph): the facts derived, for FileIndex.adopt_facts. A
    notebook is parsed to be split (its words are its code cells'): the eager facts of that parse go back too."""
    from .facts.wiring import prefetch_roots

    index.start_fact_log()
    try:
        index.prime_words(paths)
        prefetch_roots(index, paths)
    finally:
        log = index.take_fact_log()
    return log


def _facts_task(index: FileIndex, name: str, paths: Sequence[str]) -> list[list[Any]]:
    """Derive the fact ``name`` of these files: the facts derived (that one, and every eager one of each file parsed), for
    FileIndex.adopt_facts."""
    index.start_fact_log()
    try:
        for path in paths:
            index.fact(path, name)
    finally:
        log = index.take_fact_log()
    return log


def _execute_unit(run: _Run, kind: str, arg: Any) -> Any:
    """A task of units, each recorded: (payload, recorders of the models this worker built meanwhile)."""
    index = run.index
    if kind == "detect":
        rec = Recorder()
        prev = index.record_into(rec)
        try:
            found = _detect(index, run.detectors[arg])
        finally:
            index.record_into(prev)
        payload: Any = (found, rec.to_plain(), findings_plain(found))
    else:
        visitors = [d for d in run.detectors if type(d).visit is not Detector.visit]
        payload = []
        for i in arg:
            rec = Recorder()
            prev = index.record_into(rec)
            mine: dict[str, list[Finding]] = {}
            try:
                _visit_file(index, run.python_files[i], visitors, mine)
            finally:
                index.record_into(prev)
            encoded = {k: findings_plain(v) for k, v in mine.items() if v}
            payload.append((i, mine, rec.to_plain(), False if any(v is False for v in encoded.values()) else encoded))
    memos: dict[str, Any] = {}
    if run.sent_memos is not None:
        for key, node in index.memo_nodes().items():
            if key not in run.sent_memos:
                run.sent_memos.add(key)
                memos[key] = node.to_plain()
    return payload, memos
