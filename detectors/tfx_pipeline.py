"""TFX pipelines: component graphs (ExampleGen -> Trainer -> Evaluator -> Pusher), the Evaluator
blessing that gates the Pusher, and the ExampleGen's examples: a per-run data artifact in the pipeline root, recorded in
ML Metadata, from which the trained model is built (also when each component is built by a factory function in a
module of its own, as TFX templates do); the Google Cloud Pusher (``tfx.extensions.google_cloud_ai_platform.Pusher``)
that uploads the blessed model to Vertex AI / AI Platform and deploys it to an endpoint; feeds D1, D3, M2, M4, T2."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import call_tail, calls, dotted, imports, kwarg
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

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


def _reads_examples(tree: ast.AST) -> bool:
    """``x.outputs["examples"]``: a component takes an ExampleGen's examples."""
    return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and n.value.attr == "outputs"
               and isinstance(n.slice, ast.Constant) and n.slice.value == "examples" for n in walk(tree))


def _trainer_on_outputs(tree: ast.AST) -> bool:
    """A Trainer fed by another component's outputs (``examples=``/``transformed_examples=`` channels)."""
    return any(any(isinstance(n, ast.Attribute) and n.attr == "outputs" for k in t.keywords for n in walk(k.value))
               for t in calls(tree, "Trainer"))


def _trainer_edge(used: list[ast.Call]) -> int | None:
    """The line where another component's output enters the Trainer (``examples=transform.outputs["transformed_examples"]``):
    where the data reaches the model's input, the edge D3 reads lineage at; None without one."""
    for c in used:
        if call_tail(c) != "Trainer":
            continue
        for k in ("examples", "transformed_examples"):
            v = kwarg(c, k)
            if v is not None and any(isinstance(n, ast.Attribute) and n.attr == "outputs" for n in walk(v)):
                return v.lineno
    return None


def _cloud_pusher(p: ast.Call, tree: ast.AST) -> str | None:
    """The platform a Google Cloud Pusher deploys to (``tfx.extensions.google_cloud_ai_platform.Pusher(...,
    custom_config={ENABLE_VERTEX_KEY: True, SERVING_ARGS_KEY: {...}})``): "vertex", "ai-platform", or None for the
    standard Pusher (a filesystem push destination) or one with no deployment parameters."""
    name = dotted(p.func)
    cloud = "google_cloud_ai_platform" in name or any(
        isinstance(n, ast.ImportFrom) and "google_cloud_ai_platform" in (n.module or "") and any(a.name == "Pusher" for a in n.names)
        for n in walk(tree))
    config = kwarg(p, "custom_config")
    if not cloud or config is None or ops.literal(config) == {}:
        return None
    return "vertex" if "VERTEX" in ast.unparse(config).upper() else "ai-platform"



def _as_dataset_output(f: Finding) -> Finding:
    """The ExampleGen call is the versioned data itself: each run's examples are an artifact ML Metadata records (fact
    ``dataset_output``, what D1 prefers): it leads before a later line of its function that only matches D1's deciding-line
    words (a split's ``hash_buckets``, an Importer's ``artifact_type``)."""
    return replace(f, evidence=(replace(f.evidence[0], fact="dataset_output"), *f.evidence[1:])) if f.evidence else f

class TfxPipeline(Detector):
    """TFX component graphs, Evaluator-blessed pushes, per-run examples and Google Cloud pushes; feeds D1, D3, M2, M4, T2."""

    id = "tfx.pipeline"
    questions = ("D1", "D3", "M2", "M4", "T2")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = (b"tfx",)
    signals = ("pipeline.dag", "gate.metric", "data.version_logged", "deploy.automated", "model.registry")

    def _factory_examples(self, index: FileIndex, e: FileEntry, tree: ast.AST) -> Iterator[Finding]:
        """A pipeline module whose components come from factory functions of the project's own modules
        (``example_gen = create_example_gen(data_path)``, ``Pipeline(components=[example_gen, ...])``): the ExampleGen
        there keeps each run's examples when the assembled graph hands them on and a Trainer trains on outputs."""
        if not any(kwarg(c, "components") is not None for c in calls(tree, "Pipeline")):
            return
        mods = [(e, tree)] + [(f, t) for f in ops.local_imports(index, e) if (t := index.python(f.path)) is not None and imports(t, "tfx")]
        if not any(_reads_examples(t) for _, t in mods) or not any(_trainer_on_outputs(t) for _, t in mods):
            return
        for f, t in mods:
            gen = next((c for c in calls(t, *(c for c in _COMPONENTS if c.endswith("ExampleGen")))), None)
            if gen is not None:
                yield _as_dataset_output(self.found("data.version_logged", index, f.path, gen.lineno, strength=Strength.MEDIUM,
                                         attrs={"tool": "tfx", "kind": "run-artifact", "pinned": True, "linked_to_model": False, "via": e.vpath}))
                return

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        examples_found = False
        pipelines: list[tuple[FileEntry, ast.AST]] = []
        for e, tree in index.python_files((b"tfx",), ("**/*.py",)):
            if e.test or not imports(tree, "tfx"):
                continue
            pipelines.append((e, tree))
            for p in calls(tree, "Pusher"):
                target = _cloud_pusher(p, tree)
                if target is None:
                    continue
                line, snip = ops.locate(index, e, p.lineno)
                yield self.found("deploy.automated", index, e.path, line, snippet=snip, strength=Strength.STRONG,
                                 attrs={"system": "tfx", "target": target, "active": True, "automatic": False, "via": "tfx pipeline Pusher",
                                        "environment": "", "job": "Pusher", "manual_dispatch": True})
                yield self.found("model.registry", index, e.path, line, snippet=snip, strength=Strength.MEDIUM,
                                 attrs={"tool": target, "approval": False, "central": True, "wired": "automated"})
            comps = _assigned_components(tree)
            used = list(calls(tree, *_COMPONENTS))
            edges = sum(any(isinstance(n, ast.Attribute) and n.attr == "outputs" and isinstance(n.value, ast.Name) and n.value.id in comps
                            for n in walk(c)) for c in used)
            if len(used) >= 2 and edges:
                edge = _trainer_edge(used)
                extra = [replace(self.evidence(index, e.path, edge), fact="lineage_edge")] if edge is not None else []
                yield self.found("pipeline.dag", index, e.path, used[0].lineno, extra=extra,
                                 attrs={"tool": "tfx", "steps": len(used), "with_io": True, "training": "Trainer" in comps.values()})
                gen = _example_gen_feeding(comps, used)
                if gen is not None and "Trainer" in comps.values():
                    examples_found = True
                    yield _as_dataset_output(self.found("data.version_logged", index, e.path, gen.lineno, strength=Strength.MEDIUM,
                                             attrs={"tool": "tfx", "kind": "run-artifact", "pinned": True, "linked_to_model": False}))
            # the legacy ModelValidator blesses a model only when it is not worse than the last blessed one (a
            # champion/challenger comparison of its own): a Pusher that needs its blessing is gated without thresholds
            validators = {k for k, v in comps.items() if v == "ModelValidator"}
            for p in calls(tree, "Pusher"):
                blessing = kwarg(p, "model_blessing")
                if validators and blessing is not None and any(isinstance(n, ast.Name) and n.id in validators for n in walk(blessing)):
                    yield self.found("gate.metric", index, e.path, p.lineno, strength=Strength.MEDIUM,
                                     attrs={"tool": "tfx", "blocking": True, "kind": "model_validator"})
            if not any(calls(tree, *_THRESHOLDS)):
                continue
            evaluators = {k for k, v in comps.items() if v == "Evaluator"}
            for p in calls(tree, "Pusher"):
                blessing = kwarg(p, "model_blessing")
                blessed = blessing is not None and any(isinstance(n, ast.Name) and n.id in evaluators for n in walk(blessing))
                yield self.found("gate.metric", index, e.path, p.lineno, strength=Strength.MEDIUM,
                                 attrs={"tool": "tfx", "blocking": blessed, "kind": "evaluator_blessing"})
        if not examples_found:
            for e, tree in pipelines:
                found = list(self._factory_examples(index, e, tree))
                yield from found
                if found:
                    return
