"""Parallel scans (scanner/parallel.py): forked workers give the serial scan's report, lose nothing when a
worker dies or a result cannot be sent back, and are only started for large repositories."""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import time
from pathlib import Path

import pytest
from mlscan import jobs, parallel
from mlscan.detector import Detector
from mlscan.engine import ScanOptions, run_detectors, scan
from mlscan.index import FileIndex
from mlscan.model import Finding
from mlscan.plugins import load_detectors
from mlscan.reporters import get_reporter
from mlscan.target import resolve_target

from tests.hostile_repos import hostile_level_tree
from tests.test_hostile_input import run

ROOT = Path(__file__).resolve().parent.parent
L3 = ROOT / "fixtures" / "levels" / "l3-platform" / "repo"

pytestmark = pytest.mark.skipif(not parallel.available(), reason="no fork start method on this platform")


def _report(path: Path, jobs: int) -> dict:
    out = json.loads(get_reporter("json")(scan(str(path), ScanOptions(frameworks=("all",), jobs=jobs, cache=False)), color=False))
    assert out["stats"].pop("jobs") == jobs
    out["stats"].pop("duration_seconds")
    return out


def _hostile_copy(tmp_path: Path) -> Path:
    return hostile_level_tree(L3, tmp_path / "repo")  # a plain directory: the ignore-aware walk


def test_parallel_report_is_the_serial_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _hostile_copy(tmp_path)
    calls: list[int] = []
    real = parallel.run_parallel

    def spy(index: FileIndex, detectors: list[Detector], jobs: int, units: object = None) -> list[Finding] | None:
        calls.append(jobs)
        return real(index, detectors, jobs, units)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "run_parallel", spy)
    serial = _report(repo, 1)
    assert calls == []
    forked = _report(repo, 3)
    assert calls == [3]
    assert forked == serial  # findings in the same order, the same warnings, skipped files and stats
    assert serial["findings"] and {w["code"] for w in serial["warnings"]} >= {"parse-error", "not-utf8", "too-large"}


def _child_fails(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make every task a child runs fail (``die``: the process is killed; ``unpicklable``: its result cannot be
    sent back); the parent's first task waits long enough for the child to claim one."""
    parent, real, first = os.getpid(), parallel._execute, [True]

    def execute(run: object, task: tuple[str, object]) -> object:
        if os.getpid() != parent:
            if how == "die":
                os._exit(3)  # as the OOM killer would
            return lambda: None
        if first:
            first.clear()
            time.sleep(0.5)
        return real(run, task)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_execute", execute)


@pytest.mark.parametrize("how", ["die", "unpicklable"])
def test_failed_tasks_run_again_in_the_scanning_process(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    def findings(jobs: int) -> tuple[list[tuple[str, str, str]], FileIndex]:
        index = FileIndex(resolve_target(str(L3)))
        found = run_detectors(index, load_detectors(), jobs)
        return [(f.detector, f.signal, f.evidence[0].path if f.evidence else "") for f in found], index

    serial, _ = findings(1)
    _child_fails(monkeypatch, how)
    forked, index = findings(2)
    assert forked == serial and serial
    assert any(w.code == "parallel-fallback" for w in index.warnings)


def test_workers_start_only_for_large_repositories() -> None:
    assert jobs.auto_jobs(jobs.AUTO_MIN_FILES - 1) == 1
    assert 1 <= jobs.auto_jobs(jobs.AUTO_MIN_FILES) <= jobs.MAX_AUTO_JOBS
    assert jobs.work_files(FileIndex(resolve_target(str(L3)))) < jobs.AUTO_MIN_FILES
    small = scan(str(L3))
    assert small.stats["jobs"] == 1


def test_jobs_option(tmp_path: Path) -> None:
    cp = run("scan", str(L3), "-f", "json", "--jobs", "2")
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["stats"]["jobs"] == 2
    bad = run("scan", str(L3), "--jobs", "-1")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--jobs" in bad.stderr


def test_result_files_name_no_callable(tmp_path: Path) -> None:
    """A child's result file is read with a restricted unpickler: a real result loads; a file naming any other
    global (``os.system``, ``builtins.eval``) is refused before anything runs, and its task reruns."""
    index = FileIndex(resolve_target(str(L3)))
    mark = index.mark()
    result = [f for d in load_detectors() for f in d.detect(index)]
    index.warn("parse-error", "yaml: broken", "a.yaml")
    good = tmp_path / "0.pickle"
    good.write_bytes(pickle.dumps((result, index.changes_since(mark, words=True)), protocol=pickle.HIGHEST_PROTOCOL))
    loaded, changes = parallel.load_result(str(good))
    assert [f.to_json() for f in loaded] == [f.to_json() for f in result] and result
    assert changes.warnings[-1].path == "a.yaml"

    marker = tmp_path / "ran"
    for module, name, arg in (("os", "system", f"touch {marker}"), ("builtins", "eval", f"open({str(marker)!r}, 'w')")):
        evil = tmp_path / f"{name}.pickle"
        evil.write_bytes(f"c{module}\n{name}\n(V{arg}\ntR.".encode())
        pickletools.dis(evil.read_bytes(), out=io.StringIO())  # a well-formed pickle: plain pickle.load would call it
        with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name} is not part of a task result"):
            parallel.load_result(str(evil))
    assert not marker.exists()
    link = tmp_path / "link.pickle"
    link.symlink_to(good)
    with pytest.raises(OSError):
        parallel.load_result(str(link))


def _wired_repo(root: Path, n: int = 6) -> Path:
    """Roots (pipeline definitions, ``__main__`` scripts) importing ``pkg/util_*.py``, which import ``pkg/deep/lib_*.py``."""
    from tests.conftest import git_repo

    files = {".github/workflows/ci.yml": "on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: python scripts/run_0.py\n"}
    for i in range(n):
        files[f"pipelines/flow_{i}.py"] = f"from prefect import flow\nfrom pkg import util_{i}\n\n\n@flow\ndef f():\n    util_{i}.go()\n"
        files[f"scripts/run_{i}.py"] = f"import pkg.util_{i}\n\nif __name__ == '__main__':\n    pkg.util_{i}.go()\n"
        files[f"pkg/util_{i}.py"] = f"from pkg.deep import lib_{i}\n\n\ndef go():\n    return lib_{i}.x()\n"
        files[f"pkg/deep/lib_{i}.py"] = f"def x():\n    return {i}\n"
    files["pkg/__init__.py"] = files["pkg/deep/__init__.py"] = ""
    files["broken_flow.py"] = "import prefect\ndef (:\n"
    return git_repo(root, files)


@pytest.mark.parametrize("n", [6, 30])
def test_the_wiring_graph_is_built_from_facts_the_workers_derived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """A parallel scan's words phase derives, in its workers, the file facts the wiring graph's roots ask (files naming
    an orchestrator or ``__main__``); then those of the modules the roots import, a level of imports at a time (in the
    workers when a level holds FOLLOW_MIN_FILES files or more); the scanning process then builds the graph without
    parsing a root or an imported module, and the graph, the files parsed and the warnings are the serial scan's. With
    the facts cache, the scanning process stores them."""
    from mlscan.cache.facts import FactCache
    from mlscan.facts import wiring as wiring_mod

    repo = _wired_repo(tmp_path / "repo", n)
    roots = {f"pipelines/flow_{i}.py" for i in range(n)} | {f"scripts/run_{i}.py" for i in range(n)} | {"broken_flow.py"}
    imported = {f"pkg/util_{i}.py" for i in range(n)} | {f"pkg/deep/lib_{i}.py" for i in range(n)}
    serial = FileIndex(resolve_target(str(repo)))
    run_detectors(serial, load_detectors(), 1)

    parent, graph_parses, follow_parses = os.getpid(), [], []
    real_shared, real_follow = parallel._shared_models, parallel._follow_imports

    def parses(what: list[str], run: object, index: FileIndex, *args: object) -> None:
        before = dict(index.parse_counts)
        run(index, *args)  # type: ignore[operator]
        what.extend(k[0] for k, n in index.parse_counts.items() if n > before.get(k, 0))

    def shared(index: FileIndex) -> None:
        parses(graph_parses, real_shared, index)

    def follow(index: FileIndex, *args: object) -> None:
        parses(follow_parses, real_follow, index, *args)

    stored: list[tuple[str, str]] = []
    real_put = FactCache.put

    def put(self: FactCache, name: str, path: str, value: object, effects: list) -> None:  # type: ignore[type-arg]
        if os.getpid() == parent:
            stored.append((name, path))
        real_put(self, name, path, value, effects)

    monkeypatch.setattr(parallel, "_shared_models", shared)
    monkeypatch.setattr(parallel, "_follow_imports", follow)
    monkeypatch.setattr(FactCache, "put", put)
    forked = FileIndex(resolve_target(str(repo)))
    run_detectors(forked, load_detectors(), 2)
    assert wiring_mod._encode(wiring_mod.wiring(forked)) == wiring_mod._encode(wiring_mod.wiring(serial))
    assert all(wiring_mod.wiring(forked).automated(p) for p in imported)
    assert not (roots | imported) & set(graph_parses)
    if n < parallel.FOLLOW_MIN_FILES:
        assert imported <= set(follow_parses)  # too few to fork for: parsed here
    else:
        assert not imported & set(follow_parses)  # parsed by the workers
    assert forked.stats.parsed == serial.stats.parsed and sorted(forked.warnings, key=repr) == sorted(serial.warnings, key=repr)
    assert any(w.code == "parse-error" and w.path == "broken_flow.py" for w in forked.warnings)

    assert _report(repo, 2) == _report(repo, 1)
    scan(str(repo), ScanOptions(jobs=2, cache=tmp_path / "cache"))
    assert {("wiring.file|python|plain", r) for r in (roots | imported) - {"broken_flow.py"}} <= set(stored)


def test_the_graph_asks_the_workers_for_the_imports_of_a_large_frontier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files a root's imports reach are parsed for their own imports breadth first: when the frontier of files not
    parsed yet is large (parallel.FOLLOW_MIN_FILES), a parallel scan's workers parse them and the scanning process adopts their
    facts; a small frontier is parsed where the graph is built. The graph, the files parsed and the report are the serial
    scan's."""
    from mlscan.facts import wiring as wiring_mod

    from tests.conftest import git_repo

    n = parallel.FOLLOW_MIN_FILES + 8
    files = {".github/workflows/ci.yml": "on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - run: python scripts/run.py\n",
             "scripts/run.py": "".join(f"import pkg.mod_{i}\n" for i in range(n)) + "print('run')\n",
             "pkg/__init__.py": "", "pkg/leaf.py": "X = 1\n", "pkg/mod_3.py": "def (:\n"}
    files.update({f"pkg/mod_{i}.py": "from pkg import leaf\n" for i in range(n) if i != 3})
    repo = git_repo(tmp_path / "repo", files)
    serial = FileIndex(resolve_target(str(repo)))
    run_detectors(serial, load_detectors(), 1)

    rounds: list[int] = []
    real_prefetch = parallel.prefetch_facts

    def prefetch(index: FileIndex, name: str, paths: list[str], jobs: int) -> None:
        rounds.append(len(paths))
        real_prefetch(index, name, paths, jobs)

    graph_parses: list[str] = []
    real_shared = parallel._shared_models

    def shared(index: FileIndex) -> None:
        before = dict(index.parse_counts)
        real_shared(index)
        graph_parses.extend(k[0] for k, c in index.parse_counts.items() if c > before.get(k, 0) and os.getpid() == parent)

    parent = os.getpid()
    monkeypatch.setattr(parallel, "prefetch_facts", prefetch)
    monkeypatch.setattr(parallel, "_shared_models", shared)
    forked = FileIndex(resolve_target(str(repo)))
    run_detectors(forked, load_detectors(), 2)
    assert wiring_mod._encode(wiring_mod.wiring(forked)) == wiring_mod._encode(wiring_mod.wiring(serial))
    assert wiring_mod.wiring(forked).automated("pkg/mod_0.py") and wiring_mod.wiring(forked).automated("pkg/leaf.py")
    # run.py alone, then the modules it imports (forked for), then what those import (too few: parsed here)
    assert [k for k in rounds if k >= parallel.FOLLOW_MIN_FILES] == [n] and rounds[0] == 1
    assert not {f"pkg/mod_{i}.py" for i in range(n)} & set(graph_parses)  # their facts came from the workers
    assert forked.stats.parsed == serial.stats.parsed and sorted(forked.warnings, key=repr) == sorted(serial.warnings, key=repr)
    assert any(w.code == "parse-error" and w.path == "pkg/mod_3.py" for w in forked.warnings)
    assert _report(repo, 2) == _report(repo, 1)


def test_the_kubernetes_documents_are_read_once_before_the_workers_fork(tmp_path: Path) -> None:
    """Several detector passes read the Kubernetes documents and the processes share the passes out: the scanning process
    reads them with the wiring graph, before it forks, and the workers inherit them (each built its own before)."""
    from mlscan.facts import ops

    from tests.conftest import git_repo

    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: img:1\n"
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", {"k8s/pod.yaml": pod, "app.py": "print(1)\n"}))))
    parallel._shared_models(index)
    assert "ops-k8s-docs" in index._memo
    assert [e.path for e, _doc in ops.k8s_docs(index)] == ["k8s/pod.yaml"]


def test_yaml_parsed_after_the_words_phase_is_kept_for_the_detector_passes(tmp_path: Path) -> None:
    """The CI model and the wiring graph are built in the scanning process once the words phase's workers are done: the
    YAML they parse is kept for the whole scan (the workers inherit it), so the detector passes do not parse it again.
    No process keeps more while workers run."""
    from tests.conftest import git_repo

    step = "      - run: python train.py --epochs 3 --data data/train.csv --output models/ --seed 1\n" * 20
    files = {f".github/workflows/wf_{i}.yml": f"on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n{step}"
             for i in range(30)}  # ~60K characters: more than a worker's share of the parse cache
    files["train.py"] = "print('train')\n"
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", files))))
    index.share_caches(2)
    index.yaml(".github/workflows/wf_0.yml")
    assert ".github/workflows/wf_0.yml" not in index._yaml_kept  # while workers run
    index.share_caches(1)
    workflows = [p for p in files if p.endswith(".yml")]
    for path in workflows:
        index.yaml(path)
    assert set(workflows[1:]) <= set(index._yaml_kept)  # the room is back once the workers are done
    run_detectors(index, load_detectors({"ci.deploy", "ci.tests"}), 1)
    assert {n for (p, kind), n in index.parse_counts.items() if kind == "yaml" and p != workflows[0]} == {1}


def test_the_words_phase_sends_back_the_facts_of_the_notebooks_it_parses(tmp_path: Path) -> None:
    """A notebook is parsed for its words (code cells) in the words phase's workers: the eager facts derived on that
    parse go back to the scanning process with the words, so no later pass there parses it again for them."""
    import json as json_mod

    from mlscan.vocabulary import harvest

    from tests.conftest import git_repo

    cell = "import boto3\ns3 = boto3.client('s3')\ns3.upload_file('model.pkl', 'bucket', 'models/model.pkl')\n"
    nb = json_mod.dumps({"cells": [{"cell_type": "code", "source": cell}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", {"notebooks/upload.ipynb": nb}))))
    index.register_vocabulary(sorted(harvest(load_detectors())))
    log = parallel._words_task(index, ["notebooks/upload.ipynb"])
    names = {name for name, path, _value, _stored in log if path == "notebooks/upload.ipynb"}
    assert "artifact.store.file" in names
    parent = FileIndex(resolve_target(str(tmp_path / "repo")))
    parent.adopt_facts(log)
    from mlscan.detectors.artifact_store import FILE_FACTS

    assert parent.fact("notebooks/upload.ipynb", FILE_FACTS) is not None and not parent.parse_counts


def test_the_import_frontier_lists_each_level_of_imports_the_graph_follows(tmp_path: Path) -> None:
    """wiring.ImportFrontier: from the roots whose facts are known, the files the graph's import following reaches whose
    facts are not, a level at a time, each once; every one of them is reached by the graph (none parsed for nothing)."""
    from mlscan.facts import wiring as wiring_mod

    index = FileIndex(resolve_target(str(_wired_repo(tmp_path / "repo", 3))))
    index.register_vocabulary(sorted(set(wiring_mod.SCRIPT_NEEDLES)))
    wiring_mod.prefetch_roots(index, [e.path for e in index.entries])
    frontier = wiring_mod.ImportFrontier(index)
    levels = []
    while todo := frontier.pending():
        levels.append(sorted(todo))
        for path in todo:
            index.fact(path, wiring_mod.FILE_FACTS)
    assert levels == [["pkg/__init__.py", "pkg/util_0.py", "pkg/util_1.py", "pkg/util_2.py"],
                      ["pkg/deep/__init__.py", "pkg/deep/lib_0.py", "pkg/deep/lib_1.py", "pkg/deep/lib_2.py"]]
    before = dict(index.parse_counts)
    graph = wiring_mod.wiring(index)
    assert {p for level in levels for p in level} <= set(graph.reach)
    assert not {k[0] for k, n in index.parse_counts.items() if k[1] == "python" and n > before.get(k, 0)} & set(graph.reach)


def test_a_process_forgets_the_big_values_set_aside_between_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text or parse larger than its cache is kept aside (asked again, it costs nothing) until the next such value;
    a parallel scan's processes drop it after each task (a worker kept a big notebook's tree through every later task),
    and the report stays the serial one."""
    from tests.conftest import git_repo

    big = "x = 1\n" * 100_000  # 600K characters: above a process's share of the text and parse caches (two processes)
    repo = git_repo(tmp_path / "repo", {"big.py": big, "train.py": "import mlflow\nmlflow.log_metric('a', 1)\n"})
    index = FileIndex(resolve_target(str(repo)))
    index.share_caches(2)
    assert index.text("big.py") and index._text.big is not None
    assert index.python("big.py") is not None and index._parsed.big is not None
    index.drop_set_aside()
    assert index._text.big is None and index._parsed.big is None

    dropped: list[int] = []
    real = FileIndex.drop_set_aside

    def drop(self: FileIndex) -> None:
        dropped.append(os.getpid())
        real(self)

    monkeypatch.setattr(FileIndex, "drop_set_aside", drop)
    forked = FileIndex(resolve_target(str(repo)))
    run_detectors(forked, load_detectors(), 2)
    assert os.getpid() in dropped  # the scanning process, after each of its tasks (the workers' calls are theirs)
    assert _report(repo, 2) == _report(repo, 1)


def test_the_import_frontier_takes_the_roots_the_graph_takes(tmp_path: Path) -> None:
    """In the repository of an orchestrator (it defines the package ``prefect``), a module importing ``prefect`` is its
    own code, no root: the frontier follows none of its imports (the graph does not either)."""
    from mlscan.facts import wiring as wiring_mod

    from tests.conftest import git_repo

    files = {"pyproject.toml": '[project]\nname = "prefect"\n', "src/prefect/__init__.py": "",
             "src/prefect/flows.py": "import prefect\nfrom helpers import util\n",
             "helpers/__init__.py": "", "helpers/util.py": "X = 1\n",
             "scripts/run.py": "import prefect\nfrom tools import job\n\nif __name__ == '__main__':\n    job.go()\n",
             "tools/__init__.py": "", "tools/job.py": "def go():\n    return 1\n"}
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "repo", files))))
    index.register_vocabulary(sorted(set(wiring_mod.SCRIPT_NEEDLES)))
    wiring_mod.prefetch_roots(index, [e.path for e in index.entries])
    index.fact("src/prefect/flows.py", wiring_mod.FILE_FACTS)  # known, yet no root
    frontier = wiring_mod.ImportFrontier(index)
    found: set[str] = set()
    while todo := frontier.pending():
        found.update(todo)
        for path in todo:
            index.fact(path, wiring_mod.FILE_FACTS)
    graph = wiring_mod.wiring(index)
    assert "tools/job.py" in found and "helpers/util.py" not in found and "helpers/util.py" not in graph.reach
    assert found <= set(graph.reach)


def test_the_heap_is_trimmed_before_forking_and_after_each_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """malloc_trim runs before the fork and after each task of the scanning process (session 17, speedM); the report is
    the serial one (test above). Where the C library has no malloc_trim the helper does nothing."""
    calls: list[int] = []
    monkeypatch.setattr(parallel, "_TRIM", [calls.append])
    index = FileIndex(resolve_target(str(L3)))
    detectors = load_detectors()
    serial = run_detectors(index, detectors, jobs=1)
    index2 = FileIndex(resolve_target(str(L3)))
    assert [f.to_json() for f in run_detectors(index2, detectors, jobs=2)] == [f.to_json() for f in serial]
    assert calls and set(calls) == {0}
    monkeypatch.setattr(parallel, "_TRIM", [None])
    parallel._trim()  # no C function: nothing to call, no error


def test_the_engine_lets_go_of_the_finished_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The git listing's process (and the output it keeps in chunks) is not held for the rest of the scan."""
    import gc
    import subprocess
    import weakref

    from mlscan import engine

    started: list[weakref.ref[subprocess.Popen[bytes]]] = []
    real = engine.start_listing

    def spy(target):  # type: ignore[no-untyped-def]
        proc = real(target)
        if proc is not None:
            started.append(weakref.ref(proc))
        return proc

    monkeypatch.setattr(engine, "start_listing", spy)
    seen: list[bool] = []
    real_run = engine.run_detectors

    def run_spy(*a, **k):  # type: ignore[no-untyped-def]
        gc.collect()
        seen.append(all(r() is None for r in started))
        return real_run(*a, **k)

    monkeypatch.setattr(engine, "run_detectors", run_spy)
    scan(str(ROOT), ScanOptions(only_detectors=frozenset({"ci.workflow"}), cache=False, jobs=1))
    assert started and seen == [True]
