"""GitLab CI: the root ``.gitlab-ci.yml`` with the local files it includes (and local child pipelines).

Schedules live in the GitLab UI, so a job is marked with the ``schedule`` trigger (no cron) when its
``rules``/``only`` name the ``schedule`` pipeline source. ``when: manual`` jobs are human gates,
``allow_failure`` jobs cannot fail the pipeline, ``when: never`` jobs never run.
"""

from __future__ import annotations

from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineDict, LineList
from ..lazyre import lazy_re
from .model import CiJob, CiStep, as_dict, as_list, env_vars, line_of, make_step, targets_subdir, truthy

ROOT_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
GLOBAL_KEYS = frozenset(
    {"image", "services", "stages", "variables", "include", "default", "workflow", "before_script", "after_script", "cache", "spec"}
)
SOURCES = {
    "schedule": "schedule", "merge_request_event": "pull_request", "external_pull_request_event": "pull_request",
    "push": "push", "web": "manual", "api": "manual", "chat": "manual", "trigger": "pipeline",
    "pipeline": "pipeline", "parent_pipeline": "pipeline",
}
ONLY_REFS = {
    "schedules": "schedule", "merge_requests": "pull_request", "external_pull_requests": "pull_request",
    "tags": "tag", "branches": "push", "pushes": "push", "web": "manual", "api": "manual", "triggers": "pipeline",
    "pipelines": "pipeline", "chat": "manual",
}
_SOURCE_EQ = lazy_re(r"\$CI_PIPELINE_SOURCE\s*(==|=~)\s*[\"'/]?(\w+)")
MAX_DEPTH = 6

Job = tuple[FileEntry, LineDict, int]  # file, body, line of the job's key


def parse_gitlab(index: FileIndex) -> list[CiJob]:
    jobs: list[CiJob] = []
    for e in index.select(tuple(f"**/{n}" for n in ROOT_FILES)):
        if e.vpath in ROOT_FILES:
            jobs += _pipeline(index, e, inherited=None, depth=0)
    return jobs


def pipeline_files(index: FileIndex) -> list[str]:
    """Paths of the files the root pipeline loads (``.gitlab-ci.yml`` and its local includes, transitively)."""
    seen: set[str] = set()
    for e in index.select(tuple(f"**/{n}" for n in ROOT_FILES)):
        if e.vpath in ROOT_FILES:
            _collect(index, e, seen, 0)
    return sorted(seen)


def _pipeline(index: FileIndex, root: FileEntry, inherited: frozenset[str] | None, depth: int) -> list[CiJob]:
    docs = _collect(index, root, set(), 0)
    if not docs:
        return []
    defined: dict[str, Job] = {}
    glob: dict[str, Any] = {}
    for e, doc in docs[1:] + docs[:1]:  # included files first: the root file overrides them
        for k, v in doc.items():
            if not isinstance(k, str):
                continue
            if k in GLOBAL_KEYS:
                glob[k] = (e, v)
            elif isinstance(v, LineDict):
                defined[k] = (e, v, doc.line_of(k))
    wf_sources = _workflow_sources(glob.get("workflow", (None, None))[1])
    default = as_dict(glob.get("default", (None, {}))[1])
    out: list[CiJob] = []
    for name, (e, job, line) in defined.items():
        if name.startswith("."):
            continue
        out += _job(index, name, e, job, line, defined, glob, default, wf_sources, inherited, depth)
    return out


def _job(index: FileIndex, name: str, e: FileEntry, job: LineDict, line: int, defined: dict[str, Job], glob: dict[str, Any],
         default: dict[str, Any], wf_sources: set[str] | None, inherited: frozenset[str] | None, depth: int) -> list[CiJob]:
    sub = index.target.subdir

    def get(key: str) -> tuple[FileEntry | None, Any]:
        return _lookup(name, key, defined, 0)[:2]

    rules = get("rules")[1]
    only, except_ = get("only")[1], get("except")[1]
    when = str(get("when")[1] or "on_success")
    if isinstance(rules, list):
        triggers, manual_rule, af_rule, paths, sched_line = _rules(rules)
        disabled = not triggers
    elif only is not None or except_ is not None:
        triggers, paths, sched_line = _only(only, except_)
        manual_rule, af_rule, disabled = False, False, not triggers
    else:
        triggers, paths, sched_line, manual_rule, af_rule, disabled = set(wf_sources or {"push", "tag"}), [], 0, False, False, False
    if inherited is not None:
        triggers = set(inherited)
    manual = when == "manual" or manual_rule
    if manual:
        triggers.add("manual")
    disabled = disabled or when == "never"
    allow_failure = get("allow_failure")[1]
    blocking = not (truthy(allow_failure) or af_rule)

    steps: list[CiStep] = []
    texts = [*paths]
    for section in ("before_script", "script", "after_script"):
        src, value, kline = _lookup(name, section, defined, 0)
        if value is None:
            src, value = (e, default.get(section)) if section in default else glob.get(section, (None, None))
            kline = line_of(default, section) if section in default else 0
        for text, sline in _script(value, defined, line_of(value, default=kline or job.line)):
            texts.append(text)
            steps.append(make_step((src or e).path, sline, section, text, blocking=blocking and section != "after_script"))
    variables = as_dict(get("variables")[1])
    texts += [str(v) for v in variables.values()]

    # a child pipeline runs with the parent's triggers
    trigger = get("trigger")[1]
    children: list[CiJob] = []
    if isinstance(trigger, dict) and depth < 2:
        for inc in _includes(trigger.get("include")):
            for child in _find(index, inc):
                children += _pipeline(index, child, frozenset(triggers), depth + 1)

    env = get("environment")[1]
    env_name = str(env.get("name", "")) if isinstance(env, dict) else str(env or "")
    image = get("image")[1] or default.get("image") or glob.get("image", (None, ""))[1]
    needs = tuple(str(n.get("job", "")) if isinstance(n, dict) else str(n) for n in as_list(get("needs")[1]))
    applies = e.scope == "project" or targets_subdir(sub, *texts)
    job_ci = CiJob(
        system="gitlab",
        path=e.path,
        line=line,
        name=name,
        steps=tuple(steps),
        triggers=frozenset(triggers),
        schedules=(),
        environment=env_name,
        needs=needs,
        manual=manual,
        disabled=disabled,
        applies=applies,
        image=str(image.get("name", "")) if isinstance(image, dict) else str(image or ""),
        stage=str(get("stage")[1] or "test"),
        gate="manual" if manual else "",
        schedule_line=sched_line,
        env=env_vars(glob.get("variables", (None, None))[1], variables),
    )
    return [job_ci, *children] if steps or not children else children


# ------------------------------------------------------------------ files and includes


def _collect(index: FileIndex, e: FileEntry, seen: set[str], depth: int) -> list[tuple[FileEntry, LineDict]]:
    if e.path in seen or depth > MAX_DEPTH:
        return []
    seen.add(e.path)
    out: list[tuple[FileEntry, LineDict]] = []
    for doc in index.yaml(e.path):
        if not isinstance(doc, LineDict) or (set(doc) == {"spec"}):
            continue  # the header document of a CI/CD component
        out.append((e, doc))
        for inc in _includes(doc.get("include")):
            for hit in _find(index, inc):
                out += _collect(index, hit, seen, depth + 1)
    return out


def _includes(value: Any) -> list[str]:
    out: list[str] = []
    for item in as_list(value):
        if isinstance(item, str) and "://" not in item:
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("local"), str):
            out.append(item["local"])
    return out


def _find(index: FileIndex, path: str) -> list[FileEntry]:
    path = path.strip().lstrip("/")
    if not path or "$" in path:
        return []
    return [e for e in index.select((path,)) if e.vpath == path or "*" in path]


# ------------------------------------------------------------------ job keys


def _lookup(name: str, key: str, defined: dict[str, Job], depth: int) -> tuple[FileEntry | None, Any, int]:
    """A key of a job (file, value, line of the key), following ``extends`` (later parents override earlier ones)."""
    hit = defined.get(name)
    if hit is None or depth > MAX_DEPTH:
        return None, None, 0
    e, job, _ = hit
    if key in job:
        return e, job[key], job.line_of(key)
    for parent in reversed(as_list(job.get("extends"))):
        if isinstance(parent, str):
            found = _lookup(parent, key, defined, depth + 1)
            if found[1] is not None:
                return found
    return None, None, 0


def _script(value: Any, defined: dict[str, Job], line: int, depth: int = 0) -> list[tuple[str, int]]:
    """Script lines, with ``!reference [.job, key]`` items resolved."""
    if isinstance(value, str):
        return [(value, line)]
    out: list[tuple[str, int]] = []
    if isinstance(value, list) and depth < MAX_DEPTH:
        if len(value) >= 2 and all(isinstance(v, str) for v in value) and value[0] in defined:
            ref: Any = defined[value[0]][1]
            for k in value[1:]:
                ref = ref.get(k) if isinstance(ref, dict) else None
            return [(t, line) for t, _ in _script(ref, defined, line, depth + 1)]
        for i, v in enumerate(value):
            out += _script(v, defined, value.line_of(i) if isinstance(value, LineList) else line, depth + 1)
    return out


def _condition_triggers(cond: str) -> set[str]:
    found = {SOURCES.get(m.group(2), "push") for m in _SOURCE_EQ.finditer(cond)}
    if found:
        return found
    if "$CI_COMMIT_TAG" in cond:
        return {"tag"}
    if "$CI_MERGE_REQUEST" in cond:
        return {"pull_request"}
    return {"push"}


def _rules(rules: list[Any]) -> tuple[set[str], bool, bool, list[str], int]:
    triggers: set[str] = set()
    manual = allow_failure = False
    paths: list[str] = []
    sched_line = 0
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        if str(rule.get("when", "")) == "never":
            continue
        found = _condition_triggers(str(rule.get("if", "")))
        triggers |= found
        if "schedule" in found and not sched_line:
            sched_line = rules.line_of(i) if isinstance(rules, LineList) else line_of(rule)
        manual = manual or str(rule.get("when", "")) == "manual"
        allow_failure = allow_failure or truthy(rule.get("allow_failure"))
        changes = rule.get("changes")
        paths += [str(p) for p in as_list(changes.get("paths") if isinstance(changes, dict) else changes)]
    return triggers, manual, allow_failure, paths, sched_line


def _only(only: Any, except_: Any) -> tuple[set[str], list[str], int]:
    def refs(spec: Any) -> tuple[set[str], list[str], int]:
        if spec is None:
            return set(), [], 0
        items, exprs, changes = (spec, [], []) if isinstance(spec, list) else (
            as_list(as_dict(spec).get("refs")), as_list(as_dict(spec).get("variables")), as_list(as_dict(spec).get("changes")))
        out: set[str] = set()
        line = 0
        for i, r in enumerate(items):
            t = ONLY_REFS.get(str(r), "push")
            out.add(t)
            if t == "schedule" and not line:
                line = items.line_of(i) if isinstance(items, LineList) else 0
        for x in exprs:
            out |= _condition_triggers(str(x))
        return out or ({"push", "tag"} if spec is not None and not items else set()), [str(c) for c in changes], line

    inc, paths, line = refs(only) if only is not None else ({"push", "tag"}, [], 0)
    exc, _, _ = refs(except_) if isinstance(except_, list) or isinstance(except_, dict) and "refs" in except_ else (set(), [], 0)
    return inc - (exc & {"schedule", "pull_request", "tag"}), paths, line


def _workflow_sources(workflow: Any) -> set[str] | None:
    rules = as_dict(workflow).get("rules")
    if not isinstance(rules, list):
        return None
    out: set[str] = set()
    for rule in rules:
        if isinstance(rule, dict) and str(rule.get("when", "")) != "never":
            out |= _condition_triggers(str(rule.get("if", "")))
    return out or None
