"""Azure ML pipelines: SDK v1 (azureml.pipeline steps with PipelineData, Schedule/ScheduleRecurrence),
SDK v2 (@dsl.pipeline, JobSchedule/CronTrigger) and pipeline/schedule YAML; feeds D3, M1; a sweep job's objective (its
trials' runs compared by a metric) feeds E2."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts.orchestration import (
    all_strings,
    call_tail,
    calls,
    decorator,
    dotted,
    imports,
    kwarg,
    line_of,
    literal,
    strings,
    trainingish,
    yaml_docs,
)
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_V1_STEPS = ("PythonScriptStep", "ParallelRunStep", "DatabricksStep", "EstimatorStep", "CommandStep", "AutoMLStep",
             "HyperDriveStep", "DataTransferStep", "RScriptStep", "MpiStep", "AdlaStep", "SynapseSparkStep")
_NOT_STEPS = {"Input", "Output", "str", "int", "float", "dict", "list", "print", "len", "range", "Path"}


def _v1_graph(tree: ast.AST) -> tuple[list[ast.Call], int, bool]:
    steps = list(calls(tree, *_V1_STEPS))
    data = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and call_tail(n.value) in ("PipelineData", "OutputFileDatasetConfig", "OutputDatasetConfig") for t in n.targets if isinstance(t, ast.Name)}
    produced: set[str] = set()
    consumed: set[str] = set()
    for s in steps:
        produced |= {n.id for n in walk(kwarg(s, "outputs") or ast.List([])) if isinstance(n, ast.Name)} & data
        consumed |= {n.id for k in ("inputs", "arguments") for n in walk(kwarg(s, k) or ast.List([])) if isinstance(n, ast.Name)} & data
    after = sum(1 for _ in calls(tree, "run_after"))
    return steps, len(produced & consumed) + after, bool(produced & consumed)


def _v2_graph(fn: ast.AST) -> tuple[int, int, int]:
    """Steps, edges (steps with an input bound to an earlier step's ``.outputs``) and the line of the first such input
    (``processed_data=data_prep_job.outputs.processed_data``, an unconditional one first; 0 when none): the edge, not a returned outputs mapping."""
    bound = {t.id for n in walk(fn) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) for t in n.targets if isinstance(t, ast.Name)}
    # a component called by name, or taken from a list/dict of loaded components (``components[0](raw_data=...)``)
    body = [n for st in getattr(fn, "body", []) for n in walk(st)]  # not the decorators (``@pipeline()``)
    steps = [c for c in body if isinstance(c, ast.Call) and (isinstance(c.func, ast.Name) and c.func.id not in _NOT_STEPS
                                                             or isinstance(c.func, ast.Subscript))]
    fed = [(isinstance(a, ast.IfExp), a.lineno) for c in steps for a in [*c.args, *(k.value for k in c.keywords)]
           if any(isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name) and n.value.id in bound
                  for n in walk(a))]
    edges = sum(any(isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name) and n.value.id in bound
                    for a in [*c.args, *(k.value for k in c.keywords)] for n in walk(a)) for c in steps)
    # an input always bound before one bound only when a flag says so (``x.outputs.y if gate else None``)
    return len(steps), edges, min(fed, default=(False, 0))[1]


_NEEDLES = (b"azureml", b"azure.ai.ml")


def _file_facts(index: FileIndex, path: str) -> list[Any] | None:
    """What ``detect`` reads of a Python file importing the Azure ML SDK (None: it does not parse or imports neither):
    [the v1 graph as [steps, edges, with I/O, training, line of the first step], each ``@pipeline`` function of v2 as
    [line, steps, edges, its own names are training's, line of its first edge or 0], each schedule created as [line, its texts are training's, on data
    arrival, cron or None]]. Derived as the file is parsed (the wiring graph parses most scripts first)."""
    tree = index.python(path)
    if tree is None or not imports(tree, "azureml", "azure.ai.ml"):
        return None
    steps, edges, io = _v1_graph(tree)
    training = trainingish(*(s for c in steps for s in strings(c)), *(dotted(kwarg(c, "script_name")) for c in steps))
    v1 = [len(steps), edges, io, training, steps[0].lineno if steps else 0]
    v2: list[list[Any]] = []
    if imports(tree, "azure.ai.ml"):
        for fn in walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "pipeline"):
                n, edges2, edge = _v2_graph(fn)
                v2.append([fn.lineno, n, edges2, trainingish(fn.name, *(dotted(c.func) for c in walk(fn) if isinstance(c, ast.Call))), edge])
    schedules: list[list[Any]] = []
    for c in calls(tree, "create", "JobSchedule"):
        if call_tail(c) == "create" and not dotted(c.func).endswith("Schedule.create"):
            continue
        texts = [*strings(c), *(dotted(n) for n in walk(c) if isinstance(n, (ast.Name, ast.Attribute)))]
        event = kwarg(c, "path_on_datastore") is not None or kwarg(c, "datastore") is not None
        trig = kwarg(c, "trigger")
        cron = literal(kwarg(trig, "expression"), None) if isinstance(trig, ast.Call) else None
        schedules.append([c.lineno, trainingish(*texts), event, str(cron) if cron else None])
    return [v1, v2, schedules]


FILE_FACTS = register_fact("azureml.pipeline.file", _file_facts,
                           eager=lambda index, path: path.endswith(".py") and index.may_mention(path, _NEEDLES))


class AzureMlPipeline(Detector):
    """Azure ML pipelines (SDK v1/v2, YAML) and their schedules; feeds D3, M1."""

    id = "azureml.pipeline"
    questions = ("D3", "M1", "E2")
    globs = ("**/*.py", "**/*.yml", "**/*.yaml")
    signals = ("pipeline.dag", "schedule.training", "retrain.trigger", "tracking.comparison")
    needs_any = (Need(("**/*.py",), words=_NEEDLES), Need(("**/*.yml", "**/*.yaml")))  # SDK code, or job YAML

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        files: list[tuple[FileEntry, list[Any]]] = []
        training_repo = False
        for e in index.select(("**/*.py",)):
            if not index.mentions(e.path, _NEEDLES):
                continue
            fact = index.fact(e.path, FILE_FACTS)
            if e.test or fact is None:
                continue
            files.append((e, fact))
            (n_steps, edges, io, training, first), v2, _ = fact
            if n_steps >= 2 and edges:
                yield self.found("pipeline.dag", index, e.path, first, attrs={"tool": "azureml", "steps": n_steps, "with_io": io, "training": training})
            for line, n, edges2, fn_training, edge in v2:
                training = training or fn_training
                if n >= 2 and edges2:
                    # the first step input bound to an earlier step's output is the edge (lineage_edge)
                    extra = [replace(self.evidence(index, e.path, edge), fact="lineage_edge")] if edge else []
                    yield self.found("pipeline.dag", index, e.path, line, extra=extra,
                                     attrs={"tool": "azureml", "steps": n, "with_io": True, "training": training})
            training_repo = training_repo or training
        for e, (_, _, schedules) in files:
            for line, training, event, cron in schedules:
                if not (training or training_repo):
                    continue
                attrs = {"tool": "azureml", "cron": cron or ("datastore" if event else "recurrence"), "active": True, "trigger": "event" if event else "cron"}
                yield self.found("schedule.training", index, e.path, line, strength=Strength.STRONG, attrs=attrs)
                if event:
                    yield self.found("retrain.trigger", index, e.path, line, strength=Strength.STRONG,
                                     attrs={"tool": "azureml", "kind": "data_arrival", "active": True})
        yield from self._yaml(index)

    def _yaml(self, index: FileIndex) -> Iterator[Finding]:
        for e, doc in yaml_docs(index, (b"azureml", b"type: pipeline", b"create_job")):
            if not isinstance(doc, dict):
                continue
            schema = str(doc.get("$schema", ""))
            jobs = doc.get("jobs")
            for line in _sweep_objectives(doc):
                # a sweep job runs trials and keeps the best by its objective: runs compared by a metric (E2)
                yield self.found("tracking.comparison", index, e.path, line, strength=Strength.MEDIUM, attrs={"tool": "azureml", "how": "sweep"})
            if (doc.get("type") == "pipeline" or "pipelineJob" in schema) and isinstance(jobs, dict):
                linked = sum("${{parent.jobs." in " ".join(all_strings(j)) for j in jobs.values())
                if len(jobs) >= 2 and linked:
                    edge = _edge_line(jobs)
                    extra = [replace(self.evidence(index, e.path, edge), fact="lineage_edge")] if edge else []
                    yield self.found("pipeline.dag", index, e.path, line_of(doc, "jobs"), extra=extra,
                                     attrs={"tool": "azureml", "steps": len(jobs), "with_io": True, "training": trainingish(*jobs, *_commands(jobs)),
                                            "edge": edge is not None})
            trig, job = doc.get("trigger"), doc.get("create_job")
            if isinstance(trig, dict) and job is not None and ("schedule" in schema or trig.get("type") in ("cron", "recurrence")):
                if trainingish(*all_strings(job), str(doc.get("name", ""))):
                    active = doc.get("is_enabled", True) is not False
                    yield self.found("schedule.training", index, e.path, line_of(doc, "trigger"), strength=Strength.STRONG if active else Strength.WEAK,
                                     attrs={"tool": "azureml", "cron": str(trig.get("expression") or trig.get("frequency") or ""), "active": active, "trigger": "cron"})


def _sweep_objectives(doc: dict[str, Any]) -> list[int]:
    """Lines of the ``objective.primary_metric`` of each sweep job (the document itself, or a step of a pipeline job) that
    has a ``goal``: Azure ML runs the trials and compares their runs by that metric."""
    jobs = doc.get("jobs")
    out = []
    for job in (doc, *(jobs.values() if isinstance(jobs, dict) else ())):
        objective = job.get("objective") if isinstance(job, dict) and str(job.get("type", "")).lower() == "sweep" else None
        if isinstance(objective, dict) and objective.get("primary_metric") and objective.get("goal"):
            out.append(line_of(objective, "primary_metric"))
    return [ln for ln in out if ln]


def _edge_line(jobs: dict[str, Any]) -> int | None:
    """The line of a job's input fed by another job's output (``${{parent.jobs.prep.outputs.data}}``), a training
    job's first: where the data passes from one step to the next. A ``type: sweep`` job trains (each trial fits the
    model its ``trial:`` component defines), however it is named."""
    ordered = sorted(jobs.items(), key=lambda kv: not (trainingish(str(kv[0]), *_commands({kv[0]: kv[1]}))
                                                       or isinstance(kv[1], dict) and str(kv[1].get("type", "")).lower() == "sweep"))
    for _name, job in ordered:
        inputs = job.get("inputs") if isinstance(job, dict) else None
        if not isinstance(inputs, dict):
            continue
        for key, value in inputs.items():
            if "${{parent.jobs." in " ".join(all_strings(value)) and ".outputs." in " ".join(all_strings(value)):
                return line_of(inputs, key)
    return None


def _commands(jobs: dict[str, Any]) -> list[str]:
    return [str(j.get(k, "")) for j in jobs.values() if isinstance(j, dict) for k in ("command", "component")]
