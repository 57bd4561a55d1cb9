"""mlscan comment against local emulations of the GitHub and GitLab REST APIs: the exact requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlscan.pr.body import GITHUB_LIMIT, assemble, marker, sanitize
from mlscan.pr.http import ApiError, Client, next_link
from pytest_httpserver import HTTPServer

from tests.fakeapi import FakeGitHub, FakeGitLab

TOKEN = "ghs_s3cr3tT0kenValue0123456789abcdefXYZ"
MARK = marker("mlscan")
BOT = "github-actions[bot]"


def run_comment(api: str, body: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_", "GH_"))}
    e.update({"GITHUB_API_URL": api, "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "o/r"}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "mlscan", "comment", "--body", str(body), *extra], capture_output=True, text=True, env=e)


@pytest.fixture
def section(tmp_path: Path) -> Path:
    p = tmp_path / "section.md"
    p.write_text("### ML maturity of `.`: L2 → L1 ⬇\n\n| **D4** | ✅ yes → ❌ no |\n")
    return p


def expected_body(section: Path) -> str:
    return assemble([section.read_text()])


def test_comment_on_page_two_is_found_and_edited(httpserver: HTTPServer, section: Path) -> None:
    page1 = [{"id": i, "user": {"login": "someone" if i % 2 else BOT}, "body": f"comment {i}"} for i in range(1, 101)]
    page1[4]["body"] = f"quoting the marker {MARK}"  # by someone else: must not be taken
    page2 = [{"id": 555, "user": {"login": "someone"}, "body": f"{MARK} forged"}, {"id": 556, "user": {"login": BOT}, "body": f"{MARK}\nold"}]
    next_url = httpserver.url_for("/repos/o/r/issues/7/comments") + "?per_page=100&page=2"
    httpserver.expect_ordered_request("/user", method="GET").respond_with_json({"message": "Resource not accessible by integration"}, status=403)
    httpserver.expect_ordered_request("/repos/o/r/issues/7/comments", method="GET", query_string="per_page=100").respond_with_json(
        page1, headers={"Link": f'<{next_url}>; rel="next", <{next_url}>; rel="last"'})
    httpserver.expect_ordered_request("/repos/o/r/issues/7/comments", method="GET", query_string="per_page=100&page=2").respond_with_json(page2)
    httpserver.expect_ordered_request("/repos/o/r/issues/comments/556", method="PATCH", json={"body": expected_body(section)},
                                      headers={"Authorization": f"Bearer {TOKEN}", "X-GitHub-Api-Version": "2022-11-28"}).respond_with_json(
        {"id": 556, "html_url": "https://github.example/o/r/pull/7#issuecomment-556"})
    r = run_comment(httpserver.url_for("/"), section, "--pr", "7")
    assert r.returncode == 0, r.stderr
    httpserver.check_assertions()
    assert len(httpserver.log) == 4
    assert "comment updated (id 556)" in r.stderr


def test_created_when_absent(httpserver: HTTPServer, section: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 9}}))
    httpserver.expect_ordered_request("/repos/o/r/issues/9/comments", method="GET", query_string="per_page=100").respond_with_json(
        [{"id": 1, "user": {"login": "mlscan-app[bot]"}, "body": "hello"}])
    httpserver.expect_ordered_request("/repos/o/r/issues/9/comments", method="POST", json={"body": expected_body(section)}).respond_with_json(
        {"id": 2, "html_url": "https://github.example/o/r/pull/9#issuecomment-2"}, status=201)
    r = run_comment(httpserver.url_for("/"), section, "--author", "mlscan-app[bot]", env={"GITHUB_EVENT_PATH": str(event)})
    assert r.returncode == 0, r.stderr
    httpserver.check_assertions()
    assert len(httpserver.log) == 2  # --author: no GET /user
    assert "comment created (id 2): https://github.example/o/r/pull/9#issuecomment-2" in r.stderr


def test_rerun_edits_never_duplicates_and_skips_unchanged(httpserver: HTTPServer, section: Path) -> None:
    api = FakeGitHub(httpserver, TOKEN)
    for i in range(230):  # three pages
        api.add("someone", f"review comment {i}")
    assert run_comment(api.url, section, "--pr", "7").returncode == 0
    assert [m for m, _, _ in api.writes()] == ["POST"]
    assert run_comment(api.url, section, "--pr", "7").returncode == 0  # same body: nothing written
    assert [m for m, _, _ in api.writes()] == ["POST"]
    section.write_text("### now L1\n")
    r = run_comment(api.url, section, "--pr", "7")
    assert r.returncode == 0 and "comment updated" in r.stderr
    ours = [c for c in api.comments if MARK in c["body"]]
    assert len(ours) == 1 and "### now L1" in ours[0]["body"]
    assert [(m, p) for m, p, _ in api.writes()] == [("POST", "/repos/o/r/issues/7/comments"), ("PATCH", f"/repos/o/r/issues/comments/{ours[0]['id']}")]
    pages = [q.get("page", "1") for m, p, q, _, _ in api.requests if m == "GET" and p.endswith("/comments")]
    assert pages == ["1", "2", "3"] * 3


def test_fork_403_is_a_message_and_exit_zero(httpserver: HTTPServer, section: Path, tmp_path: Path) -> None:
    api = FakeGitHub(httpserver, TOKEN, read_only=True)
    out = tmp_path / "comment.md"
    r = run_comment(api.url, section, "--pr", "7", "--write-body", str(out))
    assert r.returncode == 0
    assert "cannot comment (HTTP 403: Resource not accessible by integration)" in r.stderr and "workflow_run" in r.stderr
    assert out.read_text() == expected_body(section)
    assert api.comments == []


def test_token_never_in_output(httpserver: HTTPServer, section: Path) -> None:
    # a hostile or broken server echoing the token back in its error message
    httpserver.expect_request("/user").respond_with_json({"message": "nope"}, status=403)
    httpserver.expect_request("/repos/o/r/issues/7/comments").respond_with_json({"message": f"bad token {TOKEN}"}, status=500)
    r = run_comment(httpserver.url_for("/"), section, "--pr", "7")
    assert r.returncode == 3 and "GitHub API failed: HTTP 500: bad token ***" in r.stderr
    assert TOKEN not in r.stdout + r.stderr
    r = run_comment("http://127.0.0.1:9", section, "--pr", "7")  # nothing listens: connection error
    assert r.returncode == 3 and TOKEN not in r.stdout + r.stderr


def test_rate_limit_headers_are_respected(httpserver: HTTPServer) -> None:
    slept: list[float] = []
    now = [1_000_000.0]
    httpserver.expect_ordered_request("/a").respond_with_json({"message": "secondary rate limit"}, status=403, headers={"retry-after": "7"})
    httpserver.expect_ordered_request("/a").respond_with_json([1], headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"})
    httpserver.expect_ordered_request("/b").respond_with_json({"message": "API rate limit exceeded"}, status=403,
                                                               headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000100"})
    httpserver.expect_ordered_request("/b").respond_with_json([2])
    c = Client(httpserver.url_for("/"), ("Authorization", "Bearer x"), sleep=slept.append, clock=lambda: now[0])
    assert c.request("GET", "/a").data == [1]
    assert slept == [7.0]  # retry-after
    assert c.request("GET", "/b").data == [2]
    assert slept == [7.0, 31.0, 101.0]  # remaining 0: wait for the reset (+1 s) before the next request; again after the 403
    httpserver.check_assertions()
    # a secondary rate limit without headers: one minute, as GitHub's docs ask
    httpserver.expect_ordered_request("/d").respond_with_json({"message": "You have exceeded a secondary rate limit."}, status=403)
    httpserver.expect_ordered_request("/d").respond_with_json([3])
    assert c.request("GET", "/d").data == [3] and slept[-1] == 60.0
    # a wait beyond the budget is an error, not a hang
    httpserver.expect_request("/c").respond_with_json({}, status=429, headers={"retry-after": "3600"})
    with pytest.raises(ApiError, match="rate limited"):
        Client(httpserver.url_for("/"), ("Authorization", "Bearer x"), sleep=slept.append, max_wait=60).request("GET", "/c")


def test_pagination_never_leaves_the_api_origin(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/l").respond_with_json([1], headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'})
    c = Client(httpserver.url_for("/"), ("Authorization", "Bearer x"))
    with pytest.raises(ApiError, match="another origin"):
        list(c.pages("/l"))
    assert next_link('<https://a/x?page=3>; rel="last", <https://a/x?page=2>; rel="next"') == "https://a/x?page=2"


def test_redirects_are_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r").respond_with_data("", status=302, headers={"Location": "https://evil.example/"})
    with pytest.raises(ApiError, match="HTTP 302"):
        Client(httpserver.url_for("/"), ("Authorization", "Bearer x")).request("GET", "/r")


def test_workflow_run_finds_the_pr_through_the_api(httpserver: HTTPServer, section: Path) -> None:
    api = FakeGitHub(httpserver, TOKEN, number=12)
    r = run_comment(api.url, section, "--pr-head", "fork:feature", "--pr-head-sha", "0" * 40, "--untrusted")
    assert r.returncode == 0, r.stderr
    assert api.writes()[0][:2] == ("POST", "/repos/o/r/issues/12/comments")
    r = run_comment(api.url, section, "--pr-head", "fork:feature", "--pr-head-sha", "1" * 40)
    assert r.returncode == 0 and "no open pull request with head fork:feature" in r.stderr
    assert len(api.writes()) == 1


def test_gitlab_note_upsert(httpserver: HTTPServer, section: Path) -> None:
    api = FakeGitLab(httpserver, "glpat-secret")
    for i in range(150):
        api.add("alice", f"note {i}")
    api.add("alice", f"{MARK} quoted by a person")
    mine = api.add("mlscan-bot", f"{MARK}\nold")
    env = {"GITLAB_CI": "true", "GITLAB_TOKEN": "glpat-secret", "CI_API_V4_URL": api.url + "/api/v4", "CI_PROJECT_ID": "42",
           "CI_MERGE_REQUEST_IID": "3"}
    r = run_comment("", section, env=env)
    assert r.returncode == 0, r.stderr
    assert api.writes() == [("PUT", f"/api/v4/projects/42/merge_requests/3/notes/{mine['id']}", {"body": expected_body(section)})]
    assert all(h.get("Private-Token") == "glpat-secret" for *_, h in api.requests)
    pages = [q.get("page", "1") for m, p, q, _, _ in api.requests if m == "GET" and p.endswith("/notes")]
    assert pages == ["1", "2"]
    assert run_comment("", section, env=env).returncode == 0 and len(api.writes()) == 1  # unchanged


def test_gitlab_job_token_creates_once(httpserver: HTTPServer, section: Path) -> None:
    api = FakeGitLab(httpserver, "job-tok", job_token=True, username="ci-user")
    env = {"GITLAB_CI": "true", "CI_JOB_TOKEN": "job-tok", "GITLAB_USER_LOGIN": "ci-user", "CI_API_V4_URL": api.url + "/api/v4",
           "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3"}
    for _ in range(2):
        assert run_comment("", section, env=env).returncode == 0
    assert [w[0] for w in api.writes()] == ["POST"]
    assert all(h.get("Job-Token") == "job-tok" for *_, h in api.requests)


def test_body_is_cut_under_the_limit_with_a_link() -> None:
    evidence = "\n".join(f"- gone: `src/file_{i}.py:{i}` (detector): `snippet {i}`" for i in range(4000))
    long = f"### project A\n\n<details><summary>Evidence</summary>\n\n```\ncode\n{evidence}\n```\n\n{evidence}\n</details>\n"
    body = assemble(["### project B: L2 → L2\n", long, long], report_url="https://ci.example/artifacts/1")
    assert len(body) <= GITHUB_LIMIT and body.startswith(MARK)
    assert body.count("the full report: https://ci.example/artifacts/1") == 2
    assert "### project B: L2 → L2" in body  # the short section is kept whole
    assert body.count("<details>") == body.count("</details>")
    assert body.count("```") % 2 == 0


def test_untrusted_markdown_is_markdown_only(tmp_path: Path, httpserver: HTTPServer) -> None:
    evil = (f"{MARK}\n<script>alert(1)</script> <img src=x onerror=y> <details><summary>ok</summary></details>\n"
            "`<b>in code</b>` and\n```\n<raw>\n```\n\x1b[31mred\u202e")
    clean = sanitize(evil)
    assert MARK not in clean and "<script>" not in clean and "&lt;script>" in clean and "&lt;img src=x" in clean
    assert "<details><summary>ok</summary></details>" in clean
    assert "`<b>in code</b>`" in clean and "```\n<raw>\n```" in clean
    assert "\x1b" not in clean and "\u202e" not in clean
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2000)
    r = subprocess.run([sys.executable, "-m", "mlscan", "comment", "--body", str(big), "--untrusted", "--max-input-bytes", "1000", "--dry-run"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "over the 1000-byte limit" in r.stderr
