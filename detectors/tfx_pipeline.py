"""TFX pipelines: component graphs (ExampleGen -> Trainer -> Evaluator -> Pusher), the Evaluator
blessing that gates the Pusher, and the ExampleGen's examples: a per-run data artifact in the pipeline root, recorded in
ML Metadata, from which the trained model is built; feeds D1, D3, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import call_tail, calls, imports, kwarg
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_COMPONENTS = ("CsvExampleGen", "ImportExampleGen", "BigQueryExampleGen", "FileBasedExampleGen", "StatisticsGen", "SchemaGen",
               "ImportSchemaGen", "ExampleValidator", "Transform", "Trainer", "Tuner", "Evaluator", "InfraValidator", "Pusher",
               "BulkInferrer", "Resolver", "ModelValidator")
_THRESHOLDS = ("MetricThreshold", "GenericValueThreshold", "GenericChangeThreshold")


def _component(value: ast.AST) -> str | None:
    """The component a value builds, through the chained configuration calls of the usual style
    (``tfx.dsl.Resolver(...).with_id("latest_blessed_model_resolver")``, ``.with_platform_config(...)``)."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr.startswith("with_") \
            and isinstance(value.func.value, ast.Call):
        value = value.func.value
    name = call_tail(value) if isinstance(value, ast.Call) else None
    return name if name in _COMPONENTS else None


def _assigned_components(tree: ast.AST) -> dict[str, str]:
    """``trainer = Trainer(...)`` / ``resolver = Resolver(...).with_id("x")``: variable -> component."""
    out: dict[str, str] = {}
    for n in walk(tree):
        if isinstance(n, ast.Assign) and (comp := _component(n.value)) is not None:
            out.update({t.id: comp for t in n.targets if isinstance(t, ast.Name)})
    return out


def _example_gen_feeding(comps: dict[str, str], used: list[ast.Call]) -> ast.Call | None:
    """The first ExampleGen whose ``outputs`` another component reads: each run writes its examples as an artifact of
    that run (kept under the pipeline root, recorded in ML Metadata), so the run's data can be found again."""
    gens = {k for k, v in comps.items() if v.endswith("ExampleGen")}
    read = {n.value.id for c in used for n in walk(c) if isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name)}
    return next((c for c in used if call_tail(c).endswith("ExampleGen") and any(v in read for v in gens)), None)


class TfxPipeline(Detector):
    """TFX component graphs and Evaluator-blessed pushes; feeds D3, M4."""

    id = "tfx.pipeline"
    questions = ("D1", "D3", "M4")
    globs = ("**/*.py",)
    signals = ("pipeline.dag", "gate.metric", "data.version_logged")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, tree in index.python_files((b"tfx",), ("**/*.py",)):
            if e.test or not imports(tree, "tfx"):
                continue
            comps = _assigned_components(tree)
            used = list(calls(tree, *_COMPONENTS))
            edges = sum(any(isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name) and n.value.id in comps
                            for n in walk(c)) for c in used)
            if len(used) >= 2 and edges:
                yield self.found("pipeline.dag", index, e.path, used[0].lineno,
                                 attrs={"tool": "tfx", "steps": len(used), "with_io": True, "training": "Trainer" in comps.values()})
                gen = _example_gen_feeding(comps, used)
                if gen is not None and "Trainer" in comps.values():
                    yield self.found("data.version_logged", index, e.path, gen.lineno, strength=Strength.MEDIUM,
                                     attrs={"tool": "tfx", "kind": "run-artifact", "pinned": True, "linked_to_model": False})
            if not any(calls(tree, *_THRESHOLDS)):
                continue
            evaluators = {k for k, v in comps.items() if v == "Evaluator"}
            for p in calls(tree, "Pusher"):
                blessing = kwarg(p, "model_blessing")
                blessed = blessing is not None and any(isinstance(n, ast.Name) and n.id in evaluators for n in walk(blessing))
                yield self.found("gate.metric", index, e.path, p.lineno, strength=Strength.MEDIUM,
                                 attrs={"tool": "tfx", "blocking": blessed, "kind": "evaluator_blessing"})
