"""Local emulations of the GitHub and GitLab REST APIs (the parts the sticky comment uses), on
pytest-httpserver: comments kept in memory, pagination with ``Link`` headers, token checks, optional
read-only (fork) behaviour. Every request is recorded as (method, path, query, json body, headers)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class FakeApi:
    def __init__(self, server: HTTPServer, token: str, *, read_only: bool = False, page_size_cap: int = 100) -> None:
        self.server, self.token, self.read_only, self.cap = server, token, read_only, page_size_cap
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str], Any, dict[str, str]]] = []
        self.next_id = 1000
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def add(self, author: str, body: str) -> dict[str, Any]:
        self.next_id += 1
        c = self.make(self.next_id, author, body)
        self.comments.append(c)
        return c

    def writes(self) -> list[tuple[str, str, Any]]:
        return [(m, p, j) for m, p, _, j, _ in self.requests if m in ("POST", "PATCH", "PUT")]

    def handle(self, request: Request) -> Response:
        query = {k: v[-1] for k, v in parse_qs(request.query_string.decode()).items()}
        body = json.loads(request.data) if request.data else None
        self.requests.append((request.method, request.path, query, body, dict(request.headers)))
        if not self.authorized(request):
            return self.json({"message": "Bad credentials"}, 401)
        return self.route(request, query, body)

    def page(self, request: Request, query: dict[str, str], items: list[Any]) -> Response:
        per = min(int(query.get("per_page", 30)), self.cap)
        n = int(query.get("page", 1))
        chunk = items[(n - 1) * per : n * per]
        headers = {}
        if n * per < len(items):
            q = dict(query, page=str(n + 1))
            headers["Link"] = f'<{self.url}{request.path}?{"&".join(f"{k}={v}" for k, v in q.items())}>; rel="next"'
        return self.json(chunk, 200, headers)

    @staticmethod
    def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")


class FakeGitHub(FakeApi):
    def __init__(self, server: HTTPServer, token: str, repo: str = "o/r", number: int = 7, **kw: Any) -> None:
        self.repo, self.number = repo, number
        self.pulls: list[dict[str, Any]] = [{"number": number, "head": {"sha": "0" * 40, "label": "fork:feature"}}]
        super().__init__(server, token, **kw)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    @staticmethod
    def make(cid: int, author: str, body: str) -> dict[str, Any]:
        return {"id": cid, "user": {"login": author}, "body": body, "html_url": f"https://github.example/o/r/pull/7#issuecomment-{cid}"}

    def route(self, request: Request, query: dict[str, str], body: Any) -> Response:
        base = f"/repos/{self.repo}"
        if request.path == "/user":
            return self.json({"message": "Resource not accessible by integration"}, 403)
        if request.path == f"{base}/pulls" and request.method == "GET":
            return self.page(request, query, [p for p in self.pulls if p["head"]["label"] == query.get("head")])
        if request.path == f"{base}/issues/{self.number}/comments":
            if request.method == "GET":
                return self.page(request, query, self.comments)
            if request.method == "POST":
                if self.read_only:
                    return self.json({"message": "Resource not accessible by integration"}, 403)
                return self.json(self.add("github-actions[bot]", body["body"]), 201)
        m = re.fullmatch(rf"{base}/issues/comments/(\d+)", request.path)
        if m and request.method == "PATCH":
            if self.read_only:
                return self.json({"message": "Resource not accessible by integration"}, 403)
            for c in self.comments:
                if c["id"] == int(m.group(1)):
                    c["body"] = body["body"]
                    return self.json(c)
        return self.json({"message": "Not Found"}, 404)


class FakeGitLab(FakeApi):
    def __init__(self, server: HTTPServer, token: str, project: str = "42", iid: int = 3, username: str = "mlscan-bot",
                 job_token: bool = False, **kw: Any) -> None:
        self.project, self.iid, self.username, self.job_token = project, iid, username, job_token
        super().__init__(server, token, **kw)

    def authorized(self, request: Request) -> bool:
        name = "JOB-TOKEN" if self.job_token else "PRIVATE-TOKEN"
        return request.headers.get(name) == self.token

    @staticmethod
    def make(cid: int, author: str, body: str) -> dict[str, Any]:
        return {"id": cid, "author": {"username": author}, "body": body, "system": False}

    def route(self, request: Request, query: dict[str, str], body: Any) -> Response:
        base = f"/api/v4/projects/{self.project}/merge_requests/{self.iid}/notes"
        if request.path == "/api/v4/user":
            if self.job_token:
                return self.json({"message": "401 Unauthorized"}, 401)
            return self.json({"username": self.username})
        if request.path == base:
            if request.method == "GET":
                return self.page(request, query, self.comments)
            if request.method == "POST":
                if self.read_only:
                    return self.json({"message": "403 Forbidden"}, 403)
                return self.json(self.add(self.username, body["body"]), 201)
        m = re.fullmatch(rf"{base}/(\d+)", request.path)
        if m and request.method == "PUT":
            for c in self.comments:
                if c["id"] == int(m.group(1)):
                    c["body"] = body["body"]
                    return self.json(c)
        return self.json({"message": "404 Not found"}, 404)
