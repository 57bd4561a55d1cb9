"""Databricks asset bundles (not a detector): bundle variables resolved the way ``bundle deploy`` resolves them (a
target's override, else the variable's default), the documents that declare them for a job file, the code file a job
task runs, and the jobs whose tasks refresh a Lakehouse monitor (``quality_monitors.run_refresh``) with whether their
schedule is on."""

from __future__ import annotations

import re
from typing import Any

from ..index import FileEntry, FileIndex
from .commands import normpath
from .orchestration import YAML_GLOBS, line_of

BUNDLE_NAMES = ("databricks.yml", "databricks.yaml", "bundle.yml")

BUNDLE_VAR = re.compile(r"\$\{var\.([\w-]+)\}")
UNSET = object()


def bundle_settings(index: FileIndex, e: FileEntry) -> list[dict]:
    """The documents that can declare ``variables``/``targets`` for a bundle job file: the bundle roots (``databricks.yml``)
    in the job file's folder or above it, and the job file itself."""
    here = e.vpath.rsplit("/", 1)[0] + "/" if "/" in e.vpath else ""
    roots = [b for b in index.select(tuple(f"**/{n}" for n in BUNDLE_NAMES)) if here.startswith(b.vpath.rsplit("/", 1)[0] + "/" if "/" in b.vpath else "")]
    paths = dict.fromkeys([*(b.path for b in roots), e.path])
    return [doc for p in paths for doc in index.yaml(p) if isinstance(doc, dict)]


def var_value(v: Any) -> Any:
    """A variable's value as written: a scalar (the shorthand) or ``{default: ...}``; a ``lookup`` or a missing default
    is ``UNSET`` (only a deploy-time ``--var``/``BUNDLE_VAR_*`` gives it a value)."""
    if isinstance(v, dict):
        return v["default"] if "default" in v and not isinstance(v["default"], dict | list) else UNSET
    return UNSET if v is None or isinstance(v, list) else v


def pause_status(value: Any, docs: list[dict]) -> Any:
    """``pause_status`` with a bundle variable (``${var.schedule_pause_status}``) resolved the way ``bundle deploy`` does:
    each target's ``variables`` override, else the variable's ``default``. ``PAUSED`` only when every target (or, with no
    targets, the default) resolves to ``PAUSED``; an unresolvable variable is returned as written (today's reading)."""
    m = BUNDLE_VAR.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        return value
    name, default, targets = m.group(1), UNSET, []
    for doc in docs:
        decl = doc.get("variables")
        if isinstance(decl, dict) and name in decl:
            default = var_value(decl[name])
        if isinstance(doc.get("targets"), dict):
            targets += [t if isinstance(t, dict) else {} for t in doc["targets"].values()]
    got = []
    for t in targets or [{}]:
        over = t.get("variables")
        got.append(var_value(over[name]) if isinstance(over, dict) and name in over else default)
    if any(g is UNSET for g in got):
        return value
    return "PAUSED" if all(str(g).upper() == "PAUSED" for g in got) else "UNPAUSED"


def task_code(index: FileIndex, base: str, target: str) -> FileEntry | None:
    """The Python file a task's ``python_file``/``notebook_path`` names, relative to the file declaring the task (a
    source notebook's path may leave out ``.py``)."""
    if "${" in target or "{{" in target:
        return None
    for rel in (target,) if target.endswith(".py") else (f"{target}.py",):
        cand = normpath(f"{base}/{rel}" if base and not rel.startswith("/") else rel.lstrip("/"))
        hit = next(iter(index.select((cand,))), None)
        if hit is not None:
            return hit
    return None




_REFRESH_CALLS = (b"run_refresh",)  # ``w.quality_monitors.run_refresh(table_name=...)``, ``lakehouse_monitoring.run_refresh``


def schedule_on(job: dict, docs: list[dict]) -> bool | None:
    """Is a job's ``schedule`` (or ``trigger``) on? None when it has neither; a ``pause_status`` read through a bundle
    variable is resolved (``pause_status``)."""
    timed = [x for x in (job.get("schedule"), job.get("trigger")) if isinstance(x, dict)]
    if not timed:
        return None
    return any(str(pause_status(x.get("pause_status", ""), docs)).upper() != "PAUSED" for x in timed)


def refresh_jobs(index: FileIndex) -> list[tuple[str, int, bool]]:
    """(job file, line, schedule on) of the bundle jobs with a task whose code refreshes a Lakehouse monitor: what keeps a
    monitor created without its own schedule in operation."""

    def build() -> list[tuple[str, int, bool]]:
        out: list[tuple[str, int, bool]] = []
        for e in index.select(YAML_GLOBS):
            if e.test or not index.contains(e.path, (b"tasks",)) or not index.contains(e.path, (b"jobs",)):
                continue
            for doc in index.yaml(e.path):
                res = doc.get("resources") if isinstance(doc, dict) else None
                jobs = res.get("jobs") if isinstance(res, dict) else None
                for key, job in jobs.items() if isinstance(jobs, dict) else ():
                    if not isinstance(job, dict):
                        continue
                    base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
                    codes = [task_code(index, base, str(spec.get("python_file") or spec.get("notebook_path") or ""))
                             for t in job.get("tasks") or [] if isinstance(t, dict)
                             for spec in (t.get("spark_python_task"), t.get("notebook_task")) if isinstance(spec, dict)]
                    if any(c is not None and index.contains(c.path, _REFRESH_CALLS) for c in codes):
                        on = schedule_on(job, bundle_settings(index, e) if "${var." in str(job.get("schedule", "")) + str(job.get("trigger", "")) else [])
                        out.append((e.path, line_of(jobs, key) or 0, bool(on)))
        return out

    return index.memo("databricks-refresh-jobs", build)  # type: ignore[no-any-return]
