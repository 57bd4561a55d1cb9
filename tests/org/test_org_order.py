"""A new run queues the longest scans first: the last scan's duration when one is on record, else the size of a
local checkout's Git index, else the median of the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.org.orgtools import make_repo

pytest.importorskip("sqlalchemy", reason="org scans need the org extra (in the test extra)")

from mlscan.org import queue  # noqa: E402
from mlscan.org.interface import JobStatus, Outcome, Repo, RepoKind, Settings  # noqa: E402
from mlscan.org.order import longest_first  # noqa: E402
from mlscan.org.store import open_store  # noqa: E402


def _local(p: Path) -> Repo:
    return Repo(p.name, str(p), RepoKind.LOCAL)


def test_longest_first(tmp_path: Path) -> None:
    small = make_repo(tmp_path / "small", {"a.py": "x = 1\n"})
    big = make_repo(tmp_path / "big", {f"pkg/m{i}.py": "x = 1\n" for i in range(300)})
    medium = make_repo(tmp_path / "medium", {f"pkg/m{i}.py": "x = 1\n" for i in range(60)})
    remote = Repo("o/r", "https://example.com/o/r.git", RepoKind.URL, auth_host="example.com")
    store = open_store(f"sqlite:///{tmp_path / 'org.sqlite'}")
    try:
        repos = [_local(small), remote, _local(medium), _local(big)]
        # no history: index sizes rank the checkouts; the remote, unknown, gets their median (medium's) and, listed
        # before medium, stays before it
        assert [r.name for r in longest_first(store, repos)] == ["big", "o/r", "medium", "small"]
        # a recorded scan's duration counts instead: the small checkout took long last time
        run = queue.open_run(store, key="k", source_hash="h", sources=[], settings=Settings(), repos=[_local(small)])
        (job,) = queue.claim(store, run.id, "w", 1, 60)
        assert queue.complete(store, job, "w", Outcome(JobStatus.DONE, head="abc", seconds=120.0), "fp")
        assert [r.name for r in longest_first(store, repos)][0] == "small"
        assert sorted(r.name for r in longest_first(store, repos)) == sorted(r.name for r in repos)
    finally:
        store.close()
