"""``mlscan scan`` without click (mlscan.fastcli): every command line it reads gives the parameters click gives, every
other one is left to click, and the program behaves the same either way (output, messages, exit codes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlscan.cli import main, scan
from mlscan.fastcli import DEFAULTS, OPTIONS, parse  # noqa: F401

from tests.conftest import FIXTURES, make_repo

ACCEPTED = [
    ["REPO"],
    ["scan", "REPO"],
    ["scan", "REPO", "--format", "json"],
    ["REPO", "-f", "json", "-o", "/dev/null", "--no-cache"],
    ["scan", "--format=sarif", "REPO", "--output=out.sarif"],
    ["scan", "REPO", "--exclude", "a/**", "--exclude", "b/**", "--framework", "all", "--rules", "x.yaml"],
    ["scan", "REPO", "-j", "0"],
    ["scan", "REPO", "--jobs", "4", "--jobs", "2"],
    ["scan", "REPO", "--color", "--no-color"],
    ["scan", "REPO", "--no-color", "--color"],
    ["scan", "REPO", "--fail-under", "L2", "--no-attestations", "--no-live", "--as-root"],
    ["scan", "REPO", "--cache-dir", "CACHE"],
    ["scan", "REPO", "-f", "badge-svg", "-f", "markdown"],
    ["scan", "REPO", "-o", "has space", "--exclude", "=x"],
]
LEFT_TO_CLICK = [
    [],
    ["--help"],
    ["--version"],
    ["scan"],
    ["scan", "--help"],
    ["scan", "REPO", "-h"],
    ["scan", "REPO", "OTHER"],
    ["detectors"],
    ["diff", "REPO"],
    ["explain", "M4"],
    ["scan", "REPO", "--format", "bogus"],
    ["scan", "REPO", "-fjson"],
    ["scan", "REPO", "-f=json"],
    ["scan", "REPO", "--format"],
    ["scan", "REPO", "--jobs", "-1"],
    ["scan", "REPO", "--jobs", "+2"],
    ["scan", "REPO", "--jobs", "２"],
    ["scan", "REPO", "--fail-under", "L5"],
    ["scan", "REPO", "--no-cache=1"],
    ["scan", "REPO", "--exclude", "-x"],
    ["scan", "REPO", "--mlflow"],
    ["scan", "REPO", "--k8s"],
    ["scan", "REPO", "--live-timeout", "3"],
    ["scan", "REPO", "--unknown"],
    ["scan", "--", "REPO"],
    ["scan", "REPO", "--cache-dir", "AFILE"],
    ["scan", "-"],
    ["scan", ""],
    ["scan", "REPO", "--form", "json"],
]


def _fill(argv: list[str], tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x")
    names = {"REPO": str(tmp), "CACHE": str(tmp / "cache"), "AFILE": str(tmp / "afile"), "OTHER": str(tmp)}
    return [names.get(a, a) for a in argv]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_accepted_command_lines_mean_what_they_mean_to_click(argv: list[str], tmp_path: Path) -> None:
    argv = _fill(argv, tmp_path)
    got = parse(argv)
    assert got is not None
    ctx = main.make_context("mlscan", list(argv), resilient_parsing=False)
    name, cmd, rest = main.resolve_command(ctx, list(argv))
    assert cmd is scan
    sub = scan.make_context(name, rest, parent=ctx)
    assert got == sub.params
    assert set(got) == {*DEFAULTS, "path"} and {p.name for p in scan.params} == set(got)


@pytest.mark.parametrize("argv", LEFT_TO_CLICK, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_is_left_to_click(argv: list[str], tmp_path: Path) -> None:
    assert parse(_fill(argv, tmp_path)) is None


def test_every_option_it_reads_is_an_option_of_scan() -> None:
    opts = {o for p in scan.params for o in (*p.opts, *p.secondary_opts)}
    assert set(OPTIONS) <= opts


def test_completion_and_windows_are_left_to_click(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("_MLSCAN_COMPLETE", "bash_complete")
    assert parse([str(tmp_path)]) is None


def _run(code: str, args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    cp = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    return cp.returncode, cp.stdout, cp.stderr


FAST = "import sys; sys.argv[0] = 'mlscan'; from mlscan.fastcli import main; main()"
CLICK = "import sys; sys.argv[0] = 'mlscan'; from mlscan.cli import main; main()"


@pytest.mark.parametrize("args", [
    ["scan", "REPO", "-f", "json", "--no-cache"],
    ["REPO", "--no-cache", "--fail-under", "L4"],
    ["REPO", "--no-cache", "-f", "markdown", "-o", "OUT"],
    ["REPO", "--no-cache", "-o", "/nonexistent-dir/x.json"],
    ["scan", "/nonexistent-path"],
    ["scan", "BADCONF", "--no-cache"],
], ids=" ".join)
def test_the_program_behaves_the_same(args: list[str], tmp_path: Path) -> None:
    repo = make_repo(FIXTURES / "levels" / "l2-pipelines" / "repo", tmp_path / "repo")
    bad = make_repo(FIXTURES / "levels" / "l1-scripted" / "repo", tmp_path / "bad")
    (bad / ".mlscan.yml").write_text("exclude: [\n")
    out = []
    for code in (FAST, CLICK):
        target = tmp_path / ("out-" + str(len(out)))
        argv = [{"REPO": str(repo), "BADCONF": str(bad), "OUT": str(target)}.get(a, a) for a in args]
        rc, stdout, stderr = _run(code, argv, tmp_path)
        text = target.read_text() if target.exists() else None
        out.append((rc, _stable(stdout), stderr, _stable(text)))
    assert out[0] == out[1]


def _stable(text: str | None) -> str | None:
    """Without the scan's duration and time stamps."""
    import re

    return None if text is None else re.sub(r'"(duration_seconds|generated_at)": [^,\n]+', '"\\1": X', text)
