"""Argo Workflows: Workflow/WorkflowTemplate DAG and steps templates, CronWorkflow schedules (``suspend``)
and Argo Events sensors that submit training; feeds D3, M1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import all_strings, dig, line_of, trainingish
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


class ArgoWorkflow(Detector):
    """Argo Workflow/WorkflowTemplate/CronWorkflow graphs and schedules, Argo Events sensors; feeds D3, M1."""

    id = "argo.workflow"
    questions = ("D3", "M1")
    globs = ops.YAML_GLOBS
    signals = ("pipeline.dag", "schedule.training", "retrain.trigger")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        docs = [(e, d) for e, d in ops.k8s_docs(index) if str(d.get("apiVersion", "")).startswith("argoproj.io/") and not e.test]
        templates = {ops.k8s_name(d): d.get("spec") for _, d in docs if d.get("kind") in ("WorkflowTemplate", "ClusterWorkflowTemplate")}
        for e, d in docs:
            kind, spec = d.get("kind"), d.get("spec") if isinstance(d.get("spec"), dict) else {}
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
                yield self.found("pipeline.dag", index, e.path, line_of(d, "spec"),
                                 strength=Strength.STRONG if kind == "CronWorkflow" and active else Strength.MEDIUM,
                                 attrs={"tool": tool, "kind": kind, "steps": steps, "with_io": io})
            if kind == "CronWorkflow" and trainingish(name, *_texts(wf), *_texts(target)):
                crons = spec.get("schedules") if isinstance(spec.get("schedules"), list) else [spec.get("schedule")]
                yield self.found("schedule.training", index, e.path, line_of(spec, "schedules" if "schedules" in spec else "schedule"),
                                 strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "argo", "cron": str(crons[0] if crons else ""), "active": active, "trigger": "cron"})
