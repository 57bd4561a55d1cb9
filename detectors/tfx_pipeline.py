"""TFX pipelines: component graphs (ExampleGen -> Trainer -> Evaluator -> Pusher) and the Evaluator
blessing that gates the Pusher; feeds D3, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import assigned_call_names, calls, imports, kwarg
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_COMPONENTS = ("CsvExampleGen", "ImportExampleGen", "BigQueryExampleGen", "FileBasedExampleGen", "StatisticsGen", "SchemaGen",
               "ImportSchemaGen", "ExampleValidator", "Transform", "Trainer", "Tuner", "Evaluator", "InfraValidator", "Pusher",
               "BulkInferrer", "Resolver", "ModelValidator")
_THRESHOLDS = ("MetricThreshold", "GenericValueThreshold", "GenericChangeThreshold")


class TfxPipeline(Detector):
    """TFX component graphs and Evaluator-blessed pushes; feeds D3, M4."""

    id = "tfx.pipeline"
    questions = ("D3", "M4")
    globs = ("**/*.py",)
    signals = ("pipeline.dag", "gate.metric")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, tree in index.python_files((b"tfx",), ("**/*.py",)):
            if e.test or not imports(tree, "tfx"):
                continue
            comps = assigned_call_names(tree, _COMPONENTS)
            used = list(calls(tree, *_COMPONENTS))
            edges = sum(any(isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name) and n.value.id in comps
                            for n in walk(c)) for c in used)
            if len(used) >= 2 and edges:
                yield self.found("pipeline.dag", index, e.path, used[0].lineno,
                                 attrs={"tool": "tfx", "steps": len(used), "with_io": True, "training": "Trainer" in comps.values()})
            if not any(calls(tree, *_THRESHOLDS)):
                continue
            evaluators = {k for k, v in comps.items() if v == "Evaluator"}
            for p in calls(tree, "Pusher"):
                blessing = kwarg(p, "model_blessing")
                blessed = blessing is not None and any(isinstance(n, ast.Name) and n.id in evaluators for n in walk(blessing))
                yield self.found("gate.metric", index, e.path, p.lineno, strength=Strength.MEDIUM,
                                 attrs={"tool": "tfx", "blocking": blessed, "kind": "evaluator_blessing"})
