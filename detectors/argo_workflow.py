"""Argo Workflows: Workflow/WorkflowTemplate DAG and steps templates, CronWorkflow schedules (``suspend``)
and Argo Events sensors that submit training; feeds D3, M1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import all_strings, dig, line_of, trainingish, words
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


def _texts(spec: Any) -> list[str]:
    """Names, images, commands and args of a workflow spec (not inline script bodies)."""
    out: list[str] = []
    for d in ops.walk_dicts(spec):
        for k in ("name", "template", "image", "command", "args", "entrypoint"):
            v = d.get(k)
            out += [v] if isinstance(v, str) else [str(x) for x in v] if isinstance(v, list) else []
    return out


def _graph(spec: Any) -> tuple[int, int, bool]:
    """(steps, edges, with_io) over the DAG and steps templates of a workflow spec."""
    steps = edges = 0
    io = False
    for t in spec.get("templates") or [] if isinstance(spec, dict) else []:
        if not isinstance(t, dict):
            continue
        io = io or any(isinstance(t.get(k), dict) and t[k].get("artifacts") for k in ("inputs", "outputs"))
        dag = t.get("dag") if isinstance(t.get("dag"), dict) else {}
        tasks = [x for x in dag.get("tasks") or [] if isinstance(x, dict)]
        steps += len(tasks)
        edges += sum(bool(x.get("dependencies") or x.get("depends")) or "{{tasks." in str(x.get("arguments", "")) for x in tasks)
        groups = [g for g in t.get("steps") or [] if isinstance(g, list) and g]
        steps += sum(len(g) for g in groups)
        edges += max(len(groups) - 1, 0)
        io = io or any("outputs.artifacts" in s or "outputs.parameters" in s for s in all_strings(tasks + groups))
    return steps, edges, io


_DATA_WORDS = frozenset({"data", "dataset", "datasets", "csv", "parquet", "table", "tables", "raw", "feature", "features", "samples",
                         "corpus", "records", "examples"})


def _moves_data(spec: Any, templates: dict[str, Any]) -> bool:
    """Does data enter or flow through the workflow as declared inputs/outputs: an artifact a step takes or hands on,
    or a parameter named for data (``dataset-uri``, ``raw-table``) of the workflow or of a template it runs (the
    WorkflowTemplates it references included)? A workflow whose steps pass on only a repository URL, a model name,
    version or URI declares no lineage from raw data: its training step fetches its own data."""
    specs = [spec] + [templates[str(r.get("name"))] for r in ops.walk_dicts(spec)
                      if isinstance(r.get("templateRef"), dict) for r in [r["templateRef"]] if str(r.get("name")) in templates]
    for sp in specs:
        for d in ops.walk_dicts(sp):
            for key in ("inputs", "outputs", "arguments"):
                block = d.get(key)
                if not isinstance(block, dict):
                    continue
                if block.get("artifacts"):
                    return True
                for p in block.get("parameters") or []:
                    if isinstance(p, dict):
                        if words(str(p.get("name", ""))) & _DATA_WORDS:
                            return True
    return False


def _edge_line(spec: Any) -> int | None:
    """The line of the workflow's first edge: a DAG task's ``dependencies``/``depends`` or ``{{tasks.x.outputs}}``
    argument, or the second group of a steps template (it runs after the first)."""
    for t in spec.get("templates") or [] if isinstance(spec, dict) else []:
        if not isinstance(t, dict):
            continue
        dag = t.get("dag") if isinstance(t.get("dag"), dict) else {}
        for x in dag.get("tasks") or []:
            if not isinstance(x, dict):
                continue
            for key in ("dependencies", "depends", "arguments"):
                if x.get(key) and (key != "arguments" or "{{tasks." in str(x[key])):
                    return line_of(x, key)
        groups = t.get("steps")
        if isinstance(groups, list) and len(groups) > 1 and isinstance(groups[1], list) and groups[1] and isinstance(groups[1][0], dict):
            return line_of(groups[1][0])
    return None


class ArgoWorkflow(Detector):
    """Argo Workflow/WorkflowTemplate/CronWorkflow graphs and schedules, Argo Events sensors; feeds D3, M1."""

    id = "argo.workflow"
    questions = ("D3", "M1")
    globs = ops.YAML_GLOBS
    signals = ("pipeline.dag", "schedule.training", "retrain.trigger")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        docs = [(e, d) for e, d in ops.k8s_docs(index) if str(d.get("apiVersion", "")).startswith("argoproj.io/") and not e.test]
        templates = {ops.k8s_name(d): d.get("spec") for _, d in docs if d.get("kind") in ("WorkflowTemplate", "ClusterWorkflowTemplate")}
        # Argo Events: the (event source, event) pairs that a training Sensor waits on; a calendar event among them is
        # a training schedule (https://argoproj.github.io/argo-events/eventsources/setup/calendar/)
        training_events: set[tuple[str, str]] = set()
        for _, d in docs:
            spec = d.get("spec") if isinstance(d.get("spec"), dict) else {}
            if d.get("kind") == "Sensor" and trainingish(*_texts(spec.get("triggers")), *all_strings(spec.get("triggers"))):
                training_events |= {(str(x.get("eventSourceName", "")), str(x.get("eventName", ""))) for x in spec.get("dependencies") or []
                                    if isinstance(x, dict)}
        for e, d in docs:
            kind, spec = d.get("kind"), d.get("spec") if isinstance(d.get("spec"), dict) else {}
            if kind == "EventSource" and isinstance(spec.get("calendar"), dict):
                source = ops.k8s_name(d)
                for event, cal in spec["calendar"].items():
                    if isinstance(cal, dict) and (cal.get("schedule") or cal.get("interval")) and (str(source), str(event)) in training_events:
                        yield self.found("schedule.training", index, e.path, line_of(cal, "schedule" if cal.get("schedule") else "interval"),
                                         strength=Strength.STRONG, attrs={"tool": "argo-events", "cron": str(cal.get("schedule") or cal.get("interval")),
                                                                          "active": True, "trigger": "cron"})
                continue
            if kind == "Sensor":
                triggers = spec.get("triggers")
                if trainingish(*_texts(triggers), *(all_strings(triggers))):
                    yield self.found("retrain.trigger", index, e.path, line_of(spec, "triggers"), strength=Strength.STRONG,
                                     attrs={"tool": "argo-events", "kind": "event", "active": True})
                continue
            if kind not in _KINDS:
                continue
            wf = dig(spec, "workflowSpec") if kind == "CronWorkflow" else spec
            target = templates.get(str(dig(wf, "workflowTemplateRef", "name"))) or {}
            name = ops.k8s_name(d)
            tool = "kubeflow" if "pipelines.kubeflow.org" in str(dig(d, "metadata", "annotations")) else "argo"
            steps, edges, io = _graph(wf)
            active = kind != "CronWorkflow" or spec.get("suspend") is not True
            if steps >= 2 and edges >= 1:
                # cited at its first edge (``dependencies: [load-data]``), not at ``spec:``; a workflow that trains is
                # what lineage from raw data to model input is about (D3 prefers it); one that moves no data is an
                # ordering of model steps (weak, ``raw_input: false``)
                raw = _moves_data(wf, templates)
                yield self.found("pipeline.dag", index, e.path, _edge_line(wf) or line_of(d, "spec"),
                                 strength=(Strength.STRONG if kind == "CronWorkflow" and active else Strength.MEDIUM) if raw else Strength.WEAK,
                                 attrs={"tool": tool, "kind": kind, "steps": steps, "with_io": io, "training": trainingish(name, *_texts(wf)),
                                        **({} if raw else {"raw_input": False})})
            if kind == "CronWorkflow" and trainingish(name, *_texts(wf), *_texts(target)):
                crons = spec.get("schedules") if isinstance(spec.get("schedules"), list) else [spec.get("schedule")]
                yield self.found("schedule.training", index, e.path, line_of(spec, "schedules" if "schedules" in spec else "schedule"),
                                 strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "argo", "cron": str(crons[0] if crons else ""), "active": active, "trigger": "cron"})
