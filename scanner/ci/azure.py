"""Azure Pipelines: ``azure-pipelines*.yml`` and any YAML shaped like a pipeline (top-level
``stages``/``jobs``/``steps`` with ``trigger``/``pr``/``schedules``/``resources``, e.g. under ``.pipelines/``).

Templates (``- template: x.yml`` for stages, jobs and steps, ``extends:``) are expanded with their
parameters; files used only as templates are not pipelines of their own. ``script``/``bash`` steps and
tasks become steps (``AzureCLI`` inline scripts and ``scriptPath``, ``Bash@3``, ``PythonScript@0`` ...).
Deployment jobs carry their ``environment`` (approvals live in Azure DevOps); ``ManualValidation``/
``ManualIntervention`` tasks are manual approval gates. Scripts run without ``set -e``: only a script's
last command decides its status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..index import FileEntry, FileIndex
from ..index.formats import LineDict, LineList
from ..lazyre import lazy_re
from .model import CiJob, CiStep, as_dict, as_list, clean_dir, falsy, line_of, make_step, non_blocking, targets_subdir, truthy

NAMED = ("**/azure-pipelines*.yml", "**/azure-pipelines*.yaml", "**/*.azure-pipelines.yml", "**/*.azure-pipelines.yaml")
YAML = ("**/*.yml", "**/*.yaml")
NEEDLES = (b"steps:", b"jobs:", b"stages:", b"extends:")
TRIGGER_KEYS = ("trigger", "pr", "schedules", "resources")
STEP_KEYS = ("script", "bash", "pwsh", "powershell", "task", "template", "checkout", "download", "publish", "downloadBuild", "getPackage")
SOURCE_DIRS = ("build.sourcesdirectory", "system.defaultworkingdirectory", "build.repository.localpath", "build.sourcedirectory")
APPROVAL_TASKS = ("manualvalidation", "manualintervention")
_EXPR = lazy_re(r"\$\{\{\s*(?:parameters|variables)\s*(?:\.\s*([\w.-]+)|\[\s*'([^']+)'\s*\])\s*\}\}")
_MACRO = lazy_re(r"\$\(([\w.-]+)\)")
MAX_DEPTH = 6


def parse_azure(index: FileIndex) -> list[CiJob]:
    named = {e.path for e in index.select(NAMED)}
    candidates: dict[str, tuple[FileEntry, LineDict]] = {}
    for e in index.select(YAML):
        if e.vpath.startswith((".github/", ".gitlab")) or e.name.startswith(".gitlab-ci"):
            continue
        if e.path not in named and not index.contains(e.path, NEEDLES):
            continue
        docs = index.yaml(e.path)
        doc = docs[0] if len(docs) == 1 else None
        if isinstance(doc, LineDict) and _shaped(doc):
            candidates[e.path] = (e, doc)
    referenced: set[str] = set()
    for e, doc in candidates.values():
        referenced |= _template_refs(index, e, doc)
    jobs: list[CiJob] = []
    for path, (e, doc) in candidates.items():
        is_root = path in named or any(k in doc for k in TRIGGER_KEYS) or (path not in referenced and ("pool" in doc or "extends" in doc))
        if is_root:
            jobs += _Pipeline(index, e, doc).jobs()
    return jobs


def _shaped(doc: LineDict) -> bool:
    if "apiVersion" in doc or "on" in doc or True in doc or "$schema" in doc:
        return False
    for key, markers in (("stages", ("stage", "template")), ("jobs", ("job", "deployment", "template")), ("steps", STEP_KEYS)):
        v = doc.get(key)
        if isinstance(v, list) and any(isinstance(x, dict) and any(m in x for m in markers) for x in v):
            return True
    ext = doc.get("extends")
    return isinstance(ext, dict) and "template" in ext


def _template_refs(index: FileIndex, e: FileEntry, doc: Any, depth: int = 0) -> set[str]:
    out: set[str] = set()
    if depth > 8:
        return out
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == "template" and isinstance(v, str):
                hit = _resolve(index, e, v)
                if hit:
                    out.add(hit.path)
            else:
                out |= _template_refs(index, e, v, depth + 1)
    elif isinstance(doc, list):
        for v in doc:
            out |= _template_refs(index, e, v, depth + 1)
    return out


def _resolve(index: FileIndex, e: FileEntry, ref: str) -> FileEntry | None:
    """A template reference, relative to the including file ('/x' from the repository root)."""
    if "@" in ref or "$" in ref:
        return None  # another repository, or computed
    base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    rel = ref.strip()
    cands = [rel.lstrip("/")] if rel.startswith("/") else [f"{base}/{rel}" if base else rel, rel]
    for cand in cands:
        parts: list[str] = []
        for p in cand.split("/"):
            if p == "..":
                if parts:
                    parts.pop()
            elif p not in ("", "."):
                parts.append(p)
        norm = "/".join(parts)
        hit = next((x for x in index.select((norm,)) if x.vpath == norm), None)
        if hit:
            return hit
    return None


def _spliced(items: Any) -> Iterator[tuple[Any, int]]:
    """List items with ``${{ if ... }}:``/``${{ each ... }}:`` blocks spliced in (conditions unevaluated)."""
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        line = items.line_of(i) if isinstance(items, LineList) else 0
        if isinstance(item, dict) and len(item) == 1 and str(next(iter(item))).startswith("${{"):
            yield from _spliced(next(iter(item.values())))
        else:
            yield item, line


class _Pipeline:
    def __init__(self, index: FileIndex, e: FileEntry, doc: LineDict) -> None:
        self.index, self.root, self.doc = index, e, doc
        self.variables: dict[str, str] = {k: "." for k in SOURCE_DIRS}
        self._variables(e, doc.get("variables"), 0)
        self.triggers, self.crons, self.sched_line, self.paths = _triggers(doc)
        self.out: list[CiJob] = []

    def _variables(self, e: FileEntry, value: Any, depth: int) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (str, int, float)):
                    self.variables[str(k).lower()] = str(v)
        for item in as_list(value) if isinstance(value, list) else []:
            if isinstance(item, dict) and "name" in item and isinstance(item.get("value"), (str, int, float)):
                self.variables[str(item["name"]).lower()] = str(item["value"])
            elif isinstance(item, dict) and isinstance(item.get("template"), str) and depth < MAX_DEPTH:
                hit = _resolve(self.index, e, item["template"])
                for d in self.index.yaml(hit.path) if hit else []:
                    if isinstance(d, dict):
                        self._variables(hit, d.get("variables"), depth + 1)  # type: ignore[arg-type]

    # ------------------------------------------------------------ substitution
    def sub(self, value: Any, params: dict[str, Any]) -> str:
        text = str(value).lower() if isinstance(value, bool) else str(value) if isinstance(value, (str, int, float)) else ""

        def expr(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            v = params.get(name, self.variables.get(name.lower()))
            return str(v) if isinstance(v, (str, int, float)) else m.group(0)

        text = _EXPR.sub(expr, text)
        return _MACRO.sub(lambda m: self.variables.get(m.group(1).lower(), m.group(0)), text)

    def params_of(self, e: FileEntry, tdoc: Any, passed: Any, outer: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        declared = tdoc.get("parameters") if isinstance(tdoc, dict) else None
        if isinstance(declared, list):
            for p in declared:
                if isinstance(p, dict) and "name" in p:
                    out[str(p["name"])] = p.get("default", "")
        elif isinstance(declared, dict):
            out.update({str(k): v for k, v in declared.items()})
        for k, v in as_dict(passed).items():
            out[str(k)] = self.sub(v, outer) if isinstance(v, str) else v
        return out

    # ------------------------------------------------------------ structure
    def jobs(self) -> list[CiJob]:
        root_params = self.params_of(self.root, self.doc, {}, {})
        self.body(self.root, self.doc, root_params, 0)
        return self.out

    def body(self, e: FileEntry, doc: Any, params: dict[str, Any], depth: int) -> None:
        if not isinstance(doc, dict) or depth > MAX_DEPTH:
            return
        if isinstance(doc.get("stages"), list):
            self.stages(e, doc["stages"], params, depth)
        elif isinstance(doc.get("jobs"), list):
            self.job_list(e, doc["jobs"], "", False, params, depth)
        elif isinstance(doc.get("steps"), list):
            self.job(e, doc, line_of(doc, "steps"), "", False, params, depth, name=str(doc.get("name", "") or "job"))
        ext = doc.get("extends")
        if isinstance(ext, dict) and isinstance(ext.get("template"), str):
            hit = _resolve(self.index, e, ext["template"])
            for tdoc in self.index.yaml(hit.path) if hit else []:
                self.body(hit, tdoc, self.params_of(hit, tdoc, ext.get("parameters"), params), depth + 1)  # type: ignore[arg-type]

    def templated(self, e: FileEntry, item: dict[str, Any], params: dict[str, Any]) -> Iterator[tuple[FileEntry, Any, dict[str, Any]]]:
        hit = _resolve(self.index, e, self.sub(item["template"], params))
        for tdoc in self.index.yaml(hit.path) if hit else []:
            yield hit, tdoc, self.params_of(hit, tdoc, item.get("parameters"), params)  # type: ignore[misc]

    def stages(self, e: FileEntry, items: Any, params: dict[str, Any], depth: int) -> None:
        for st, _line in _spliced(items):
            if not isinstance(st, dict):
                continue
            if isinstance(st.get("template"), str):
                for te, tdoc, tparams in self.templated(e, st, params):
                    if isinstance(tdoc, dict) and isinstance(tdoc.get("stages"), list) and depth < MAX_DEPTH:
                        self.stages(te, tdoc["stages"], tparams, depth + 1)
                continue
            name = self.sub(st.get("displayName") or st.get("stage") or "", params)
            self.job_list(e, st.get("jobs"), name, _off(st.get("condition")), params, depth, st.get("condition"))

    def job_list(self, e: FileEntry, items: Any, stage: str, off: bool, params: dict[str, Any], depth: int, cond: Any = None) -> None:
        for jb, line in _spliced(items):
            if not isinstance(jb, dict):
                continue
            if isinstance(jb.get("template"), str):
                for te, tdoc, tparams in self.templated(e, jb, params):
                    if isinstance(tdoc, dict) and depth < MAX_DEPTH:
                        if isinstance(tdoc.get("jobs"), list):
                            self.job_list(te, tdoc["jobs"], stage, off, tparams, depth + 1, cond)
                        elif isinstance(tdoc.get("steps"), list):
                            self.job(te, tdoc, line, stage, off, tparams, depth + 1, name=stage or "job")
                continue
            self.job(e, jb, line, stage, off, params, depth, cond=cond)

    def job(self, e: FileEntry, jb: dict[str, Any], line: int, stage: str, off: bool, params: dict[str, Any], depth: int,
            name: str = "", cond: Any = None) -> None:
        steps = self.steps(e, jb.get("steps"), params, depth)
        strategy = as_dict(jb.get("strategy"))
        for phase in strategy.values():  # deployment jobs: runOnce/rolling/canary hooks
            for hook in as_dict(phase).values():
                steps += self.steps(e, as_dict(hook).get("steps"), params, depth)
                for sub in as_dict(as_dict(hook).get("on") if isinstance(hook, dict) else None).values():
                    steps += self.steps(e, as_dict(sub).get("steps"), params, depth)
            for sub in as_dict(as_dict(phase).get("on")).values():
                steps += self.steps(e, as_dict(sub).get("steps"), params, depth)
        if truthy(jb.get("continueOnError")):
            steps = non_blocking(steps)
        env = jb.get("environment")
        env_name = self.sub(env.get("name", "") if isinstance(env, dict) else env or "", params)
        gate = "manual-approval" if any(s.uses.split("@")[0].lower() in APPROVAL_TASKS for s in steps) else ""
        triggers = set(self.triggers)
        for c in (cond, jb.get("condition")):
            triggers = _reason(str(c or ""), triggers)
        texts = [*self.paths, *(s.command for s in steps), *(s.cwd for s in steps)]
        texts += [v for s in steps for _, v in s.with_]
        needs = tuple(str(x) for x in as_list(jb.get("dependsOn")))
        container = jb.get("container")
        self.out.append(
            CiJob(
                system="azure",
                path=e.path,
                line=line or line_of(jb),
                name=self.sub(jb.get("displayName") or jb.get("deployment") or jb.get("job") or name or "job", params),
                steps=tuple(steps),
                triggers=frozenset(triggers),
                schedules=tuple(self.crons),
                environment=env_name,
                needs=needs,
                manual=bool(gate),
                disabled=off or _off(jb.get("condition")),
                applies=self.root.scope == "project" or targets_subdir(self.index.target.subdir, *texts),
                image=str(container) if isinstance(container, str) else "",
                stage=stage,
                gate=gate,
                schedule_line=self.sched_line,
            )
        )

    def steps(self, e: FileEntry, items: Any, params: dict[str, Any], depth: int) -> list[CiStep]:
        out: list[CiStep] = []
        for st, line in _spliced(items):
            if not isinstance(st, dict):
                continue
            if isinstance(st.get("template"), str):
                if "@" in st["template"]:
                    out.append(make_step(e.path, line, "template", "", uses=f"template:{st['template']}"))
                for te, tdoc, tparams in self.templated(e, st, params):
                    if isinstance(tdoc, dict) and depth < MAX_DEPTH:
                        out += self.steps(te, tdoc.get("steps"), tparams, depth + 1)
                continue
            step = self.step(e, st, line, params)
            if step:
                out.append(step)
        return out

    def step(self, e: FileEntry, st: dict[str, Any], line: int, params: dict[str, Any]) -> CiStep | None:
        name = self.sub(st.get("displayName") or st.get("name") or "", params)
        common: dict[str, Any] = {
            "blocking": not truthy(st.get("continueOnError")),
            "disabled": falsy(st.get("enabled")) or _off(st.get("condition")),
            "strict": False,
            "cwd": clean_dir(self.sub(st.get("workingDirectory", ""), params)),
        }
        for key in ("script", "bash", "pwsh", "powershell"):
            if key in st:
                return make_step(e.path, line, name, self.sub(st[key], params), uses=key, **common)
        task = st.get("task")
        if not isinstance(task, str):
            return None
        inputs = {str(k): self.sub(v, params) for k, v in _inputs(st.get("inputs")).items()}
        common["cwd"] = common["cwd"] or clean_dir(inputs.get("workingDirectory", inputs.get("cwd", "")))
        return make_step(e.path, line, name, _task_command(task, inputs), uses=task, with_=tuple(inputs.items()), **common)


def _inputs(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in as_dict(value).items():
        if str(k).startswith("${{") and isinstance(v, dict):
            out.update(_inputs(v))
        else:
            out[str(k)] = v
    return out


def _task_command(task: str, inputs: dict[str, str]) -> str:
    """The shell a task runs: inline scripts as they are, script files as ``bash|python <path> <args>``."""
    kind = task.split("@")[0].lower()
    where = (inputs.get("scriptLocation") or inputs.get("targetType") or inputs.get("scriptSource") or "").lower()
    path = inputs.get("scriptPath") or inputs.get("filePath") or ""
    args = inputs.get("arguments") or inputs.get("scriptArguments") or ""
    if kind == "pythonscript":
        return f"python {path} {args}".strip() if path and where != "inline" else ""
    if path and where not in ("inline", "inlinescript"):
        runner = "pwsh" if path.endswith(".ps1") else "bash"
        return f"{runner} {path} {args}".strip()
    for key in ("inlineScript", "script", "Inline"):
        if inputs.get(key):
            return inputs[key]
    return ""


def _off(cond: Any) -> bool:
    return falsy(cond) or (isinstance(cond, str) and cond.strip().lower() in ("false", "eq(1, 2)", "${{ false }}"))


def _reason(cond: str, triggers: set[str]) -> set[str]:
    """``eq(variables['Build.Reason'], 'Schedule')`` restricts a job to scheduled runs."""
    c = cond.replace('"', "'").lower()
    if re.search(r"eq\(\s*variables\[?'?\.?build\.reason'?\]?\s*,\s*'schedule'\s*\)", c):
        return triggers & {"schedule"}
    if re.search(r"ne\(\s*variables\[?'?\.?build\.reason'?\]?\s*,\s*'schedule'\s*\)", c):
        return triggers - {"schedule"}
    return triggers


def _none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() == "none") or value == []


def _triggers(doc: LineDict) -> tuple[set[str], list[str], int, list[str]]:
    names: set[str] = set()
    paths: list[str] = []
    trig = doc.get("trigger", "<default>")
    if not _none(trig):
        names.add("push")
        if isinstance(trig, dict):
            paths += [str(p) for p in as_list(as_dict(trig.get("paths")).get("include"))]
            if trig.get("tags"):
                names.add("tag")
    pr = doc.get("pr", "<default>" if not _none(trig) else "none")  # `trigger: none` alone means run by hand
    if not _none(pr):
        names.add("pull_request")
        if isinstance(pr, dict):
            paths += [str(p) for p in as_list(as_dict(pr.get("paths")).get("include"))]
    crons: list[str] = []
    sched_line = 0
    schedules = doc.get("schedules")
    for i, s in enumerate(as_list(schedules)):
        if isinstance(s, dict) and s.get("cron"):
            crons.append(str(s["cron"]))
            sched_line = sched_line or line_of(s, "cron", schedules.line_of(i) if isinstance(schedules, LineList) else 0)
    if crons:
        names.add("schedule")
    res = as_dict(doc.get("resources"))
    for p in as_list(res.get("pipelines")):
        if isinstance(p, dict) and "trigger" in p and not _none(p.get("trigger")):
            names.add("pipeline")
    for r in as_list(res.get("repositories")):
        if isinstance(r, dict) and "trigger" in r and not _none(r.get("trigger")):
            names.add("push")
    if not names:
        names.add("manual")
    return names, crons, sched_line, paths
