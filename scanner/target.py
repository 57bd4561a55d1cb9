"""Resolve what to scan: the repository root, the project subdirectory and the commit."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from . import safegit
from .errors import UsageError
from .lazyre import lazy_re
from .valueclass import Value, setfield


class Target(Value, frozen=True):
    """What a scan reads: the repository root, the project's subdirectory, its commit and remote."""
    root: Path  # repository root (or the directory itself outside git)
    subdir: str  # project directory relative to root, "" for the whole repo, posix separators
    is_git: bool
    commit: str | None
    remote_url: str | None

    _fields = ("root", "subdir", "is_git", "commit", "remote_url")
    __slots__ = _fields

    def __init__(self, root: Path, subdir: str, is_git: bool, commit: str | None, remote_url: str | None) -> None:
        setfield(self, "root", root)
        setfield(self, "subdir", subdir)
        setfield(self, "is_git", is_git)
        setfield(self, "commit", commit)
        setfield(self, "remote_url", remote_url)

    @property
    def project_dir(self) -> Path:
        return self.root / self.subdir if self.subdir else self.root

    def in_project(self, relpath: str) -> bool:
        return not self.subdir or relpath == self.subdir or relpath.startswith(self.subdir + "/")


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a read-only git command in ``root`` with the sanitised configuration (``safegit``)."""
    return safegit.run(root, *args, check=check)


_git_out = safegit.out
_COMMIT = lazy_re(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _top_and_head(p: Path) -> tuple[str | None, str | None]:
    """The work tree's top directory and its HEAD commit (None, None outside Git; a None commit before the first
    commit), asked of one git process; when its answer is not the usual two lines, of two as before."""
    try:
        cp = safegit.run(p, "rev-parse", "--show-toplevel", "--verify", "-q", "HEAD", check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        cp = None
    if cp is not None and cp.returncode == 0:
        top, nl, head = cp.stdout.decode("utf-8", "replace").strip().rpartition("\n")
        if nl and top.strip() and _COMMIT.fullmatch(head):
            return top.strip(), head
    top = _git_out(p, "rev-parse", "--show-toplevel")
    return (top, _git_out(Path(top).resolve(), "rev-parse", "HEAD")) if top else (None, None)


def redact_url(url: str | None) -> str | None:
    """Drop credentials from a remote URL (``https://user:token@host`` -> ``https://host``)."""
    if not url:
        return url
    if "://" in url:
        scheme, rest = url.split("://", 1)
        host_part, sep, path = rest.partition("/")
        if "@" in host_part:
            host_part = host_part.rsplit("@", 1)[1]
        path = path.split("?", 1)[0].split("#", 1)[0]  # a query may carry a token; a remote needs neither
        url = f"{scheme}://{host_part}{sep}{path}"
    from .model import redact_secrets

    return redact_secrets(url)


_URL = lazy_re(r"^(https?://|ssh://|git://|file://|git@[^:]+:|ext::|fd::)", re.IGNORECASE)
_CLONES: list[Any] = []  # tempfile.TemporaryDirectory: kept until the process ends


def is_url(path: str) -> bool:
    return bool(_URL.match(path))


def clone_url(url: str) -> Path:
    """Shallow-clone a repository URL (``URL#subdir`` selects a subdirectory) into a temporary
    directory that lives until the process ends. Credentials in the URL never reach messages."""
    base, _, sub = url.partition("#")
    import tempfile

    tmp = tempfile.TemporaryDirectory(prefix="mlscan-")
    _CLONES.append(tmp)
    dest = Path(tmp.name) / "repo"
    try:
        cp = safegit.run(None, *safegit.clone_args(base, dest), check=False, timeout=600)
    except safegit.UnsafeUrl as e:
        raise UsageError(f"refusing to clone {redact_url(base)}: {e}") from None
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UsageError(f"cannot clone {redact_url(base)}: {e}") from None
    if cp.returncode != 0:
        msg = cp.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = redact_url(msg[-1]) if msg else f"git exit {cp.returncode}"
        if base in detail:
            detail = detail.replace(base, redact_url(base) or "")
        raise UsageError(f"cannot clone {redact_url(base)}: {detail}")
    return dest / sub if sub else dest


def resolve_target(path: str, as_root: bool = False) -> Target:
    """The repository holding ``path`` and ``path``'s place in it. With ``as_root``, ``path`` is scanned as a repository
    of its own (its ``.github/workflows``, ``.gitlab-ci.yml``, CODEOWNERS and ``.dvc`` are the root's), e.g. an
    example project kept inside another repository; git still lists its files (ignores apply) and names the commit,
    but no remote: paths are relative to ``path``, so links to the enclosing repository's web view would be wrong."""
    if is_url(path):
        path = str(clone_url(path))
    p = Path(path)
    if not p.exists():
        raise UsageError(f"path does not exist: {path}")
    if not p.is_dir():
        raise UsageError(f"not a directory: {path} (mlscan scans a repository directory)")
    if not os.access(p, os.R_OK | os.X_OK):
        raise UsageError(f"directory is not readable: {path}")
    p = p.resolve()
    # The remote is asked beside the top and HEAD (a directory of a work tree reads its repository's configuration)
    remote_proc = _start(p, "config", "--get", "remote.origin.url")
    try:
        top, commit = _top_and_head(p)
    finally:
        remote_out = _finish_out(remote_proc)
    if top:
        root = Path(top).resolve()
        rel = p.relative_to(root).as_posix() if p != root else ""
        if as_root and rel not in ("", "."):
            return Target(p, "", True, commit, None)
        remote = remote_out if remote_proc is not None else _git_out(root, "config", "--get", "remote.origin.url")
        return Target(root, "" if rel == "." else rel, True, commit, redact_url(remote))
    return Target(p, "", False, None, None)


def _start(root: Path, *args: str) -> subprocess.Popen[bytes] | None:
    try:
        return safegit.start(root, *args)
    except OSError:
        return None


def _finish_out(proc: subprocess.Popen[bytes] | None) -> str | None:
    """``safegit.out``'s answer for a process ``_start`` began (None when it failed)."""
    if proc is None:
        return None
    try:
        cp = safegit.finish(proc, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return cp.stdout.decode("utf-8", "replace").strip() if cp.returncode == 0 else None


def start_listing(target: Target) -> subprocess.Popen[bytes] | None:
    """``git ls-files`` of a Git target started in the background, for ``FileIndex(listing=...)``: it runs while the
    scan loads its rule packs and detectors."""
    return _start(target.root, *LS_FILES_ARGS) if target.is_git else None


LS_FILES_ARGS = ("ls-files", "-z", "--cached", "--others", "--exclude-standard")
