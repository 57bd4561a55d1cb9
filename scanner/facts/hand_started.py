"""Whether the root of a wiring chain runs only when a person starts it (not a detector): a CI job with no automatic
trigger (``workflow_dispatch`` alone, a manual job), or a Databricks bundle job with no ``schedule``, ``trigger`` or
``continuous`` setting that no other job's ``run_job_task`` and no CI ``bundle run`` starts. Code reached only that way
(a course's notebooks run by hand-started "test" jobs) ranks after code a push or a schedule runs."""

from __future__ import annotations

from typing import Any

from ..ci import ci_model
from ..index import FileIndex
from .ci_vocab import AUTOMATIC

_TIMED = ("schedule", "trigger", "continuous")


def hand_started(index: FileIndex, root: str) -> bool:
    """Does the wiring root ``root`` (``ci PATH:LINE``, ``databricks job PATH:LINE``) run only when started by hand?"""
    kind, _, where = root.rpartition(" ")
    path, _, at = where.rpartition(":")
    if not path or not at.isdigit():
        return False
    if kind == "ci":
        return _ci_by_hand(index, path, int(at))
    if kind == "databricks job":
        key = _job_at(index, path, int(at))
        return key is not None and key not in _started_jobs(index)
    return False


def _ci_by_hand(index: FileIndex, path: str, line: int) -> bool:
    for job in ci_model(index).jobs:
        if job.path == path and any(s.line == line for s in job.steps):
            return job.manual or not job.triggers & AUTOMATIC
    return False


def _bundle_jobs(index: FileIndex) -> list[tuple[str, str, int, Any]]:
    """(file, key, line, job) of every ``resources.jobs`` entry of the repository's YAML files."""
    out: list[tuple[str, str, int, Any]] = []
    for e in index.select(("**/*.yml", "**/*.yaml")):
        if not index.contains(e.path, (b"resources",)) or not index.contains(e.path, (b"tasks",)):
            continue
        for doc in index.yaml(e.path):
            res = doc.get("resources") if isinstance(doc, dict) else None
            jobs = res.get("jobs") if isinstance(res, dict) else None
            if isinstance(jobs, dict):
                out += [(e.path, str(k), getattr(j, "line", 0) or 0, j) for k, j in jobs.items() if isinstance(j, dict)]
    return out


def _job_at(index: FileIndex, path: str, line: int) -> str | None:
    """The key of the bundle job of ``path`` whose definition holds line ``line``."""
    before = sorted((ln, k) for p, k, ln, _ in _bundle_jobs(index) if p == path and 0 < ln <= line)
    return before[-1][1] if before else None


def _started_jobs(index: FileIndex) -> set[str]:
    """The bundle jobs something starts without a person: a ``schedule``, ``trigger`` or ``continuous`` setting, a CI
    command ``databricks bundle run <key>``, or another such job's ``run_job_task`` (``${resources.jobs.<key>.id}``)."""

    def build() -> set[str]:
        jobs = _bundle_jobs(index)
        runs = {k: {o for _p, o, _ln, _j in jobs if f"resources.jobs.{o}." in str(_run_job(j))} for _p, k, _ln, j in jobs}
        started = {k for _p, k, _ln, j in jobs if any(isinstance(j.get(t), dict) for t in _TIMED)}
        keys = {k for _p, k, _ln, _j in jobs}
        for job in ci_model(index).active_jobs():
            if job.manual or not job.triggers & AUTOMATIC:
                continue
            for _step, cmd in job.commands():
                if "bundle run" in cmd:
                    started |= keys & set(cmd.split())
        todo = list(started)
        while todo:
            for o in runs.get(todo.pop(), ()):
                if o not in started:
                    started.add(o)
                    todo.append(o)
        return started

    return index.memo("hand-started:bundle-jobs", build)  # type: ignore[no-any-return]


def _run_job(doc: Any) -> list[Any]:
    """Every ``run_job_task`` value in a job."""
    out: list[Any] = []
    todo = [doc]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            if "run_job_task" in x:
                out.append(x["run_job_task"])
            todo.extend(x.values())
        elif isinstance(x, list):
            todo.extend(x)
    return out
