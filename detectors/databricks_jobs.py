"""Databricks jobs (asset bundles ``resources.jobs``, dbx deployment files, job JSON and Terraform ``databricks_job`` resources):
schedules (``pause_status``), task graphs (``depends_on``), validation run modes, metric-violation retraining, and
tasks whose code creates or updates a model serving endpoint (``WorkspaceClient().serving_endpoints.create`` /
``update_config``, MLflow's Databricks deployments client), in the task's script or the project modules it imports;
feeds M1, D3, M4, M2."""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import hcl
from mlscan.facts.commands import normpath
from mlscan.facts.databricks_bundles import BUNDLE_NAMES, BUNDLE_VAR, bundle_settings, pause_status, task_code
from mlscan.facts.orchestration import DRIFT_WORDS, all_strings, dotted, line_of, trainingish, words, yaml_docs
from mlscan.facts.pyast import walk
from mlscan.facts.wiring import file_imports
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_NONBLOCKING = {"dry_run", "dry-run", "dryrun", "disabled", "disable", "off", "warn", "log_only", "report"}
_BLOCKING = {"enabled", "enable", "enforce", "strict", "on", "block", "fail"}


def _included(index: FileIndex) -> Any:
    """A predicate: is a resource file part of a bundle (listed by a bundle's ``include:``)? True when no bundle exists."""
    bundles = [(e, doc) for e in index.select(tuple(f"**/{n}" for n in BUNDLE_NAMES)) for doc in index.yaml(e.path) if isinstance(doc, dict)]
    if not bundles:
        return lambda e: True
    pats = []
    for e, doc in bundles:
        base = e.vpath.rsplit("/", 1)[0] + "/" if "/" in e.vpath else ""
        pats.append(e.vpath)
        pats += [base + str(p).lstrip("./") for p in doc.get("include") or [] if isinstance(p, str)]
    return lambda e: any(fnmatch.fnmatchcase(e.vpath, p) for p in pats)


def _dbx_jobs(doc: dict, deployment: bool) -> list[dict]:
    """The multitask jobs of a dbx deployment file (``conf/deployment.yml``/``.json``, ``dbx deploy`` creates them):
    ``environments: <env>: workflows|jobs: [...]``, or the older top-level ``<env>: jobs: [...]`` of a ``deployment.*``
    file (``deployment``); each job once (its first environment's definition), only jobs with a ``tasks`` list."""
    envs = doc.get("environments")
    if not isinstance(envs, dict):
        envs = doc if deployment else {}
    out: dict[str, dict] = {}
    for env in envs.values():
        for key in ("workflows", "jobs"):
            found = env.get(key) if isinstance(env, dict) else None
            for j in found if isinstance(found, list) else []:
                if isinstance(j, dict) and isinstance(j.get("tasks"), list) and isinstance(j.get("name"), str):
                    out.setdefault(j["name"], j)
    return list(out.values())


JOB_WORDS = (b"jobs", b"schedule", b"job_clusters", b"trigger", b"workflows")


def _holds_jobs(index: FileIndex, path: str) -> bool:
    """Does a YAML file hold a document ``detect`` reads jobs from (``resources.jobs``, a dbx deployment's jobs, a
    ``tasks`` list beside ``schedule``/``job_clusters``/``trigger``)? A fact of the file, derived as it is first loaded: a
    compiled pipeline or an Argo/Tekton DAG names the words too and was loaded again to find none (any file name counts as
    a ``deployment.*`` file here; ``detect`` tells)."""
    for doc in index.yaml(path):
        if not isinstance(doc, dict):
            continue
        res = doc.get("resources")
        if isinstance(res, dict) and isinstance(res.get("jobs"), dict) or _dbx_jobs(doc, True) or (
                isinstance(doc.get("tasks"), list) and ("schedule" in doc or "job_clusters" in doc or "trigger" in doc)):
            return True
    return False


HOLDS_JOBS = register_fact("databricks.jobs.holds", _holds_jobs, kind="yaml",
                           eager=lambda index, path: index.contains(path, (b"tasks",)) and index.contains(path, JOB_WORDS))


class _Lined(dict):
    """A mapping read from a Terraform block that remembers where each key was written (``line_of``)."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(str(key), self.line)


_REPEATED = {"task", "depends_on", "job_cluster", "library"}
_HCL_PAIR = re.compile(r'"?([A-Za-z_][\w.-]*)"?\s*=\s*"([^"]*)"')


def _from_block(b: hcl.Block, src: list[str]) -> _Lined:
    """A Terraform block as the job JSON the Jobs API takes: repeated blocks become lists, a literal map
    attribute (``base_parameters = { k = "v" }``) a dict of its string pairs."""
    out = _Lined()
    out.line, out.lines = b.line, {}
    for k, (v, ln) in b.attrs.items():
        if isinstance(v, str) and v.lstrip().startswith("{") and k.endswith("parameters"):
            v = _Lined(_HCL_PAIR.findall(v))
            v.line, v.lines = ln, {}
            for i in range(ln - 1, min(len(src), ln + 4 * len(v) + 20)):  # each key's own line inside the map
                m = re.match(r'\s*"?([A-Za-z_][\w.-]*)"?\s*=', src[i])
                if m and m.group(1) in v and m.group(1) not in v.lines:
                    v.lines[m.group(1)] = i + 1
        out[k], out.lines[k] = v, ln
    for c in b.blocks:
        val = _from_block(c, src)
        if c.type in _REPEATED:
            out.setdefault(c.type, []).append(val)
        else:
            out[c.type] = val
        out.lines.setdefault(c.type, c.line)
    if "tasks" not in out and "task" in out:
        out["tasks"], out.lines["tasks"] = out.pop("task"), out.lines["task"]
    elif "tasks" not in out and any(str(k).endswith("_task") for k in out):  # a single-task job: the task sits on the job
        one = _Lined({k: v for k, v in out.items() if str(k).endswith("_task")})
        one.line, one.lines = out.line, {}
        one["task_key"] = str(out.get("name", ""))
        out["tasks"] = [one]
    return out


def _terraform_jobs(index: FileIndex) -> list[tuple[FileEntry, str, dict, Any]]:
    """``resource "databricks_job" "name" {...}`` blocks of the repository's Terraform files."""
    jobs: list[tuple[FileEntry, str, dict, Any]] = []
    for e in index.select(("**/*.tf",)):
        if e.test or not index.contains(e.path, (b"databricks_job",)):
            continue
        text = index.text(e.path) or ""
        for b in hcl.parse(text):
            if b.type == "resource" and len(b.labels) >= 2 and b.labels[0] == "databricks_job":
                jobs.append((e, b.labels[1], _from_block(b, text.splitlines()), None))
    return jobs


def _task_text(t: dict) -> list[str]:
    out = [str(t.get("task_key", ""))]
    for k, v in t.items():
        if str(k).endswith("_task") and isinstance(v, dict):
            out += [str(v.get(x, "")) for x in ("notebook_path", "python_file", "entry_point", "package_name", "main_class_name", "job_id")]
    return out


def _params(t: dict) -> dict:
    for k, v in t.items():
        if str(k).endswith("_task") and isinstance(v, dict):
            p = v.get("base_parameters") or v.get("named_parameters") or v.get("parameters")
            if isinstance(p, dict):
                return p
    return {}


# a task parameter naming the data it reads (``training_data_path``, ``input_table_name``, ``pickup_features_table``), not
# what it writes, the model, the experiment or the run's settings
_DATA_WORDS = frozenset({"data", "dataset", "table", "input", "source", "features", "raw"})
_NOT_DATA_WORDS = frozenset({"output", "model", "experiment", "env", "git", "checkpoint", "predictions", "mode", "monitor", "monitored"})


# words of a task that prepares the data training reads (``FeatureEngineering``, ``preprocess``, ``ingest_data``)
_PREP_WORDS = frozenset({"data", "dataset", "features", "feature", "engineering", "preprocess", "preprocessing", "prep", "prepare",
                         "ingest", "ingestion", "etl", "extract", "transform", "clean", "cleaning", "split", "load", "raw"})


def _training_edge(tasks: list[dict]) -> tuple[int, int] | None:
    """The line of the step reference under the training task's ``depends_on`` naming the task that prepares its data
    (``- task_key: FeatureEngineering``, cited by the evidence pass with the task that waits): the edge by which prepared
    data reaches training. None without one (a retraining task waiting for a drift check's verdict passes no data)."""
    prep = {str(t.get("task_key")) for t in tasks if "condition_task" not in t and words(" ".join(_task_text(t))) & _PREP_WORDS}
    for t in tasks:
        deps = [d for d in t.get("depends_on") or [] if isinstance(d, dict) and str(d.get("task_key")) in prep]
        if deps and trainingish(*_task_text(t)) and (ln := line_of(deps[0], "task_key")):
            return ln, line_of(t, "task_key") or 0
    return None


def _hcl_edge(index: FileIndex, e: FileEntry, edge: tuple[int, int]) -> tuple[int, int, str] | None:
    """A Terraform training task's edge cited with the task that waits: its ``task_key = "train"`` line, then its
    ``depends_on {`` block through the closing brace (the YAML form's ``- task_key: Train`` / ``depends_on:`` is shown by
    the evidence pass from the list item). (line, end line, snippet), None when the block is not where the parse put it."""
    lines = index.lines(e.path) or []
    ln, task = edge
    opener = next((i for i in range(ln - 1, max(0, ln - 4), -1) if lines[i - 1].strip().startswith("depends_on")), 0)
    close = next((i for i in range(ln + 1, min(len(lines), ln + 3) + 1) if lines[i - 1].strip() == "}"), 0)
    if not (opener and close and 0 < task < opener):
        return None
    shown = [lines[task - 1].strip(), *(lines[i - 1].strip() for i in range(opener, close + 1))]
    return task, close, "\n".join(shown)


def _data_input(tasks: list[dict]) -> tuple[int, str] | None:
    """(line, structural path) of the first data parameter of the first training task that declares one (a validation
    task's input is no model input: then the DAG's edge shows the lineage)."""
    for t in tasks:
        if trainingish(*_task_text(t)):
            params = _params(t)
            for k, v in params.items():
                w = words(str(k))
                if w & _DATA_WORDS and not w & _NOT_DATA_WORDS and isinstance(v, str) and v.strip() and (ln := line_of(params, k)):
                    return ln, f"tasks.{t.get('task_key', '?')}.parameters.{k}"
    return None


_CONF_FILE = re.compile(r"^(?:file:fuse://|file://)?(?P<path>[\w./-]+\.(?:ya?ml|json))$")


def _conf_input(index: FileIndex, e: FileEntry, tasks: list[dict]) -> tuple[str, int, str] | None:
    """(path, line, structural path) of the first data key (``input_table_name``, ``feature_store_table``) in the config
    file a training task passes as a parameter (dbx: ``parameters: ["--conf-file", "file:fuse://conf/tasks/train.yml"]``,
    a path from the project root, the folder holding ``conf/``, or from the deployment file's folder)."""
    here = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
    bases = dict.fromkeys([here.rsplit("/", 1)[0] if "/" in here else "", here, ""])
    for t in tasks:
        if not trainingish(*_task_text(t)):
            continue
        for spec in (v for k, v in t.items() if str(k).endswith("_task") and isinstance(v, dict)):
            for arg in spec.get("parameters") if isinstance(spec.get("parameters"), list) else []:
                m = _CONF_FILE.match(str(arg).strip())
                if m is None:
                    continue
                for base in bases:
                    hit = next(iter(index.select((normpath(f"{base}/{m['path']}" if base else m["path"]),))), None)
                    for doc in index.yaml(hit.path) if hit is not None and not hit.name.endswith(".json") else []:
                        for d in _dicts(doc):
                            for k, v in d.items():
                                w = words(str(k))
                                if w & _DATA_WORDS and not w & _NOT_DATA_WORDS and isinstance(v, str) and v.strip() and (ln := line_of(d, k)):
                                    return hit.path, ln, f"{t.get('task_key', '?')}.conf.{k}"
    return None


def _dicts(doc: Any, depth: int = 0) -> Iterator[dict]:
    if isinstance(doc, dict) and depth < 6:
        yield doc
        for v in doc.values():
            yield from _dicts(v, depth + 1)


def _gate_mode(params: dict) -> tuple[Any, bool] | None:
    """(key, blocking) when a parameter switches a validation step between enforcing and dry-running."""
    for k, v in params.items():
        ks, vs = str(k).lower(), str(v).lower()
        if ks.endswith("mode") and (vs in _NONBLOCKING or vs in _BLOCKING):
            return k, vs in _BLOCKING
        if ("dry_run" in ks or ks.startswith("skip")) and vs in ("true", "false"):
            return k, vs == "false"
    return None


# Databricks SDK ``ServingEndpointsAPI`` calls that put a model behind an endpoint (``w.serving_endpoints.create``)
_SERVING_CALLS = {"create", "create_and_wait", "update_config", "update_config_and_wait", "create_provisioned_throughput_endpoint"}
# MLflow deployments client for Databricks (``get_deploy_client("databricks").create_endpoint``)
_DEPLOY_CLIENT_CALLS = {"create_endpoint", "update_endpoint"}


def _deploy_call(tree: ast.Module) -> int | None:
    """The line of a call that creates or updates a model serving endpoint."""
    client = any(isinstance(n, ast.Call) and dotted(n.func).endswith("get_deploy_client") for n in walk(tree))
    for n in walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            name = dotted(n.func)
            if n.func.attr in _SERVING_CALLS and ".serving_endpoints." in f".{name}":
                return n.lineno
            if client and n.func.attr in _DEPLOY_CLIENT_CALLS:
                return n.lineno
    return None


def _deploys(index: FileIndex, e: FileEntry) -> tuple[FileEntry, int] | None:
    """(file, line) of the serving-endpoint deploy a task's script makes itself or through a project module it imports
    (two levels of imports)."""
    todo, seen = [(e, 0)], {e.path}
    while todo:
        f, depth = todo.pop(0)
        if index.mentions(f.path, (b"serving_endpoints", b"get_deploy_client")):
            tree = index.python(f.path)
            line = _deploy_call(tree) if tree is not None else None
            if line is not None:
                return f, line
        if depth >= 2:
            continue
        for mod in file_imports(index, f) or ():
            parts = mod.split(".")
            for hit in index.select((f"**/{'/'.join(parts)}.py", f"**/{'/'.join(parts)}/__init__.py")):
                if hit.path not in seen and not hit.test:
                    seen.add(hit.path)
                    todo.append((hit, depth + 1))
    return None


class DatabricksJobs(Detector):
    """Databricks bundle/job definitions: training schedules, task DAGs, validation run modes; feeds M1, D3, M4."""

    id = "databricks.job"
    questions = ("M1", "D3", "M4", "M2")
    globs = ("**/*.yml", "**/*.yaml", "**/*.json", "**/*.tf")
    signals = ("schedule.training", "pipeline.dag", "gate.metric", "retrain.trigger", "deploy.automated")
    needs_any = (Need(("**/*.yml", "**/*.yaml", "**/*.json", "**/*.tf")),)  # a bundle, a job JSON or Terraform first

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        included = _included(index)
        jobs: list[tuple[FileEntry, str, dict, Any]] = []
        dbx_files: set[str] = set()  # dbx deployment files: ``dbx deploy`` creates their jobs, whatever a bundle includes
        # a job is ``resources.jobs`` or a ``tasks`` list beside ``schedule``/``job_clusters``/``trigger``: a file naming
        # none of those keys (an Argo or Tekton DAG's ``tasks``, a compiled pipeline) holds none
        for e, doc in yaml_docs(index, (b"tasks",), json=True, also=JOB_WORDS,
                                keep=lambda e: e.suffix == ".json" or index.fact(e.path, HOLDS_JOBS)):
            res = doc.get("resources") if isinstance(doc, dict) else None
            found = res.get("jobs") if isinstance(res, dict) else None
            if isinstance(found, dict):
                jobs += [(e, str(k), v, found) for k, v in found.items() if isinstance(v, dict)]
            elif isinstance(doc, dict) and (dbx := _dbx_jobs(doc, e.name.split(".", 1)[0] == "deployment")):
                jobs += [(e, str(j.get("name", "")), j, None) for j in dbx]
                dbx_files.add(e.path)
            elif isinstance(doc, dict) and isinstance(doc.get("tasks"), list) and ("schedule" in doc or "job_clusters" in doc or "trigger" in doc):
                jobs.append((e, str(doc.get("name", "")), doc, None))
        jobs += _terraform_jobs(index)
        training_jobs = {k for _, k, j, _ in jobs if trainingish(k, str(j.get("name", "")), *(s for t in j.get("tasks") or [] if isinstance(t, dict) for s in _task_text(t)))}
        for e, key, job, parent in jobs:
            active = True if e.suffix == ".tf" or e.path in dbx_files else included(e)  # Terraform applies its jobs whatever a bundle includes
            tasks = [t for t in job.get("tasks") or [] if isinstance(t, dict)]
            line = line_of(parent, key) if parent is not None else line_of(job)
            st = Strength.STRONG if active else Strength.WEAK
            sched, trig = job.get("schedule"), job.get("trigger")
            docs = bundle_settings(index, e) if parent is not None and any(
                isinstance(x, dict) and BUNDLE_VAR.search(str(x.get("pause_status", ""))) for x in (sched, trig)) else []
            if key in training_jobs and isinstance(sched, dict) and sched.get("quartz_cron_expression"):
                on = active and str(pause_status(sched.get("pause_status", ""), docs)).upper() != "PAUSED"
                yield self.found("schedule.training", index, e.path, line_of(sched, "quartz_cron_expression"), strength=st if on else Strength.WEAK,
                                 attrs={"tool": "databricks", "job": key, "cron": str(sched["quartz_cron_expression"]), "active": on, "trigger": "cron"})
            periodic = trig.get("periodic") if isinstance(trig, dict) else None
            if key in training_jobs and isinstance(periodic, dict) and periodic.get("interval") and periodic.get("unit"):
                # Jobs API ``trigger: {periodic: {interval: 1, unit: DAYS}}``: the job runs every interval after its last run
                on = active and str(pause_status(trig.get("pause_status", ""), docs)).upper() != "PAUSED"
                yield self.found("schedule.training", index, e.path, line_of(periodic, "interval"), strength=st if on else Strength.WEAK,
                                 end_line=line_of(periodic, "unit"),
                                 attrs={"tool": "databricks", "job": key, "cron": f"every {periodic['interval']} {str(periodic['unit']).lower()}",
                                        "active": on, "trigger": "periodic"})
            if key in training_jobs and isinstance(trig, dict) and any(k in trig for k in ("file_arrival", "table_update", "table")):
                on = active and str(pause_status(trig.get("pause_status", ""), docs)).upper() != "PAUSED"
                yield self.found("retrain.trigger", index, e.path, line_of(job, "trigger"), strength=st if on else Strength.WEAK,
                                 attrs={"tool": "databricks", "kind": "data_arrival", "active": on})
            if len(tasks) >= 2 and any(t.get("depends_on") for t in tasks):
                # the data a task declares it reads (the training task's first): where raw data enters the pipeline
                data_in = _data_input(tasks)
                # (the training task's edge from the task preparing its data leads, then the data it declares it reads: one
                # parameter alone shows no lineage)
                edge = _training_edge(tasks)
                at = _hcl_edge(index, e, edge) if edge and e.suffix == ".tf" else None
                extra = (replace(self.evidence(index, e.path, at[0] if at else edge[0], snippet=at[2] if at else None,
                                               end_line=at[1] if at else None), fact="lineage_edge"),) if edge else ()
                extra += (replace(self.evidence(index, e.path, data_in[0]), context=data_in[1], fact="" if edge else "lineage_edge"),) if data_in else ()
                if not data_in and (conf := _conf_input(index, e, tasks)) is not None:  # dbx: the input table a task's conf file names
                    extra += (replace(self.evidence(index, conf[0], conf[1]), context=conf[2], fact="" if edge else "lineage_edge"),)
                yield self.found("pipeline.dag", index, e.path, line, strength=Strength.STRONG if active else Strength.MEDIUM, extra=extra,
                                 attrs={"tool": "databricks", "job": key, "steps": len(tasks), "active": active})
            for t in tasks:
                if parent is not None:
                    yield from self._serving_deploy(index, e, key, t, st, active, isinstance(sched, dict) or isinstance(trig, dict))
                mode = _gate_mode(_params(t)) if words(" ".join(_task_text(t))) & {"validation", "validate", "evaluation", "evaluate", "gate", "check"} else None
                if mode is not None:
                    params = _params(t)
                    yield self.found("gate.metric", index, e.path, line_of(params, mode[0]), strength=st,
                                     attrs={"tool": "databricks", "blocking": mode[1], "kind": "validation_task", "mode": str(params[mode[0]])})
                if isinstance(t.get("condition_task"), dict) and words(" ".join(all_strings(t["condition_task"]))) & DRIFT_WORDS:
                    nxt = [u for u in tasks if any(isinstance(d, dict) and d.get("task_key") == t.get("task_key") for d in u.get("depends_on") or [])]
                    if any(trainingish(*_task_text(u)) or any(j in str(u.get("run_job_task", "")) for j in training_jobs) for u in nxt):
                        yield self.found("retrain.trigger", index, e.path, line_of(t, "condition_task"), strength=st,
                                         attrs={"tool": "databricks", "kind": "drift", "active": active})

    def _serving_deploy(self, index: FileIndex, e: FileEntry, job: str, t: dict, st: Strength, active: bool, timed: bool) -> Iterator[Finding]:
        """A bundle task whose code deploys a model to a serving endpoint: the job runs the deploy, no person copies files."""
        spec = t.get("spark_python_task") or t.get("notebook_task")
        target = (spec.get("python_file") or spec.get("notebook_path")) if isinstance(spec, dict) else None
        if not isinstance(target, str) or str(spec.get("source", "")).upper() == "GIT":
            return
        code = task_code(index, e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else "", target)
        hit = _deploys(index, code) if code is not None else None
        if hit is None:
            return
        f, line = hit
        task = str(t.get("task_key", ""))
        yield self.found("deploy.automated", index, f.path, line, strength=st,
                         attrs={"system": "databricks", "target": "databricks", "active": active, "automatic": timed,
                                "via": f"databricks job {job} task {task} ({e.path}:{line_of(t, 'task_key') or 0})",
                                "environment": "", "job": job, "manual_dispatch": not timed})
