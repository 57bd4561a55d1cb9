"""The files' blob ids (``git ls-files -s --debug``) listed beside the scan's start-up give what listing them when first
needed gives; the process is ended when the cache is not used, and never started where its answer could be wrong."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mlscan.cache import blobs
from mlscan.cache.blobs import ContentIds, discard, start_git_index
from mlscan.engine import ScanOptions, scan

from tests.conftest import GIT_ENV, git_init


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text("import mlflow\nmlflow.start_run()\n")
    (root / "params.yaml").write_text("a: 1\n")
    return git_init(root)


def test_a_started_listing_gives_the_same_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    monkeypatch.setattr(blobs, "usable_index", lambda _git_dir: False)  # started where the index file is not read directly
    (root / "params.yaml").write_text("a: 2\n")  # changed since the index: hashed, not trusted
    proc = start_git_index(root)
    assert proc is not None
    started, plain = ContentIds(root, True, proc), ContentIds(root, True)
    for p in ("src/train.py", "params.yaml", "missing.txt"):
        assert started.get(p) == plain.get(p)
    assert proc.returncode is not None  # collected


def test_not_started_for_a_linked_worktree_or_a_large_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    linked = tmp_path / "linked"
    subprocess.run(["git", "worktree", "add", "-q", str(linked)], cwd=root, check=True, env=GIT_ENV)
    assert start_git_index(linked) is None  # its .git is a file: git says where the index is
    assert start_git_index(tmp_path) is None  # no repository
    monkeypatch.setattr(blobs, "START_MAX_INDEX_BYTES", 10)
    assert start_git_index(root) is None
    monkeypatch.setattr(blobs, "START_MAX_INDEX_BYTES", 4 << 20)
    assert start_git_index(root) is None  # an index file read directly (cache.git_index): no process at all


def test_ended_when_unused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    monkeypatch.setattr(blobs, "usable_index", lambda _git_dir: False)
    proc = start_git_index(root)
    discard(proc)
    assert proc is not None and proc.returncode is not None
    ids = ContentIds(root, True, start_git_index(root))
    ids.close()
    assert ids._started is None


def test_scans_with_and_without_the_cache_end_it(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    root = _repo(tmp_path)
    a = scan(str(root), ScanOptions(cache=tmp_path / "c"))
    b = scan(str(root), ScanOptions(cache=False))
    assert [f.signal for f in a.findings] == [f.signal for f in b.findings]
    import gc

    gc.collect()
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
