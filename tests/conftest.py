from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def make_repo(src: Path, dest: Path) -> Path:
    """Copy a fixture tree into a fresh git repository (fixtures are plain trees in this repo)."""
    import shutil

    shutil.copytree(src, dest, symlinks=True)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A", "-f"], cwd=dest, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "fixture", "--no-gpg-sign"],
        cwd=dest,
        check=True,
    )
    return dest


@pytest.fixture
def repo_from(tmp_path: Path):
    def _make(name: str) -> Path:
        return make_repo(FIXTURES / name, tmp_path / name.replace("/", "_"))

    return _make
