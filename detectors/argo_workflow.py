"""Argo Workflows: Workflow/WorkflowTemplate DAG and steps templates, CronWorkflow schedules (``suspend``),
Argo Events sensors that submit training, and a workflow step that deploys the model's serving workload (a
``resource`` template that creates a Deployment/InferenceService/SeldonDeployment, or a container whose script runs
``kubectl apply``/``helm upgrade`` on serving manifests) after the steps before it; feeds D3, M1, M2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.ci_vocab import deploy_command
from mlscan.facts.orchestration import all_strings, dig, line_of, trainingish, words
from mlscan.facts.schedules import cron_resource
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
# workloads that serve a model: what a deploy step creates
_SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "Pod", "InferenceService", "SeldonDeployment", "Service", "Rollout"})
_ABOUT_SERVING = re.compile(r"model|serv(e|er|ing)|predict|inference|infer\b|isvc|endpoint|\bapi\b", re.I)


def _deploy_step(spec: Any) -> tuple[Any, str, int | None] | None:
    """(template, how, line of the deploying part) of the first template of a workflow that deploys a serving workload: a ``resource`` template
    creating/applying one (``action: apply``, a Deployment or InferenceService manifest), or a container/script
    template whose command runs a deploy command (``cat <<EOF | kubectl apply -f -``, ``helm upgrade --install``) on
    manifests about serving a model. A workflow made of one template deploys nothing after anything."""
    templates = [t for t in spec.get("templates") or [] if isinstance(t, dict)] if isinstance(spec, dict) else []
    for t in templates:
        res = t.get("resource")
        if isinstance(res, dict) and str(res.get("action", "")) in ("create", "apply", "replace", "patch"):
            manifest = str(res.get("manifest", ""))
            m = re.search(r"^\s*kind:\s*(\w+)", manifest, re.M)
            if m and m.group(1) in _SERVING_KINDS and _ABOUT_SERVING.search(manifest):
                return t, "resource", line_of(res, "manifest") or line_of(res, "action")
        for key in ("container", "script"):
            c = t.get(key)
            if not isinstance(c, dict):
                continue
            parts = [*(c.get("command") or []), *(c.get("args") or []), str(c.get("source", ""))] \
                if isinstance(c.get("command") or [], list) and isinstance(c.get("args") or [], list) else []
            text = "\n".join(str(x) for x in parts)
            if any(deploy_command(line) in ("k8s", "helm") for line in text.splitlines()) and _ABOUT_SERVING.search(text):
                return t, "command", next((line_of(c, k) for k in ("source", "args", "command") if c.get(k)), None)
    return None


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
                        if words(str(p.get("name", ""))) & _DATA_WORDS and _used_by_a_step(specs, str(p.get("name", ""))):
                            return True
    return False


def _used_by_a_step(specs: list[Any], name: str) -> bool:
    """Does a step use the parameter (in its command, args, script, env or an artifact's location), not only as the
    path a volume is mounted at (``mountPath: '{{inputs.parameters.data_path}}'``, as KFP v1 compiles a pipeline whose
    steps share a volume)? A workflow that only hands it on is read as using it when nothing else is known."""
    ref = f"parameters.{name}}}}}"
    seen = False
    for sp in specs:
        for d in ops.walk_dicts(sp):
            for key in ("container", "script"):
                c = d.get(key)
                if not isinstance(c, dict):
                    continue
                seen = True
                if any(ref in x for k, v in c.items() if k != "volumeMounts" for x in all_strings(v)):
                    return True
            if any(ref in x for k in ("artifacts",) for x in all_strings(d.get(k))):
                return True
    return not seen or not any(ref in x for sp in specs for x in all_strings(sp))


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
    questions = ("D3", "M1", "M2")
    globs = ops.YAML_GLOBS
    needs = ops.YAML_GLOBS
    needs_text = (b"apiVersion",)
    signals = ("pipeline.dag", "schedule.training", "retrain.trigger", "deploy.automated")

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
            active = kind != "CronWorkflow" or bool((c := cron_resource(d)) and c[1])  # ``suspend: true``: switched off
            if steps >= 2 and edges >= 1:
                # cited at its first edge (``dependencies: [load-data]``), not at ``spec:``; a workflow that trains is
                # what lineage from raw data to model input is about (D3 prefers it); one that moves no data is an
                # ordering of model steps (weak, ``raw_input: false``)
                raw = _moves_data(wf, templates)
                yield self.found("pipeline.dag", index, e.path, _edge_line(wf) or line_of(d, "spec"),
                                 strength=(Strength.STRONG if kind == "CronWorkflow" and active else Strength.MEDIUM) if raw else Strength.WEAK,
                                 attrs={"tool": tool, "kind": kind, "steps": steps, "with_io": io, "training": trainingish(name, *_texts(wf)),
                                        **({} if raw else {"raw_input": False})})
            deploy = _deploy_step(wf) if steps >= 2 and edges >= 1 and kind in ("Workflow", "CronWorkflow") else None
            if deploy is not None:
                # a step of the workflow deploys the serving workload after the steps before it (training first)
                t, how, at = deploy
                yield self.found("deploy.automated", index, e.path, at or line_of(t),
                                 strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"system": "argo", "target": "k8s", "active": active, "automatic": kind == "CronWorkflow" and active,
                                        "manual_dispatch": kind == "Workflow", "via": f"argo workflow step ({how})", "job": str(t.get("name", "")),
                                        "environment": ""})
            if kind == "CronWorkflow" and trainingish(name, *_texts(wf), *_texts(target)):
                crons = spec.get("schedules") if isinstance(spec.get("schedules"), list) else [spec.get("schedule")]
                yield self.found("schedule.training", index, e.path, line_of(spec, "schedules" if "schedules" in spec else "schedule"),
                                 strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "argo", "cron": str(crons[0] if crons else ""), "active": active, "trigger": "cron"})
