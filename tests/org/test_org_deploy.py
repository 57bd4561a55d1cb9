"""The shipped nightly setups and docs call mlscan org with options that exist; the .mlscan.yml 'projects' key is
valid configuration for 'mlscan scan' too; org scans stay out of a plain scan's imports."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.org.cli import org, parse_size

ROOT = Path(__file__).resolve().parent.parent.parent


def _commands(text: str) -> list[list[str]]:
    """Every ``mlscan org ...`` command line in a shell snippet (folded lines joined, variables as words)."""
    out = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        m = re.search(r"(?:^|[;&|]\s*|\s)(mlscan org .*)$", line)
        if m:
            words = shlex.split(re.sub(r"\$\{\{[^}]*\}\}|\$\{?\w+\}?", "X", m.group(1)), comments=True)
            out.append(words[2:])
    return out


def _check(args: list[str]) -> None:
    cmd = org.commands[args[0]]
    ctx = cmd.make_context(args[0], list(args[1:]), resilient_parsing=False)  # raises on an unknown option
    assert isinstance(ctx, click.Context)


def test_kubernetes_and_actions_commands_parse() -> None:
    k8s = yaml.safe_load((ROOT / "deploy/kubernetes/mlscan-org.yaml").read_text())
    assert k8s["kind"] == "CronJob"
    job = k8s["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] == job["completions"] >= 2
    script = job["template"]["spec"]["containers"][0]["args"][0]
    cmds = _commands(script)
    assert [c[0] for c in cmds] == ["scan", "report"] and "--run-key" in cmds[0]
    for c in cmds:
        _check(c)
    gha = yaml.safe_load((ROOT / "deploy/github-actions/mlscan-org-nightly.yml").read_text())
    matrix = gha["jobs"]["scan"]["strategy"]["matrix"]["worker"]
    assert len(matrix) >= 2
    runs = [s["run"] for j in gha["jobs"].values() for s in j["steps"] if "run" in s and "mlscan org" in s["run"]]
    cmds = [c for r in runs for c in _commands(r.replace("\n", " "))]
    assert [c[0] for c in cmds] == ["scan", "report"] and "--run-key" in cmds[0]
    for c in cmds:
        _check(c)


def test_docs_and_readme_commands_parse() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs/org-scans.md"):
        blocks = re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S)
        cmds = [c for b in blocks for c in _commands(b)]
        assert cmds, doc
        for c in cmds:
            _check(c)


def test_projects_key_is_configuration(tmp_path: Path) -> None:
    from tests.org.orgtools import make_repo

    ok = make_repo(tmp_path / "ok", {".mlscan.yml": "projects: [services/a, .]\n", "services/a/train.py": "x = 1\n"})
    r = CliRunner().invoke(main, ["scan", str(ok), "-f", "json"])
    assert r.exit_code == 0, r.output
    bad = make_repo(tmp_path / "bad", {".mlscan.yml": "projects: [../outside]\n"})
    r = CliRunner().invoke(main, ["scan", str(bad), "-f", "json"])
    assert r.exit_code == 2 and ".mlscan.yml:1:" in r.output


@pytest.mark.parametrize(("text", "expected"), [("4G", 4 << 30), ("512M", 512 << 20), ("1.5GiB", 3 << 29), ("0", 0), ("2048", 2048)])
def test_sizes(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_org_without_a_source_is_a_usage_error(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["org", "scan", "--db", str(tmp_path / "x.sqlite")])
    assert r.exit_code == 2 and "no source" in r.output
