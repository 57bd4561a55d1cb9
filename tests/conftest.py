from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}  # no user or system git config


def git_init(root: Path, *, commit: bool = True, branch: str | None = None, ignored: bool = True) -> Path:
    """Make ``root`` a git repository holding every file below it (those its .gitignore files ignore too, unless
    ``ignored`` is False), with one commit unless ``commit`` is False (``git ls-files`` then lists the staged files).
    The user's and system's git configuration are not read."""
    subprocess.run(["git", "init", "-q", *(["-b", branch] if branch else [])], cwd=root, check=True, env=GIT_ENV)
    subprocess.run(["git", "add", "-A", *(["-f"] if ignored else [])], cwd=root, check=True, env=GIT_ENV)
    if commit:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x", "--no-gpg-sign"],
                       cwd=root, check=True, env=GIT_ENV)
    return root


def make_repo(src: Path, dest: Path) -> Path:
    """Copy a fixture tree into a fresh git repository (fixtures are plain trees in this repo)."""
    import shutil

    shutil.copytree(src, dest, symlinks=True)
    return git_init(dest)


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test scans with an empty facts cache of its own (never the user's, never another test's): a test that
    patches a detector must not meet results an unpatched one stored."""
    d = tmp_path_factory.mktemp("mlscan-cache")
    monkeypatch.setenv("MLSCAN_CACHE_DIR", str(d))
    return d


@pytest.fixture
def repo_from(tmp_path: Path):
    def _make(name: str) -> Path:
        return make_repo(FIXTURES / name, tmp_path / name.replace("/", "_"))

    return _make


# ---------------------------------------------------------------- golden files (reporters)
# `pytest --update-goldens` rewrites tests/goldens/* from the current output; review the diff before committing.
# Only one pytest_addoption may exist in this file: add further options inside it.

GOLDENS = Path(__file__).resolve().parent / "goldens"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False, help="rewrite tests/goldens/* from the current output")


class Golden:
    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, actual: str) -> None:
        import difflib

        path = GOLDENS / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"golden file {path.relative_to(ROOT)} is missing: run pytest --update-goldens and review it")
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), f"{name} (golden)", f"{name} (now)", n=2))
            pytest.fail(f"{name} differs from its golden (pytest --update-goldens to accept):\n{diff[:6000]}")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-goldens")))


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return root


def git_repo(root: Path, files: dict[str, str | bytes], *, commit: bool = True) -> Path:
    """``files`` (path -> text or bytes) written below ``root``, made a git repository (git_init)."""
    write(root, files)
    return git_init(root, commit=commit)
