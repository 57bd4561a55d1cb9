"""Bitbucket Pipelines (``bitbucket-pipelines.yml``): one CiJob per step.

``default``/``branches`` run on push, ``pull-requests`` on pull requests, ``tags`` on tags and
``custom`` pipelines by hand (or from a schedule configured in the UI). ``trigger: manual`` steps and
stages are manual gates; ``deployment:`` names the environment; ``pipe:`` items are kept as ``uses``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..index import FileIndex
from ..index.formats import LineList
from .model import CiJob, CiStep, as_dict, as_list, line_of, make_step, targets_subdir

ROOT_FILES = ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml")
SECTIONS = {"default": "push", "branches": "push", "pull-requests": "pull_request", "tags": "tag", "bookmarks": "push", "custom": "manual"}


def parse_bitbucket(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(tuple(f"**/{n}" for n in ROOT_FILES)):
        if e.vpath not in ROOT_FILES:
            continue
        for doc in index.yaml(e.path):
            pipelines = as_dict(as_dict(doc).get("pipelines"))
            for section, trigger in SECTIONS.items():
                value = pipelines.get(section)
                groups = [(section, value)] if section == "default" else list(as_dict(value).items())
                for group, items in groups:
                    for step, line, stage in _steps(items, None):
                        jobs.append(_job(index, e.path, e.scope, step, line, stage, trigger, str(group)))
    return jobs


def _steps(items: Any, stage: dict[str, Any] | None) -> Iterator[tuple[dict[str, Any], int, dict[str, Any] | None]]:
    if isinstance(items, dict) and isinstance(items.get("steps"), list):  # `parallel: {steps: [...]}`
        items = items["steps"]
    for i, item in enumerate(as_list(items)):
        line = items.line_of(i) if isinstance(items, LineList) else 0
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("step"), dict):
            yield item["step"], line, stage
        elif "parallel" in item:
            yield from _steps(item["parallel"], stage)
        elif isinstance(item.get("stage"), dict):
            yield from _steps(item["stage"].get("steps"), item["stage"])


def _job(index: FileIndex, path: str, scope: str, step: dict[str, Any], line: int, stage: dict[str, Any] | None,
         trigger: str, group: str) -> CiJob:
    manual = step.get("trigger") == "manual" or (stage or {}).get("trigger") == "manual"
    steps: list[CiStep] = []
    for key in ("script", "after-script"):
        items = step.get(key)
        for i, item in enumerate(as_list(items)):
            sline = items.line_of(i) if isinstance(items, LineList) else line
            if isinstance(item, dict) and "pipe" in item:
                variables = as_dict(item.get("variables"))
                steps.append(make_step(path, sline, key, "", uses=str(item["pipe"]), with_=tuple((str(k), str(v)) for k, v in variables.items())))
            elif isinstance(item, (str, int, float)):
                steps.append(make_step(path, sline, key, str(item), blocking=key == "script"))
    changes = as_dict(as_dict(as_dict(step.get("condition")).get("changesets"))).get("includePaths")
    texts = [s.command for s in steps] + [str(p) for p in as_list(changes)]
    image = step.get("image")
    return CiJob(
        system="bitbucket",
        path=path,
        line=line_of(step, default=line) if not line else line,
        name=str(step.get("name") or (stage or {}).get("name") or group),
        steps=tuple(steps),
        triggers=frozenset({trigger} | ({"manual"} if manual else set())),
        environment=str(step.get("deployment") or (stage or {}).get("deployment") or ""),
        manual=manual,
        applies=scope == "project" or targets_subdir(index.target.subdir, *texts),
        image=str(image.get("name", "")) if isinstance(image, dict) else str(image or ""),
        stage=str((stage or {}).get("name", "")),
        gate="manual" if manual else "",
    )
