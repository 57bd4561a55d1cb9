"""Web links for evidence: a GitHub/GitLab remote + commit + path:line -> a permalink (no credentials)."""

from __future__ import annotations

from urllib.parse import quote

from ..lazyre import lazy_re

_SCP = lazy_re(r"^(?P<user>[^@/:]+@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$")  # git@github.com:o/r.git
_SEGMENT = lazy_re(r"^[A-Za-z0-9_.-]+$")
_COMMIT = lazy_re(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SCHEMES = ("https", "http", "ssh", "git", "git+ssh")


def _host_kind(host: str) -> str | None:
    if host == "github.com":
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    return None


def _split(remote: str) -> tuple[str, str] | None:
    """(host, repo path) of a remote URL in URL or scp-like form; user info and port dropped."""
    if "://" in remote:
        scheme, rest = remote.split("://", 1)
        if scheme.lower() not in _SCHEMES:
            return None
        hostport, _, path = rest.partition("/")
        host = hostport.rsplit("@", 1)[-1].split(":", 1)[0]
        return host.lower(), path
    m = _SCP.match(remote)
    return (m["host"].lower(), m["path"]) if m else None


def repo_web_url(remote: str | None) -> str | None:
    """``https://HOST/OWNER/REPO`` for a GitHub or GitLab remote (``git@host:o/r.git``, ``ssh://``, ``https://``)."""
    if not remote:
        return None
    parts = _split(remote.strip())
    if not parts:
        return None
    host, path = parts
    kind = _host_kind(host)
    path = path.split("?", 1)[0].split("#", 1)[0].strip("/")
    path = path.removesuffix(".git").strip("/")
    segments = path.split("/")
    if not kind or len(segments) < 2 or (kind == "github" and len(segments) != 2):
        return None
    if any(not _SEGMENT.match(s) or s in (".", "..") for s in segments):
        return None
    return f"https://{host}/{'/'.join(segments)}"


def blob_url(remote: str | None, commit: str | None, path: str, line: int | None = None) -> str | None:
    """Permalink to ``path`` (repo-root relative) at ``commit``, anchored at ``line``; None when unknown."""
    base = repo_web_url(remote)
    if not base or not commit or not _COMMIT.match(commit) or not path:
        return None
    if path.startswith(("/", "arn:")) or "://" in path or any(s in ("", ".", "..") for s in path.split("/")):  # live objects: no file
        return None
    notebook, written, _ = path.partition("#")
    if written and notebook.endswith(".ipynb"):  # a file the notebook writes (%%writefile): link the notebook, no line
        path, line = notebook, None
    sep = "/-/blob/" if _host_kind(base.split("/")[2]) == "gitlab" else "/blob/"
    url = f"{base}{sep}{commit}/{quote(path, safe='/')}"
    return f"{url}#L{int(line)}" if isinstance(line, int) and line > 0 else url
