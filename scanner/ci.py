"""A normalised view of CI/CD definitions, shared by every detector that reasons about CI.

Each supported system is parsed into ``CiJob``/``CiStep`` once per scan (memoised on the index).
Comments never appear (the YAML parser drops them); steps that cannot fail a job (``continue-on-error``,
``|| true``, ``allow_failure``), ``echo``-only placeholders and disabled jobs are marked, not dropped,
so detectors can tell presence from practice.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .formats import LineDict, LineList
from .index import FileIndex

GITHUB_WORKFLOWS = (".github/workflows/*.yml", ".github/workflows/*.yaml")


@dataclass(frozen=True, slots=True)
class CiStep:
    path: str
    line: int
    name: str
    command: str  # shell text ("" for a `uses:` action step)
    uses: str = ""  # action/task/orb reference
    blocking: bool = True  # a failure fails the job
    disabled: bool = False  # `if: false` and the like
    placeholder: bool = False  # echo-only / no-op command
    with_: tuple[tuple[str, str], ...] = ()

    @property
    def active(self) -> bool:
        return not self.disabled and not self.placeholder


@dataclass(frozen=True, slots=True)
class CiJob:
    system: str  # github, gitlab, azure, jenkins, circleci, bitbucket, buildkite, cloudbuild, codebuild, tekton
    path: str
    line: int
    name: str
    steps: tuple[CiStep, ...]
    triggers: frozenset[str]  # push, pull_request, schedule, manual, tag, ...
    schedules: tuple[str, ...] = ()  # cron expressions
    environment: str = ""  # deployment environment name (GitHub environments, GitLab environment)
    needs: tuple[str, ...] = ()
    manual: bool = False  # needs a human (manual job, approval stage)
    disabled: bool = False
    applies: bool = True  # for a subdirectory scan: does this root job target the subdir?
    image: str = ""

    @property
    def active(self) -> bool:
        return not self.disabled and self.applies

    def commands(self) -> Iterator[tuple[CiStep, str]]:
        """(step, one shell command) for every active step line."""
        for s in self.steps:
            if s.active and s.command:
                for cmd in split_commands(s.command):
                    yield s, cmd


@dataclass
class CiModel:
    jobs: list[CiJob] = field(default_factory=list)

    def active_jobs(self) -> list[CiJob]:
        return [j for j in self.jobs if j.active]


# ------------------------------------------------------------------ shell helpers

_CONT = re.compile(r"\\\n")
_NOOP = re.compile(r"^\s*(echo|printf|:|true|sleep|exit 0|cat\s+<<)\b")


def split_commands(script: str) -> list[str]:
    """Logical shell commands: continuations joined, comments dropped, split on ``&&``/``;``."""
    out: list[str] = []
    for line in _CONT.sub(" ", script).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in re.split(r"\s*(?:&&|;)\s*", line):
            part = part.strip()
            if part and not part.startswith("#"):
                out.append(part)
    return out


def is_placeholder(script: str) -> bool:
    """True when every command only prints or does nothing (``echo "deploy"``)."""
    cmds = split_commands(script)
    return bool(cmds) and all(_NOOP.match(c) for c in cmds)


def swallows_failure(script: str) -> bool:
    """``cmd || true`` / ``|| exit 0`` / ``set +e`` make failures invisible."""
    return bool(re.search(r"\|\|\s*(true|:|exit 0|echo)\b", script)) or bool(re.search(r"^\s*set \+e\b", script, re.M))


def argv(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


# ------------------------------------------------------------------ subdir targeting


def targets_subdir(subdir: str, *texts: str) -> bool:
    if not subdir:
        return True
    return any(subdir in t for t in texts if t)


# ------------------------------------------------------------------ GitHub Actions


def _triggers(on: Any) -> tuple[set[str], list[str], list[str]]:
    """(trigger names, cron expressions, path filters)."""
    names: set[str] = set()
    crons: list[str] = []
    paths: list[str] = []
    if isinstance(on, str):
        names.add(on)
    elif isinstance(on, list):
        names.update(str(x) for x in on)
    elif isinstance(on, dict):
        for k, v in on.items():
            names.add(str(k))
            if k == "schedule" and isinstance(v, list):
                crons += [str(x.get("cron")) for x in v if isinstance(x, dict) and x.get("cron")]
            if isinstance(v, dict):
                for key in ("paths",):
                    if isinstance(v.get(key), list):
                        paths += [str(p) for p in v[key]]
                if k == "push" and v.get("tags"):
                    names.add("tag")
    if "workflow_dispatch" in names or "repository_dispatch" in names:
        names.add("manual")
    return names, crons, paths


def _if_false(cond: Any) -> bool:
    return cond is False or (isinstance(cond, str) and cond.strip().strip("${} ").lower() in ("false", "0"))


def parse_github(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    sub = index.target.subdir
    for e in index.select(GITHUB_WORKFLOWS):
        # only workflows at the repository root run; nested .github dirs are inactive copies
        if e.vpath.count("/") != 2 and not e.template:
            continue
        if e.template and not e.vpath.startswith(".github/"):
            continue
        for doc in index.yaml(e.path):
            if not isinstance(doc, dict):
                continue
            on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
            names, crons, paths = _triggers(on)
            wf_targets = e.scope == "project" or targets_subdir(sub, *paths)
            wf_jobs = doc.get("jobs")
            if not isinstance(wf_jobs, dict):
                continue
            for job_id, job in wf_jobs.items():
                if not isinstance(job, dict):
                    continue
                line = wf_jobs.line_of(job_id) if isinstance(wf_jobs, LineDict) else 0
                steps_raw = job.get("steps") if isinstance(job.get("steps"), list) else []
                defaults = job.get("defaults") or doc.get("defaults") or {}
                job_wd = ""
                if isinstance(defaults, dict) and isinstance(defaults.get("run"), dict):
                    job_wd = str(defaults["run"].get("working-directory", ""))
                steps: list[CiStep] = []
                texts = [job_wd]
                for i, s in enumerate(steps_raw):
                    if not isinstance(s, dict):
                        continue
                    sline = steps_raw.line_of(i) if isinstance(steps_raw, LineList) else line
                    run = s.get("run")
                    cmd = str(run) if isinstance(run, (str, int, float)) else ""
                    texts += [cmd, str(s.get("working-directory", ""))]
                    coe = s.get("continue-on-error")
                    with_ = s.get("with") if isinstance(s.get("with"), dict) else {}
                    steps.append(
                        CiStep(
                            path=e.path,
                            line=sline,
                            name=str(s.get("name", "") or s.get("id", "")),
                            command=cmd,
                            uses=str(s.get("uses", "") or ""),
                            blocking=not (coe is True or str(coe).lower() == "true") and not swallows_failure(cmd),
                            disabled=_if_false(s.get("if")),
                            placeholder=bool(cmd) and is_placeholder(cmd),
                            with_=tuple((str(k), str(v)) for k, v in with_.items()),
                        )
                    )
                if job.get("uses"):  # reusable workflow call
                    steps.append(CiStep(e.path, line, str(job_id), "", uses=str(job["uses"])))
                env = job.get("environment")
                env_name = str(env.get("name", "")) if isinstance(env, dict) else str(env or "")
                needs = job.get("needs")
                needs_t = tuple(str(n) for n in needs) if isinstance(needs, list) else ((str(needs),) if needs else ())
                job_coe = job.get("continue-on-error")
                if job_coe is True:
                    steps = [CiStep(**{**_asdict(s), "blocking": False}) for s in steps]
                applies = wf_targets or targets_subdir(sub, *texts)
                jobs.append(
                    CiJob(
                        system="github",
                        path=e.path,
                        line=line,
                        name=str(job.get("name") or job_id),
                        steps=tuple(steps),
                        triggers=frozenset(names),
                        schedules=tuple(crons),
                        environment=env_name,
                        needs=needs_t,
                        manual=False,
                        disabled=_if_false(job.get("if")),
                        applies=applies,
                        image=str(job.get("container", "") if not isinstance(job.get("container"), dict) else job["container"].get("image", "")),
                    )
                )
    return jobs


def _asdict(s: CiStep) -> dict[str, Any]:
    return {f: getattr(s, f) for f in CiStep.__slots__}


# Parsers for other CI systems register here (system name -> parser). Each returns CiJobs.
PARSERS: dict[str, Callable[[FileIndex], list[CiJob]]] = {"github": parse_github}


def ci_model(index: FileIndex) -> CiModel:
    """Every CI job of the repository, parsed once per scan."""

    def build() -> CiModel:
        model = CiModel()
        for name, parser in PARSERS.items():
            try:
                model.jobs.extend(parser(index))
            except (RecursionError, ValueError, TypeError, AttributeError) as e:
                index.warn("ci-parse", f"{name} CI definitions could not be read fully: {e}")
        return model

    return index.memo("ci-model", build)
