"""CircleCI (``.circleci/config.yml``): one CiJob per job reference in a workflow.

Workflow ``triggers: - schedule: {cron}`` mark schedule triggers (scheduled pipelines configured in
the UI show up as ``pipeline.trigger_source == "scheduled_pipeline"`` conditions); ``type: approval``
jobs are manual approval gates. Reusable ``commands:`` are expanded; orb commands and orb jobs are
kept as ``uses``. Runs use ``bash -eo pipefail``.
"""

from __future__ import annotations

from typing import Any

from ..index import FileIndex
from ..index.formats import LineDict, LineList
from .model import CiJob, CiStep, as_dict, as_list, clean_dir, falsy, line_of, make_step, script_items, targets_subdir

ROOT_FILES = (".circleci/config.yml", ".circleci/config.yaml")
BUILTIN = frozenset({"checkout", "setup_remote_docker", "save_cache", "restore_cache", "store_artifacts",
                     "store_test_results", "persist_to_workspace", "attach_workspace", "add_ssh_keys", "when", "unless"})


def parse_circleci(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(tuple(f"**/{n.rsplit('/', 1)[1]}" for n in ROOT_FILES)):
        if e.vpath not in ROOT_FILES:
            continue
        for doc in index.yaml(e.path):
            if not isinstance(doc, LineDict):
                continue
            defined = as_dict(doc.get("jobs"))
            commands = as_dict(doc.get("commands"))
            workflows = {k: v for k, v in as_dict(doc.get("workflows")).items() if k != "version" and isinstance(v, dict)}
            if not workflows and "build" in defined:  # 2.0 without workflows runs `build`
                workflows = {"default": {"jobs": ["build"]}}
            for wf_name, wf in workflows.items():
                triggers, crons, sched_line = _triggers(wf)
                wf_jobs = wf.get("jobs")
                for i, ref in enumerate(as_list(wf_jobs)):
                    name, opts = (ref, {}) if isinstance(ref, str) else next(iter(as_dict(ref).items()), ("", {}))
                    opts = as_dict(opts)
                    line = wf_jobs.line_of(i) if isinstance(wf_jobs, LineList) else line_of(wf)
                    jobs.append(_job(index, e.path, e.scope, str(name), opts, defined, commands, triggers, crons, sched_line, line, wf_name))
    return jobs


def _job(index: FileIndex, path: str, scope: str, name: str, opts: dict[str, Any], defined: dict[str, Any], commands: dict[str, Any],
         triggers: set[str], crons: list[str], sched_line: int, line: int, workflow: str) -> CiJob:
    approval = opts.get("type") == "approval"
    body = as_dict(defined.get(name))
    steps: list[CiStep] = []
    cwd = clean_dir(str(body.get("working_directory", "") or "").replace("~/project", ""))
    if approval:
        steps.append(make_step(path, line, name, "", uses="approval"))
    elif name in defined:
        steps = _steps(path, body.get("steps"), commands, cwd, 0)
        line = defined.line_of(name) if isinstance(defined, LineDict) else line
    else:  # an orb job (`aws-ecr/build-and-push-image`)
        steps.append(make_step(path, line, name, "", uses=name, with_=tuple((str(k), str(v)) for k, v in opts.items())))
    texts = [s.command for s in steps] + [s.cwd for s in steps] + [str(v) for s in steps for _, v in s.with_]
    image = next((str(d.get("image", "")) for d in as_list(body.get("docker")) if isinstance(d, dict)), "")
    return CiJob(
        system="circleci",
        path=path,
        line=line,
        name=str(opts.get("name") or name),
        steps=tuple(steps),
        triggers=frozenset(triggers | ({"manual"} if approval else set())),
        schedules=tuple(crons),
        environment=str(opts.get("context", "")) if isinstance(opts.get("context"), str) else "",
        needs=tuple(str(r) for r in as_list(opts.get("requires"))),
        manual=approval,
        applies=scope == "project" or targets_subdir(index.target.subdir, *texts),
        image=image,
        stage=workflow,
        gate="manual-approval" if approval else "",
        schedule_line=sched_line,
    )


def _steps(path: str, items: Any, commands: dict[str, Any], cwd: str, depth: int) -> list[CiStep]:
    out: list[CiStep] = []
    for i, st in enumerate(as_list(items)):
        line = items.line_of(i) if isinstance(items, LineList) else 0
        key, val = (st, {}) if isinstance(st, str) else next(iter(as_dict(st).items()), ("", {}))
        if key == "run":
            spec = val if isinstance(val, dict) else {"command": val}
            for cmd, _ in script_items(spec.get("command")):
                out.append(make_step(path, line, str(spec.get("name", "")), cmd,
                                     blocking=spec.get("background") is not True,
                                     cwd=clean_dir(str(spec.get("working_directory", "") or "")) or cwd))
        elif key in ("when", "unless") and isinstance(val, dict):
            cond = val.get("condition")
            off = (key == "when" and falsy(cond)) or (key == "unless" and cond is True)
            for s in _steps(path, val.get("steps"), commands, cwd, depth + 1):
                out.append(CiStep(**{**{f: getattr(s, f) for f in CiStep.__slots__}, "disabled": s.disabled or off}))
        elif key in commands and depth < 5:
            out += _steps(path, as_dict(commands[key]).get("steps"), commands, cwd, depth + 1)
        elif key and key not in BUILTIN:
            out.append(make_step(path, line, str(key), "", uses=str(key), with_=tuple((str(k), str(v)) for k, v in as_dict(val).items())))
    return out


def _triggers(wf: dict[str, Any]) -> tuple[set[str], list[str], int]:
    crons: list[str] = []
    sched_line = 0
    trig = wf.get("triggers")
    for i, t in enumerate(as_list(trig)):
        sched = as_dict(as_dict(t).get("schedule"))
        if sched.get("cron"):
            crons.append(str(sched["cron"]))
            sched_line = sched_line or line_of(sched, "cron", trig.line_of(i) if isinstance(trig, LineList) else 0)
    if crons:
        return {"schedule"}, crons, sched_line
    if "scheduled_pipeline" in str(wf.get("when", "")):  # a scheduled pipeline set up in the UI
        return {"schedule"}, crons, line_of(wf, "when")
    return {"push", "pull_request"}, crons, 0
