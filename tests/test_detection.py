"""The engine's shared Python pass: one parse per file for every detector that wants it, errors contained."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlscan.detector import Detector
from mlscan.engine import run_detectors
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding
from mlscan.target import Target


class _Tracks(Detector):
    """Test detector: one finding per file that imports mlflow."""

    id = "test.tracks"

    def wants(self, index: FileIndex, entry: FileEntry) -> bool:
        return index.mentions(entry.path, (b"mlflow",))

    def visit(self, index: FileIndex, entry: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        yield self.found("test.tracked", index, entry.path, 1)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield self.found("test.after", index, "train.py", 2)


class _Breaks(Detector):
    """Test detector: fails on every file it visits."""

    id = "test.breaks"

    def wants(self, index: FileIndex, entry: FileEntry) -> bool:
        return True

    def visit(self, index: FileIndex, entry: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        raise ValueError("boom")


def test_each_file_is_parsed_once_for_all_visitors_and_errors_stay_contained(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import mlflow\nmlflow.log_metric('a', 1)\n")
    (tmp_path / "util.py").write_text("def f():\n    return 1\n")
    (tmp_path / "notes.md").write_text("mlflow everywhere\n")
    index = FileIndex(Target(tmp_path.resolve(), "", False, None, None))
    findings = run_detectors(index, [_Breaks(), _Tracks()])
    assert [(f.signal, f.evidence[0].path) for f in findings] == [("test.tracked", "train.py"), ("test.after", "train.py")]
    # once each, whatever the number of visitors (and the file facts derived from the trees)
    assert index.parse_counts == {("train.py", "python"): 1, ("util.py", "python"): 1}
    errors = [w for w in index.warnings if w.code == "detector-error"]
    assert len(errors) == 1 and "test.breaks" in errors[0].message and "boom" in errors[0].message


def test_detector_needles_are_all_in_the_vocabulary(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A needle outside the vocabulary gathered before the scan makes the index split files again: on a large
    repository that costs seconds per needle. Every built-in detector's needles must be known up front."""
    from mlscan import index as index_mod
    from mlscan.engine import scan

    late: set[bytes] = set()
    real = index_mod.FileIndex.mentions

    def recording(self: FileIndex, path: str, needles: tuple[bytes, ...]) -> bool:
        answer = real(self, path, needles)
        late.update(self.late_needles)
        return answer

    monkeypatch.setattr(index_mod.FileIndex, "mentions", recording)
    root = Path(__file__).resolve().parent.parent / "fixtures" / "levels"
    for repo in sorted(root.glob("*/repo")):
        scan(str(repo))
    assert not late



def test_the_stored_vocabulary_is_the_harvest_of_the_same_modules(tmp_path: Path) -> None:
    """The harvest is kept beside the bytecode and reused, unwalked, while the loaded mlscan modules are unchanged."""
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import json, sys, mlscan.engine\n"
        "from mlscan import vocabulary as v\n"
        "from mlscan.plugins import load_detectors\n"
        "dets = load_detectors()\n"
        "walked = v.walk_modules(v.harvested_modules(dets))\n"
        "v._SEEN.clear()\n"
        "def refuse(*a):\n"
        "    raise AssertionError('walked')\n"
        "if sys.argv[1] == 'stored':\n"
        "    v._needles_of = refuse\n"
        "got = v.harvest(dets)\n"
        "print(json.dumps([len(got), got == walked]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    args = [sys.executable, "-X", f"pycache_prefix={tmp_path / 'pyc'}", "-c", probe]
    first = json.loads(subprocess.run([*args, "walk"], capture_output=True, text=True, check=True, timeout=120, env=env).stdout)
    assert len(list((tmp_path / "pyc").rglob("vocabulary.*.needles.json"))) == 1
    cp = subprocess.run([*args, "stored"], capture_output=True, text=True, check=False, timeout=120, env=env)
    assert cp.returncode == 0, cp.stderr  # served from the stored harvest: no module walked
    assert first == json.loads(cp.stdout) and first[0] > 300 and first[1] is True


def test_a_visitor_reading_facts_needs_no_second_parse(tmp_path: Path) -> None:
    """pipeline.tracking's tree work is an eager file fact (derived at a file's first parse): once the trees have left
    the parse cache, the Python pass finds what the serial pass finds without parsing a file again, and hands the
    visitor no tree."""
    from mlscan.detection import PYTHON_FILES, python_pass
    from mlscan.facts.wiring import wiring
    from mlscan.index import FileIndex
    from mlscan.plugins import load_detectors
    from mlscan.target import resolve_target

    from tests.conftest import FIXTURES, make_repo

    repo = make_repo(FIXTURES / "detectors" / "pipeline.tracking" / "positive", tmp_path / "repo")
    det = next(d for d in load_detectors() if d.id == "pipeline.tracking")
    assert det.visit_reads_tree is False
    expected = python_pass(FileIndex(resolve_target(str(repo))), [det])[det.id]
    assert len({f.signal for f in expected}) >= 3

    index = FileIndex(resolve_target(str(repo)))
    for e in index.select(PYTHON_FILES):
        index.python(e.path)  # first parses: the eager facts are derived
    wiring(index)
    first = python_pass(index, [det])[det.id]  # the scan-wide models (places, the graph) are built once
    assert [f.to_json() for f in first] == [f.to_json() for f in expected]
    index.share_caches(2)  # trees out of the parse cache, none kept for the scan (as in a parallel scan)
    index.share_caches(1)
    before = dict(index.parse_counts)
    seen: list[object] = []
    real = type(det).visit

    def visit(self, index, e, tree):  # type: ignore[no-untyped-def]
        seen.append(tree)
        return real(self, index, e, tree)

    type(det).visit = visit  # type: ignore[method-assign]
    try:
        got = python_pass(index, [det])[det.id]
    finally:
        type(det).visit = real  # type: ignore[method-assign]
    assert [f.to_json() for f in got] == [f.to_json() for f in expected]
    assert seen and all(t is None for t in seen)
    assert {k: n for k, n in index.parse_counts.items() if k[1] in ("python", "notebook")} == \
        {k: n for k, n in before.items() if k[1] in ("python", "notebook")}


@pytest.mark.parametrize("det_id", ["tracking.python", "tracking.server", "model.registry", "data.lineage_logged", "gate.metric"])
@pytest.mark.parametrize("case", ["positive", "near_miss"])
def test_visitors_finish_facts_without_a_second_parse(tmp_path: Path, det_id: str, case: str) -> None:
    """These visitors' tree work is an eager file fact (with the evidence lines located and the file's place fact derived
    beside it): once every file was parsed and its trees left the parse cache, the Python pass reports what it reports
    with the trees at hand, parsing nothing again but where a fact cannot tell alone (a logged dict built in another
    module, a flag a config sets, a metric gate: below)."""
    from mlscan.detection import PYTHON_FILES, python_pass
    from mlscan.facts.wiring import wiring
    from mlscan.index import FileIndex
    from mlscan.plugins import load_detectors
    from mlscan.target import resolve_target
    from mlscan.vocabulary import harvest

    from tests.conftest import FIXTURES, make_repo

    repo = make_repo(FIXTURES / "detectors" / det_id / case, tmp_path / "repo")
    det = next(d for d in load_detectors() if d.id == det_id)
    assert det.visit_reads_tree is False
    expected = [f.to_json() for f in python_pass(FileIndex(resolve_target(str(repo))), [det])[det.id]]
    if case == "positive":
        assert expected

    index = FileIndex(resolve_target(str(repo)))
    index.register_vocabulary(sorted(harvest(load_detectors())))
    files = index.select(PYTHON_FILES)
    index.prime_words([e.path for e in files])  # as a scan's words phase (a notebook's words are its code cells': a parse)
    for e in files:
        index.python(e.path)  # first parses: the eager facts are derived
    wiring(index)
    index.share_caches(2)  # trees out of the parse cache, none kept for the scan (as in a parallel scan)
    index.share_caches(1)
    before = {k: n for k, n in index.parse_counts.items() if k[1] in ("python", "notebook")}
    got = [f.to_json() for f in python_pass(index, [det])[det.id]]
    assert got == expected
    again = {k[0] for k, n in index.parse_counts.items() if k[1] in ("python", "notebook") and n > before.get(k, 0)}
    # what a file alone cannot tell, in these fixtures: a dict of tags built by another module's function (both read),
    # a tracker behind a flag that a config switches on (evaluated again with the tree), and the scan-wide table of
    # model-package approvals (read once a scan, whoever asks first), the training module that calls a shared tracking
    # helper (read for the call site E1 cites)
    across = {("tracking.python", "positive"): {"src/train.py"},
              ("data.lineage_logged", "positive"): {"pkg/churn/train_model.py", "pkg/churn/data_info.py"},
              ("data.lineage_logged", "near_miss"): {"pkg/churn/train_model.py", "pkg/churn/data_info.py"},
              ("tracking.python", "near_miss"): {"src/train.py"},
              ("model.registry", "near_miss"): {"lambda/deploy/index.py"}}
    if det_id == "gate.metric":
        # a file with a gate is read with its tree (its guards, the flags its callers pass), and so are the modules it reads
        # metric verdicts or a ZenML pipeline from, and a file whose gate the visit then leaves out (a report, off the paths)
        cited = {ev["path"] for f in got for ev in f["evidence"]}
        read = {"positive": {"jobs/model_checks.py", "zenml_pipeline/pipelines.py", "zenml_pipeline/steps.py", "bundle/src/churn/model.py"},
                "near_miss": {"jobs/data_checks.py", "src/pipeline/report.py"}}
        assert again - cited == read[case]
    else:
        assert again == across.get((det_id, case), set())
