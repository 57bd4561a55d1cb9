"""Start-up overlap (session 13, speedC): git's listing started before the detectors load gives the same index, the
remote asked beside ``rev-parse`` is the one asked at the top, and the GC policy restores what it changed."""

from __future__ import annotations

import gc
import subprocess
from pathlib import Path

from mlscan.gcpolicy import rare_collections
from mlscan.index import FileIndex
from mlscan.target import resolve_target, start_listing

from tests.conftest import git_repo

FILES = {"src/train.py": "print('x')\n", "dvc.yaml": "stages: {}\n", "docs/a b.md": "# a\n", "README.md": "# r\n"}


def test_started_listing_equals_listing_run_by_the_index(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", FILES)
    (repo / "untracked.py").write_text("y = 1\n")  # --others: listed as before
    (repo / ".gitignore").write_text("ignored.py\n")
    (repo / "ignored.py").write_text("z = 1\n")
    target = resolve_target(str(repo))
    listing = start_listing(target)
    assert listing is not None
    started = FileIndex(target, listing=listing)
    plain = FileIndex(target)
    assert list(started.all_paths) == list(plain.all_paths)
    assert "untracked.py" in list(started.all_paths) and "ignored.py" not in list(started.all_paths)
    assert started.warnings == plain.warnings == []


def test_no_listing_started_outside_git(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("a = 1\n")
    target = resolve_target(str(plain))
    assert not target.is_git and start_listing(target) is None
    assert list(FileIndex(target).all_paths) == ["a.py"]


def test_remote_of_a_subdirectory_is_the_repositorys(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", FILES)
    subprocess.run(["git", "remote", "add", "origin", "https://user:tok@example.com/org/repo.git"], cwd=repo, check=True)
    top, sub = resolve_target(str(repo)), resolve_target(str(repo / "src"))
    assert top.remote_url == sub.remote_url == "https://example.com/org/repo.git"  # credentials dropped, as before
    assert sub.subdir == "src" and sub.root == top.root
    # near miss: a directory scanned as its own root names no remote
    assert resolve_target(str(repo / "src"), as_root=True).remote_url is None


def test_rare_collections_restores_thresholds_and_freezes_only_when_asked() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with rare_collections():
        assert gc.get_threshold()[0] >= 50_000
        with rare_collections():  # nested: the outer block's thresholds come back
            pass
        assert gc.get_threshold()[0] >= 50_000
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    try:
        with rare_collections(freeze=True):
            keep = [[i] for i in range(10)]
        assert gc.get_threshold() == before and gc.get_freeze_count() > frozen
        assert keep
    finally:
        gc.unfreeze()


def test_the_whole_scan_collects_rarely_and_lets_go_of_the_index(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import weakref

    import mlscan.evidence as evidence
    import mlscan.index as index_mod
    from mlscan.engine import ScanOptions, scan

    level = Path(__file__).resolve().parent.parent / "fixtures" / "levels" / "l3-platform" / "repo"
    seen: dict[str, object] = {}
    real_focus, real_init = evidence.focus, index_mod.FileIndex.__init__

    def focus(*a, **k):  # type: ignore[no-untyped-def]
        seen["evidence thresholds"] = gc.get_threshold()
        return real_focus(*a, **k)

    def init(self, *a, **k):  # type: ignore[no-untyped-def]
        real_init(self, *a, **k)
        seen["index"] = weakref.ref(self)

    monkeypatch.setattr(evidence, "focus", focus)
    monkeypatch.setattr(index_mod.FileIndex, "__init__", init)
    before = gc.get_threshold()
    result = scan(str(level), ScanOptions(jobs=1, cache=False))
    assert result.findings and gc.get_threshold() == before
    assert seen["evidence thresholds"][0] >= 50_000  # type: ignore[index]  # the evidence pass too, not the default 700
    ix = seen["index"]()  # type: ignore[operator]
    # gone, or (held by a closure's cycle until a collection) holding nothing the scan kept
    assert ix is None or not (ix._memo or ix._parsed.data or ix._yaml_kept or ix._trees_kept or ix._facts.data or ix._derived)
