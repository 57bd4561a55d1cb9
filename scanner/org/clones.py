"""The clone cache: one blob-less shallow clone per repository URL, updated by fetching, never re-cloned.

Git runs through GitPython with the environment and configuration of :mod:`mlscan.safegit`: no system or
global configuration, every program-naming key overridden (here as ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``
environment entries, which git reads like ``-c``), no hooks (empty template), no submodules, refused
``ext::``/``fd::``/option-like URLs. A token is sent as an ``http.<origin>/.extraHeader`` set in the
environment of that one git process, scoped to its host: it is never in a URL, the clone's ``.git/config``,
a command line, a message or the database.

``git ls-remote URL HEAD`` gives the head commit without cloning, which decides whether a repository changed.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import safegit
from ..lazyre import lazy_re
from ..target import redact_url
from .interface import OrgError

_SHA = lazy_re(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
TOKEN_USERS = {"github": "x-access-token", "gitlab": "oauth2"}  # the user names each forge documents for tokens


class CloneError(OrgError):
    """A repository could not be listed, cloned or updated; the message is safe to log."""


def _scrub_environ() -> None:
    """GitPython copies ``os.environ`` under the environment it is given, so an inherited ``GIT_DIR``,
    ``GIT_CONFIG_*`` or ``GIT_SSH_COMMAND`` would reach git; org commands own their process: drop them."""
    for k in [k for k in os.environ if k.startswith("GIT_") and not k.startswith("GIT_PYTHON")]:
        del os.environ[k]


def git_env(auth_header: tuple[str, str] | None = None) -> dict[str, str]:
    """safegit's environment plus its ``-c`` overrides as ``GIT_CONFIG_*`` entries (and the auth header)."""
    pairs: list[tuple[str, str]] = []
    args = safegit.config_args()
    for i in range(0, len(args), 2):
        k, _, v = args[i + 1].partition("=")
        pairs.append((k, v))
    pairs.append(("core.hooksPath", os.devnull))
    pairs.append(("fetch.recurseSubmodules", "false"))
    if auth_header:
        pairs.append(auth_header)
    extra = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for i, (k, v) in enumerate(pairs):
        extra[f"GIT_CONFIG_KEY_{i}"] = k
        extra[f"GIT_CONFIG_VALUE_{i}"] = v
    return safegit.env(extra)


def auth_for(url: str, token: str | None, forge: str) -> tuple[str, str] | None:
    """``http.https://HOST/.extraHeader = Authorization: Basic ...`` for an https URL and a token."""
    if not token or not url.lower().startswith("https://"):
        return None
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    basic = base64.b64encode(f"{TOKEN_USERS.get(forge, 'x-access-token')}:{token}".encode()).decode()
    return (f"http.https://{host}/.extraHeader", f"Authorization: Basic {basic}")


def _git():  # type: ignore[no-untyped-def]
    try:
        import git
    except ImportError:
        raise OrgError("org scans need GitPython: pip install 'mlscan[org]'") from None
    _scrub_environ()
    return git


def _clean(msg: str, url: str, token: str | None) -> str:
    out = msg.replace(url, redact_url(url) or "")
    if token:
        out = out.replace(token, "***")
    lines = [x.strip() for x in out.strip().splitlines() if x.strip() and not x.strip().startswith(("cmdline:", "stdout:"))]
    detail = [x for x in lines if x.lower().startswith(("stderr:", "fatal:", "error:"))] or lines
    return re.sub(r"\s+", " ", detail[-1] if detail else "git failed")[:300].replace("stderr: ", "").strip("'")


def ls_remote_head(url: str, *, auth: tuple[str, str] | None = None, token: str | None = None, timeout: float = 60) -> str | None:
    """The commit HEAD names on the remote (None for an empty repository)."""
    safegit.check_clone_url(url)
    git = _git()
    try:
        out = git.Git().execute(
            ["git", "ls-remote", "--", url, "HEAD"], env=git_env(auth), kill_after_timeout=timeout, with_extended_output=False
        )
    except git.GitCommandError as e:
        raise CloneError(f"cannot list {redact_url(url)}: {_clean(str(e), url, token)}") from None
    for line in str(out).splitlines():
        sha, _, ref = line.partition("\t")
        if ref.strip() == "HEAD" and _SHA.match(sha.strip()):
            return sha.strip()
    return None


def local_head(path: str) -> str | None:
    """HEAD of a local checkout, with ``+dirty`` when tracked files differ from it (so a changed working
    tree is not mistaken for the scanned commit): one ``git status --porcelain=v2 --branch`` call."""
    out = safegit.out(Path(path), "status", "--porcelain=v2", "--branch", "--untracked-files=no", "--ignore-submodules")
    if not out:
        return None
    lines = out.splitlines()
    head = next((x.split()[2] for x in lines if x.startswith("# branch.oid ")), None)
    if head is None or not _SHA.match(head):
        return None  # no commit yet ("(initial)")
    return head + ("+dirty" if any(not x.startswith("#") for x in lines) else "")


def cache_path(cache: Path, url: str) -> Path:
    return cache / hashlib.sha256(url.encode()).hexdigest()[:24]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Exclusive use of one cache entry (two projects of one repository, two workers on one machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(url: str, cache: Path, *, auth: tuple[str, str] | None = None, token: str | None = None, timeout: float = 600) -> tuple[Path, str]:
    """The cache's checkout of ``url`` at the remote's HEAD (cloned ``--depth 1 --filter=blob:none`` the
    first time, fetched and reset after that) and its commit. Call under :func:`locked`."""
    safegit.check_clone_url(url)
    git = _git()
    dest = cache_path(cache, url)
    env = git_env(auth)
    try:
        if (dest / ".git").is_dir():
            repo = git.Repo(dest)
            g = repo.git
            g.execute(
                ["git", "fetch", "--quiet", "--depth=1", "--filter=blob:none", "--no-tags", "--no-recurse-submodules", "origin", "HEAD"],
                env=env, kill_after_timeout=timeout,
            )
            g.execute(["git", "reset", "--quiet", "--hard", "FETCH_HEAD"], env=env, kill_after_timeout=timeout)
            g.execute(["git", "clean", "-qffdx"], env=env, kill_after_timeout=timeout)
        else:
            tmp = dest.with_name(dest.name + ".new")
            if tmp.exists():
                import shutil

                shutil.rmtree(tmp)
            repo = git.Repo.clone_from(
                url,
                tmp,
                env=env,
                multi_options=["--depth=1", "--filter=blob:none", "--no-recurse-submodules", "--template=", "--quiet"],
                kill_after_timeout=timeout,
                allow_unsafe_options=True,  # only for the fixed options above (--template): the URL is checked
            )
            repo.close()
            os.replace(tmp, dest)
            repo = git.Repo(dest)
        head = repo.git.execute(["git", "rev-parse", "HEAD"], env=env)
        repo.close()
    except git.GitCommandError as e:
        raise CloneError(f"cannot clone {redact_url(url)}: {_clean(str(e), url, token)}") from None
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError) as e:
        raise CloneError(f"cannot clone {redact_url(url)}: {type(e).__name__}") from None
    return dest, str(head).strip()
