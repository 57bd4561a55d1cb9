"""Pitfalls: every pitfall in rules/pitfalls.yaml has a positive and a near-miss fixture
(fixtures/pitfalls/<id>/{positive,near_miss}/: a repo/ tree and the findings the detectors report on it).

The unit test scores checklist20 over exactly those findings and checks the pitfall (fires or not, evidence
paths, what is missing). The end-to-end test scans repo/ and must agree once the installed detectors report
every listed finding (skipped, naming the missing signals, while they do not)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.scoring.conditions import Findings
from mlscan.scoring.pitfalls import find_pitfalls, load_pitfalls

from tests.conftest import FIXTURES, make_repo
from tests.synth import from_rows, load_rows, score
from tests.test_report_schema import validate_report

PITFALLS = load_pitfalls()
IDS = [p.id for p in PITFALLS.pitfalls]
CASES = [(pid, kind) for pid in IDS for kind in ("positive", "near_miss")]


def _case(pid: str, kind: str) -> dict:
    path = FIXTURES / "pitfalls" / pid / kind / "findings.yaml"
    assert path.exists(), f"pitfall {pid} needs fixtures/pitfalls/{pid}/{kind}/findings.yaml"
    return load_rows(path)


def test_every_pitfall_is_declared_with_a_seed_source() -> None:
    assert PITFALLS.framework == "checklist20"
    assert set(IDS) == {
        "kubernetes-trap", "all-the-tools", "data-versioning-mistake", "monitoring-afterthought",
        "heroic-data-scientist", "deployment-afterthought", "infra-only-monitoring", "set-and-forget-retraining",
        "tool-overload", "feature-store-before-features", "kubernetes-before-scale",
    }
    for p in PITFALLS.pitfalls:
        assert p.source.startswith("seed 00") and p.why and p.fix and p.title
    fixtures = {d.name for d in (FIXTURES / "pitfalls").iterdir() if d.is_dir()}
    assert fixtures == set(IDS)


@pytest.mark.parametrize(("pid", "kind"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_pitfall_on_findings(pid: str, kind: str) -> None:
    case = _case(pid, kind)
    found = from_rows(case["findings"])
    basis = score("checklist20", found)
    hits = {h.pitfall.id: h for h in find_pitfalls(Findings(found), basis)}
    expect = case["expect"]
    assert (pid in hits) == expect["fires"], f"{pid} {kind}: fired={pid in hits}, level {basis.level}"
    if not expect["fires"]:
        return
    hit = hits[pid]
    paths = {e.path for e in hit.evidence}
    assert set(expect.get("evidence", [])) <= paths, paths
    if "missing" in expect:
        assert [m.question or m.text for m in hit.missing] == expect["missing"]
    js = hit.to_json()
    assert set(js) >= {"id", "title", "source", "why", "fix", "evidence", "missing"}
    assert js["evidence"] and all({"path", "line", "snippet"} <= set(e) for e in js["evidence"])


@pytest.mark.parametrize(("pid", "kind"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_pitfall_end_to_end(pid: str, kind: str, tmp_path: Path) -> None:
    case = _case(pid, kind)
    repo = make_repo(FIXTURES / "pitfalls" / pid / kind / "repo", tmp_path / "repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    validate_report(report)
    got = {(f["signal"], e["path"]) for f in report["findings"] for e in f["evidence"][:1]}
    missing = sorted({(r[0], r[1]) for r in case["findings"]} - got)
    if missing:
        pytest.skip(f"detectors do not report these yet: {missing}")
    fired = {p["id"] for p in report["pitfalls"]}
    assert (pid in fired) == case["expect"]["fires"], fired


def test_pitfalls_in_reports(repo_from) -> None:
    """The k8s/flask/pickle near-miss level fixture is the Kubernetes trap, if the detectors see the cluster."""
    repo = repo_from("levels/nearmiss-k8s-flask-pickle/repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "-f", "json"])
    report = json.loads(res.output)
    assert isinstance(report["pitfalls"], list)
    if not any(f["signal"] in ("infra.kubernetes", "serving.k8s") for f in report["findings"]):
        pytest.skip("no Kubernetes detector installed")
    trap = next(p for p in report["pitfalls"] if p["id"] == "kubernetes-trap")
    assert trap["evidence"][0]["path"] == "k8s/deployment.yaml"
    assert [m["question"] for m in trap["missing"]] == ["D1", "E1"]
    md = CliRunner().invoke(main, ["scan", str(repo), "-f", "markdown"]).output
    assert "## Pitfalls" in md and "The Kubernetes trap" in md and "`k8s/deployment.yaml" in md
    term = CliRunner().invoke(main, ["scan", str(repo)]).output
    assert "Pitfall The Kubernetes trap" in term
