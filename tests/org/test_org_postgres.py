"""Workers sharing one real PostgreSQL as their queue (FOR UPDATE SKIP LOCKED, leases).

The test starts its own cluster (Debian's postgresql: initdb + pg_ctl) in a temporary directory on a free port;
as root it runs the server as ``nobody``, since PostgreSQL refuses to run as root. Without PostgreSQL it skips
locally and FAILS on CI (CI=true): scripts/ci-deps.sh installs it."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.org.orgtools import level_repos, mlscan

pytest.importorskip("sqlalchemy", reason="org scans need the org extra (in the test extra)")
psycopg = pytest.importorskip("psycopg", reason="PostgreSQL needs psycopg (in the test extra)")

NAMES = ["l0-notebook-only", "l1-scripted", "l2-pipelines", "l3-platform", "l4-platform", "nearmiss-docs-namedrop",
         "nearmiss-commented-deploy", "monorepo-subdir"]


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


def _unavailable(msg: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " — CI must run the PostgreSQL tests (scripts/ci-deps.sh installs postgresql)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl) not installed: apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="mlscan-pg-"))
    user: str | None = None
    if os.geteuid() == 0:
        user = "nobody"
        uid = pwd.getpwnam(user).pw_uid
        os.chown(base, uid, -1)
    base.chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"
    env = {**os.environ, "LC_ALL": "C"}
    run = {"user": user, "env": env, "capture_output": True, "text": True, "cwd": base}
    cp = subprocess.run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], **run)
    if cp.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"initdb failed: {cp.stderr.strip()[-300:]}")
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    cp = subprocess.run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "-t", "60", "start"], **run)
    if cp.returncode != 0:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {cp.stderr.strip()[-300:]} {log[-300:]}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], **run)
        shutil.rmtree(base, ignore_errors=True)


def _db(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _results(url: str) -> list[tuple]:
    return sorted(_query(url, "select repo, subdir, status, level, yes_count, answers, head from scans"))


def _worker(url: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlscan", "org", "work", "--db", url, "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, **(env or {})})


def test_two_workers_give_the_results_of_one(postgres: str, tmp_path: Path) -> None:
    repos = level_repos(tmp_path / "r", NAMES)
    lst = tmp_path / "repos.txt"
    lst.write_text("\n".join(map(str, repos)) + "\n")
    one = _db(postgres, "one")
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", one, "--workers", "1")
    assert cp.returncode == 0, cp.stderr
    two = _db(postgres, "two")
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", two, "--enqueue-only", "--run-key", "nightly-1")
    assert cp.returncode == 0, cp.stderr
    workers = [_worker(two, "--run-key", "nightly-1") for _ in range(2)]
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    assert _results(two) == _results(one)
    assert len(_results(two)) == len(NAMES)
    # both workers took part, and each repository was claimed once
    assert len({w.split(":")[1] for (w,) in _query(two, "select worker from jobs")}) == 2
    assert _query(two, "select max(attempts), count(*) from jobs where status='done'") == [(1, len(NAMES))]
    assert _query(two, "select count(*) from runs where finished_at is not null") == [(1,)]


def test_a_worker_killed_mid_repository_loses_nothing(postgres: str, tmp_path: Path) -> None:
    repos = level_repos(tmp_path / "r", NAMES[:4])
    lst = tmp_path / "repos.txt"
    lst.write_text("\n".join(map(str, repos)) + "\n")
    url = _db(postgres, "killed")
    cp = mlscan("org", "scan", "--repos", str(lst), "--db", url, "--enqueue-only", "--run-key", "k")
    assert cp.returncode == 0, cp.stderr
    # worker A (another "machine": its pid cannot be checked from here) claims a repository and dies mid-scan
    a = _worker(url, "--run-key", "k", "--lease", "3", env={"MLSCAN_WORKER_NAME": "machine-a"})
    deadline = time.monotonic() + 120
    held = []
    while time.monotonic() < deadline and not held:
        held = _query(url, "select id from jobs where status='running' and worker like 'machine-a:%'")
        time.sleep(0.02)
    assert held, "worker A never claimed a repository"
    os.killpg(a.pid, signal.SIGKILL)
    a.communicate()
    (job_id,) = held[0]
    # worker B takes the rest at once, and A's repository when its lease has expired
    t0 = time.monotonic()
    b = _worker(url, "--run-key", "k", "--lease", "3")
    out, err = b.communicate(timeout=300)
    assert b.returncode == 0, err
    assert _query(url, f"select status, attempts, worker not like 'machine-a:%' from jobs where id={job_id}") == [("done", 2, True)]
    assert time.monotonic() - t0 >= 1.0
    assert sorted(n for (n,) in _query(url, "select count(*) from scans group by url")) == [1] * 4
    assert _query(url, "select status, count(*) from jobs group by status") == [("done", 4)]
