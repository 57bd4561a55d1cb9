"""The order a new run queues its repositories in: the longest scans first.

Workers claim jobs in queue order, so queuing the longest first (longest-processing-time scheduling) keeps the
last minutes of a run from leaving one worker slot busy with a big repository while the others are idle. A
repository's expected time is its last complete scan's duration when one is on record, else, for a local
checkout, an estimate from the size of its Git index (which grows with the number of tracked files and their
paths), else the median of the others. Only the order changes: every repository is queued once, and
repositories of equal estimate keep the listing's order.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence

from sqlalchemy import func, select

from .interface import Repo, RepoKind
from .store import Store, jobs

# ~4,000 tracked files make ~500 KB of index and a first scan of ~2 s (bench_org.py's generated repositories);
# only the ranking matters, so one rate does
INDEX_BYTES_PER_SECOND = 250_000
START_SECONDS = 0.05


def _last_seconds(store: Store) -> dict[tuple[str, str], float]:
    """(url, subdir) -> seconds of the newest complete scan."""
    newest = select(func.max(jobs.c.id)).where(jobs.c.status == "done").group_by(jobs.c.url, jobs.c.subdir)
    with store.engine.connect() as conn:
        return {(r.url, r.subdir): float(r.seconds) for r in conn.execute(
            select(jobs.c.url, jobs.c.subdir, jobs.c.seconds).where(jobs.c.id.in_(newest), jobs.c.seconds.is_not(None)))}


def _index_estimate(repo: Repo) -> float | None:
    if repo.kind != RepoKind.LOCAL:
        return None
    try:
        size = os.stat(os.path.join(repo.url, ".git", "index")).st_size
    except OSError:
        return None
    return START_SECONDS + size / INDEX_BYTES_PER_SECOND


def expected_seconds(store: Store, repos: Sequence[Repo]) -> list[float]:
    last = _last_seconds(store) if repos else {}
    known: list[float | None] = [last.get((r.url, r.subdir)) or _index_estimate(r) for r in repos]
    values = [k for k in known if k is not None]
    fill = statistics.median(values) if values else 0.0
    return [fill if k is None else k for k in known]


def longest_first(store: Store, repos: Sequence[Repo]) -> list[Repo]:
    est = expected_seconds(store, repos)
    return [r for _, r in sorted(zip(est, repos, strict=True), key=lambda p: -p[0])]
