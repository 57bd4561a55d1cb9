"""mlscan check: several subprojects, step outputs, job summary, and the GitLab merge-request path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.fakeapi import FakeGitLab
from tests.prrepo import commit_all, git, make_pr_repo


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_", "RUNNER_"))}
    env.update(extra)
    return env


def test_two_subprojects_outputs_summary_and_sarif(tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "mono", prefix="services/churn")
    (repo / "services" / "notes").mkdir()
    (repo / "services" / "notes" / "README.md").write_text("# notes\n")
    commit_all(repo, "another subproject")
    out, gh_out, summary = tmp_path / "out", tmp_path / "gh_output", tmp_path / "summary.md"
    r = subprocess.run([sys.executable, "-m", "mlscan", "check", "--base", base, "--out-dir", str(out), "--fail-on-regression",
                        str(repo / "services" / "churn"), str(repo / "services" / "notes")],
                       capture_output=True, text=True, env=clean_env(GITHUB_OUTPUT=str(gh_out), GITHUB_STEP_SUMMARY=str(summary)))
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("mlscan: regression: ") and "services/churn: checklist20 D4: yes -> no" in r.stderr
    outputs = dict(line.split("=", 1) for line in gh_out.read_text().splitlines())
    levels = outputs["level"].split()
    assert len(levels) == 2 and outputs["regressed"] == "true"
    assert outputs["sarif-categories"] == "mlscan/services/churn/ mlscan/services/notes/"
    assert [Path(p).parent.name for p in outputs["sarif-files"].split()] == ["services_churn", "services_notes"]
    text = summary.read_text()
    assert "ML maturity of `services/churn`" in text and "ML maturity of `services/notes`" in text and "mlscan:sticky" not in text
    assert (out / "comment.md").read_text().count("### ML maturity of") == 2
    assert not list(repo.rglob("report.json"))  # nothing written into the repository


def test_gitlab_merge_request_pipeline(httpserver: HTTPServer, tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    api = FakeGitLab(httpserver, "glpat-x")
    env = clean_env(GITLAB_CI="true", GITLAB_TOKEN="glpat-x", CI_API_V4_URL=api.url + "/api/v4", CI_PROJECT_ID="42",
                    CI_MERGE_REQUEST_IID="3", CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    r = subprocess.run([sys.executable, "-m", "mlscan", "check", str(repo), "--out-dir", str(tmp_path / "out"), "--comment"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    [(method, path, body)] = api.writes()
    assert (method, path) == ("POST", "/api/v4/projects/42/merge_requests/3/notes")
    assert "✅ yes → ❌ no" in body["body"] and body["body"].startswith("<!-- mlscan:sticky v1 id=mlscan -->")
    assert git(repo, "status", "--porcelain") == ""


def test_pull_request_event_without_a_token(tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "base": {"sha": base}}}))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "mlscan", "check", str(repo), "--out-dir", str(out), "--comment"],
                       capture_output=True, text=True, env=clean_env(GITHUB_EVENT_PATH=str(event), GITHUB_REPOSITORY="o/r"))
    assert r.returncode == 2 and "mlscan: cannot comment: no token: set GITHUB_TOKEN or GH_TOKEN" in r.stderr
    assert "D4" in (out / "comment.md").read_text()  # the base came from the event; the reports are written
