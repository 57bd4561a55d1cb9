"""Semaphore (``.semaphore/semaphore.yml`` and the pipelines its ``promotions:`` start): one CiJob per job of a block.

A workflow starts at ``.semaphore/semaphore.yml`` on every push (and pull request); other pipeline files run only
when a ``promotions:`` entry names them (``pipeline_file:``, relative to the promoting file's directory). A promotion
is manual (a button in the UI, recorded with who pressed it) unless ``auto_promote: {when: ...}`` (or the older
``auto_promote_on:``) starts it on a condition; either way it is offered only after the promoting pipeline ran, so a
promoted pipeline's jobs wait for every block of the pipeline that promotes it. A block's jobs run the pipeline's
``global_job_config`` prologue, the block's ``task.prologue``, then the job's ``commands`` (the first failing command
fails the job); epilogue commands cannot change the result. ``dependencies:`` order blocks; ``env_vars:`` of the
pipeline, block and job, and the defaults of a parameterized promotion's ``parameters: env_vars:``, are kept on the job
(``CiJob.env``). A promotion's ``deployment_target:`` names the environment (deployment target) whose access rules,
configured in Semaphore, decide who may promote: the promoted jobs' ``environment``. Schedules (tasks) are configured
in the UI.
"""

from __future__ import annotations

from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineList
from .model import CiJob, CiStep, as_dict, as_list, falsy, line_of, make_step, script_items, targets_subdir

GLOBS = ("**/.semaphore/*.yml", "**/.semaphore/*.yaml")
ROOT_FILE = ".semaphore/semaphore.yml"


def parse_semaphore(index: FileIndex) -> list[CiJob]:
    files = {e.vpath: e for e in index.select(GLOBS)}
    if ROOT_FILE not in files:
        return []
    jobs: list[CiJob] = []
    # (pipeline file, triggers, the blocks of the promoting pipeline it waits for); each file is read once, reached by
    # its first promotion (root first, breadth first)
    queue: list[tuple[str, frozenset[str], tuple[str, ...], str, tuple[tuple[str, str], ...]]] = [
        (ROOT_FILE, frozenset({"push", "pull_request"}), (), "", ())]
    seen: set[str] = set()
    while queue:
        vpath, triggers, waits, target_env, params = queue.pop(0)
        if vpath in seen or vpath not in files:
            continue
        seen.add(vpath)
        e = files[vpath]
        for doc in index.yaml(e.path):
            if not isinstance(doc, dict):
                continue
            blocks = [b for b in as_list(doc.get("blocks")) if isinstance(b, dict)]
            names = tuple(str(b.get("name", "")) for b in blocks)
            for i, block in enumerate(blocks):
                jobs += _block_jobs(index, e, doc, block, triggers, waits, names[:i] if "dependencies" not in block else (), target_env, params)
            base = vpath.rsplit("/", 1)[0]
            for promo in as_list(doc.get("promotions")):
                promo = as_dict(promo)
                target = str(promo.get("pipeline_file") or "").strip()
                if not target:
                    continue
                target = target.lstrip("/") if target.startswith("/") else f"{base}/{target.removeprefix('./')}"
                defaults = tuple((str(v.get("name")), str(v.get("default_value"))) for v in map(as_dict, as_list(as_dict(promo.get("parameters")).get("env_vars")))
                                 if v.get("name") is not None and v.get("default_value") is not None)
                queue.append((target, _promotion_triggers(promo), names, str(promo.get("deployment_target") or ""), defaults))
    return jobs


def _promotion_triggers(promo: dict[str, Any]) -> frozenset[str]:
    """``pipeline`` for a promotion that starts on its own, ``manual`` for the default button."""
    auto = as_dict(promo.get("auto_promote"))
    when = auto.get("when") if auto else None
    if (auto and when is not None and not falsy(when) and str(when).strip()) or as_list(promo.get("auto_promote_on")):
        return frozenset({"pipeline"})
    return frozenset({"manual"})


def _env(*configs: Any) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for cfg in configs:
        for item in as_list(as_dict(cfg).get("env_vars")):
            item = as_dict(item)
            if item.get("name") is not None and item.get("value") is not None:
                out[str(item["name"])] = str(item["value"])
    return tuple(out.items())


def _commands(path: str, value: Any, name: str, blocking: bool = True) -> list[CiStep]:
    items = as_dict(value).get("commands")
    base = line_of(items) if isinstance(items, LineList) else line_of(value)
    return [make_step(path, line or base, name, cmd, blocking=blocking) for cmd, line in script_items(items, base)]


def _block_jobs(index: FileIndex, e: FileEntry, doc: dict[str, Any], block: dict[str, Any], triggers: frozenset[str],
                waits: tuple[str, ...], before: tuple[str, ...], environment: str, params: tuple[tuple[str, str], ...]) -> list[CiJob]:
    task = as_dict(block.get("task"))
    glob = as_dict(doc.get("global_job_config"))
    skipped = str(as_dict(block.get("skip")).get("when", "")).strip().lower() == "true" or \
        str(as_dict(block.get("run")).get("when", "")).strip().lower() == "false"
    prologue = _commands(e.path, glob.get("prologue"), "prologue") + _commands(e.path, task.get("prologue"), "prologue")
    epilogue = [s for cfg in (task.get("epilogue"), glob.get("epilogue")) for k in ("always", "on_pass", "on_fail")
                for s in _commands(e.path, as_dict(cfg).get(k), f"epilogue {k}", blocking=False)]
    needs = tuple(str(d) for d in as_list(block.get("dependencies"))) or before
    out: list[CiJob] = []
    task_jobs = task.get("jobs")
    for i, job in enumerate(as_list(task_jobs)):
        job = as_dict(job)
        line = task_jobs.line_of(i) if isinstance(task_jobs, LineList) else line_of(block)
        own = [make_step(e.path, ln or line, str(job.get("name", "")), cmd) for cmd, ln in script_items(job.get("commands"), line)]
        if not own:
            continue
        steps = tuple(prologue + own + epilogue)
        texts = [s.command for s in steps]
        out.append(CiJob(
            system="semaphore",
            path=e.path,
            line=line,
            name=str(job.get("name") or block.get("name") or "job"),
            steps=steps,
            triggers=triggers,
            needs=tuple(dict.fromkeys((*waits, *needs))),
            disabled=skipped,
            applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts),
            stage=str(block.get("name", "")),
            environment=environment,
            env=tuple({**dict(params), **dict(_env(glob, task, job))}.items()),
        ))
    return out
