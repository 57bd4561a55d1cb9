"""A Git repository whose pull request removes a practice: the l2-pipelines fixture (base commit on
``main``) and a head commit on ``pr`` that deletes the data validation step (D4 yes -> no).
Commit dates are fixed, so the commit ids are the same on every run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "levels" / "l2-pipelines" / "repo"
_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **_ENV}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A", "-f")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_pr_repo(dest: Path, prefix: str = "") -> tuple[Path, str, str]:
    """(repo, base commit, head commit); ``prefix`` puts the project in a subdirectory (a monorepo)."""
    project = dest / prefix if prefix else dest
    shutil.copytree(FIXTURE, project)
    git(dest, "init", "-q", "-b", "main")
    base = commit_all(dest, "base")
    git(dest, "checkout", "-q", "-b", "pr")
    (project / "src" / "validate.py").unlink()
    head = commit_all(dest, "drop the data validation")
    return dest, base, head
