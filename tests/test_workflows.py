"""The shipped workflows and action.yml: fork-safe by construction (static checks), and the two-workflow
hand-over (comment body as an artifact, reposted as untrusted data) gives the same comment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from .prrepo import make_pr_repo

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted([*ROOT.glob("examples/*.yml"), *ROOT.glob(".github/workflows/*.yml")])
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_there_are_both_workflows_in_examples_and_for_this_repository() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in WORKFLOWS}
    assert {"examples/mlscan-pr.yml", "examples/mlscan-comment.yml", ".github/workflows/mlscan.yml",
            ".github/workflows/mlscan-comment.yml"} <= names
    own = load(ROOT / ".github/workflows/mlscan.yml")
    assert "pull_request" in own["on"] and any(s.get("uses") == "./" for s in steps(own))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_workflow_is_fork_safe(path: Path) -> None:
    doc = load(path)
    on = doc["on"]
    assert "pull_request_target" not in (on if isinstance(on, dict) else [on])
    assert "permissions" in doc, "top-level permissions must be explicit"
    for s in steps(doc):
        uses = s.get("uses")
        if uses and not uses.startswith("./") and not uses.startswith("mlscan/mlscan@"):
            assert SHA_PIN.match(uses), f"{uses}: third-party actions are pinned by commit"
        # expressions go through env:, never into a script (template injection)
        assert "${{" not in s.get("run", ""), f"{path.name}: expression inside run:"
    if "workflow_run" in on:
        assert doc["permissions"] == {}
        [job] = doc["jobs"].values()
        assert job["permissions"] == {"pull-requests": "write", "actions": "read"}
        assert not any("checkout" in (s.get("uses") or "") for s in steps(doc)), "no checkout in the privileged workflow"
        script = " ".join(s.get("run", "") for s in steps(doc))
        assert "--untrusted" in script and "--pr-head" in script and "--pr " not in script
    else:
        perms = doc["permissions"]
        assert perms == {"contents": "read"}, "the pull_request workflow stays read-only"


def test_action_is_composite_of_shell_steps() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for s in action["runs"]["steps"]:
        assert s.get("shell") == "bash" and "run" in s and "uses" not in s
        assert "${{" not in s["run"], "inputs reach scripts through env: only"
    assert {"path", "framework", "fail-under", "fail-on-regression", "comment", "sarif", "version"} <= set(action["inputs"])
    assert {"level", "yes-count", "level-change", "regressed", "report-dir", "sarif-files", "comment-file"} <= set(action["outputs"])


def test_artifact_hand_over_reposts_the_same_comment(tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "CI_"))}
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "mlscan", "check", str(repo), "--base", base, "--out-dir", str(out)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    body = (out / "comment.md").read_text()
    sarif = json.loads((out / "root" / "report.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"] == {"id": "mlscan/"}  # upload-sarif's category
    official = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    assert not list(jsonschema.Draft4Validator(official).iter_errors(sarif))
    r = subprocess.run([sys.executable, "-m", "mlscan", "comment", "--untrusted", "--title", "", "--body", str(out / "comment.md"), "--dry-run"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == body and body.count("<!-- mlscan:sticky") == 1 and body.count("## mlscan: ML maturity") == 1
