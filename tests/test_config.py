""".mlscan.yml: excludes and attestations; malformed config is `file:line: message` and exit 2; expired
attestations warn and do not count; --no-attestations ignores them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import FIXTURES, make_repo
from tests.test_report_schema import validate_report

FUTURE = (date.today() + timedelta(days=365)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()


def _repo(tmp_path: Path, config: str | None, subdir: str = "") -> Path:
    src = tmp_path / "src"
    import shutil

    shutil.copytree(FIXTURES / "levels/l0-notebook-only/repo", src / subdir if subdir else src)
    if config is not None:
        (src / subdir / ".mlscan.yml").write_text(config)
    return make_repo(src, tmp_path / "repo")


def _scan(path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["scan", str(path), "-f", "json", *args])
    return res.exit_code, res.output


def _q(report: dict, qid: str, framework: str | None = None) -> dict:
    qs = report["frameworks"][framework]["questions"] if framework else report["questions"]
    return next(q for q in qs if q["id"] == qid)


VALID = f"""\
# attestations for what no file can show
exclude:
  - "scratch/**"
attestations:
  - question: T3
    answer: yes
    reason: retraining and rollback runbook lives in the ops wiki (OPS-112)
    owner: ml-platform@acme.example
    expires: {FUTURE}
  - question: MM5.feature_discovery
    framework: mm5
    answer: yes
    reason: featuretools search runs nightly on the shared platform
    owner: ml-platform@acme.example
"""


def test_valid_config_attests_with_evidence(tmp_path: Path) -> None:
    repo = _repo(tmp_path, VALID)
    (repo / "scratch").mkdir()
    (repo / "scratch" / "try.py").write_text("import mlflow\n")
    code, out = _scan(repo, "--framework", "checklist20", "--framework", "mm5")
    assert code == 0, out
    report = json.loads(out)
    validate_report(report)
    t3 = _q(report, "T3")
    assert t3["answer"] == "yes" and t3["attested"] is True
    ev = t3["evidence"][0]
    assert (ev["path"], ev["line"], ev["source"], ev["detector"]) == (".mlscan.yml", 5, "attested", "attestation")
    assert "question: T3" in ev["snippet"]
    assert "ml-platform@acme.example" in t3["reason"] and "OPS-112" in t3["reason"]
    assert _q(report, "MM5.feature_discovery", "mm5")["answer"] == "yes"
    atts = {a["question"]: a for a in report["attestations"]}
    assert atts["T3"]["status"] == "active" and atts["T3"]["expires"] == FUTURE and atts["T3"]["line"] == 5
    assert atts["MM5.feature_discovery"]["framework"] == "mm5" and atts["MM5.feature_discovery"]["expires"] is None
    assert report["policy"]["config"] == ".mlscan.yml"
    assert "scratch/try.py" in report["skipped"]["excluded"]["examples"]


def test_expired_attestation_warns_and_does_not_count(tmp_path: Path) -> None:
    repo = _repo(tmp_path, VALID.replace(FUTURE, PAST))
    code, out = _scan(repo)
    assert code == 0, out
    report = json.loads(out)
    t3 = _q(report, "T3")
    assert t3["answer"] == "no" and t3["attested"] is False
    assert next(a for a in report["attestations"] if a["question"] == "T3")["status"] == "expired"
    warn = [w for w in report["warnings"] if w["code"] == "attestation-expired"]
    assert warn and warn[0]["path"] == ".mlscan.yml" and PAST in warn[0]["message"]


def test_no_attestations_flag_ignores_them(tmp_path: Path) -> None:
    repo = _repo(tmp_path, VALID)
    code, out = _scan(repo, "--no-attestations")
    assert code == 0, out
    report = json.loads(out)
    assert _q(report, "T3")["answer"] == "no" and not _q(report, "T3")["attested"]
    assert {a["status"] for a in report["attestations"]} == {"ignored"}
    assert report["policy"]["attestations"] == "ignored"


def test_attested_no_overrides_a_found_yes(tmp_path: Path) -> None:
    cfg = "attestations:\n  - {question: M1, answer: partial, reason: the cron is paused during the migration, owner: dana}\n"
    repo = _repo(tmp_path, cfg)
    code, out = _scan(repo)
    report = json.loads(out)
    m1 = _q(report, "M1")
    assert code == 0 and m1["answer"] == "partial" and m1["attested"] and "the scan alone found: no" in m1["reason"]


def test_invalid_config_is_file_line_exit_2(tmp_path: Path) -> None:
    cfg = "attestations:\n  - question: T1\n    answer: yes\n    reason: onboarding buddy\n"
    repo = _repo(tmp_path, cfg)
    code, out = _scan(repo)
    assert code == 2 and "Traceback" not in out
    assert f"{repo}/.mlscan.yml:2: 'owner' is a required property (attestation 1)" in out


def test_config_errors_point_at_the_line(tmp_path: Path) -> None:
    cases = {
        "exclude: scratch\n": ":1: 'scratch' is not of type 'array'",
        "attestations:\n  - {question: T1, answer: maybe, reason: x, owner: y}\n": ":2: 'maybe' is not one of",
        "attestations:\n  - question: Z9\n    answer: yes\n    reason: x\n    owner: y\n": ":2: unknown question 'Z9'",
        "attestations:\n  - {question: T1, answer: yes, reason: x, owner: y, expires: 2025-02-30}\n": ":2: 'expires' is not a valid date",
        "attestations:\n  - {question: T1, answer: yes, reason: x, owner: y, framework: nope}\n": ":2: unknown framework 'nope'",
        "attestations:\n  - {question: T1, answer: yes, reason: x, owner: y}\n  - {question: T1, answer: no, reason: z, owner: y}\n":
            ":3: question T1 is attested twice (first on line 2)",
        "attestations:\n  - question: T1\n    answer: yes\n   reason: bad indent\n": ":4: invalid YAML",
        "unknown_key: 1\n": ":1: Additional properties are not allowed ('unknown_key' was unexpected)",
    }
    for i, (cfg, want) in enumerate(cases.items()):
        repo = _repo(tmp_path / str(i), cfg)
        code, out = _scan(repo)
        assert code == 2, (cfg, out)
        assert f".mlscan.yml{want}" in out, (cfg, out)
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_project_config_wins_over_root(tmp_path: Path) -> None:
    src = tmp_path / "src"
    import shutil

    shutil.copytree(FIXTURES / "levels/l0-notebook-only/repo", src / "services" / "churn")
    (src / ".mlscan.yml").write_text("attestations:\n  - {question: T1, answer: yes, reason: root, owner: a}\n")
    (src / "services" / "churn" / ".mlscan.yml").write_text("attestations:\n  - {question: T4, answer: yes, reason: project, owner: b}\n")
    repo = make_repo(src, tmp_path / "repo")
    code, out = _scan(repo / "services" / "churn")
    report = json.loads(out)
    assert code == 0 and report["policy"]["config"] == "services/churn/.mlscan.yml"
    assert _q(report, "T4")["attested"] and not _q(report, "T1")["attested"]
    # without a project config the root one applies to the subdirectory project
    (repo / "services" / "churn" / ".mlscan.yml").unlink()
    report = json.loads(_scan(repo / "services" / "churn")[1])
    assert report["policy"]["config"] == ".mlscan.yml" and _q(report, "T1")["attested"]


def test_no_config_and_empty_config(tmp_path: Path) -> None:
    code, out = _scan(_repo(tmp_path / "a", None))
    assert code == 0 and json.loads(out)["attestations"] == []
    code, out = _scan(_repo(tmp_path / "b", "# nothing yet\n"))
    assert code == 0 and json.loads(out)["attestations"] == []
