"""Training and deployment workflows written with the AWS Step Functions Data Science SDK (``stepfunctions``):
the chained steps (TrainingStep -> ModelStep -> EndpointConfigStep -> EndpointStep, ProcessingStep, LambdaStep ...)
as a DAG, an EndpointStep as the workflow's deploy, and a ``Choice`` whose numeric rule on a metric leads to the
deploy steps (or to ``Succeed``, the execution's pass state) while the default goes to ``Fail`` as a quality gate, SageMaker
Experiments on the workflow's job steps (``experiment_config=``: every execution's job joins a trial, with its parameters
and metrics) and a data version recorded in the tags of the training job (``tags={"DataVersionId": ...}``). Feeds D1,
D2, D3, E1, E2, M2, M4."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import at_argument, call_tail, dotted, kwarg, metric_compare, prepared_splits, words
from mlscan.facts.place import place
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

_STEPS = frozenset({"TrainingStep", "ProcessingStep", "TuningStep", "TransformStep", "ModelStep", "EndpointConfigStep", "EndpointStep",
                    "LambdaStep", "GlueStartJobRunStep", "BatchSubmitJobStep", "EcsRunTaskStep", "EmrAddStepStep", "Task"})
_DEPLOY = frozenset({"EndpointStep"})
# job steps that run SageMaker jobs: ``experiment_config=`` puts each job into a trial of a SageMaker Experiment
_JOBS = frozenset({"TrainingStep", "ProcessingStep", "TuningStep", "TransformStep"})
# states where an execution ends well or passes on: the side of a Choice that is not ``Fail``
_PASS_STATES = frozenset({"Succeed", "Pass"})
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "input", "training"})
_VERSION_WORDS = frozenset({"version", "versionid", "id", "hash", "digest", "sha", "etag", "revision", "md5", "checksum"})
_NUMERIC_RULES = frozenset({"NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals",
                            "NumericLessThanPath", "NumericGreaterThanPath", "NumericLessThanEqualsPath", "NumericGreaterThanEqualsPath"})
_METRIC_TEXT = ("metric", "accuracy", "auc", "f1", "rmse", "mse", "mae", "loss", "score", "precision", "recall", "r2", "error")
NEEDLES = (b"stepfunctions",)


def _given(node: ast.AST | None) -> bool:
    """A keyword that is passed with a value (not left out, not ``None``, not an empty dict)."""
    return node is not None and not (isinstance(node, ast.Constant) and node.value is None) and not (isinstance(node, ast.Dict) and not node.keys)


# steps that make data inside the workflow: SageMaker processing, Glue, EMR, Batch and ECS jobs, or a Lambda named for it
_PREP = frozenset({"ProcessingStep", "GlueStartJobRunStep", "EmrAddStepStep", "BatchSubmitJobStep", "EcsRunTaskStep"})
_PREP_WORDS = frozenset({"prepare", "preparation", "prep", "preprocess", "preprocessing", "process", "processing", "etl", "ingest",
                         "ingestion", "split", "feature", "features", "clean", "cleaning", "transform", "extract"})
def _prepares(kind: str, node: ast.Call) -> bool:
    """Does a step make data: a data job, or a LambdaStep whose state name says it prepares data?"""
    if kind in _PREP:
        return True
    name = ops.literal(node.args[0]) if node.args else ops.literal(kwarg(node, "state_id"))
    return kind == "LambdaStep" and isinstance(name, str) and bool(words(name) & _PREP_WORDS)


def _chain_members(tree: ast.AST, steps: dict[str, str]) -> set[str]:
    """Step variables linked into the workflow: ``Chain([a, b, c])`` or ``a.next(b)``."""
    out: set[str] = set()
    for c in walk(tree):
        if not isinstance(c, ast.Call):
            continue
        if call_tail(c) == "Chain" and c.args:
            out |= {n.id for n in walk(c.args[0]) if isinstance(n, ast.Name) and n.id in steps}
        elif call_tail(c) == "next" and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name) and c.func.value.id in steps:
            out.add(c.func.value.id)
            out |= {n.id for a in c.args for n in walk(a) if isinstance(n, ast.Name) and n.id in steps}
    return out


class StepFunctionsSdk(Detector):
    """AWS Step Functions Data Science SDK workflows: step DAGs, EndpointStep deploys, Choice->Fail metric gates; feeds D3, M2, M4."""

    id = "stepfunctions.workflow"
    questions = ("D1", "D2", "D3", "E1", "E2", "M2", "M4")
    globs = ("**/*.py", "**/*.ipynb")
    needs = ("**/*.py", "**/*.ipynb")
    needs_words = NEEDLES
    signals = ("pipeline.dag", "deploy.automated", "gate.metric", "tracking.run", "data.version_logged")

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return not e.test and index.mentions(e.path, NEEDLES)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        al, _calls = ops.py_calls(index, e)
        if not ops.imports_module(al, "stepfunctions"):
            return
        steps: dict[str, str] = {}  # variable -> step class
        nodes: dict[str, ast.Call] = {}
        for n in walk(tree):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_tail(n.value) in (*_STEPS, *_PASS_STATES, "Choice", "Fail"):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        steps[t.id] = call_tail(n.value)
                        nodes[t.id] = n.value
        chained = _chain_members(tree, steps)
        work = [v for v in steps if steps[v] in _STEPS]
        if not work:
            return
        workflow = any(isinstance(c, ast.Call) and call_tail(c) in ("Workflow", "TrainingPipeline", "InferencePipeline") for c in walk(tree))
        where = place(index, e).kind
        strength = Strength.WEAK if where in ("exploration", "test") else Strength.STRONG if where == "automated" else Strength.MEDIUM
        linked = [v for v in work if v in chained or steps[v] in ("Choice",)]
        io = sum(1 for v in work if any(isinstance(x, ast.Name) and x.id in steps and x.id != v for x in walk(nodes[v])))
        first = min((nodes[v] for v in work), key=lambda c: c.lineno)
        if workflow and len([v for v in work if v in chained]) >= 2:
            # the workflow's data path leads: a step that prepares data, else the training step (not whichever step is
            # written first, such as a Lambda that creates the experiment)
            prep = sorted((nodes[v].lineno, v) for v in work if v in chained and _prepares(steps[v], nodes[v]))
            train = sorted((nodes[v].lineno, v) for v in work if v in chained and steps[v] in ("TrainingStep", "TuningStep"))
            lead = nodes[prep[0][1]] if prep else nodes[train[0][1]] if train else first
            # lineage starts at the raw data (conventions, D3): a workflow whose training reads only train/validation
            # splits made before it (in a notebook) and prepares no data itself declares no raw input
            raw = bool(prep) or not train or not prepared_splits(kwarg(nodes[train[0][1]], "data"))
            at, snip = ops.locate(index, e, lead.lineno)
            extra = ()
            if prep and train:
                t_at, t_snip = ops.locate(index, e, nodes[train[0][1]].lineno)
                extra = (self.evidence(index, e.path, t_at, snippet=t_snip, strength=strength),)
            yield self.found("pipeline.dag", index, e.path, at, snippet=snip, strength=strength if raw else Strength.WEAK, extra=extra,
                             attrs={"tool": "stepfunctions", "steps": len(linked), "with_io": io > 0,
                                    "training": any(steps[v] in ("TrainingStep", "TuningStep") for v in work),
                                    **({} if raw else {"raw_input": False})})
        deploys = [v for v in work if steps[v] in _DEPLOY and (v in chained or self._choice_target(tree, steps, v))]
        if workflow and deploys:
            at, snip = ops.locate(index, e, nodes[deploys[0]].lineno)
            yield self.found("deploy.automated", index, e.path, at, snippet=snip, strength=strength,
                             attrs={"system": "stepfunctions", "target": "sagemaker", "active": True, "automatic": False,
                                    "via": "step functions workflow", "environment": "", "job": deploys[0], "manual_dispatch": True})
        yield from self._gates(index, e, tree, steps, strength)
        if workflow:
            yield from self._job_records(index, e, steps, nodes, chained, strength)

    def _job_records(self, index: FileIndex, e: FileEntry, steps: dict[str, str], nodes: dict[str, ast.Call], chained: set[str],
                     strength: Strength) -> Iterator[Finding]:
        """What the workflow's job steps record with each execution: ``experiment_config=`` (the job joins a trial of a
        SageMaker Experiment: parameters and metrics of every run, compared in Studio) and a data version in the
        training job's ``tags=`` (a key naming data and a version/id/hash: the S3 object version or dataset digest the
        job was trained on, kept with the job that made the model)."""
        jobs = sorted((nodes[v].lineno, v) for v in steps if steps[v] in _JOBS and v in chained)
        tracked = next((nodes[v] for _ln, v in jobs if steps[v] in ("TrainingStep", "TuningStep")
                        and _given(kwarg(nodes[v], "experiment_config"))), None)
        if tracked is not None:
            # cited from the step through its ``experiment_config=`` (what makes the job a tracked run), not at its opener
            yield self.found("tracking.run", index, e.path, **at_argument(index, e, tracked, kwarg(tracked, "experiment_config") or tracked), strength=strength,
                             attrs={"tool": "sagemaker-experiments", "tools": "sagemaker-experiments", "params": True, "metrics": True,
                                    "in_training": True, "optional": False, "tuning_only": False, "pipeline_native": True})
        for _ln, v in jobs:
            tags = kwarg(nodes[v], "tags")
            if steps[v] != "TrainingStep" or not isinstance(tags, ast.Dict):
                continue
            for k in tags.keys:
                key = ops.literal(k) if k is not None else None
                w = words(key) if isinstance(key, str) else set()
                if w & _DATA_WORDS and w & _VERSION_WORDS:
                    at, snip = ops.locate(index, e, k.lineno)
                    yield self.found("data.version_logged", index, e.path, at, snippet=snip, strength=strength,
                                     attrs={"tool": "stepfunctions", "kind": "job-tag", "pinned": True, "linked_to_model": True})
                    return

    @staticmethod
    def _choice_target(tree: ast.AST, steps: dict[str, str], var: str) -> bool:
        """Is the step the ``next_step`` of a Choice rule (a branch of the workflow)?"""
        for c in walk(tree):
            if isinstance(c, ast.Call) and call_tail(c) in ("add_choice", "default_choice"):
                nxt = kwarg(c, "next_step") or (c.args[-1] if c.args else None)
                if isinstance(nxt, ast.Name) and nxt.id == var:
                    return True
        return False

    @staticmethod
    def _state_kind(node: ast.AST | None, steps: dict[str, str]) -> str:
        """The state class a Choice branch leads to: a step variable, or a state built inline (``Succeed("Done")``)."""
        if isinstance(node, ast.Name):
            return steps.get(node.id, "")
        return call_tail(node) if isinstance(node, ast.Call) and call_tail(node) in (*_STEPS, *_PASS_STATES, "Choice", "Fail") else ""

    def _gates(self, index: FileIndex, e: FileEntry, tree: ast.AST, steps: dict[str, str], strength: Strength) -> Iterator[Finding]:
        """``choice.add_choice(rule=ChoiceRule.NumericLessThan(variable=<metric>, value=...), next_step=<deploy/model>)`` with
        ``default_choice(next_step=<Fail>)`` (or the rule leading to Fail): the workflow stops unless the metric passes."""
        for c in walk(tree):
            if not (isinstance(c, ast.Call) and call_tail(c) == "add_choice" and isinstance(c.func, ast.Attribute)):
                continue
            choice = dotted(c.func.value)
            rule = kwarg(c, "rule") or (c.args[0] if c.args else None)
            if isinstance(rule, ast.Name):  # threshold_rule = ChoiceRule.NumericLessThan(...)
                rule = next((a.value for a in walk(tree) if isinstance(a, ast.Assign) and isinstance(a.value, ast.Call)
                             and any(isinstance(t, ast.Name) and t.id == rule.id for t in a.targets)), rule)
            nxt = kwarg(c, "next_step") or (c.args[1] if len(c.args) > 1 else None)
            if not (isinstance(rule, ast.Call) and call_tail(rule) in _NUMERIC_RULES):
                continue
            var = kwarg(rule, "variable")
            text = ast.unparse(var).lower() if var is not None else ""
            if not (any(m in text for m in _METRIC_TEXT) or metric_compare(rule) is not None or words(text) & {"metric", "metrics"}):
                continue
            kinds = {self._state_kind(nxt, steps)}
            for d in walk(tree):
                if isinstance(d, ast.Call) and call_tail(d) == "default_choice" and isinstance(d.func, ast.Attribute) and dotted(d.func.value) == choice:
                    kinds.add(self._state_kind(kwarg(d, "next_step") or (d.args[0] if d.args else None), steps))
            if "Fail" in kinds and kinds - {"Fail", ""}:
                at, snip = ops.locate(index, e, c.lineno)
                yield self.found("gate.metric", index, e.path, at, snippet=snip, strength=strength,
                                 attrs={"tool": "stepfunctions", "blocking": True, "kind": "threshold"})
                return
