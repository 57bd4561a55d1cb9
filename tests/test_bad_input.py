"""Bad user input: a missing, unreadable or non-directory path, an unknown framework or format, a
malformed or missing rule pack are one-line errors with fixed exit codes, never a traceback. Bad files
*inside* a scanned repository are test_hostile_input.py's topic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main

from tests.test_index import git_repo, write


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "mlscan", *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def one_line_error(cp: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert cp.returncode == code, (cp.returncode, cp.stdout, cp.stderr)
    assert "Traceback" not in cp.stderr + cp.stdout
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1, cp.stderr
    assert cp.stdout == ""
    return lines[0]


# ---------------------------------------------------------------- usage errors


def test_missing_path(tmp_path: Path) -> None:
    line = one_line_error(run("scan", str(tmp_path / "nope"), "-f", "json"))
    assert line.startswith("mlscan: error: path does not exist")


def test_file_instead_of_directory(tmp_path: Path) -> None:
    f = write(tmp_path, {"x.txt": "x"}) / "x.txt"
    assert "not a directory" in one_line_error(run("scan", str(f)))
    res = CliRunner().invoke(main, ["scan", str(f)])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_unknown_framework(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    line = one_line_error(run("scan", str(repo), "--framework", "nope", "-f", "json"))
    assert "unknown framework 'nope'" in line


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    cp = run("scan", str(repo), "-f", "yaml")
    assert cp.returncode == 2 and "Traceback" not in cp.stderr


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("syntax.yaml", "framework: x\nquestions: [\n  - id: A\n", r"syntax\.yaml:\d+:\d+: invalid YAML"),
        ("schema.yaml", "framework: broken\ntitle: t\nscoring:\n  method: bands\nquestions:\n  - id: Q1\n", r"schema\.yaml:\d+:\d+: "),
        ("notamap.yaml", "- just\n- a list\n", r"notamap\.yaml:1:1: "),
    ],
)
def test_malformed_rule_pack(tmp_path: Path, name: str, text: str, where: str) -> None:
    import re

    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    pack = write(tmp_path / "packs", {name: text}) / name
    line = one_line_error(run("scan", str(repo), "--rules", str(pack), "-f", "json"))
    assert re.search(where, line), line
    assert line.startswith("mlscan: error: ")


def test_missing_rule_pack_path(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "r", {"train.py": "x = 1\n"})
    one_line_error(run("scan", str(repo), "--rules", str(tmp_path / "none.yaml"), "-f", "json"))


def test_unreadable_directory(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything; unreadable repository files are covered by FIFOs and dangling links in test_hostile_input.py")
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        res = CliRunner().invoke(main, ["scan", str(d)])
        assert res.exit_code == 2 and "Traceback" not in res.output
    finally:
        d.chmod(0o755)
