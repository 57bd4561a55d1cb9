"""Where the repositories come from: a GitHub organisation, a GitLab group, a list file, a directory of clones.

The REST listings follow pagination (``Link: <...>; rel="next"``, GitLab's ``X-Next-Page``) and honour rate
limits: a 403/429 with ``retry-after`` waits that long; ``x-ratelimit-remaining: 0`` (GitLab:
``RateLimit-Remaining``) waits until ``x-ratelimit-reset``. The token goes in a request header and only to the
API's own origin (a ``next`` link elsewhere is refused); it is never part of a URL, a message or a Repo.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..lazyre import lazy_re
from ..target import is_url, redact_url
from .interface import OrgError, Repo, RepoKind

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
MAX_WAIT = 3600.0  # never sleep longer than this for one rate-limit reset
_LINK = lazy_re(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Api:
    """A small REST client: JSON GETs with a bearer token, pagination and rate-limit waits."""

    base: str
    token: str | None = None
    token_header: str = "Authorization"  # noqa: S105 - a header name
    log: Log = _quiet
    sleep: Callable[[float], None] = time.sleep
    max_attempts: int = 8
    timeout: float = 30.0

    def _headers(self) -> dict[str, str]:
        h = {"Accept": "application/json", "User-Agent": "mlscan-org"}
        if self.token:
            h[self.token_header] = f"Bearer {self.token}" if self.token_header == "Authorization" else self.token  # noqa: S105
        return h

    def _same_origin(self, url: str) -> bool:
        a, b = urllib.parse.urlsplit(self.base), urllib.parse.urlsplit(url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def pages(self, path: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint, following ``Link rel=next`` or ``X-Next-Page``."""
        url: str | None = f"{self.base.rstrip('/')}/{path.lstrip('/')}?{urllib.parse.urlencode(params)}"
        seen = 0
        while url:
            seen += 1
            if seen > 10_000:
                raise OrgError(f"{self._where(url)}: more than 10,000 pages; stopping")
            body, headers = self.get(url)
            if not isinstance(body, list):
                raise OrgError(f"{self._where(url)}: expected a JSON list")
            yield body
            url = self._next(url, headers)

    def _next(self, url: str, headers: dict[str, str]) -> str | None:
        for target, rel in _LINK.findall(headers.get("link", "")):
            if rel == "next":
                if not self._same_origin(target):
                    raise OrgError(f"{self._where(url)}: next page on another host refused")
                return target
        nxt = headers.get("x-next-page", "").strip()
        if nxt:
            parts = urllib.parse.urlsplit(url)
            q = dict(urllib.parse.parse_qsl(parts.query))
            q["page"] = nxt
            return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))
        return None

    def _where(self, url: str) -> str:
        p = urllib.parse.urlsplit(url)
        return f"{p.scheme}://{p.netloc}{p.path}"

    def get(self, url: str) -> tuple[Any, dict[str, str]]:
        """One JSON GET with retries for rate limits (403/429) and server errors (5xx)."""
        for attempt in range(1, self.max_attempts + 1):
            req = urllib.request.Request(url, headers=self._headers())  # noqa: S310 - http(s) API base only
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                    headers = {k.lower(): v for k, v in resp.headers.items()}
                    body = json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as e:
                headers = {k.lower(): v for k, v in (e.headers or {}).items()}
                wait = self._limited(e.code, headers)
                if wait is not None and attempt < self.max_attempts:
                    self.log(f"rate limited by {self._where(url)} (HTTP {e.code}); waiting {wait:.0f} s")
                    self.sleep(wait)
                    continue
                if e.code >= 500 and attempt < self.max_attempts:
                    self.sleep(min(2.0**attempt, 60.0))
                    continue
                raise OrgError(f"{self._where(url)}: HTTP {e.code} {e.reason}") from None
            except (urllib.error.URLError, OSError, ValueError) as e:
                if attempt < self.max_attempts and not isinstance(e, ValueError):
                    self.sleep(min(2.0**attempt, 60.0))
                    continue
                raise OrgError(f"{self._where(url)}: {getattr(e, 'reason', e)}") from None
            wait = self._reset_wait(headers) if self._remaining(headers) == 0 else None
            if wait:
                self.log(f"rate limit of {self._where(url)} used up; waiting {wait:.0f} s for the reset")
                self.sleep(wait)
            return body, headers
        raise OrgError(f"{self._where(url)}: still rate limited after {self.max_attempts} attempts")

    @staticmethod
    def _remaining(headers: dict[str, str]) -> int | None:
        for k in ("x-ratelimit-remaining", "ratelimit-remaining"):
            if headers.get(k, "").strip().isdigit():
                return int(headers[k])
        return None

    @staticmethod
    def _reset_wait(headers: dict[str, str]) -> float:
        for k in ("x-ratelimit-reset", "ratelimit-reset"):
            v = headers.get(k, "").strip()
            if v.isdigit():
                return min(max(int(v) - time.time(), 0.0) + 0.5, MAX_WAIT)
        return 60.0

    def _limited(self, code: int, headers: dict[str, str]) -> float | None:
        """Seconds to wait before retrying a rate-limited response, None when it is not one."""
        if code not in (403, 429):
            return None
        ra = headers.get("retry-after", "").strip()
        if ra.isdigit():
            return min(float(ra), MAX_WAIT)
        if self._remaining(headers) == 0:
            return self._reset_wait(headers)
        return 60.0 if code == 429 else None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1].lower() if "://" in url else ""


def _keep(item: dict[str, Any], *, archived: bool, forks: bool, topics: tuple[str, ...]) -> bool:
    if item.get("archived") and not archived:
        return False
    if (item.get("fork") or item.get("forked_from_project")) and not forks:
        return False
    if item.get("disabled") or item.get("empty_repo"):
        return False
    if topics:
        have = {str(t).lower() for t in (item.get("topics") or item.get("tag_list") or [])}
        if not have & {t.lower() for t in topics}:
            return False
    return True


def _listed(pages: Iterable[list[Any]], source: str, url_key: str, name_key: str, *, archived: bool, forks: bool,
            topics: tuple[str, ...]) -> list[Repo]:
    """The repositories of a hosting API's listing pages (GitHub repos, GitLab projects) that ``_keep`` keeps, each
    cloned from ``item[url_key]`` (credentials redacted) and named ``item[name_key]``; empty repositories (GitHub
    ``size`` 0) are left out."""
    out: list[Repo] = []
    for page in pages:
        for item in page:
            if not isinstance(item, dict) or not item.get(url_key) or item.get("size") == 0:
                continue
            if _keep(item, archived=archived, forks=forks, topics=topics):
                url = redact_url(str(item[url_key])) or ""
                out.append(Repo(str(item.get(name_key) or item.get("name")), url, RepoKind.URL, "", source, _host(url)))
    return out


def github_org(
    org: str,
    *,
    token: str | None = None,
    api_url: str | None = None,
    archived: bool = False,
    forks: bool = False,
    topics: tuple[str, ...] = (),
    log: Log = _quiet,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Repo]:
    """``GET /orgs/{org}/repos?type=all&per_page=100``, every page; archived, forks, disabled and empty
    repositories are left out unless asked for; ``topics`` keeps those with any of them."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}", org):
        raise OrgError(f"not a GitHub organisation name: {org!r}")
    api = Api(api_url or GITHUB_API, token, log=log, sleep=sleep)
    pages = api.pages(f"orgs/{org}/repos", {"type": "all", "per_page": "100", "sort": "full_name"})
    return _listed(pages, f"github:{org}", "clone_url", "full_name", archived=archived, forks=forks, topics=topics)


def gitlab_group(
    group: str,
    *,
    token: str | None = None,
    api_url: str | None = None,
    archived: bool = False,
    forks: bool = False,
    topics: tuple[str, ...] = (),
    log: Log = _quiet,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Repo]:
    """``GET /groups/{group}/projects?include_subgroups=true&per_page=100``, every page (``X-Next-Page``
    or ``Link``), with the same filters as GitHub."""
    if not group or group.startswith(("/", ".")) or ".." in group:
        raise OrgError(f"not a GitLab group path: {group!r}")
    api = Api(api_url or GITLAB_API, token, token_header="PRIVATE-TOKEN", log=log, sleep=sleep)  # noqa: S106 - a header name
    params = {"include_subgroups": "true", "per_page": "100", "order_by": "path", "sort": "asc", "with_shared": "false"}
    if not archived:
        params["archived"] = "false"
    pages = api.pages(f"groups/{urllib.parse.quote(group, safe='')}/projects", params)
    return _listed(pages, f"gitlab:{group}", "http_url_to_repo", "path_with_namespace", archived=archived, forks=forks, topics=topics)


def _split_subdir(entry: str) -> tuple[str, str]:
    base, _, sub = entry.partition("#")
    sub = sub.strip().strip("/")
    if sub and any(part in ("..", ".", "") for part in sub.split("/")):
        raise OrgError(f"not a subdirectory: #{sub}")
    return base.strip(), sub


def _name_of(url: str) -> str:
    p = urllib.parse.urlsplit(url).path if "://" in url else url.split(":", 1)[-1]
    parts = [x for x in p.rstrip("/").split("/") if x]
    name = "/".join(parts[-2:]) if len(parts) >= 2 else (parts[-1] if parts else url)
    return name[:-4] if name.endswith(".git") else name


def _has_secret(url: str) -> bool:
    """A password or token in the URL's user part (``https://user:token@``, ``https://token@``); an ssh user
    name (``ssh://git@host``) is not one."""
    if "://" not in url:
        return False
    scheme, rest = url.split("://", 1)
    userinfo, at, _ = rest.split("/", 1)[0].rpartition("@")
    return bool(at) and (":" in userinfo or scheme.lower() in ("http", "https"))


def list_file(path: str) -> list[Repo]:
    """One repository a line: a clone URL or a local path, optionally ``#subdir``; ``#`` at the start of a
    line is a comment. Relative paths are relative to the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise OrgError(f"cannot read {path}: {e.strerror}") from None
    out: list[Repo] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            base, sub = _split_subdir(line)
        except OrgError as e:
            raise OrgError(f"{path}:{n}: {e}") from None
        if is_url(base):
            if _has_secret(base):
                raise OrgError(f"{path}:{n}: credentials in a URL are refused; use GITHUB_TOKEN/GITLAB_TOKEN")
            out.append(Repo(_name_of(base) + (f"#{sub}" if sub else ""), base, RepoKind.URL, sub, f"list:{p.name}", _host(base)))
        else:
            local = (p.parent / base).resolve() if not os.path.isabs(base) else Path(base).resolve()
            out.append(Repo(local.name + (f"#{sub}" if sub else ""), str(local), RepoKind.LOCAL, sub, f"list:{p.name}"))
    return out


def directory(path: str) -> list[Repo]:
    """Every Git checkout directly under ``path`` (a directory holding ``.git``), scanned in place."""
    p = Path(path)
    if not p.is_dir():
        raise OrgError(f"not a directory: {path}")
    out = []
    with os.scandir(p) as it:
        for d in sorted(it, key=lambda x: x.name):
            if d.is_dir(follow_symlinks=False) and os.path.lexists(os.path.join(d.path, ".git")):
                out.append(Repo(d.name, str(Path(d.path).resolve()), RepoKind.LOCAL, "", f"dir:{p.name}"))
    return out


def dedupe(repos: list[Repo]) -> list[Repo]:
    """One entry per (url, subdir), first listing wins."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in repos:
        if (r.url, r.subdir) not in seen:
            seen.add((r.url, r.subdir))
            out.append(r)
    return out
