"""The command line: scan shorthand, formats, --output, exit codes, listing commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main

from tests.test_report_schema import validate_report


def test_shorthand_scan_and_json(repo_from) -> None:
    repo = repo_from("levels/l1-scripted/repo")
    res = CliRunner().invoke(main, [str(repo), "-f", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    validate_report(report)
    assert report["tool"]["name"] == "mlscan" and len(report["questions"]) == 20


def test_output_file_and_markdown(repo_from, tmp_path: Path) -> None:
    repo = repo_from("levels/l1-scripted/repo")
    out = tmp_path / "r.md"
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", "markdown", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert text.startswith("# mlscan: L") and "| D1 |" in text


def test_terminal_report(repo_from) -> None:
    repo = repo_from("levels/l1-scripted/repo")
    res = CliRunner().invoke(main, ["scan", str(repo)])
    assert res.exit_code == 0, res.output
    assert "Level L" in res.output and "Radar" in res.output and "T4" in res.output


def test_fail_under_exit_1(repo_from) -> None:
    repo = repo_from("levels/l0-notebook-only/repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", "json", "--fail-under", "L1"])
    assert res.exit_code == 1


def test_missing_path_is_one_line_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["scan", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "path does not exist" in res.output and "Traceback" not in res.output


def test_file_instead_of_directory(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("x")
    res = CliRunner().invoke(main, ["scan", str(f)])
    assert res.exit_code == 2 and "not a directory" in res.output


def test_unknown_framework(repo_from) -> None:
    repo = repo_from("levels/l0-notebook-only/repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "--framework", "nope"])
    assert res.exit_code == 2 and "unknown framework" in res.output


def test_listing_commands() -> None:
    r = CliRunner()
    assert "dvc.data" in r.invoke(main, ["detectors"]).output
    assert "checklist20" in r.invoke(main, ["frameworks"]).output
    out = r.invoke(main, ["explain", "D1"]).output
    assert "D1" in out and "dvc.tracked_data" in out
    bad = r.invoke(main, ["explain", "Z9"])
    assert bad.exit_code == 2


def test_url_target_with_subdir(repo_from) -> None:
    repo = repo_from("levels/l1-scripted/repo")
    res = CliRunner().invoke(main, ["scan", f"file://{repo}#src", "-f", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["target"]["subdir"] == "src"


def test_bad_url_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["scan", f"file://{tmp_path}/missing.git"])
    assert res.exit_code == 2 and "cannot clone" in res.output and "Traceback" not in res.output
