"""Upsert the sticky comment: find it by marker AND author on every page, edit it in place, create it
only when absent, leave it alone when unchanged. GitHub issue comments (a pull request's conversation)
and GitLab merge-request notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .http import ApiError, Client


@dataclass(frozen=True)
class Outcome:
    action: str  # "created", "updated", "unchanged"
    id: Any
    url: str | None = None


class GitHub:
    """Issue comments of a pull request (``GITHUB_API_URL``; GitHub Enterprise and tests included)."""

    name = "GitHub"
    limit = 65_536
    DEFAULT_BOT = "github-actions[bot]"  # GITHUB_TOKEN's author; GET /user is 403 for that token

    def __init__(self, client: Client, repo: str, number: int) -> None:
        self.c, self.repo, self.number = client, repo, number

    def me(self) -> str | None:
        try:
            data = self.c.request("GET", "/user").data
        except ApiError:
            return self.DEFAULT_BOT
        return data.get("login") if isinstance(data, dict) else self.DEFAULT_BOT

    def list(self) -> Any:
        return self.c.pages(f"/repos/{self.repo}/issues/{self.number}/comments?per_page=100")

    def create(self, body: str) -> dict[str, Any]:
        return self.c.request("POST", f"/repos/{self.repo}/issues/{self.number}/comments", {"body": body}).data or {}

    def edit(self, cid: Any, body: str) -> dict[str, Any]:
        return self.c.request("PATCH", f"/repos/{self.repo}/issues/comments/{int(cid)}", {"body": body}).data or {}

    @staticmethod
    def author(item: dict[str, Any]) -> str | None:
        return (item.get("user") or {}).get("login")

    @staticmethod
    def url(item: dict[str, Any]) -> str | None:
        return item.get("html_url")

    def find_pr(self, head: str, sha: str | None) -> int | None:
        """The open pull request whose head is ``owner:branch`` (and, when given, whose head commit is
        ``sha``), asked of the API: a workflow_run's artifact never names the pull request."""
        for pr in self.c.pages(f"/repos/{self.repo}/pulls?state=open&per_page=100&head={quote(head, safe=':')}"):
            if sha is None or (pr.get("head") or {}).get("sha") == sha:
                return int(pr["number"])
        return None


class GitLab:
    """Notes of a merge request (``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID``)."""

    name = "GitLab"
    limit = 1_000_000

    def __init__(self, client: Client, project: str, iid: int) -> None:
        self.c, self.iid = client, iid
        self.project = quote(str(project), safe="")

    def me(self) -> str | None:
        try:
            data = self.c.request("GET", "/user").data
        except ApiError:
            return None
        return data.get("username") if isinstance(data, dict) else None

    def list(self) -> Any:
        return self.c.pages(f"/projects/{self.project}/merge_requests/{self.iid}/notes?per_page=100&sort=asc&order_by=created_at")

    def create(self, body: str) -> dict[str, Any]:
        return self.c.request("POST", f"/projects/{self.project}/merge_requests/{self.iid}/notes", {"body": body}).data or {}

    def edit(self, cid: Any, body: str) -> dict[str, Any]:
        return self.c.request("PUT", f"/projects/{self.project}/merge_requests/{self.iid}/notes/{int(cid)}", {"body": body}).data or {}

    @staticmethod
    def author(item: dict[str, Any]) -> str | None:
        return (item.get("author") or {}).get("username")

    @staticmethod
    def url(item: dict[str, Any]) -> str | None:
        return None


def upsert(platform: GitHub | GitLab, body: str, mark: str, author: str | None = None) -> Outcome:
    """Edit the comment holding ``mark`` written by ``author`` (default: the token's own login), or
    create it. Comments quoting the marker by anyone else are ignored; of several matches the oldest
    is edited and no new one is made."""
    who = author or platform.me()
    if not who:
        raise ApiError(0, f"cannot tell which {platform.name} user the token belongs to; pass --author")
    found: dict[str, Any] | None = None
    for item in platform.list():
        if not isinstance(item, dict) or item.get("system"):
            continue
        if platform.author(item) == who and mark in str(item.get("body") or ""):
            found = item
            break
    if found is None:
        made = platform.create(body)
        return Outcome("created", made.get("id"), platform.url(made))
    if str(found.get("body") or "").strip() == body.strip():
        return Outcome("unchanged", found.get("id"), platform.url(found))
    edited = platform.edit(found["id"], body)
    return Outcome("updated", found.get("id"), platform.url(edited) or platform.url(found))
