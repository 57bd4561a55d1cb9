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




_REFRESH_CALLS = (b"run_refresh", b"create_refresh")  # ``w.quality_monitors.run_refresh(table_name=...)``, ``lakehouse_monitoring.run_refresh``, ``w.data_quality.create_refresh(...)``


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


_TASK_SPECS = ("spark_python_task", "notebook_task", "python_wheel_task")
_JOB_PARAM = re.compile(r"\{\{\s*job\.parameters\.([\w-]+)\s*\}\}")


def variable_parameters(index: FileIndex) -> list[tuple[str, int, str, str, FileEntry | None, str]]:
    """Bundle job task parameters that carry a bundle variable: (job file, line, variable, the option or widget name the
    task's code reads it by, the task's code file or None, task key). ``["--git_sha", "${var.git_sha}"]`` and
    ``"--git_sha=${var.git_sha}"`` give ``git_sha``; ``base_parameters``/``named_parameters`` give their key; a job
    parameter ``{name: sha, default: ${var.git_sha}}`` is followed into the task parameters naming
    ``{{job.parameters.sha}}``."""

    def build() -> list[tuple[str, int, str, str, FileEntry | None, str]]:
        out: list[tuple[str, int, str, str, FileEntry | None, str]] = []
        for e in index.select(YAML_GLOBS):
            if e.test or not index.contains(e.path, (b"${var.",)) or not index.contains(e.path, (b"tasks",)):
                continue
            base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
            for doc in index.yaml(e.path):
                res = doc.get("resources") if isinstance(doc, dict) else None
                jobs = res.get("jobs") if isinstance(res, dict) else None
                for job in jobs.values() if isinstance(jobs, dict) else ():
                    if not isinstance(job, dict):
                        continue
                    job_vars = {str(p["name"]): m.group(1) for p in job.get("parameters") or [] if isinstance(p, dict) and "name" in p
                                and (m := BUNDLE_VAR.search(str(p.get("default", ""))))}
                    for t in job.get("tasks") or []:
                        for kind in _TASK_SPECS:
                            spec = t.get(kind) if isinstance(t, dict) else None
                            if isinstance(spec, dict):
                                code = task_code(index, base, str(spec.get("python_file") or spec.get("notebook_path") or ""))
                                for line, var, key in _bound(spec, job_vars):
                                    out.append((e.path, line, var, key, code, str(t.get("task_key", ""))))
        return out

    return index.memo("databricks-variable-parameters", build)  # type: ignore[no-any-return]


def _var_of(value: Any, job_vars: dict[str, str]) -> str | None:
    text = str(value)
    m = BUNDLE_VAR.search(text)
    if m is not None:
        return m.group(1)
    j = _JOB_PARAM.search(text)
    return job_vars.get(j.group(1)) if j is not None else None


def _bound(spec: dict, job_vars: dict[str, str]) -> list[tuple[int, str, str]]:
    """(line, variable, option/widget name) of a task spec's parameters that carry a bundle variable."""
    out: list[tuple[int, str, str]] = []
    for k in ("base_parameters", "named_parameters"):
        params = spec.get(k)
        for key, v in params.items() if isinstance(params, dict) else ():
            if (var := _var_of(v, job_vars)) is not None:
                out.append((line_of(params, key) or line_of(spec) or 0, var, str(key)))
    params = spec.get("parameters")
    items = params if isinstance(params, list) else []
    for i, v in enumerate(items):
        var = _var_of(v, job_vars)
        if var is None:
            continue
        text = str(v)
        opt = text.split("=", 1)[0] if text.startswith("--") and "=" in text else str(items[i - 1]) if i and str(items[i - 1]).startswith("-") else ""
        if opt:
            out.append((line_of(spec, "parameters") or line_of(spec) or 0, var, opt.lstrip("-").replace("-", "_")))
    return out


# top-level bundle keys that declare (or pull in) something ``bundle deploy`` creates in the workspace: its own resources,
# resource files it includes, resources defined in Python, or a target's own resources
_DECLARING = ("resources", "include", "experimental", "python")


def bundles_declare_nothing(index: FileIndex) -> bool:
    """Does every bundle root of the repository (``databricks.yml``) declare no resource at all (no ``resources``, no
    ``include`` of resource files, no Python resources, no target's own ``resources``)? ``bundle deploy`` of such a bundle
    uploads the project's files and creates no job, model or serving endpoint. False when the repository has no bundle."""
    roots = [e for e in index.select(tuple(f"**/{n}" for n in BUNDLE_NAMES)) if not e.test]
    if not roots:
        return False
    for e in roots:
        for doc in index.yaml(e.path):
            if not isinstance(doc, dict):
                continue
            if any(doc.get(k) for k in _DECLARING):
                return False
            targets = doc.get("targets")
            if isinstance(targets, dict) and any(isinstance(t, dict) and t.get("resources") for t in targets.values()):
                return False
    return True
