"""Helpers for the org-scan tests: real Git repositories (working trees and bare 'remotes' served over file://
with partial-clone filters allowed, as GitHub serves them), and the mlscan CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import git_init

ROOT = Path(__file__).resolve().parent.parent.parent
LEVELS = ROOT / "fixtures" / "levels"
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    cp = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
                        cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True)
    return cp.stdout.strip()


def make_repo(dest: Path, files: dict[str, str] | None = None, *, copy_from: Path | None = None) -> Path:
    """A working tree with one commit: a copy of ``copy_from`` and/or ``files``."""
    if copy_from is not None:
        shutil.copytree(copy_from, dest)
    dest.mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return git_init(dest, branch="main", ignored=False)


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for rel, text in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def bare(work: Path, dest: Path) -> str:
    """A bare copy of ``work`` that allows --filter (as GitHub does): returns its file:// URL."""
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(dest)], env=GIT_ENV, check=True, capture_output=True)
    git(dest, "config", "uploadpack.allowFilter", "true")
    return dest.as_uri()


def push(work: Path, bare_dir: Path) -> None:
    git(work, "push", "-q", str(bare_dir), "HEAD:main")


def level_repos(base: Path, names: list[str]) -> list[Path]:
    return [make_repo(base / n, copy_from=LEVELS / n / "repo") for n in names]


def mlscan(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlscan", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd, stdin=subprocess.DEVNULL)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
