"""mlscan org scan on one machine: real Git repositories served over file:// (blob-less shallow clones into the
clone cache) and local checkouts; skip of the unchanged, monorepo projects, failures that do not stop the run,
and kill -9 mid-run followed by a rerun that scans every repository exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.org.orgtools import bare, commit, git, level_repos, make_repo, mlscan, push, rows

pytest.importorskip("sqlalchemy", reason="org scans need the org extra (in the test extra)")
pytest.importorskip("git", reason="org scans need GitPython (in the test extra)")


@pytest.fixture
def remotes(tmp_path: Path) -> dict[str, tuple[Path, Path, str]]:
    """name -> (working tree, bare remote, file:// URL) for three fixture repositories and a monorepo."""
    work = tmp_path / "work"
    out = {}
    for w in level_repos(work, ["l1-scripted", "l2-pipelines", "l3-platform"]):
        b = tmp_path / "remotes" / f"{w.name}.git"
        out[w.name] = (w, b, bare(w, b))
    mono = make_repo(work / "mono", {
        ".mlscan.yml": "projects: [services/churn, services/fraud]\n",
        "services/churn/train.py": "import mlflow\nmlflow.log_metric('auc', 0.9)\n",
        "services/churn/requirements.txt": "mlflow==2.9.2\n",
        "services/fraud/README.md": "# fraud\n",
    })
    b = tmp_path / "remotes" / "mono.git"
    out["mono"] = (mono, b, bare(mono, b))
    return out


def _list(tmp_path: Path, lines: list[str]) -> Path:
    f = tmp_path / "repos.txt"
    f.write_text("# the org\n" + "\n".join(lines) + "\n")
    return f


def test_scan_skip_rescan_and_projects(tmp_path: Path, remotes: dict) -> None:
    local = make_repo(tmp_path / "local" / "notebooks", {"analysis.ipynb": json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}})})
    lines = [remotes[n][2] for n in ("l1-scripted", "l2-pipelines", "l3-platform", "mono")]
    lines += [f"{remotes['mono'][2]}#services/fraud", str(local), "file:///nonexistent/repo.git"]
    lst = _list(tmp_path, lines)
    db = tmp_path / "org.sqlite"
    cache = tmp_path / "cache"
    args = ["org", "scan", "--repos", str(lst), "--db", str(db), "--cache", str(cache), "--workers", "2"]
    cp = mlscan(*args)
    assert cp.returncode == 0, cp.stderr
    assert "7 repositories: 6 scanned, 0 unchanged, 1 failed" in cp.stdout
    # the unreachable URL: failed with its reason, the run went on
    fails = dict(rows(db, "select name, reason from jobs where status='failed'"))
    assert "cannot list file:///nonexistent/repo.git" in fails["nonexistent/repo"]
    levels = {repo.rsplit("/", 1)[-1]: lv for repo, lv in rows(db, "select repo, level from scans where status='ok'")}
    assert levels["l2-pipelines"] == 2 and levels["l3-platform"] == 3 and levels["l1-scripted"] == 1
    # the monorepo: one row per project listed in its .mlscan.yml, plus the #subdir line
    subs = sorted(rows(db, "select subdir, status from scans where url=?", remotes["mono"][2]))
    assert subs == [("services/churn", "ok"), ("services/fraud", "ok"), ("services/fraud", "ok")]
    report = json.loads(rows(db, "select report from scans where repo like '%/l2-pipelines'")[0][0])
    assert report["level"] == 2 and report["target"]["commit"] == git(remotes["l2-pipelines"][0], "rev-parse", "HEAD")
    assert report["target"]["remote"] == remotes["l2-pipelines"][2]
    # the clone cache holds blob-less shallow clones
    clone = next(p for p in cache.iterdir() if p.is_dir() and (p / "README.md").exists() and "l2" in git(p, "config", "--get", "remote.origin.url"))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    assert git(clone, "config", "--get", "remote.origin.partialclonefilter") == "blob:none"
    mtimes = {p: p.stat().st_mtime_ns for p in cache.iterdir()}

    # nothing changed: every reachable repository is skipped without touching the cache (its time per skip is
    # measured by benchmarks/bench_org.py, not here)
    cp = mlscan(*args)
    assert cp.returncode == 0, cp.stderr
    assert "7 repositories: 0 scanned, 6 unchanged, 1 failed" in cp.stdout
    assert {p: p.stat().st_mtime_ns for p in cache.iterdir()} == mtimes
    assert rows(db, "select count(*) from jobs where status='skipped' and reason like 'unchanged since %'")[0][0] == 6
    assert rows(db, "select count(*) from scans where status='ok'")[0][0] == 7  # a skip adds no scan row

    # one repository changes upstream: only it is fetched and scanned again; the old row stays (history)
    w, b, url = remotes["l1-scripted"]
    new = commit(w, {"tests/test_x.py": "def test_x():\n    assert True\n"})
    push(w, b)
    cp = mlscan(*args)
    assert "1 scanned, 5 unchanged, 1 failed" in cp.stdout, cp.stdout + cp.stderr
    heads = [h for (h,) in rows(db, "select head from scans where url=? order by id", url)]
    assert len(heads) == 2 and heads[-1] == new


def test_failures_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    repos = level_repos(tmp_path / "r", ["l4-platform", "l1-scripted"])
    # repositories whose scans take far longer than the timeout (300 tracked modules each: ~0.1-0.2 s on a quiet
    # machine; a level fixture can scan within a few hundredths of a second once the worker is warm)
    slow = [make_repo(tmp_path / "r" / f"slow{i}", {f"pkg/m{j}.py": f"import mlflow\nmlflow.log_metric('m{j}', {j})\n"
                                                    for j in range(300)}) for i in range(2)]
    lst = _list(tmp_path, [str(p) for p in slow])
    db = tmp_path / "org.sqlite"
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db), "--timeout", "0.01", "--workers", "1")
    assert cp.returncode == 0, cp.stderr
    reasons = [r for (r,) in rows(db, "select reason from jobs where status='failed'")]
    assert reasons == ["timed out after 0.01 s"] * 2
    # a 1 MB Python file needs a few hundred MB to parse: over a 160 MB limit the repository fails, the others not
    big = make_repo(tmp_path / "r" / "huge", {"train.py": "import mlflow\n" + "".join(f"mlflow.log_metric('m{j}', {j} + x * y)\n" for j in range(22000))})
    lst = _list(tmp_path, [str(big), *map(str, repos)])
    db2 = tmp_path / "org2.sqlite"
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db2), "--memory-limit", "160M", "--workers", "1")
    assert cp.returncode == 0, cp.stderr
    assert rows(db2, "select name, reason from jobs where status='failed'") == [("huge", "memory limit of 160 MiB exceeded")]
    assert rows(db2, "select count(*) from jobs where status='done'")[0][0] == 2
    # failed repositories are not "unchanged": a rerun scans them again
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db2), "--workers", "1", "--memory-limit", "160M")
    assert "0 scanned, 2 unchanged, 1 failed" in cp.stdout, cp.stdout + cp.stderr


def test_kill_9_mid_run_then_rerun_scans_each_repository_once(tmp_path: Path) -> None:
    names = ["l0-notebook-only", "l1-scripted", "l2-pipelines", "l3-platform", "l4-platform", "nearmiss-docs-namedrop",
             "nearmiss-commented-deploy", "monorepo-subdir"]
    repos = level_repos(tmp_path / "r", names)
    lst = _list(tmp_path, [str(p) for p in repos])
    db = tmp_path / "org.sqlite"
    args = [sys.executable, "-m", "mlscan", "org", "scan", "--repos", str(lst), "--db", str(db), "--workers", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db.exists():
            try:
                done = rows(db, "select count(*) from jobs where status='done'")[0][0]
                busy = rows(db, "select count(*) from jobs where status='running'")[0][0]
            except Exception:  # the schema is still being created
                done = busy = 0
            if done >= 1 and busy >= 1:
                break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the first run never got going")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = rows(db, "select count(*) from scans")[0][0]
    assert 1 <= before < len(names)
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(db), "--workers", "2")
    assert cp.returncode == 0, cp.stderr
    assert "resuming run" in cp.stderr
    per_repo = rows(db, "select url, count(*) from scans group by url order by url")
    assert [n for _, n in per_repo] == [1] * len(names), per_repo
    assert rows(db, "select status, count(*) from jobs group by status") == [("done", len(names))]
    assert rows(db, "select count(*) from runs where finished_at is not null")[0][0] == 1


def test_facts_cache_is_recorded_by_rescans_not_by_first_scans(tmp_path: Path) -> None:
    repos = level_repos(tmp_path / "r", ["l1-scripted", "l2-pipelines"])
    lst = _list(tmp_path, [str(p) for p in repos])
    facts = tmp_path / "facts"
    env = {"MLSCAN_CACHE_DIR": str(facts)}
    args = ["org", "scan", "--repos", str(lst), "--db", str(tmp_path / "org.sqlite"), "--workers", "2"]

    def entries() -> int:
        db = facts / "facts.sqlite3"
        return rows(db, "select count(*) from entries")[0][0] if db.exists() else 0

    cp = mlscan(*args, env=env)
    assert "2 scanned, 0 unchanged" in cp.stdout, cp.stdout + cp.stderr
    assert entries() == 0  # first scans record nothing (and the worker's warm-up scan neither)
    commit(repos[0], {"tests/test_x.py": "def test_x():\n    assert True\n"})
    cp = mlscan(*args, env=env)
    assert "1 scanned, 1 unchanged" in cp.stdout, cp.stdout + cp.stderr
    recorded = entries()
    assert recorded > 0  # a rescan of a changed repository records its facts for the next change
    # --facts-cache all: a first scan records too; none: nothing is read or written
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(tmp_path / "all.sqlite"), "--facts-cache", "all", env=env)
    assert "2 scanned" in cp.stdout, cp.stdout + cp.stderr
    assert entries() > recorded
    other = tmp_path / "none"
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", str(tmp_path / "none.sqlite"), "--facts-cache", "none", env={"MLSCAN_CACHE_DIR": str(other)})
    assert "2 scanned" in cp.stdout, cp.stdout + cp.stderr
    assert not other.exists()
