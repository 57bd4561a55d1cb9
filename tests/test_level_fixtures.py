"""Synthetic repositories at each level (and near-misses that must stay low): level, all 20 answers,
and evidence paths.

Layout: fixtures/levels/<name>/repo/<tree> and fixtures/levels/<name>/expected.yaml:

    level: 2
    answers: {D1: yes, D2: no, ...}          # all 20
    evidence: {D1: [data/raw.csv.dvc], ...}  # paths that must appear in the answer's evidence
    subdir: services/churn                   # optional: scan this subdirectory (monorepo)
    policy: {templates: rendered-defaults}   # optional: report.policy values
    skipped: [vendored]                      # optional: skip reasons that must be reported
    signals: [project.language]              # optional: findings that must / must not exist
    never_cited: [services/fraud/]           # optional: path prefixes no evidence may cite
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.evidence import leading_problem

from tests.conftest import FIXTURES, ROOT, make_repo
from tests.test_report_schema import validate_report

CASES = sorted(p.parent for p in (FIXTURES / "levels").glob("*/expected.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_level_fixture(case: Path, tmp_path: Path) -> None:
    expected = yaml.load((case / "expected.yaml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds strings only
    repo = make_repo(case / "repo", tmp_path / case.name)
    target = repo / expected["subdir"] if expected.get("subdir") else repo
    res = CliRunner().invoke(main, ["scan", str(target), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    validate_report(report)
    answers = {q["id"]: q["answer"] for q in report["questions"]}
    assert answers == expected["answers"], {k: (answers[k], v) for k, v in expected["answers"].items() if answers.get(k) != v}
    assert report["level"] == int(expected["level"])
    for qid, paths in (expected.get("evidence") or {}).items():
        got = {e["path"] for q in report["questions"] if q["id"] == qid for e in q["evidence"]}
        for p in paths:
            assert p in got, f"{qid}: {p} not in evidence {sorted(got)}"
    for key, value in (expected.get("policy") or {}).items():
        assert str(report["policy"][key]) == value, (key, report["policy"])
    for reason in expected.get("skipped") or []:
        assert report["skipped"].get(reason, {}).get("count", 0) > 0, (reason, report["skipped"])
    for signal in expected.get("signals") or []:
        assert any(f["signal"] == signal for f in report["findings"]), signal
    for signal in expected.get("absent_signals") or []:
        assert not any(f["signal"] == signal for f in report["findings"]), signal
    for path_prefix in expected.get("never_cited") or []:
        cited = {e["path"] for f in report["findings"] for e in f["evidence"]}
        assert not any(p.startswith(path_prefix) for p in cited), path_prefix
    for q in report["questions"]:
        if q["answer"] == "yes" and not q["attested"]:
            assert q["evidence"], f"{q['id']} is yes without evidence"
            lead = q["evidence"][0]
            # the first item shows the practice on its own: not a bare key, bracket, block opener, step name, merge key or
            # comment, not an empty snippet, not a line in the middle of a continued statement
            cited = Path(report["target"].get("root") or target) / lead["path"]
            lines = cited.read_text("utf-8", "replace").splitlines() if cited.is_file() else []
            problem = leading_problem(lead, lines)
            assert not problem, f"{q['id']} leads with {lead['path']}:{lead['line']}: {problem}"
            named = (expected.get("evidence") or {}).get(q["id"])
            if named:  # and it is the file the fixture names for the question
                assert lead["path"] in named, f"{q['id']} leads with {lead['path']}, the fixture names {named}"


def test_readme_first_command_shows_what_the_fixture_expects(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's first command is one line that installs mlscan and scans a bundled example; run from the
    repository root (inside this Git repository, as a fresh checkout is) it must give the answers and level of that
    example's expected.yaml."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    first = block.splitlines()[0]
    assert first.startswith("python3 -m venv .venv && ") and "\\" not in first
    argv = shlex.split(first.rsplit("&&", 1)[1])
    assert argv[:2] == [".venv/bin/mlscan", "scan"]
    target = Path(argv[2])
    expected = yaml.load((ROOT / target.parent / "expected.yaml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506 - strings only
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(main, [*argv[1:], "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert {q["id"]: q["answer"] for q in report["questions"]} == expected["answers"]
    assert report["level"] == int(expected["level"])
    assert not [w for w in report["warnings"] if w["code"] == "ci-not-run"]
