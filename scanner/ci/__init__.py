"""A normalised view of CI/CD definitions, shared by every detector that reasons about CI.

Each supported system is parsed into ``CiJob``/``CiStep`` once per scan (memoised on the index): GitHub
Actions here, the others in ``<system>.py`` modules of this package registered in ``PARSERS`` (GitLab, Azure Pipelines,
Jenkins, CircleCI, Bitbucket, Buildkite, Cloud Build, CodeBuild/CodePipeline incl. CloudFormation and CDK,
Tekton, Argo CD/Flux). Comments never appear (the YAML parser drops them); steps that cannot fail a job
(``continue-on-error``, ``allow_failure``), ``echo``-only placeholders and disabled jobs are marked, not
dropped, so detectors can tell presence from practice; ``shell_flow`` tells which commands of a script
decide its status (``set -e``, ``|| true``, last command). Root CI files of a subdirectory scan apply only
when their paths, working directories or commands name the subdirectory. Definitions under fixtures/,
examples/, docs/ ... are samples, not the repository's CI.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..index import FileIndex
from ..index.formats import LineDict, LineList

GITHUB_WORKFLOWS = (".github/workflows/*.yml", ".github/workflows/*.yaml")


@dataclass(frozen=True, slots=True)
class CiStep:
    path: str
    line: int
    name: str
    command: str  # shell text ("" for a `uses:` action step)
    uses: str = ""  # action/task/orb/pipe/builder reference
    blocking: bool = True  # a failure fails the job (False: continue-on-error, allow_failure, soft_fail ...)
    disabled: bool = False  # `if: false` and the like
    placeholder: bool = False  # echo-only / no-op command
    with_: tuple[tuple[str, str], ...] = ()
    cwd: str = ""  # working directory, repository-relative ("" = the default)
    strict: bool = True  # the shell stops at the first failing command (`bash -e`); False: only the last one counts

    @property
    def active(self) -> bool:
        return not self.disabled and not self.placeholder


@dataclass(frozen=True, slots=True)
class CiJob:
    system: str  # github gitlab azure jenkins circleci bitbucket buildkite cloudbuild codebuild codepipeline tekton argocd flux
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
    stage: str = ""  # stage the job belongs to (GitLab, Azure, Jenkins, CodePipeline)
    gate: str = ""  # the job is a human gate: manual-approval | input | block | manual
    schedule_line: int = 0  # line of the first cron/schedule declaration

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
_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")


def split_commands(script: str) -> list[str]:
    """Logical shell commands: continuations joined, comments and here-document bodies dropped,
    split on ``&&``/``;``."""
    out: list[str] = []
    heredoc = ""
    for line in _CONT.sub(" ", script).splitlines():
        line = line.strip()
        if heredoc:
            if line == heredoc:
                heredoc = ""
            continue
        if not line or line.startswith("#"):
            continue
        m = _HEREDOC.search(line)
        if m:
            heredoc = m.group(1)
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


_SWALLOW = re.compile(r"\|\|\s*(true|:|exit 0|echo)\b")
_ERREXIT_ON = re.compile(r"^set\s+(-[a-zA-Z]*e[a-zA-Z]*\b|-o\s+errexit\b)")
_ERREXIT_OFF = re.compile(r"^set\s+(\+[a-zA-Z]*e[a-zA-Z]*\b|\+o\s+errexit\b)")
_PIPE = re.compile(r"(?<!\|)\|(?!\|)")
_CHECKED = re.compile(r"\|\|\s*(\{\s*)?(exit\s+([1-9]|\$)|false\b|return\s+[1-9])")


@dataclass(frozen=True, slots=True)
class ShellCommand:
    text: str
    blocks: bool  # a failure of this command fails the script
    ignored: bool  # the failure is deliberately swallowed (`|| true`, `set +e`)


def shell_flow(script: str, strict: bool) -> list[ShellCommand]:
    """Each command of a script with whether its failure fails the script. Without ``set -e`` (``strict``)
    only the last command decides the exit status, unless the status is checked (``|| exit 1``, ``$?``
    on the next command); ``set +e`` and ``|| true`` swallow failures; a pipeline without ``pipefail``
    reports its last member only."""
    cmds = split_commands(script)
    if script.lstrip().startswith("#!") and re.match(r"#!\S+(\s+\S+)?\s+-[a-zA-Z]*e", script.lstrip()):
        strict = True
    pipefail = "pipefail" in script
    out: list[ShellCommand] = []
    errexit, turned_off = strict, False
    for i, c in enumerate(cmds):
        if _ERREXIT_ON.match(c):
            errexit, turned_off = True, False
        elif _ERREXIT_OFF.match(c):
            errexit, turned_off = False, True
        swallowed = bool(_SWALLOW.search(c))
        piped = bool(_PIPE.search(c.split("||")[0])) and not pipefail
        checked = bool(_CHECKED.search(c)) or (i + 1 < len(cmds) and "$?" in cmds[i + 1])
        blocks = (errexit or i == len(cmds) - 1 or checked) and not swallowed and not piped
        out.append(ShellCommand(c, blocks, swallowed or turned_off))
    return out


_SHLEX_SPECIAL = re.compile(r"""['"\\#]|[^\x20-\x7e\t\n\r]""")  # quotes, escapes, comments, other whitespace, non-ASCII


def argv(command: str) -> list[str]:
    """Shell words (``shlex``, comments dropped); a plain command is split directly, and results are memoised:
    the same CI command lines are asked about by many detectors (55,000 calls on a 100k-file repository)."""
    return list(_argv(command))


@lru_cache(maxsize=8192)
def _argv(command: str) -> tuple[str, ...]:
    if not _SHLEX_SPECIAL.search(command):
        return tuple(command.split())  # no quotes, escapes or comments: shlex's words are the whitespace-separated ones
    try:
        return tuple(shlex.split(command, comments=True))
    except ValueError:
        return tuple(command.split())


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
                    shell = str(s.get("shell") or "")
                    steps.append(
                        CiStep(
                            path=e.path,
                            line=sline,
                            name=str(s.get("name", "") or s.get("id", "")),
                            command=cmd,
                            uses=str(s.get("uses", "") or ""),
                            blocking=not (coe is True or str(coe).lower() == "true"),
                            disabled=_if_false(s.get("if")),
                            placeholder=bool(cmd) and is_placeholder(cmd),
                            with_=tuple((str(k), str(v)) for k, v in with_.items()),
                            cwd=_clean_dir(str(s.get("working-directory", "") or job_wd)),
                            strict=not shell or shell in ("bash", "sh") or "-e" in shell,  # bash -e {0} by default
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
                        schedule_line=_schedule_line(on),
                        environment=env_name,
                        needs=needs_t,
                        manual=False,
                        disabled=_if_false(job.get("if")),
                        applies=applies,
                        image=str(job.get("container", "") if not isinstance(job.get("container"), dict) else job["container"].get("image", "")),
                    )
                )
    return _called_workflows(jobs)


def _called_workflows(jobs: list[CiJob]) -> list[CiJob]:
    """Jobs of a reusable workflow (``on: workflow_call``) run with the triggers of the jobs that call it."""
    callers: dict[str, list[CiJob]] = {}
    for j in jobs:
        for s in j.steps:
            if s.uses.startswith("./.github/workflows/") and j.active:
                callers.setdefault(s.uses[2:].split("@")[0], []).append(j)
    out: list[CiJob] = []
    for j in jobs:
        calls = callers.get(j.path, []) if "workflow_call" in j.triggers else []
        if calls:
            j = replace(j, triggers=j.triggers.union(*(c.triggers for c in calls)),
                        schedules=j.schedules + tuple(x for c in calls for x in c.schedules))  # schedule_line stays in its own file
        out.append(j)
    return out


def _schedule_line(on: Any) -> int:
    if isinstance(on, LineDict) and "schedule" in on:
        sched = on["schedule"]
        return sched.line_of(0) if isinstance(sched, LineList) and sched else on.line_of("schedule")
    return 0


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


def non_blocking(steps: list[CiStep]) -> list[CiStep]:
    return [CiStep(**{**_asdict(s), "blocking": False}) for s in steps]


def clean_dir(d: str) -> str:
    return _clean_dir(d)


# Parsers for other CI systems register here (system name -> parser). Each returns CiJobs.
PARSERS: dict[str, Callable[[FileIndex], list[CiJob]]] = {"github": parse_github}


def _register_builtin() -> None:
    from . import (
        aws,
        azure,
        bitbucket,
        buildkite,
        circleci,
        cloudbuild,
        gitlab,
        gitops,
        jenkins,
        tekton,
    )

    PARSERS.setdefault("gitlab", gitlab.parse_gitlab)
    PARSERS.setdefault("azure", azure.parse_azure)
    PARSERS.setdefault("jenkins", jenkins.parse_jenkins)
    PARSERS.setdefault("circleci", circleci.parse_circleci)
    PARSERS.setdefault("bitbucket", bitbucket.parse_bitbucket)
    PARSERS.setdefault("buildkite", buildkite.parse_buildkite)
    PARSERS.setdefault("cloudbuild", cloudbuild.parse_cloudbuild)
    PARSERS.setdefault("aws", aws.parse_aws)
    PARSERS.setdefault("tekton", tekton.parse_tekton)
    PARSERS.setdefault("gitops", gitops.parse_gitops)


# CI definitions under these directories are test data or samples, not the repository's own CI
SAMPLE_DIRS = frozenset({"fixtures", "fixture", "__fixtures__", "testdata", "test-data", "test_data", "examples", "example",
                         "samples", "sample", "docs", "doc"})


def _sample(index: FileIndex, path: str) -> bool:
    sub = index.target.subdir
    rel = path[len(sub) + 1 :] if sub and path.startswith(sub + "/") else path
    return any(part.lower() in SAMPLE_DIRS for part in rel.split("/")[:-1])


def ci_model(index: FileIndex) -> CiModel:
    """Every CI job of the repository, parsed once per scan."""

    def build() -> CiModel:
        model = CiModel()
        for name, parser in PARSERS.items():
            try:
                model.jobs.extend(j for j in parser(index) if not _sample(index, j.path))
            except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
                index.warn("ci-parse", f"{name} CI definitions could not be read fully: {e}")
        return model

    return index.memo("ci-model", build)


_register_builtin()
