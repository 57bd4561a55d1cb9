"""Databricks jobs (asset bundles ``resources.jobs`` and job JSON): schedules (``pause_status``), task
graphs (``depends_on``), validation run modes, metric-violation retraining; feeds M1, D3, M4."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts.orchestration import DRIFT_WORDS, all_strings, line_of, trainingish, words, yaml_docs
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

_BUNDLE = ("databricks.yml", "databricks.yaml", "bundle.yml")
_NONBLOCKING = {"dry_run", "dry-run", "dryrun", "disabled", "disable", "off", "warn", "log_only", "report"}
_BLOCKING = {"enabled", "enable", "enforce", "strict", "on", "block", "fail"}


def _included(index: FileIndex) -> Any:
    """A predicate: is a resource file part of a bundle (listed by a bundle's ``include:``)? True when no bundle exists."""
    bundles = [(e, doc) for e in index.select(tuple(f"**/{n}" for n in _BUNDLE)) for doc in index.yaml(e.path) if isinstance(doc, dict)]
    if not bundles:
        return lambda e: True
    pats = []
    for e, doc in bundles:
        base = e.vpath.rsplit("/", 1)[0] + "/" if "/" in e.vpath else ""
        pats.append(e.vpath)
        pats += [base + str(p).lstrip("./") for p in doc.get("include") or [] if isinstance(p, str)]
    return lambda e: any(fnmatch.fnmatchcase(e.vpath, p) for p in pats)


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


def _gate_mode(params: dict) -> tuple[Any, bool] | None:
    """(key, blocking) when a parameter switches a validation step between enforcing and dry-running."""
    for k, v in params.items():
        ks, vs = str(k).lower(), str(v).lower()
        if ks.endswith("mode") and (vs in _NONBLOCKING or vs in _BLOCKING):
            return k, vs in _BLOCKING
        if ("dry_run" in ks or ks.startswith("skip")) and vs in ("true", "false"):
            return k, vs == "false"
    return None


class DatabricksJobs(Detector):
    """Databricks bundle/job definitions: training schedules, task DAGs, validation run modes; feeds M1, D3, M4."""

    id = "databricks.job"
    questions = ("M1", "D3", "M4")
    globs = ("**/*.yml", "**/*.yaml", "**/*.json")
    signals = ("schedule.training", "pipeline.dag", "gate.metric", "retrain.trigger")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        included = _included(index)
        jobs: list[tuple[FileEntry, str, dict, Any]] = []
        for e, doc in yaml_docs(index, (b"tasks",), json=True):
            res = doc.get("resources") if isinstance(doc, dict) else None
            found = res.get("jobs") if isinstance(res, dict) else None
            if isinstance(found, dict):
                jobs += [(e, str(k), v, found) for k, v in found.items() if isinstance(v, dict)]
            elif isinstance(doc, dict) and isinstance(doc.get("tasks"), list) and ("schedule" in doc or "job_clusters" in doc or "trigger" in doc):
                jobs.append((e, str(doc.get("name", "")), doc, None))
        training_jobs = {k for _, k, j, _ in jobs if trainingish(k, str(j.get("name", "")), *(s for t in j["tasks"] if isinstance(t, dict) for s in _task_text(t)))}
        for e, key, job, parent in jobs:
            active = included(e)
            tasks = [t for t in job.get("tasks") or [] if isinstance(t, dict)]
            line = line_of(parent, key) if parent is not None else line_of(job)
            st = Strength.STRONG if active else Strength.WEAK
            sched, trig = job.get("schedule"), job.get("trigger")
            if key in training_jobs and isinstance(sched, dict) and sched.get("quartz_cron_expression"):
                on = active and str(sched.get("pause_status", "")).upper() != "PAUSED"
                yield self.found("schedule.training", index, e.path, line_of(sched, "quartz_cron_expression"), strength=st if on else Strength.WEAK,
                                 attrs={"tool": "databricks", "job": key, "cron": str(sched["quartz_cron_expression"]), "active": on, "trigger": "cron"})
            if key in training_jobs and isinstance(trig, dict) and any(k in trig for k in ("file_arrival", "table_update", "table")):
                on = active and str(trig.get("pause_status", "")).upper() != "PAUSED"
                yield self.found("retrain.trigger", index, e.path, line_of(job, "trigger"), strength=st if on else Strength.WEAK,
                                 attrs={"tool": "databricks", "kind": "data_arrival", "active": on})
            if len(tasks) >= 2 and any(t.get("depends_on") for t in tasks):
                yield self.found("pipeline.dag", index, e.path, line, strength=Strength.STRONG if active else Strength.MEDIUM,
                                 attrs={"tool": "databricks", "job": key, "steps": len(tasks), "active": active})
            for t in tasks:
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
