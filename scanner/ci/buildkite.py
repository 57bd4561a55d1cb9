"""Buildkite (``.buildkite/pipeline*.yml``, ``buildkite.yml``): one CiJob per command step.

``block``/``input`` steps are human gates; ``soft_fail`` steps cannot fail the build; schedules are
configured in the UI and appear as ``build.source == "schedule"`` conditions. Plugins are kept as
``uses``. The agent runs commands with ``bash -e``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineList
from .model import CiJob, CiStep, as_dict, as_list, falsy, make_step, script_items, targets_subdir, truthy

GLOBS = ("**/.buildkite/*.yml", "**/.buildkite/*.yaml", "**/buildkite.yml", "**/buildkite.yaml", "**/.buildkite/pipelines/*.yml")


def parse_buildkite(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(GLOBS):
        for doc in index.yaml(e.path):
            if isinstance(doc, dict) and isinstance(doc.get("steps"), list):
                for step, line, group in _steps(doc["steps"], ""):
                    job = _job(index, e, step, line, group)
                    if job:
                        jobs.append(job)
    return jobs


def _steps(items: Any, group: str) -> Iterator[tuple[Any, int, str]]:
    for i, item in enumerate(as_list(items)):
        line = items.line_of(i) if isinstance(items, LineList) else 0
        if isinstance(item, dict) and isinstance(item.get("steps"), list) and ("group" in item or len(item) <= 3):
            yield from _steps(item["steps"], str(item.get("group") or group))
        else:
            yield item, line, group


def _job(index: FileIndex, e: FileEntry, step: Any, line: int, group: str) -> CiJob | None:
    if not isinstance(step, dict):
        return None  # "wait"
    cond = str(step.get("if", ""))
    if "block" in step or "input" in step:
        kind = "block" if "block" in step else "input"
        label = str(step.get(kind) or step.get("prompt") or "")
        steps: list[CiStep] = [make_step(e.path, line, label, "", uses=kind, with_=(("message", label),))]
        gate = kind
    elif "trigger" in step:
        steps = [make_step(e.path, line, str(step.get("label", "")), "", uses=f"trigger:{step['trigger']}")]
        gate = ""
    else:
        cmd_value = step.get("command", step.get("commands"))
        blocking = not truthy(step.get("soft_fail")) and not isinstance(step.get("soft_fail"), list)
        steps = [make_step(e.path, line, str(step.get("label", "")), c, blocking=blocking) for c, _ in script_items(cmd_value, line)]
        for plugin in as_list(step.get("plugins")):
            for name, cfg in (plugin.items() if isinstance(plugin, dict) else [(plugin, {})]):
                steps.append(make_step(e.path, line, str(step.get("label", "")), "", uses=str(name),
                                       with_=tuple((str(k), str(v)) for k, v in as_dict(cfg).items())))
        gate = ""
        if not steps:
            return None
    triggers = {"schedule"} if "build.source == \"schedule\"" in cond.replace("'", '"') else {"push", "pull_request"}
    if gate:
        triggers.add("manual")
    texts = [s.command for s in steps] + [str(v) for s in steps for _, v in s.with_]
    return CiJob(
        system="buildkite",
        path=e.path,
        line=line,
        name=str(step.get("label") or step.get("block") or step.get("input") or step.get("key") or step.get("name") or group or "step"),
        steps=tuple(steps),
        triggers=frozenset(triggers),
        needs=tuple(str(d) for d in as_list(step.get("depends_on")) if isinstance(d, str)),
        manual=bool(gate),
        disabled=falsy(step.get("if")) or cond.strip() == "false",
        applies=e.scope == "project" or targets_subdir(index.target.subdir, *texts),
        stage=group,
        gate=gate,
    )
