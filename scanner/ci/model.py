"""The CI model every dialect produces: ``CiJob``s made of ``CiStep``s, and the small helpers dialect parsers
share to build them (YAML values as dicts/lists/lines, truthiness, working directories, subdirectory targeting)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..index.formats import LineDict, LineList
from ..valueclass import Value, setfield
from .shell import is_placeholder, split_commands


class CiStep(Value, frozen=True):
    """One step of a CI job: where it is defined, its name and its command or action."""
    path: str
    line: int
    name: str
    command: str  # shell text ("" for a `uses:` action step)
    uses: str  # action/task/orb/pipe/builder reference
    blocking: bool  # a failure fails the job (False: continue-on-error, allow_failure, soft_fail ...)
    disabled: bool  # `if: false` and the like
    placeholder: bool  # echo-only / no-op command
    with_: tuple[tuple[str, str], ...]
    cwd: str  # working directory, repository-relative ("" = the default)
    strict: bool  # the shell stops at the first failing command (`bash -e`); False: only the last one counts

    _fields = ("path", "line", "name", "command", "uses", "blocking", "disabled", "placeholder", "with_", "cwd", "strict")
    __slots__ = _fields

    def __init__(
        self,
        path: str,
        line: int,
        name: str,
        command: str,
        uses: str = "",
        blocking: bool = True,
        disabled: bool = False,
        placeholder: bool = False,
        with_: tuple[tuple[str, str], ...] = (),
        cwd: str = "",
        strict: bool = True,
    ) -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "name", name)
        setfield(self, "command", command)
        setfield(self, "uses", uses)
        setfield(self, "blocking", blocking)
        setfield(self, "disabled", disabled)
        setfield(self, "placeholder", placeholder)
        setfield(self, "with_", with_)
        setfield(self, "cwd", cwd)
        setfield(self, "strict", strict)

    @property
    def active(self) -> bool:
        return not self.disabled and not self.placeholder


class CiJob(Value, frozen=True):
    """One CI job of any supported system: its triggers, steps, needs and whether it can run."""
    system: str  # github gitlab azure jenkins circleci bitbucket buildkite semaphore cloudbuild codebuild codepipeline tekton argocd flux
    path: str
    line: int
    name: str
    steps: tuple[CiStep, ...]
    triggers: frozenset[str]  # push, pull_request, schedule, manual, tag, ...
    schedules: tuple[str, ...]  # cron expressions
    environment: str  # deployment environment name (GitHub environments, GitLab environment)
    needs: tuple[str, ...]
    manual: bool  # needs a human (manual job, approval stage)
    disabled: bool
    applies: bool  # for a subdirectory scan: does this root job target the subdir?
    image: str
    stage: str  # stage the job belongs to (GitLab, Azure, Jenkins, CodePipeline)
    gate: str  # the job is a human gate: manual-approval | input | block | manual
    schedule_line: int  # line of the first cron/schedule declaration
    self_hosted: bool  # runs on a machine of the project's own (GitHub ``runs-on: self-hosted``): what it starts stays up
    env: tuple[tuple[str, str], ...]  # environment variables the CI definition sets for the job (name, literal value)

    _fields = ("system", "path", "line", "name", "steps", "triggers", "schedules", "environment", "needs", "manual", "disabled", "applies", "image", "stage", "gate", "schedule_line", "self_hosted", "env")
    __slots__ = _fields

    def __init__(
        self,
        system: str,
        path: str,
        line: int,
        name: str,
        steps: tuple[CiStep, ...],
        triggers: frozenset[str],
        schedules: tuple[str, ...] = (),
        environment: str = "",
        needs: tuple[str, ...] = (),
        manual: bool = False,
        disabled: bool = False,
        applies: bool = True,
        image: str = "",
        stage: str = "",
        gate: str = "",
        schedule_line: int = 0,
        self_hosted: bool = False,
        env: tuple[tuple[str, str], ...] = (),
    ) -> None:
        setfield(self, "system", system)
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "name", name)
        setfield(self, "steps", steps)
        setfield(self, "triggers", triggers)
        setfield(self, "schedules", schedules)
        setfield(self, "environment", environment)
        setfield(self, "needs", needs)
        setfield(self, "manual", manual)
        setfield(self, "disabled", disabled)
        setfield(self, "applies", applies)
        setfield(self, "image", image)
        setfield(self, "stage", stage)
        setfield(self, "gate", gate)
        setfield(self, "schedule_line", schedule_line)
        setfield(self, "self_hosted", self_hosted)
        setfield(self, "env", env)

    @property
    def active(self) -> bool:
        return not self.disabled and self.applies

    def commands(self) -> Iterator[tuple[CiStep, str]]:
        """(step, one shell command) for every active step line."""
        for s in self.steps:
            if s.active and s.command:
                for cmd in split_commands(s.command):
                    yield s, cmd


class CiModel(Value):
    """Every CI job of the repository (``ci_model``)."""
    jobs: list[CiJob]

    _fields = ("jobs",)

    def __init__(self, jobs: list[CiJob] | None = None) -> None:
        self.jobs = [] if jobs is None else jobs

    def active_jobs(self) -> list[CiJob]:
        return [j for j in self.jobs if j.active]


# ------------------------------------------------------------------ subdir targeting


def targets_subdir(subdir: str, *texts: str) -> bool:
    if not subdir:
        return True
    return any(subdir in t for t in texts if t)


def _clean_dir(d: str) -> str:
    """A working directory as a repository-relative path ('' when it is the root or unknown)."""
    d = re.sub(r"^\$\{\{\s*github\.workspace\s*\}\}/?|^\$GITHUB_WORKSPACE/?", "", d.strip())
    parts = [p for p in d.split("/") if p not in ("", ".")]
    if any("$" in p or "{" in p for p in parts):
        return ""
    return "/".join(parts)


def _asdict(s: CiStep) -> dict[str, Any]:
    return {f: getattr(s, f) for f in CiStep.__slots__}


# ------------------------------------------------------------------ helpers for the other parsers


def make_step(path: str, line: int, name: str, command: str, **kw: Any) -> CiStep:
    """A step with ``placeholder`` judged from its command."""
    kw.setdefault("placeholder", bool(command) and is_placeholder(command))
    return CiStep(path=path, line=line, name=name, command=command, **kw)


def script_items(value: Any, line: int = 0) -> list[tuple[str, int]]:
    """(shell text, line) for a script given as a string or a (nested) list of strings."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [(str(value), line)]
    out: list[tuple[str, int]] = []
    if isinstance(value, list):
        for i, v in enumerate(value):
            sub = value.line_of(i) if isinstance(value, LineList) else line
            out += script_items(v, sub)
    return out


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"))


def falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"))


def line_of(obj: Any, key: Any = None, default: int = 0) -> int:
    if isinstance(obj, LineDict):
        return obj.line_of(key) if key is not None else obj.line
    if isinstance(obj, LineList):
        return obj.line
    return default


def as_dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def env_vars(*mappings: Any) -> tuple[tuple[str, str], ...]:
    """(name, value) of the environment variables CI definitions set, later mappings overriding earlier ones (workflow,
    then job); scalar values only (a GitLab ``{value: ..., description: ...}`` gives its ``value``)."""
    out: dict[str, str] = {}
    for m in mappings:
        for k, v in as_dict(m).items():
            v = as_dict(v).get("value") if isinstance(v, dict) else v
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                out[str(k)] = str(v)
    return tuple(out.items())


def non_blocking(steps: list[CiStep]) -> list[CiStep]:
    return [CiStep(**{**_asdict(s), "blocking": False}) for s in steps]


def clean_dir(d: str) -> str:
    return _clean_dir(d)
