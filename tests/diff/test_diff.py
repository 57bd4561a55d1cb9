"""mlscan diff: two refs read without a checkout, or two JSON reports; gates; schema; renderers."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from mlscan.diff.compare import compare
from mlscan.diff.refs import scan_refs
from mlscan.diff.render import code, markdown, terminal
from mlscan.diff.scope import in_scope
from mlscan.engine import ScanOptions
from mlscan.report import build_report

from tests.prrepo import commit_all, git, make_pr_repo

SCHEMA = json.loads(resources.files("mlscan").joinpath("schemas/diff.schema.json").read_text())


def mlscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlscan", *args], capture_output=True, text=True, cwd=cwd)


def _valid(doc: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.fixture(scope="module")
def pr_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    return make_pr_repo(tmp_path_factory.mktemp("pr") / "repo")


def test_refs_diff_names_the_dropped_practice_and_its_evidence(pr_repo) -> None:
    repo, base, head = pr_repo
    status_before = git(repo, "status", "--porcelain", "--untracked-files=all")
    b, h = scan_refs(str(repo), "main", "pr", ScanOptions(jobs=1))
    assert (b.commit, h.commit, h.reused) == (base, head, False)
    assert b.result.target.root == repo.resolve() and b.result.target.commit == base  # not the temporary export
    doc = compare(build_report(b.result), build_report(h.result), base_ref="main", head_ref="pr")
    _valid(doc)
    assert doc["yes_count"]["change"] == -1 and doc["level"]["base"] >= doc["level"]["head"]
    [change] = doc["frameworks"][0]["changes"]
    assert (change["id"], change["base"], change["head"], change["direction"]) == ("D4", "yes", "no", "worse")
    assert [e["path"] for e in change["evidence_removed"]] == ["src/validate.py"] and change["evidence_added"] == []
    assert doc["regressions"][-1] == "checklist20 D4: yes -> no" and doc["regressed"]
    # nothing was checked out or written into the repository
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == status_before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "pr"


def test_head_defaults_to_the_work_tree(pr_repo, tmp_path: Path) -> None:
    repo, base, head = pr_repo
    r = mlscan("diff", str(repo), "--base", base, "-f", "json", "-o", str(tmp_path / "d.json"))
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "d.json").read_text())
    _valid(doc)
    assert doc["head"]["ref"] is None and doc["head"]["commit"] == head and doc["head"]["dirty"] is False
    assert [c["id"] for c in doc["frameworks"][0]["changes"]] == ["D4"]


def test_gates_exit_one_naming_the_regressions(pr_repo) -> None:
    repo, base, _ = pr_repo
    r = mlscan("diff", str(repo), "--base", base, "--head", "pr", "--fail-on-regression")
    assert r.returncode == 1
    assert r.stderr.startswith("mlscan: regression: ") and "checklist20 D4: yes -> no" in r.stderr
    assert "D4: yes -> no (worse)" in r.stdout
    r = mlscan("diff", str(repo), "--base", base, "--head", "pr", "--fail-under", "L4")
    assert r.returncode == 1 and "is below L4" in r.stderr
    r = mlscan("diff", str(repo), "--base", "pr", "--head", base, "--fail-on-regression", "--fail-under", "L1")
    assert r.returncode == 0, r.stderr  # the reverse change is an improvement
    assert "D4: no -> yes (better)" in r.stdout


def test_json_reports_give_the_same_diff(pr_repo, tmp_path: Path) -> None:
    repo, base, head = pr_repo
    git(repo, "checkout", "-q", base)
    try:
        assert mlscan("scan", str(repo), "-f", "json", "-o", str(tmp_path / "b.json")).returncode == 0
    finally:
        git(repo, "checkout", "-q", "pr")
    assert mlscan("scan", str(repo), "-f", "json", "-o", str(tmp_path / "h.json")).returncode == 0
    r = mlscan("diff", str(tmp_path / "b.json"), str(tmp_path / "h.json"), "-f", "json", "--fail-on-regression")
    assert r.returncode == 1
    from_files = json.loads(r.stdout)
    _valid(from_files)
    b, h = scan_refs(str(repo), base, head, ScanOptions(jobs=1))
    from_refs = compare(build_report(b.result), build_report(h.result))
    assert from_files["frameworks"] == from_refs["frameworks"]
    assert from_files["pitfalls"] == from_refs["pitfalls"]


def test_moved_lines_are_not_a_change(tmp_path: Path) -> None:
    repo, _, _ = make_pr_repo(tmp_path / "repo")
    git(repo, "checkout", "-q", "main")
    for rel in ("src/validate.py", "src/train.py", ".github/workflows/ci.yml", "dvc.yaml"):
        p = repo / rel
        p.write_text("# moved\n\n\n" + p.read_text())
    commit_all(repo, "shift every line")
    b, h = scan_refs(str(repo), "main~1", "main", ScanOptions(jobs=1))
    doc = compare(build_report(b.result), build_report(h.result))
    assert all(f["changes"] == [] for f in doc["frameworks"]) and not doc["regressed"]
    assert doc["pitfalls"] == {"added": [], "removed": []}


def test_subdirectory_target_and_reuse(tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "mono", prefix="services/churn")
    (repo / "services" / "other").mkdir(parents=True)
    (repo / "services" / "other" / "notes.md").write_text("unrelated\n")
    commit_all(repo, "touch another project")
    # services/churn's own file was deleted in pr: a change
    b, h = scan_refs(str(repo / "services" / "churn"), base, "pr", ScanOptions(jobs=1))
    assert b.result.target.subdir == "services/churn" and not h.reused
    doc = compare(build_report(b.result), build_report(h.result))
    assert [c["id"] for c in doc["frameworks"][0]["changes"]] == ["D4"]
    # pr -> HEAD only touched services/other: the base scan is reused, relabelled with the head commit
    b, h = scan_refs(str(repo / "services" / "churn"), "pr", None, ScanOptions(jobs=1))
    assert h.reused and h.result.target.commit == git(repo, "rev-parse", "HEAD")
    assert compare(build_report(b.result), build_report(h.result))["frameworks"][0]["changes"] == []
    assert in_scope("services/churn", ".github/workflows/ci.yml") and in_scope("services/churn", "CODEOWNERS")
    assert not in_scope("services/churn", "services/other/notes.md") and in_scope("", "anything.txt")


def test_renderers(pr_repo, golden) -> None:
    repo, base, head = pr_repo
    b, h = scan_refs(str(repo), "main", "pr", ScanOptions(jobs=1))
    doc = compare(build_report(b.result), build_report(h.result), base_ref="main", head_ref="pr")
    golden.check("diff.md", markdown(doc))
    golden.check("diff.txt", terminal(doc))
    assert "Evidence cut; the full report: https://x.test/r" in markdown(doc, evidence_limit=0, report_url="https://x.test/r")


def test_code_span_holds_any_snippet() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("<img src=x>\n| y") == "`<img src=x> | y`"


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent-dir-xyz", "--base", "HEAD"], "path does not exist"),
        (["{repo}", "--base", "no-such-ref"], "unknown Git ref 'no-such-ref'"),
        (["{repo}", "--base", "--upload-pack=x"], "unknown Git ref"),
        (["{tmp}", "--base", "HEAD"], "not inside a Git repository"),
        (["{tmp}/bad.json", "{tmp}/bad.json"], "not a JSON report"),
        (["{tmp}/other.json", "{tmp}/other.json"], "not an mlscan JSON report"),
        (["{tmp}/missing.json", "{tmp}/missing.json"], "cannot read"),
        (["{repo}"], "give two JSON reports"),
    ],
)
def test_bad_input_is_one_line_exit_2(pr_repo, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "other.json").write_text("[1]")
    repo = pr_repo[0]
    r = mlscan("diff", *[a.format(repo=repo, tmp=tmp_path) for a in args])
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_head_report_and_sarif_side_outputs(pr_repo, tmp_path: Path) -> None:
    repo, base, head = pr_repo
    r = mlscan("diff", str(repo), "--base", base, "--head", "pr", "-f", "markdown", "-o", str(tmp_path / "d.md"),
               "--head-json", str(tmp_path / "h.json"), "--sarif", str(tmp_path / "h.sarif"), "--report-url", "https://ci.example/run/1",
               "--evidence-limit", "0")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "h.json").read_text())["target"]["commit"] == head
    assert json.loads((tmp_path / "h.sarif").read_text())["version"] == "2.1.0"
    assert "Evidence cut; the full report: https://ci.example/run/1" in (tmp_path / "d.md").read_text()
    r = mlscan("diff", str(tmp_path / "h.json"), str(tmp_path / "h.json"), "--sarif", str(tmp_path / "x.sarif"))
    assert r.returncode == 2 and "need PATH --base REF" in r.stderr


def test_uncommitted_changes_are_named(tmp_path: Path) -> None:
    repo, base, _ = make_pr_repo(tmp_path / "repo")
    (repo / "notes.md").write_text("work in progress\n")
    r = mlscan("diff", str(repo), "--base", base)
    assert r.returncode == 0 and r.stdout.startswith(f"mlscan diff .: {base} -> ") and "+ uncommitted changes" in r.stdout.splitlines()[0]


def test_a_caveat_that_caps_an_answer_shows_in_the_comment() -> None:
    """The compact PR comment names the caveat that holds a head answer at partial, beside the answer change."""
    from tests.report_sample import sample_result

    head = build_report(sample_result(extras=False))
    base = json.loads(json.dumps(head))
    for questions in (base["questions"], base["frameworks"]["checklist20"]["questions"]):
        o2 = next(q for q in questions if q["id"] == "O2")
        o2["answer"] = "yes"
        o2.pop("capped_by")
    doc = compare(base, head)
    _valid(doc)
    change = next(c for c in doc["frameworks"][0]["changes"] if c["id"] == "O2")
    assert change["capped_by"] == ["optional: runs only when enabled or installed"]
    row = next(line for line in markdown(doc).splitlines() if line.startswith("| **O2**"))
    assert "🟡 partial ⚠ optional |" in row
    assert "capped by: optional" in terminal(doc)


def test_a_scan_without_base_names_the_answers_a_caveat_caps() -> None:
    """The comment of a project with no base to compare with stays two lines, plus one naming capped answers."""
    from mlscan.pr.check import _scan_section

    from tests.report_sample import sample_result

    report = build_report(sample_result(extras=False))
    section = _scan_section(report)
    assert "no base to compare with" in section
    assert "⚠ Held at partial by a caveat: **O2** optional" in section
    for q in report["questions"]:
        q.pop("capped_by", None)
    assert "Held at partial" not in _scan_section(report)
