"""Tekton ``Task``/``ClusterTask``/``Pipeline``/``PipelineRun`` definitions as CiJobs.

A pipeline task becomes a job with the steps of its ``taskRef`` (or inline ``taskSpec``); Tasks no
pipeline uses become jobs of their own. Runs are started by an in-repo ``EventListener`` (push) or by
hand. A step ``script`` without a shebang runs with ``set -e``.
"""

from __future__ import annotations

from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineList
from .model import CiJob, CiStep, as_dict, as_list, clean_dir, line_of, make_step, targets_subdir

YAML = ("**/*.yaml", "**/*.yml")
TASK_KINDS = ("Task", "ClusterTask")
PIPELINE_KINDS = ("Pipeline", "PipelineRun")


def parse_tekton(index: FileIndex) -> list[CiJob]:
    docs: list[tuple[FileEntry, dict[str, Any]]] = []
    for e in index.select(YAML):
        if index.contains(e.path, (b"tekton.dev/",)):
            docs += [(e, d) for d in index.yaml(e.path) if isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("tekton.dev/")]
    if not docs:
        return []
    triggers = {"push"} if any(d.get("kind") == "EventListener" for _, d in docs) else {"manual"}
    tasks = {str(as_dict(d.get("metadata")).get("name", "")): (e, d) for e, d in docs if d.get("kind") in TASK_KINDS}
    used: set[str] = set()
    jobs: list[CiJob] = []
    for e, d in docs:
        if d.get("kind") not in PIPELINE_KINDS:
            continue
        spec = as_dict(d.get("spec"))
        if d.get("kind") == "PipelineRun":
            spec = as_dict(spec.get("pipelineSpec"))
        pname = str(as_dict(d.get("metadata")).get("name", "") or as_dict(d.get("metadata")).get("generateName", ""))
        for key in ("tasks", "finally"):
            items = spec.get(key)
            for i, t in enumerate(as_list(items)):
                t = as_dict(t)
                line = items.line_of(i) if isinstance(items, LineList) else line_of(t)
                ref = str(as_dict(t.get("taskRef")).get("name", ""))
                if ref in tasks:
                    used.add(ref)
                    te, td = tasks[ref]
                    steps = _steps(te.path, as_dict(td.get("spec")))
                else:
                    steps = _steps(e.path, as_dict(t.get("taskSpec")))
                jobs.append(_job(index, e, line, f"{pname}/{t.get('name', ref)}", steps, triggers, pname))
    for name, (e, d) in tasks.items():
        if name not in used:
            jobs.append(_job(index, e, line_of(d, "kind"), name, _steps(e.path, as_dict(d.get("spec"))), triggers, ""))
    return jobs


def _steps(path: str, spec: dict[str, Any]) -> list[CiStep]:
    out: list[CiStep] = []
    items = spec.get("steps")
    for i, st in enumerate(as_list(items)):
        st = as_dict(st)
        line = items.line_of(i) if isinstance(items, LineList) else line_of(st)
        script = st.get("script")
        if isinstance(script, str):
            cmd, strict = script, not script.lstrip().startswith("#!")
        else:
            words = [str(x) for x in as_list(st.get("command")) + as_list(st.get("args"))]
            if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] in ("-c", "-ec"):
                cmd, strict = words[2], words[1] == "-ec"
            else:
                cmd, strict = " ".join(words), True
        out.append(make_step(path, line, str(st.get("name", "")), cmd, uses=str(st.get("image", "")), strict=strict,
                             blocking=str(st.get("onError", "")) != "continue", cwd=clean_dir(str(st.get("workingDir", "") or ""))))
    return out


def _job(index: FileIndex, e: FileEntry, line: int, name: str, steps: list[CiStep], triggers: set[str], stage: str) -> CiJob:
    texts = [s.command for s in steps]
    return CiJob(system="tekton", path=e.path, line=line, name=name, steps=tuple(steps), triggers=frozenset(triggers),
                 applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts), stage=stage)
