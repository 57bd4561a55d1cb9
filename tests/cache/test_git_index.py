"""Git's index read directly (``cache.git_index``) gives what ``git ls-files -s --debug`` gives: every index version,
extended flags, conflicts, names that are not UTF-8; an index it does not follow (split, SHA-256) is left to git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from mlscan.cache import blobs
from mlscan.cache.blobs import ContentIds, start_git_index
from mlscan.cache.git_index import read_index

from tests.conftest import GIT_ENV, git_init


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=root, check=True, env=GIT_ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _by_git(root: Path, monkeypatch: pytest.MonkeyPatch) -> ContentIds:
    with monkeypatch.context() as m:
        m.setattr(blobs, "read_index", lambda _git_dir: None)
        ids = ContentIds(root, True)
        ids._read_git_index()
    return ids


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    (root / "src" / "deep" / "er").mkdir(parents=True)
    (root / "src" / "train.py").write_text("import mlflow\n")
    (root / "src" / "deep" / "er" / "a_rather_long_module_name_for_padding.py").write_text("x = 1\n")
    (root / "src" / "deep" / "er" / "b.py").write_text("y = 2\n")
    (root / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name\n")
    (root / "params.yaml").write_text("a: 1\n")
    return git_init(root)


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_every_index_version_reads_as_git_lists_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    root = _repo(tmp_path)
    (root / "later.py").write_text("z = 3\n")
    _git(root, "add", "-N", "later.py")  # intent-to-add: an extended flag (version 3 and up)
    _git(root, "update-index", "--index-version", version)
    direct = read_index(str(root / ".git"))
    git = _by_git(root, monkeypatch)
    assert direct is not None
    assert direct == (git._trusted, git._racy_ns)
    assert len(direct[0]) == 6


def test_a_conflicts_stages_are_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    _git(root, "checkout", "-q", "-b", "other")
    (root / "params.yaml").write_text("a: 2\n")
    _git(root, "commit", "-qam", "b", "--no-gpg-sign")
    _git(root, "checkout", "-q", "-")
    (root / "params.yaml").write_text("a: 3\n")
    _git(root, "commit", "-qam", "c", "--no-gpg-sign")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "merge", "-q", "other"], cwd=root, env=GIT_ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    direct = read_index(str(root / ".git"))
    assert direct is not None and "params.yaml" not in direct[0]
    assert direct == (_by_git(root, monkeypatch)._trusted, _by_git(root, monkeypatch)._racy_ns)


def test_a_split_index_is_left_to_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    _git(root, "update-index", "--split-index")
    assert read_index(str(root / ".git")) is None  # its entries live in a shared index file
    ids = ContentIds(root, True)
    assert ids.get("src/train.py") == _by_git(root, monkeypatch).get("src/train.py")
    assert ids._trusted  # git answered


def test_a_sha256_repository_is_left_to_git(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "a.py").write_text("a = 1\n")
    subprocess.run(["git", "init", "-q", "--object-format=sha256"], cwd=root, check=True, env=GIT_ENV)
    _git(root, "add", "-A")
    assert read_index(str(root / ".git")) is None
    proc = start_git_index(root)
    assert proc is not None  # git lists it beside the start-up, as before
    assert len(ContentIds(root, True, proc).get("a.py")) == 64  # Git's own (SHA-256) id, trusted


def test_a_damaged_index_is_left_to_git(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    index = root / ".git" / "index"
    index.write_bytes(index.read_bytes()[:-30])
    assert read_index(str(root / ".git")) is None


def test_no_process_for_a_plain_repository(tmp_path: Path) -> None:
    assert start_git_index(_repo(tmp_path)) is None  # the index file is read when the cache first needs an id


def test_a_symlinked_config_or_index_is_not_followed(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git_dir = root / ".git"
    (tmp_path / "outside").write_bytes((git_dir / "index").read_bytes())
    (git_dir / "index").unlink()
    (git_dir / "index").symlink_to(tmp_path / "outside")
    assert read_index(str(git_dir)) is None
    root2 = _repo(tmp_path / "two")
    assert read_index(str(root2 / ".git")) is not None  # the positive beside it
    (tmp_path / "config").write_bytes((root2 / ".git" / "config").read_bytes())
    (root2 / ".git" / "config").unlink()
    (root2 / ".git" / "config").symlink_to(tmp_path / "config")
    assert read_index(str(root2 / ".git")) is None
