"""Kubeflow Pipelines: @dsl.pipeline graphs, compiled pipeline specs, recurring runs and
dsl.Condition/dsl.If gates on evaluation outputs; feeds D3, M1, M4."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts.kfp_pipelines import CARRIES, COMPILED_FACTS, DOTTED, FILE_FACTS, LINE, NAME, PREBUILT, SPEC_NEEDLES, USES
from mlscan.facts.orchestration import YAML_GLOBS, at, k8s_objects, line_of, trainingish, words
from mlscan.facts.placeholders import placeholder_script
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

_GATE_WORDS = {"eval", "evaluate", "evaluation", "validate", "validation", "compare", "comparison", "check", "metric", "metrics",
               "threshold", "score", "gate", "passed", "approve", "blessing"}


def is_task(call: list[Any], comps: set[str]) -> bool:
    """Is a pipeline's candidate call (``kfp_pipelines.NAME`` ...) a step: one of the project's components or a prebuilt one
    (``gcc_aip.ModelDeployOp(...)``, ``dsl.ContainerOp(...)``)?"""
    return call[NAME] in comps or call[PREBUILT]


def _task(chain: list[int], calls: list[list[Any]], comps: set[str]) -> int | None:
    """The step inside a ``comp(...).set_display_name(...).after(x)`` chain (``kfp_pipelines._chain``), or None."""
    for i in chain:
        if is_task(calls[i], comps):
            return i
        if calls[i][NAME] is not None:
            return None
    return None


def _placeholder_script(index: FileIndex, script: str) -> bool:
    """Is the script a container component runs (a path relative to the image's working directory, which is the
    repository or one of its folders) a placeholder that writes a token instead of doing its step's work?"""
    for e in index.select((f"**/{script.rsplit('/', 1)[-1]}",)):
        if not e.test and ("/" + e.path).endswith("/" + script):
            tree = index.python(e.path)
            return tree is not None and placeholder_script(tree)
    return False


class KubeflowPipeline(Detector):
    """Kubeflow @dsl.pipeline graphs, compiled specs, recurring runs and metric-conditioned steps; feeds D3, M1, M4."""

    id = "kubeflow.pipeline"
    questions = ("D3", "M1", "M4")
    globs = ("**/*.py", "**/*.ipynb", "**/*.yaml", "**/*.yml", "**/*.json")
    signals = ("pipeline.dag", "schedule.training", "gate.metric", "deploy.automated")
    needs_any = (Need(("**/*.py", "**/*.ipynb"), words=(b"kfp",)), Need((*YAML_GLOBS, "**/*.json")))  # the SDK, or a compiled spec

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        # One pass for what spans files (component names, serving functions) over small facts per file, not trees (a
        # Kubeflow SDK repository has hundreds of kfp files); each pipeline's steps are then told from its candidate calls
        # in the same facts, with every file's components known: no file is parsed again.
        comps: set[str] = set()
        serving: set[str] = set()
        stubs: set[str] = set()
        fabricated: dict[str, str] = {}
        metric_outs: dict[str, tuple[str, int]] = {}  # component -> (path, line) of its ``return accuracy``
        pipelines: list[tuple[FileEntry, list[Any]]] = []
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not index.mentions(e.path, (b"kfp",)):
                continue
            facts = index.fact(e.path, FILE_FACTS)
            if facts is None or e.test or not facts[0]:
                continue
            comps.update(facts[1])
            serving.update(facts[2])
            stubs.update(facts[5])
            fabricated.update((name, g) for name, g in facts[7])
            metric_outs.update((name, (e.path, line)) for name, line in facts[9])
            stubs.update(name for name, script in facts[6] if _placeholder_script(index, script))
            if facts[3] or facts[4]:
                pipelines.append((e, facts))
        deployers = serving & comps
        any_training = False
        stub_pipelines: set[str] = set()
        for e, facts in pipelines:
            for fn in facts[3]:
                calls: list[list[Any]] = fn["calls"]
                steps = [c for c in calls if is_task(c, comps)]
                tasks: dict[str, int] = {}
                for targets, chain, _ in fn["assigns"]:
                    if (t := _task(chain, calls, comps)) is not None:
                        tasks.update({v: t for v in targets})
                for targets, chain, names in fn["assigns"]:  # eval_passed = evaluate_task.output
                    base = [b for b in names if b in tasks]
                    if base and _task(chain, calls, comps) is None:
                        tasks.update({v: tasks[base[0]] for v in targets})
                io = 0
                sources: list[list[Any]] = []  # steps that take no other step's output: where data enters the pipeline
                for c in steps:
                    takes = bool(set(c[USES]) & set(tasks))
                    io += takes
                    if not takes:
                        sources.append(c)
                edges = io + fn["after"]
                training = trainingish(*(c[DOTTED] for c in steps))
                any_training = any_training or training
                # every component the pipeline runs is a placeholder (ContainerOps run an image: not read)
                stub = bool(steps) and all(c[NAME] in stubs for c in steps)
                if stub:
                    stub_pipelines.add(fn["name"])
                if len(steps) >= 2 and edges >= 1:
                    # steps that take nothing and hand nothing on (only ``.after`` ordering) declare an order, not
                    # lineage: no data enters the pipeline (weak, below D3)
                    # a volume the steps mount (``dsl.VolumeOp(name=..., size="1Gi")``) is storage, not data a step takes
                    carries = io > 0 or any(c[CARRIES] for c in steps)
                    # every first step makes its data up (``np.random``, ``make_classification``) and reads none: the
                    # stages hand data on, but no raw data enters (labelling conventions D3: lineage starts at raw data)
                    made_up = sorted({fabricated[c[NAME]] for c in sources if c[NAME] in fabricated})
                    invented = bool(sources) and all(c[NAME] in fabricated for c in sources)
                    yield self.found("pipeline.dag", index, e.path, **at(index, e, fn["line"]),
                                     strength=Strength.MEDIUM if carries and not invented else Strength.WEAK,
                                     attrs={"tool": "kubeflow", "steps": len(steps), "with_io": io > 0, "training": training,
                                            **({"stub": True} if stub else {}),
                                            **({"synthetic": True, "synthetic_input": ", ".join(made_up)} if invented else {})})
                yield from self._gates(index, e, fn, tasks, comps, facts[8], metric_outs)
                deploy = next((c for c in steps if c[NAME] in deployers), None)
                if deploy is not None and len(steps) >= 2:
                    yield self.found("deploy.automated", index, e.path, **at(index, e, deploy[LINE]), strength=Strength.STRONG,
                                     attrs={"system": "kubeflow", "target": "kserve", "active": True, "via": "pipeline step"})
        for e, facts in pipelines:
            for line, texts, active, cron, func in facts[4]:
                if trainingish(*texts) or any_training:
                    stub = func in stub_pipelines
                    yield self.found("schedule.training", index, e.path, **at(index, e, line), strength=Strength.STRONG if active else Strength.WEAK,
                                     attrs={"tool": "kubeflow", "cron": cron, "active": active, "trigger": "cron",
                                            **({"stub": True} if stub else {})})
        yield from self._compiled(index)

    def _gates(self, index: FileIndex, e: FileEntry, fn: dict[str, Any], tasks: dict[str, int], comps: set[str],
               verdicts: dict[str, int], metric_outs: dict[str, tuple[str, int]]) -> Iterator[Finding]:
        calls: list[list[Any]] = fn["calls"]
        for line, names, compares, body, orders in fn["conditions"]:
            refs = [calls[tasks[n]] for n in names if n in tasks]
            by_eval = any(words(t[DOTTED]) & _GATE_WORDS for t in refs)
            # ``with Condition(train.outputs["Output"] >= 0.7)``: the training component returns its accuracy, held to a
            # threshold by order (the component's ``return accuracy`` follows as the second item)
            metric = next((metric_outs[t[NAME]] for t in refs if t[NAME] in metric_outs), None) if orders else None
            guarded = [i for i in body if is_task(calls[i], comps)]
            if guarded and (by_eval or compares or metric):
                # ``dsl.If(evaluation.output == True)``: the component's own comparison decides, the condition acts on it
                verdict = None if compares or metric else next((verdicts[t[NAME]] for t in refs if t[NAME] in verdicts), None)
                extra = (self.evidence(index, e.path, **at(index, e, line), strength=Strength.MEDIUM),) if verdict else ()
                if metric and not compares:
                    extra = (self.evidence(index, metric[0], metric[1], strength=Strength.MEDIUM),)
                yield self.found("gate.metric", index, e.path, **at(index, e, verdict or line), extra=extra,
                                 attrs={"tool": "kubeflow", "blocking": True, "kind": "condition", "guards": len(guarded)})

    def _compiled(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select((*YAML_GLOBS, "**/*.json")):
            if e.test or not index.contains(e.path, SPEC_NEEDLES):
                continue
            for line, steps, carries, training in index.fact(e.path, COMPILED_FACTS):
                yield self.found("pipeline.dag", index, e.path, line, strength=Strength.MEDIUM if carries else Strength.WEAK,
                                 attrs={"tool": "kubeflow", "steps": steps, "with_io": carries, "compiled": True, "training": training})
        for e, d in k8s_objects(index, "kubeflow.org", ("ScheduledWorkflow",)):
            spec = d.get("spec") if isinstance(d.get("spec"), dict) else {}
            trig = spec.get("trigger") if isinstance(spec.get("trigger"), dict) else {}
            cron = (trig.get("cronSchedule") or {}).get("cron") if isinstance(trig.get("cronSchedule"), dict) else None
            name = str((d.get("metadata") or {}).get("name", "")) if isinstance(d.get("metadata"), dict) else ""
            if trainingish(name, str(spec.get("workflow", ""))):
                active = spec.get("enabled", True) is not False
                yield self.found("schedule.training", index, e.path, line_of(d, "spec"), strength=Strength.STRONG if active else Strength.WEAK,
                                 attrs={"tool": "kubeflow", "cron": str(cron or "periodic"), "active": active, "trigger": "cron"})
