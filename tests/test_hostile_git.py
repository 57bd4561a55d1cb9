"""Git beyond the repository's own config (test_git_safety.py): a clone runs no hook from a template, follows no
submodule URL, and git variables in the caller's environment name no program for mlscan's git calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_index import git_repo


def _canary(tmp_path: Path) -> tuple[Path, Path]:
    fired = tmp_path / "fired"
    canary = tmp_path / "canary.sh"
    canary.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {fired}\ncat >/dev/null\n")
    canary.chmod(0o755)
    return canary, fired


def _scan(target: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlscan", "scan", target, "-f", "json"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def test_clone_runs_no_template_hook(tmp_path: Path) -> None:
    canary, fired = _canary(tmp_path)
    repo = git_repo(tmp_path / "repo", {"train.py": "import mlflow\n"})
    template = tmp_path / "template"
    (template / "hooks").mkdir(parents=True)
    for hook in ("post-checkout", "post-merge", "reference-transaction", "post-index-change"):
        (template / "hooks" / hook).write_text(f"#!/bin/sh\n{canary} {hook}\n")
        (template / "hooks" / hook).chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f"[init]\n\ttemplateDir = {template}\n[core]\n\thooksPath = {template / 'hooks'}\n")
    env = {**os.environ, "HOME": str(home), "GIT_TEMPLATE_DIR": str(template), "XDG_CONFIG_HOME": str(home)}
    cp = _scan(f"file://{repo}", env)
    assert cp.returncode == 0, cp.stderr
    assert not fired.exists(), fired.read_text()


def test_clone_never_follows_submodule_urls(tmp_path: Path) -> None:
    canary, fired = _canary(tmp_path)
    inner = git_repo(tmp_path / "inner", {"x.py": "x = 1\n"})
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=inner, capture_output=True, text=True, check=True).stdout.strip()
    repo = git_repo(tmp_path / "repo", {"train.py": "import mlflow\n"})
    (repo / ".gitmodules").write_text(
        f'[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c {canary}% evil\n'
        f'[submodule "local"]\n\tpath = local\n\turl = {inner}\n\tupdate = !{canary} update\n'
    )
    for path in ("evil", "local"):
        subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"160000,{sha},{path}"], cwd=repo, check=True)
    subprocess.run(["git", "add", ".gitmodules"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "subs"], cwd=repo, check=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    for target in (str(repo), f"file://{repo}"):
        cp = _scan(target, env)
        assert cp.returncode == 0, cp.stderr
        assert len(json.loads(cp.stdout)["questions"]) == 20
    assert not fired.exists(), fired.read_text()


@pytest.mark.parametrize("as_url", [False, True])
def test_git_variables_of_the_caller_name_no_program(tmp_path: Path, as_url: bool) -> None:
    canary, fired = _canary(tmp_path)
    repo = git_repo(tmp_path / "repo", {"train.py": "import mlflow\n", ".gitattributes": "* filter=c diff=c\n"})
    elsewhere = git_repo(tmp_path / "elsewhere", {"other.py": "import wandb\n"})
    env = {
        **os.environ,
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": str(canary),
        "GIT_CONFIG_KEY_1": "filter.c.smudge", "GIT_CONFIG_VALUE_1": str(canary),
        "GIT_CONFIG_KEY_2": "core.hooksPath", "GIT_CONFIG_VALUE_2": str(tmp_path),
        "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{canary}'",
        "GIT_EXTERNAL_DIFF": str(canary),
        "GIT_SSH_COMMAND": str(canary),
        "GIT_ASKPASS": str(canary),
        "GIT_PAGER": str(canary),
        "GIT_DIR": str(elsewhere / ".git"),
        "GIT_WORK_TREE": str(elsewhere),
    }
    cp = _scan(f"file://{repo}" if as_url else str(repo), env)
    assert cp.returncode == 0, cp.stderr
    report = json.loads(cp.stdout)
    assert not fired.exists(), fired.read_text()
    # the scan is of the repository asked for, not the one GIT_DIR names
    cited = {e["path"] for f in report["findings"] for e in f["evidence"]}
    assert "other.py" not in cited
