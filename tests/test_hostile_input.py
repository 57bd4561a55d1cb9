"""A scanned repository is untrusted input: malformed, hostile and odd files are scan warnings, never a
crash; symlinks never lead out of the repository; secrets never reach a report."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main

from .test_report_schema import validate_report

SECRET = "s3cr3t-TOKEN-4242"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _commit(repo: Path) -> None:
    _git(repo, "init", "-q")
    _git(repo, "add", "-A", "-f")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x", "--no-gpg-sign")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"token: {SECRET}\nstages: {{train: {{cmd: python train.py}}}}\n")
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "src").mkdir()
    (repo / ".dvc").mkdir()
    (repo / ".github" / "workflows" / "broken.yml").write_text("on: [push\njobs: {test: {steps: [{run: pytest}]\n")
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        laughs += f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(9))}]\n"
    (repo / "bomb.yaml").write_text(laughs)
    (repo / "deep.yaml").write_text("[" * 5000 + "]" * 5000 + "\n")
    (repo / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (repo / "huge.json").write_text('{"k": "' + "x" * (3 << 20) + '"}')
    (repo / "model.bin").write_bytes(b"\x00\x01\x02" * 1000)
    (repo / "latin1.py").write_bytes("# caf\xe9\nimport mlflow\nmlflow.log_metric('x', 1)\n".encode("latin-1"))
    (repo / "bad.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "import mlflow\\nmlflow.autolog()"')
    (repo / "weird.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["%%bash\n", "ls -la\n"]}, "junk", 3]}))
    (repo / "pyproject.toml").write_text("[project\nname = 'x'\n")
    (repo / "src" / "broken.py").write_text("def f(:\n    pass\n")
    (repo / "dvc.yaml").write_text("stages: [unclosed\n")
    (repo / ".dvc" / "config").write_text(f"['remote \"s\"']\n    url = https://user:{SECRET}@dvc.example.com/store\n")
    (repo / "Dockerfile").write_text("FROM\n\\\n")
    os.symlink(outside / "secret.yaml", repo / "dvc.lock")
    os.symlink(outside, repo / "linked_dir")
    os.symlink(repo / "missing-target", repo / "dangling.yaml")
    (repo / "gone.yaml").write_text("a: 1\n")
    _commit(repo)
    (repo / "gone.yaml").unlink()  # listed by git, absent on disk (like a missing blob)
    os.mkfifo(repo / "pipe.yaml")
    _git(repo, "remote", "add", "origin", f"https://ci-bot:{SECRET}@github.com/acme/hostile.git")
    return repo


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "html", "sarif"])
def test_hostile_repo_scans_with_warnings(hostile: Path, fmt: str) -> None:
    res = CliRunner().invoke(main, ["scan", str(hostile), "-f", fmt])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert SECRET not in res.output
    if fmt == "json":
        report = json.loads(res.output)
        validate_report(report)
        warned = {w["path"] for w in report["warnings"]}
        assert {".github/workflows/broken.yml", "dvc.yaml", "pyproject.toml", "src/broken.py", "bad.ipynb"} <= warned
        skipped = report["skipped"]
        assert "symlink" in skipped and "too-large" in skipped
        assert report["target"]["remote"] == "https://github.com/acme/hostile.git"
        cited = {e["path"] for f in report["findings"] for e in f["evidence"]}
        assert "dvc.lock" not in cited and not any(p.startswith("linked_dir") for p in cited)


def test_malformed_rule_pack_is_one_line(hostile: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("schema: mlscan.rules/v1\nframework: x\ntitle: t\nscoring: {method: bands}\nquestions:\n  - id: Q1\n    text: q\n    yes_if: {wen: 1}\n")
    res = CliRunner().invoke(main, ["scan", str(hostile), "--rules", str(pack)])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and str(pack) in res.output and "Traceback" not in res.output


def test_unreadable_directory(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything; unreadable files are covered by the FIFO and dangling links above")
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        res = CliRunner().invoke(main, ["scan", str(d)])
        assert res.exit_code == 2 and "Traceback" not in res.output
    finally:
        d.chmod(0o755)
