"""GitHub and GitLab listings against a local emulation of their REST APIs: pagination (Link, X-Next-Page),
a secondary rate limit (403 + retry-after), a used-up primary limit (x-ratelimit-remaining: 0 + reset), the
archived/fork/topic filters, and a token that never reaches output, logs, the clone cache or the database."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.org.orgtools import bare, make_repo, mlscan, rows
from tests.quiet_http import QuietServer

pytest.importorskip("sqlalchemy", reason="org scans need the org extra (in the test extra)")

TOKEN = "ghp_TESTtoken0123456789abcdefSECRET"  # noqa: S105 - a test token the emulated API requires
GL_TOKEN = "glpat-TESTtoken0123456789SECRET"  # noqa: S105


class Forge:
    """What the emulated API serves and what it saw."""

    def __init__(self, repos: list[dict]) -> None:
        self.repos = repos
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.secondary_limit_sent = False
        self.primary_reset_sent = False
        self.waits: list[float] = []


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def _json(self, code: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            forge.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            page = int(q.get("page", "1"))
            per = 2  # small pages: five repositories make three pages
            base = f"http://{self.headers['Host']}{u.path}"
            if u.path == "/orgs/acme/repos":
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._json(401, {"message": "Bad credentials"})
                if page == 2 and not forge.secondary_limit_sent:
                    forge.secondary_limit_sent = True
                    return self._json(403, {"message": "You have exceeded a secondary rate limit"}, {"retry-after": "1"})
                items = forge.repos[(page - 1) * per : page * per]
                last = (len(forge.repos) + per - 1) // per
                h = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(int(time.time()) + 3600)}
                if page == 1 and not forge.primary_reset_sent:
                    forge.primary_reset_sent = True
                    h.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)})
                if page < last:
                    q2 = {**q, "page": str(page + 1)}
                    h["Link"] = f'<{base}?{urllib.parse.urlencode(q2)}>; rel="next", <{base}?page={last}>; rel="last"'
                return self._json(200, items, h)
            if u.path == "/api/v4/groups/data%2Fml/projects" or u.path == "/api/v4/groups/data/ml/projects":
                if self.headers.get("PRIVATE-TOKEN") != GL_TOKEN:
                    return self._json(401, {"message": "401 Unauthorized"})
                if page == 2 and not forge.secondary_limit_sent:
                    forge.secondary_limit_sent = True
                    return self._json(429, {"message": "Retry later"}, {"Retry-After": "1", "RateLimit-Remaining": "0"})
                items = forge.repos[(page - 1) * per : page * per]
                last = (len(forge.repos) + per - 1) // per
                return self._json(200, items, {"X-Next-Page": str(page + 1) if page < last else "", "X-Total-Pages": str(last)})
            return self._json(404, {"message": "Not Found"})

    return H


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def _start(forge: Forge) -> str:
        srv = QuietServer(("127.0.0.1", 0), _handler(forge))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield _start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def upstream(tmp_path: Path) -> dict[str, str]:
    """Real repositories behind the listing (file:// URLs, as a clone_url would be)."""
    out = {}
    for name, files in {
        "alpha": {"train.py": "import mlflow\nmlflow.log_metric('auc', 0.9)\n", "requirements.txt": "mlflow\n"},
        "beta": {"README.md": "# beta\n"},
        "gamma": {"pipeline.py": "print('x')\n"},
    }.items():
        w = make_repo(tmp_path / "work" / name, files)
        out[name] = bare(w, tmp_path / "remotes" / f"{name}.git")
    return out


def _gh(name: str, url: str, **kw: object) -> dict:
    return {"name": name, "full_name": f"acme/{name}", "clone_url": url, "archived": False, "fork": False, "disabled": False, "size": 10,
            "topics": [], "default_branch": "main", **kw}


def test_github_org_pagination_rate_limits_filters_and_no_token_leak(tmp_path: Path, serve, upstream: dict[str, str]) -> None:
    forge = Forge([
        _gh("alpha", upstream["alpha"], topics=["ml"]),
        _gh("archived-one", "file:///nonexistent/archived-one.git", archived=True),
        _gh("beta", upstream["beta"], topics=["ml", "web"]),
        _gh("forked", "file:///nonexistent/forked.git", fork=True),
        _gh("gamma", upstream["gamma"]),
    ])
    api = serve(forge)
    db = tmp_path / "org.sqlite"
    cache = tmp_path / "cache"
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api}
    t0 = time.monotonic()
    cp = mlscan("org", "scan", "--github-org", "acme", "--db", str(db), "--cache", str(cache), "--workers", "2", env=env)
    assert cp.returncode == 0, cp.stderr
    # three pages via Link; page 2 answered 403 + retry-after once, page 1 said the limit was used up until reset
    pages = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query).get("page", ["1"])[0] for p, _ in forge.requests]
    assert pages == ["1", "2", "2", "3"]
    assert time.monotonic() - t0 >= 1.0  # it waited rather than hammering the API
    assert "rate limited" in cp.stderr and "waiting" in cp.stderr
    assert all(h.get("authorization") == f"Bearer {TOKEN}" for _, h in forge.requests)
    # archived and forks left out by default
    assert sorted(n for (n,) in rows(db, "select name from jobs")) == ["acme/alpha", "acme/beta", "acme/gamma"]
    assert rows(db, "select count(*) from scans where status='ok'")[0][0] == 3
    # the token is nowhere: output, logs, database file, clone cache
    assert TOKEN not in cp.stdout + cp.stderr
    assert TOKEN.encode() not in db.read_bytes()
    for f in cache.rglob("*"):
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f

    # topics: any of them; --include-archived/--include-forks bring the others back
    db2 = tmp_path / "org2.sqlite"
    cp = mlscan("org", "scan", "--github-org", "acme", "--db", str(db2), "--topic", "web", "--enqueue-only", env=env)
    assert cp.returncode == 0, cp.stderr
    assert [n for (n,) in rows(db2, "select name from jobs")] == ["acme/beta"]
    db3 = tmp_path / "org3.sqlite"
    cp = mlscan("org", "scan", "--github-org", "acme", "--db", str(db3), "--include-archived", "--include-forks", "--enqueue-only", env=env)
    assert len(rows(db3, "select name from jobs")) == 5


def test_github_bad_token_is_one_line_without_the_token(tmp_path: Path, serve) -> None:
    api = serve(Forge([]))
    cp = mlscan("org", "scan", "--github-org", "acme", "--db", str(tmp_path / "x.sqlite"), env={"GITHUB_TOKEN": "wrong-" + TOKEN, "GITHUB_API_URL": api})
    assert cp.returncode == 3
    assert cp.stderr.strip().splitlines() == [f"mlscan: error: {api}/orgs/acme/repos: HTTP 401 Unauthorized"]
    assert TOKEN not in cp.stderr


def test_gitlab_group_pagination_and_rate_limit(tmp_path: Path, serve, upstream: dict[str, str]) -> None:
    def gl(name: str, url: str, **kw: object) -> dict:
        return {"path_with_namespace": f"data/ml/{name}", "name": name, "http_url_to_repo": url, "archived": False, "topics": [], **kw}

    forge = Forge([gl("alpha", upstream["alpha"]), gl("beta", upstream["beta"], forked_from_project={"id": 1}),
                   gl("gamma", upstream["gamma"], topics=["ml"])])
    api = serve(forge) + "/api/v4"
    db = tmp_path / "org.sqlite"
    cp = mlscan("org", "scan", "--gitlab-group", "data/ml", "--db", str(db), "--cache", str(tmp_path / "cache"),
                env={"GITLAB_TOKEN": GL_TOKEN, "CI_API_V4_URL": api})
    assert cp.returncode == 0, cp.stderr
    pages = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query).get("page", ["1"])[0] for p, _ in forge.requests]
    assert pages == ["1", "2", "2"]  # X-Next-Page; one 429 + Retry-After honoured
    assert all(h.get("private-token") == GL_TOKEN for _, h in forge.requests)
    assert sorted(n for (n,) in rows(db, "select name from jobs")) == ["data/ml/alpha", "data/ml/gamma"]  # the fork left out
    assert rows(db, "select count(*) from scans where status='ok'")[0][0] == 2
    assert GL_TOKEN not in cp.stdout + cp.stderr and GL_TOKEN.encode() not in db.read_bytes()


def test_clone_auth_header_is_scoped_and_not_stored() -> None:
    pytest.importorskip("git")
    from mlscan.org import clones

    key, value = clones.auth_for("https://github.com/acme/x.git", TOKEN, "github")
    assert key == "http.https://github.com/.extraHeader" and value.startswith("Authorization: Basic ")
    env = clones.git_env((key, value))
    n = int(env["GIT_CONFIG_COUNT"])
    pairs = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(n)}
    assert pairs[key] == value and pairs["core.hooksPath"] and pairs["credential.helper"] == ""
    assert clones.auth_for("http://github.com/acme/x.git", TOKEN, "github") is None  # never over plain http
    assert clones.auth_for("file:///x.git", TOKEN, "github") is None


def test_list_file(tmp_path: Path) -> None:
    from mlscan.org.interface import OrgError, RepoKind
    from mlscan.org.sources import dedupe, list_file

    (tmp_path / "clones" / "svc").mkdir(parents=True)
    f = tmp_path / "repos.txt"
    f.write_text("# a comment\n\nhttps://github.com/acme/churn.git\nhttps://github.com/acme/mono.git#services/fraud/\n"
                 "ssh://git@gitlab.example/data/ml.git\nclones/svc\nhttps://github.com/acme/churn.git\n")
    repos = dedupe(list_file(str(f)))
    assert [(r.name, r.kind, r.subdir) for r in repos] == [
        ("acme/churn", RepoKind.URL, ""), ("acme/mono#services/fraud", RepoKind.URL, "services/fraud"),
        ("data/ml", RepoKind.URL, ""), ("svc", RepoKind.LOCAL, ""),
    ]
    assert repos[3].url == str((tmp_path / "clones" / "svc").resolve())
    for bad, msg in (("https://user:ghp_x@github.com/a/b.git", "credentials in a URL are refused"),
                     ("https://github.com/a/b.git#../../etc", "not a subdirectory")):
        f.write_text(f"# x\n{bad}\n")
        with pytest.raises(OrgError, match=rf"repos.txt:2: {msg}"):
            list_file(str(f))
