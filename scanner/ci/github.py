"""GitHub Actions workflows (``.github/workflows/*.yml``) as CI jobs: triggers, schedules, ``if: false``,
``continue-on-error``, reusable workflows called with ``uses:``; a file GitHub rejects (``secrets`` in an
``if:``) runs no job."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..index import FileIndex
from ..index.formats import LineDict, LineList
from ..valueclass import replace
from .model import CiJob, CiStep, _asdict, clean_dir, env_vars, targets_subdir
from .shell import is_placeholder

GITHUB_WORKFLOWS = (".github/workflows/*.yml", ".github/workflows/*.yaml")


# trigger markers beside the event names: a ``push`` filtered to branches only (tag pushes do not run the workflow) or
# to tags only (branch pushes do not)
BRANCH_PUSH_ONLY = "push:branches-only"
TAG_PUSH_ONLY = "push:tags-only"


# pull request activity types that carry new code (GitHub's default for ``pull_request`` is opened, synchronize, reopened)
_CHANGE_TYPES = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


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
            types = v.get("types") if isinstance(v, dict) else None
            if k in ("pull_request", "pull_request_target") and isinstance(types, list) and not {str(t) for t in types} & _CHANGE_TYPES:
                # ``types: [review_requested]`` (or labeled, assigned): runs on that activity, not on a pull request's changes
                names.add(f"{k}_activity")
                continue
            names.add(str(k))
            if k == "schedule" and isinstance(v, list):
                crons += [str(x.get("cron")) for x in v if isinstance(x, dict) and x.get("cron")]
            if isinstance(v, dict):
                for key in ("paths",):
                    if isinstance(v.get(key), list):
                        paths += [str(p) for p in v[key]]
                if k == "push" and v.get("tags"):
                    names.add("tag")
                if k == "push":
                    # GitHub: a push filter that names only branches (``branches``/``branches-ignore``) runs on no tag
                    # push, one that names only tags (``tags``/``tags-ignore``) on no branch push; path filters are
                    # not evaluated for tag pushes
                    branches = "branches" in v or "branches-ignore" in v
                    tags = "tags" in v or "tags-ignore" in v
                    if branches and not tags:
                        names.add(BRANCH_PUSH_ONLY)
                    elif tags and not branches:
                        names.add(TAG_PUSH_ONLY)
    if "workflow_dispatch" in names or "repository_dispatch" in names:
        names.add("manual")
    return names, crons, paths


# events a release runs on: a tag push, a published release, a created ref
_TAG_EVENTS = frozenset({"tag", "release", "create"})
# events that run a workflow on branches, pull requests, other workflows or a clock
_OTHER_AUTOMATIC = frozenset({"pull_request", "pull_request_target", "schedule", "workflow_run", "merge_group", "pipeline",
                              "gitops", "check_suite", "check_run", "deployment", "deployment_status"})


def runs_on_releases_only(job: CiJob) -> bool:
    """A GitHub Actions job whose workflow runs automatically only when a release is cut: on tag pushes (``push`` filtered
    to tags only), ``release`` or ``create`` events (besides a manual dispatch)."""
    t = job.triggers
    if job.system != "github" or not t & _TAG_EVENTS or t & _OTHER_AUTOMATIC:
        return False
    return "push" not in t or (TAG_PUSH_ONLY in t and BRANCH_PUSH_ONLY not in t)


def runs_on_releases(job: CiJob) -> bool:
    """Does a GitHub Actions job run when a release is cut: on tag pushes (an unfiltered ``push``, one filtered by paths
    only, or one naming tags, also through the workflow that calls it), ``release`` or ``create`` events?"""
    t = job.triggers
    return bool(t & _TAG_EVENTS) or ("push" in t and BRANCH_PUSH_ONLY not in t)


# the events whose branch filters say which refs a workflow runs on: the pushed branch, a pull request's base branch
_BRANCH_EVENTS = ("push", "pull_request", "pull_request_target")


def event_branches(index: FileIndex, path: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None]:
    """The branch filters of a workflow's ``push`` and pull-request events: event -> (``branches``, ``branches-ignore``)
    patterns, None for an event that runs on every branch; an event the workflow does not have is absent. A push filtered
    to tags only runs on no branch (an empty filter). Read once per workflow a scan."""
    return index.memo(f"github-event-branches:{path}", lambda: _event_branches(index, path))  # type: ignore[no-any-return]


def _event_branches(index: FileIndex, path: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None]:
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}
    for doc in index.yaml(path):
        if not isinstance(doc, dict):
            continue
        on = doc.get("on", doc.get(True))
        events = {str(on): None} if isinstance(on, str) else {str(x): None for x in on} if isinstance(on, list) else \
            on if isinstance(on, dict) else {}
        for ev in _BRANCH_EVENTS:
            if ev not in events:
                continue
            v = events[ev]
            if not isinstance(v, dict) or not ({"branches", "branches-ignore", "tags", "tags-ignore"} & set(v)):
                out[ev] = None
                continue
            inc, exc = v.get("branches"), v.get("branches-ignore")
            inc_t = tuple(str(x) for x in inc) if isinstance(inc, list) else (str(inc),) if isinstance(inc, str) else ()
            exc_t = tuple(str(x) for x in exc) if isinstance(exc, list) else (str(exc),) if isinstance(exc, str) else ()
            out[ev] = None if not inc_t and not exc_t and "tags" not in v and "tags-ignore" not in v else (inc_t, exc_t)
        break
    return out


@lru_cache(maxsize=1024)
def _branch_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter pattern: ``*`` any characters but ``/``, ``**`` any characters, ``?``/``+`` one or more of the one
    before, ``[...]`` a class; a leading ``!`` negates (handled by the caller)."""
    out = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        out += "[^/]*" if ch == "*" else ch if ch in "?+[]" else re.escape(ch)
        i += 1
    return re.compile(out + r"\Z")


def branch_filtered(branch: str, spec: tuple[tuple[str, ...], tuple[str, ...]] | None) -> bool:
    """Does an event with branch filter ``spec`` (``event_branches``) run for ``branch``?"""
    if spec is None:
        return True
    inc, exc = spec
    if exc:
        return not any(_branch_glob(p).match(branch) for p in exc)
    hit = False
    for p in inc:  # later patterns win: ``!release/old`` after ``release/**``
        neg = p.startswith("!")
        if _branch_glob(p[1:] if neg else p).match(branch):
            hit = not neg
    return hit


def _if_false(cond: Any) -> bool:
    return cond is False or (isinstance(cond, str) and cond.strip().strip("${} ").lower() in ("false", "0"))


_SECRETS_CONTEXT = re.compile(r"(?<![\w.-])secrets\s*[.\[]")
_QUOTED = re.compile(r"'(?:[^']|'')*'")


def _secrets_in_if(cond: Any) -> bool:
    """Does a job's or step's ``if:`` read the ``secrets`` context? GitHub Actions rejects such a workflow file when
    it validates it ("Unrecognized named-value: 'secrets'": ``secrets`` is not among the contexts ``jobs.<id>.if`` and
    ``steps[*].if`` may use; its docs' workaround maps the secret to ``env`` first), so none of its jobs run. Text
    inside a quoted literal is no context."""
    return isinstance(cond, str) and bool(_SECRETS_CONTEXT.search(_QUOTED.sub("''", cond)))


def _self_hosted(runs_on: Any) -> bool:
    """``runs-on: self-hosted`` / ``[self-hosted, linux]`` / ``{labels: [self-hosted, ...]}``: a runner of the project's own."""
    labels = runs_on.get("labels") if isinstance(runs_on, dict) else runs_on
    labels = labels if isinstance(labels, list) else [labels]
    return any(isinstance(x, str) and x.strip().lower() == "self-hosted" for x in labels)


def _rejected(jobs: Any) -> bool:
    """A workflow file GitHub rejects at validation: an ``if:`` of a job or a step reads ``secrets``."""
    if not isinstance(jobs, dict):
        return False
    for job in jobs.values():
        if not isinstance(job, dict):
            continue
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        if _secrets_in_if(job.get("if")) or any(isinstance(s, dict) and _secrets_in_if(s.get("if")) for s in steps):
            return True
    return False


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
            # GitHub runs no workflow without an event (``on:`` missing, or every event commented out): its jobs are off
            never_runs = not names
            wf_jobs = doc.get("jobs")
            never_runs = never_runs or _rejected(wf_jobs)  # an invalid workflow file runs no job either
            wf_targets = e.scope == "project" or targets_subdir(sub, *paths)
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
                strategy = job.get("strategy")
                matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
                for i, s in enumerate(steps_raw):
                    if not isinstance(s, dict):
                        continue
                    sline = steps_raw.line_of(i) if isinstance(steps_raw, LineList) else line
                    run = s.get("run")
                    raw = str(run) if isinstance(run, (str, int, float)) else ""
                    coe = s.get("continue-on-error")
                    with_ = s.get("with") if isinstance(s.get("with"), dict) else {}
                    shell = str(s.get("shell") or "")
                    # a command written with matrix values (``run: ${{ matrix.task.run }}``) is one step per value
                    for cmd in matrix_commands(raw, matrix) if raw else ("",):
                        texts += [cmd, str(s.get("working-directory", ""))]
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
                                cwd=clean_dir(str(s.get("working-directory", "") or job_wd)),
                                strict=not shell or shell in ("bash", "sh") or "-e" in shell,  # bash -e {0} by default
                            )
                        )
                if job.get("uses"):  # reusable workflow call, cited at its ``uses:`` line (the job's key is a bare opener)
                    uline = (job.line_of("uses") if isinstance(job, LineDict) else 0) or line
                    steps.append(CiStep(e.path, uline, str(job_id), "", uses=str(job["uses"])))
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
                        disabled=never_runs or _if_false(job.get("if")),
                        applies=applies,
                        image=str(job.get("container", "") if not isinstance(job.get("container"), dict) else job["container"].get("image", "")),
                        self_hosted=_self_hosted(job.get("runs-on")),
                        env=env_vars(doc.get("env"), job.get("env")),
                        gate="manual-approval" if any(_approval_action(st) for st in steps) else "",
                    )
                )
    return _called_workflows(jobs)


def _approval_action(step: CiStep) -> bool:
    """A step of an action that waits for a person's approval and fails the job on a rejection: an action named for it
    (``trstringer/manual-approval``, a Slack approval action whose buttons a reviewer presses), run and blocking."""
    name = step.uses.split("@", 1)[0].lower()
    action = name.rsplit("/", 1)[-1]
    # (a bot approving pull requests, ``hmarr/auto-approve-action``, ``approve-pull-request-action``, is no reviewer)
    bot = "auto" in action or "pull-request" in action or "-pr" in action or "pr-" in action
    return bool(name) and not name.startswith(("./", "docker://")) and "approv" in action and not bot and step.blocking and not step.disabled


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


# ``${{ matrix.task.run }}``, ``${{ matrix['python-version'] }}``: a plain path into the job's matrix (an expression with
# operators or functions is left as written)
_MATRIX_EXPR = re.compile(r"\$\{\{\s*matrix((?:\.[\w-]+|\[\s*'[^']*'\s*\]|\[\s*\"[^\"]*\"\s*\])+)\s*\}\}")
_MATRIX_KEY = re.compile(r"\.([\w-]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")
_MATRIX_MAX = 32  # commands one step expands to at most


def _matrix_values(matrix: dict[Any, Any], path: list[str]) -> list[str]:
    """Every value a matrix path takes: the key's list (or single value) and each ``include`` entry's, followed into
    objects (``task: {name: test, run: pytest}`` for ``matrix.task.run``); scalars only, as GitHub renders them."""
    head, rest = path[0], path[1:]
    found: list[Any] = []
    base = matrix.get(head)
    found += base if isinstance(base, list) else [base] if base is not None else []
    include = matrix.get("include")
    found += [i.get(head) for i in include if isinstance(i, dict) and i.get(head) is not None] if isinstance(include, list) else []
    out: list[str] = []
    for v in found:
        for key in rest:
            v = v.get(key) if isinstance(v, dict) else None
        if isinstance(v, bool):
            text = "true" if v else "false"
        elif isinstance(v, (str, int, float)):
            text = str(v)
        else:
            continue
        if text not in out:
            out.append(text)
    return out


def matrix_commands(cmd: str, matrix: Any) -> list[str]:
    """The commands a step's ``run:`` text becomes across the job's ``strategy.matrix``: each ``${{ matrix.<path> }}``
    replaced by every value the matrix gives it (its list, ``include`` entries; at most ``_MATRIX_MAX`` commands).
    GitHub runs the step once per combination, so a command in any value runs; an expression the matrix gives no
    value stays as written, and so does the text when the matrix is computed (``${{ fromJSON(...) }}``)."""
    if not isinstance(matrix, dict) or "matrix" not in cmd:
        return [cmd]
    exprs = list(dict.fromkeys(m.group(0) for m in _MATRIX_EXPR.finditer(cmd)))
    out = [cmd]
    for x in exprs:
        m = _MATRIX_EXPR.fullmatch(x)
        path = [a or b or c for a, b, c in _MATRIX_KEY.findall(m.group(1))] if m else []
        values = _matrix_values(matrix, path) if path else []
        if values:
            out = list(dict.fromkeys(c.replace(x, v) for c in out for v in values))[:_MATRIX_MAX]
    return out


def _schedule_line(on: Any) -> int:
    if isinstance(on, LineDict) and "schedule" in on:
        sched = on["schedule"]
        return sched.line_of(0) if isinstance(sched, LineList) and sched else on.line_of("schedule")
    return 0
