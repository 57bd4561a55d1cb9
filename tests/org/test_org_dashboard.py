"""mlscan org report: the dashboard from a database with history (scans ten days old, then a rescan in which one
project moved), rendered by headless Chromium (screenshot under test-artifacts/), and its CSV and JSON exports."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.org.orgtools import commit, git, level_repos, mlscan
from tests.reporters.test_html_browser import ARTIFACTS, _chromium, _Dom, _run

pytest.importorskip("sqlalchemy", reason="org scans need the org extra (in the test extra)")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("orgdash")
    repos = level_repos(tmp / "r", ["l1-scripted", "l2-pipelines", "l4-platform", "l0-notebook-only"])
    lst = tmp / "repos.txt"
    lst.write_text("\n".join(map(str, repos)) + "\nfile:///nonexistent/gone.git\n")
    db = tmp / "org.sqlite"
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db))
    assert cp.returncode == 0, cp.stderr
    con = sqlite3.connect(db)
    with con:  # that was ten days ago
        con.execute("update scans set scanned_at = datetime(scanned_at, '-10 days')")
        con.execute("update jobs set updated_at = datetime(updated_at, '-10 days')")
    con.close()
    # since then the scripted project grew into a pipeline project; the rest is unchanged but older than --max-age
    l1 = repos[0]
    for p in l1.iterdir():
        if p.name != ".git":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    shutil.copytree(repos[1], l1, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    commit(l1, {}, "pipelines")
    assert git(l1, "status", "--porcelain") == ""
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db))
    assert cp.returncode == 0, cp.stderr
    out = tmp / "site"
    cp = mlscan("org", "report", "--db", str(db), "-o", str(out))
    assert cp.returncode == 0, cp.stderr
    return db, out


def test_exports(dashboard: tuple[Path, Path]) -> None:
    db, out = dashboard
    data = json.loads((out / "mlscan-org.json").read_text())
    by = {p["repo"]: p for p in data["projects"]}
    assert by["l1-scripted"]["level"] == 2 and [h["level"] for h in by["l1-scripted"]["history"]] == [1, 2]
    assert [h["level"] for h in by["l4-platform"]["history"]] == [4, 4]
    assert by["nonexistent/gone"]["status"] == "failed" and "cannot list" in by["nonexistent/gone"]["reason"]
    assert data["level_distribution"] == {"L0": 1, "L1": 0, "L2": 2, "L3": 0, "L4": 1}
    (mover,) = data["movers"]
    assert mover["repo"] == "l1-scripted" and mover["from_level"] == 1 and mover["to_level"] == 2 and mover["delta"] > 0
    assert {p["id"] for p in data["pitfalls"]} >= set(by["l0-notebook-only"]["pitfalls"]) != set()
    assert [r["name"] for r in data["radar"]] == ["Automation", "Reproducibility", "Scalability", "Observability", "Governance"]
    rows = list(csv.DictReader((out / "mlscan-org.csv").open()))
    assert [r["repo"] for r in rows] == ["l0-notebook-only", "l1-scripted", "l2-pipelines", "l4-platform", "nonexistent/gone"]
    assert rows[3]["level"] == "4" and rows[3]["D1"] == "yes" and rows[3]["T4"] in ("yes", "partial", "no", "unknown")
    for p in data["projects"]:
        if p["report"]:
            page = (out / p["report"]).read_text()
            assert "Content-Security-Policy" in page and f"mlscan L{p['level']}" in page


def test_dashboard_in_chromium(dashboard: tuple[Path, Path]) -> None:
    browser = _chromium()
    _, out = dashboard
    page = out / "index.html"
    tmp = out.parent / "chromium"
    tmp.mkdir(exist_ok=True)
    dom = _run(browser, tmp, "--dump-dom", page.as_uri()).stdout
    parsed = _Dom()
    parsed.feed(dom)
    els = parsed.elements
    bars = {a["data-level"]: a["data-count"] for t, a in els if t == "g" and a.get("class") == "level-bar"}
    assert bars == {"0": "1", "1": "0", "2": "2", "3": "0", "4": "1"}
    projects = [a for t, a in els if t == "tr" and a.get("class") == "project"]
    assert [p["data-repo"] for p in projects] == ["l0-notebook-only", "l1-scripted", "l2-pipelines", "l4-platform", "nonexistent/gone"]
    sparks = [a for t, a in els if t == "svg" and a.get("class") == "sparkline"]
    assert [s["data-points"] for s in sparks] == ["2", "2", "2", "2"]
    assert any(t == "polygon" and a.get("class") == "radar-polygon" for t, a in els)
    assert [a["data-delta"] for t, a in els if t == "tr" and a.get("class") == "mover"][0].startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9"))
    assert [a for t, a in els if t == "li" and a.get("class") == "pitfall"]
    links = [a["href"] for t, a in els if t == "a" and a.get("class") == "report-link"]
    assert len(links) == 4 and all((out / h).is_file() for h in links)
    assert not [t for t, _ in els if t in ("script", "iframe")]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "org-dashboard.png"
    shot.unlink(missing_ok=True)
    _run(browser, tmp, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
