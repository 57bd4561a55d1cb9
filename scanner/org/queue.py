"""The work queue in the results database: runs, their jobs, claims with leases, idempotent completion.

A worker claims jobs with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers with
``BEGIN IMMEDIATE`` instead), holds them with a lease it renews while it works, and completes a job in one
transaction that writes the scan rows and the job's final state only while the job is still its own. A
worker that dies stops renewing: once its lease has expired, any worker takes the job again. A job's scan rows
are unique per (job, project), so a completion is never counted twice.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .interface import TERMINAL, Job, JobStatus, Outcome, Repo, RepoKind, Settings
from .store import Store, jobs, now, runs, scans

MAX_ATTEMPTS = 3  # a job whose worker died this many times is failed, not retried forever
RESUME_WINDOW = timedelta(hours=20)  # an unfinished run older than this is not resumed: tonight's run starts afresh


def _host() -> str:
    """This machine's name in worker ids: ``MLSCAN_WORKER_NAME`` (e.g. a pod name), else the host name."""
    return (os.environ.get("MLSCAN_WORKER_NAME") or socket.gethostname()).replace(":", "_")[:120]


def worker_id() -> str:
    """``host:pid:random``: unique per worker process; the host and pid let a rerun on the same machine
    see at once that a worker is gone."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    key: str
    settings: Settings
    total: int
    resumed: bool
    finished: bool


def _settings_json(s: Settings) -> str:
    return json.dumps(
        {"frameworks": list(s.frameworks), "rules": list(s.rules), "excludes": list(s.excludes), "use_attestations": s.use_attestations},
        sort_keys=True,
    )


def _settings_of(text: str) -> Settings:
    d = json.loads(text)
    return Settings(tuple(d["frameworks"]), tuple(d["rules"]), tuple(d["excludes"]), bool(d["use_attestations"]))


def _run_of(row: Any, resumed: bool) -> Run:
    return Run(row.id, row.key, _settings_of(row.settings), row.total, resumed, row.finished_at is not None)


def open_run(store: Store, *, key: str | None, source_hash: str, sources: Sequence[str], settings: Settings, repos: Sequence[Repo]) -> Run:
    """Resume the run with this key (or, without a key, the unfinished run of the last 20 hours with these
    sources and settings), else create it with one pending job per repository, in one transaction: the run and its jobs appear together."""
    with store.engine.begin() as conn:
        if key:
            row = conn.execute(select(runs).where(runs.c.key == key)).first()
        else:
            row = conn.execute(
                select(runs)
                .where(runs.c.source_hash == source_hash, runs.c.finished_at.is_(None), runs.c.settings == _settings_json(settings),
                       runs.c.started_at > now() - RESUME_WINDOW)
                .order_by(runs.c.id.desc())
                .limit(1)
            ).first()
        if row is not None:
            return _run_of(row, True)
    started = now()
    try:
        with store.engine.begin() as conn:
            run_id = conn.execute(
                insert(runs).values(
                    key=key or f"{source_hash[:16]}@{started.isoformat(timespec='microseconds')}",
                    source_hash=source_hash,
                    sources=json.dumps(list(sources)),
                    settings=_settings_json(settings),
                    started_at=started,
                    total=len(repos),
                )
            ).inserted_primary_key[0]
            if repos:
                conn.execute(
                    insert(jobs),
                    [
                        {
                            "run_id": run_id, "name": r.name, "url": r.url, "kind": str(r.kind), "subdir": r.subdir, "source": r.source,
                            "auth_host": r.auth_host, "status": "pending", "attempts": 0, "reason": "", "updated_at": started,
                        }
                        for r in repos
                    ],
                )
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
            return _run_of(row, False)
    except IntegrityError:  # another machine created the run with this key first
        with store.engine.begin() as conn:
            return _run_of(conn.execute(select(runs).where(runs.c.key == key)).one(), True)


def open_runs(store: Store, key: str | None = None) -> list[Run]:
    with store.engine.begin() as conn:
        q = select(runs).where(runs.c.finished_at.is_(None))
        if key:
            q = select(runs).where(runs.c.key == key)
        return [_run_of(r, True) for r in conn.execute(q.order_by(runs.c.id))]


def _dead_here(worker: str | None) -> bool:
    """A worker of this machine whose process is gone (a rerun after kill -9 need not wait for the lease)."""
    if not worker:
        return False
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != _host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(store: Store, run_id: int, worker: str, n: int, lease: float) -> list[Job]:
    """Up to ``n`` pending jobs (or running ones whose lease expired or whose worker on this machine is
    gone), now leased to ``worker``."""
    if n <= 0:
        return []
    t = now()
    with store.engine.begin() as conn:
        stale = conn.execute(
            select(jobs.c.id, jobs.c.worker).where(jobs.c.run_id == run_id, jobs.c.status == "running", jobs.c.lease_until >= t)
        ).all()
        for jid, w in stale:
            if _dead_here(w):
                conn.execute(update(jobs).where(jobs.c.id == jid, jobs.c.worker == w).values(lease_until=t - timedelta(seconds=1)))
        claimable = or_(jobs.c.status == "pending", and_(jobs.c.status == "running", jobs.c.lease_until < t))
        rows = conn.execute(
            select(jobs).where(jobs.c.run_id == run_id, claimable).order_by(jobs.c.id).limit(n).with_for_update(skip_locked=True)
        ).all()
        out: list[Job] = []
        for r in rows:
            if r.attempts >= MAX_ATTEMPTS:
                conn.execute(
                    update(jobs).where(jobs.c.id == r.id).values(
                        status="failed", reason=f"worker died {r.attempts} times on this repository", worker=worker, updated_at=t
                    )
                )
                continue
            conn.execute(
                update(jobs).where(jobs.c.id == r.id).values(
                    status="running", worker=worker, lease_until=t + timedelta(seconds=lease), attempts=r.attempts + 1, updated_at=t
                )
            )
            repo = Repo(r.name, r.url, RepoKind(r.kind), r.subdir, r.source, r.auth_host)
            out.append(Job(r.id, r.run_id, repo, r.attempts + 1))
        return out


def heartbeat(store: Store, worker: str, job_ids: Sequence[int], lease: float) -> None:
    if not job_ids:
        return
    with store.engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id.in_(list(job_ids)), jobs.c.worker == worker, jobs.c.status == "running")
            .values(lease_until=now() + timedelta(seconds=lease))
        )


def last_done(store: Store, repo: Repo) -> tuple[str | None, str | None, datetime | None]:
    """(head, fingerprint, when) of the newest job that scanned this repository completely."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(jobs.c.head, jobs.c.fingerprint, jobs.c.updated_at)
            .where(jobs.c.url == repo.url, jobs.c.subdir == repo.subdir, jobs.c.status == "done")
            .order_by(jobs.c.id.desc())
            .limit(1)
        ).first()
    return (row.head, row.fingerprint, row.updated_at) if row else (None, None, None)


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "framework": report.get("framework"),
        "level": report.get("level"),
        "level_name": report.get("level_name"),
        "yes_count": report.get("yes_count"),
        "answers": json.dumps({q["id"]: q["answer"] for q in report.get("questions") or []}),
        "radar": json.dumps([{"name": d.get("name"), "level": d.get("level")} for d in report.get("radar") or []]),
        "pitfalls": json.dumps(sorted({p.get("id") for p in report.get("pitfalls") or [] if p.get("id")})),
        "report": json.dumps(report, sort_keys=True),
    }


def complete(store: Store, job: Job, worker: str, outcome: Outcome, fingerprint: str) -> bool:
    """Record a job's outcome and scans in one transaction, only while the job is still leased to ``worker``
    (False when another worker took it over after the lease expired: its result will count instead)."""
    t = now()
    try:
        _complete(store, job, worker, outcome, fingerprint, t)
    except _Lost:
        return False
    return True


class _Lost(Exception):
    """The job is no longer this worker's."""


def _complete(store: Store, job: Job, worker: str, outcome: Outcome, fingerprint: str, t: datetime) -> None:
    with store.engine.begin() as conn:
        got = conn.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.worker == worker, jobs.c.status == "running")
            .values(
                status=str(outcome.status), head=outcome.head, fingerprint=fingerprint, reason=outcome.reason[:2000],
                seconds=round(outcome.seconds, 3), lease_until=None, updated_at=t,
            )
        )
        if got.rowcount != 1:
            raise _Lost
        rows = []
        for p in outcome.projects:
            row: dict[str, Any] = {
                "run_id": job.run_id, "job_id": job.id, "repo": job.repo.name + (f"/{p.subdir}" if p.subdir and p.subdir != job.repo.subdir else ""),
                "url": job.repo.url, "subdir": p.subdir, "head": outcome.head, "fingerprint": fingerprint, "scanned_at": t,
                "status": "ok" if p.ok else "failed", "reason": p.reason[:2000], "seconds": round(outcome.seconds, 3),
            }
            if p.ok and p.report is not None:
                row.update(_summary(p.report))
            rows.append(row)
        if outcome.status == JobStatus.FAILED and not rows:
            rows.append({
                "run_id": job.run_id, "job_id": job.id, "repo": job.repo.name, "url": job.repo.url, "subdir": job.repo.subdir,
                "head": outcome.head, "fingerprint": fingerprint, "scanned_at": t, "status": "failed", "reason": outcome.reason[:2000],
                "seconds": round(outcome.seconds, 3),
            })
        if rows:
            conn.execute(insert(scans), rows)


def counts(store: Store, run_id: int) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {s: n for s, n in conn.execute(select(jobs.c.status, func.count()).where(jobs.c.run_id == run_id).group_by(jobs.c.status))}


def finish_if_done(store: Store, run_id: int) -> bool:
    """Mark the run finished when every job is done, skipped or failed."""
    c = counts(store, run_id)
    if any(n for s, n in c.items() if s not in {str(x) for x in TERMINAL}):
        return False
    with store.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id, runs.c.finished_at.is_(None)).values(finished_at=now()))
    return True


def failures(store: Store, run_id: int) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(r.name, r.reason) for r in conn.execute(select(jobs.c.name, jobs.c.reason).where(jobs.c.run_id == run_id, jobs.c.status == "failed").order_by(jobs.c.id))]
