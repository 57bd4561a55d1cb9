"""Scanning or cloning a repository never runs a program its git configuration names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlscan import safegit
from mlscan.errors import UsageError
from mlscan.target import clone_url

from tests.conftest import git_init, git_repo

# Every config key that names a program, set in the scanned repository's own .git/config.
PROGRAM_KEYS = (
    "core.fsmonitor",
    "core.pager",
    "core.editor",
    "core.sshCommand",
    "core.askPass",
    "credential.helper",
    "diff.external",
    "diff.canary.textconv",
    "filter.canary.clean",
    "filter.canary.smudge",
    "filter.canary.process",
    "gpg.program",
    "core.alternateRefsCommand",
    "sequence.editor",
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _armed_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose configuration, attributes and hooks all point at a canary program."""
    fired = tmp_path / "fired"
    canary = tmp_path / "canary.sh"
    canary.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {fired}\ncat\n")
    canary.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    git_repo(repo, {"train.py": "import mlflow\nmlflow.log_metric('a', 1)\n", ".gitattributes": "* filter=canary diff=canary\n"})
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "post-merge", "pre-commit", "reference-transaction", "post-index-change", "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\necho hook {hook} >> {fired}\n")
        (hooks / hook).chmod(0o755)
        (repo / ".git" / "hooks" / hook).write_text(f"#!/bin/sh\necho hook {hook} >> {fired}\n")
        (repo / ".git" / "hooks" / hook).chmod(0o755)
    for key in PROGRAM_KEYS:
        _git(repo, "config", key, str(canary))
    _git(repo, "config", "core.hooksPath", str(hooks))
    _git(repo, "config", "include.path", str(tmp_path / "included"))
    (tmp_path / "included").write_text(f"[core]\n\tfsmonitor = {canary}\n")
    (repo / "untracked.py").write_text("import wandb\n")
    return repo, fired


def _scan(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlscan", "scan", *args], capture_output=True, text=True, timeout=120, env=env)


def test_scan_of_armed_directory_runs_nothing(tmp_path: Path) -> None:
    repo, fired = _armed_repo(tmp_path)
    cp = _scan([str(repo), "-f", "json"])
    assert cp.returncode == 0, cp.stderr
    report = json.loads(cp.stdout)
    assert report["target"]["git"] is True
    assert not fired.exists(), fired.read_text()


def test_scan_of_armed_file_url_runs_nothing(tmp_path: Path) -> None:
    repo, fired = _armed_repo(tmp_path)
    cp = _scan([f"file://{repo}", "-f", "json"])
    assert cp.returncode == 0, cp.stderr
    assert not fired.exists(), fired.read_text()


def test_user_global_config_is_not_read(tmp_path: Path) -> None:
    """A global config (e.g. a CI runner's) that names programs is ignored too."""
    repo, fired = _armed_repo(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f"[core]\n\tfsmonitor = {tmp_path / 'canary.sh'}\n")
    cp = _scan([str(repo), "-f", "json"], env={**os.environ, "HOME": str(home)})
    assert cp.returncode == 0, cp.stderr
    assert not fired.exists()


@pytest.mark.parametrize(
    "url",
    ["--upload-pack=touch /tmp/x", "-oProxyCommand=x", "ext::sh -c touch% /tmp/x", "fd::17", "EXT::sh", "foo::bar/baz"],
)
def test_dangerous_clone_urls_refused(url: str) -> None:
    with pytest.raises(safegit.UnsafeUrl):
        safegit.check_clone_url(url)


def test_scan_refuses_ext_url_with_one_line_error(tmp_path: Path) -> None:
    marker = tmp_path / "ext-fired"
    cp = _scan([f"ext::sh -c touch% {marker}"])
    assert cp.returncode == 2
    assert "Traceback" not in cp.stderr and len(cp.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def test_clone_url_function_refuses(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        clone_url("ext::sh -c true")


def test_export_tree_writes_blobs_without_filters(tmp_path: Path) -> None:
    repo, fired = _armed_repo(tmp_path)
    dest = tmp_path / "export"
    n = safegit.export_tree(repo, "HEAD", dest)
    assert n == 2
    assert (dest / "train.py").read_text().startswith("import mlflow")
    assert not fired.exists()


def test_resolve_ref_refuses_options(tmp_path: Path) -> None:
    repo, _ = _armed_repo(tmp_path)
    assert safegit.resolve_ref(repo, "--output=/tmp/x") is None
    assert safegit.resolve_ref(repo, "HEAD")


def test_export_tree_batches_caps_and_selects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "r"
    (repo / "svc" / "a").mkdir(parents=True)
    for i in range(30):
        (repo / "svc" / "a" / f"f{i}.py").write_text(f"x = {i}\n" * (i + 1))
    (repo / "big.bin").write_bytes(b"z" * 5000)
    (repo / "other.txt").write_text("other\n")
    os.symlink("/etc/passwd", repo / "link")
    git_init(repo)
    monkeypatch.setattr(safegit, "_BATCH_FILES", 7)  # several cat-file batches
    dest = tmp_path / "all"
    assert safegit.export_tree(repo, "HEAD", dest, max_bytes=4096) == 32
    assert all((dest / "svc" / "a" / f"f{i}.py").read_text() == f"x = {i}\n" * (i + 1) for i in range(30))
    assert (dest / "big.bin").read_bytes() == b""  # over the cap: written empty, never read
    assert not (dest / "link").exists() and not (dest / "link").is_symlink()
    some = tmp_path / "some"
    assert safegit.export_tree(repo, "HEAD", some, keep=lambda p: p.startswith("svc/")) == 30
    assert not (some / "other.txt").exists()
