"""ML workflows declared as Step Functions state machines with the AWS CDK in Python (``aws_cdk.aws_stepfunctions``):
the state machine's SageMaker states, built from ``aws_stepfunctions_tasks`` classes
(``SageMakerCreateTrainingJob`` -> ``SageMakerCreateModel`` -> ``SageMakerCreateEndpoint``) or written as
``CustomState(state_json={"Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync", ...})``, across the modules
of the app (tasks are often made by construct helpers in modules of their own and chained with ``.next()`` where the
``StateMachine`` is defined). Two or more job states chained into a machine are a DAG, an endpoint create/update
state is the workflow's deploy, and the training task's ``output_data_config`` S3 location is the model's artifact
store. Feeds D3, M2, T2 (the TypeScript form is ``aws.cdk_ts``)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import kwarg
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

NEEDLES = (b"aws_stepfunctions",)
_TASKS = "aws_cdk.aws_stepfunctions_tasks."
_SFN = "aws_cdk.aws_stepfunctions."
_WORK = frozenset({"SageMakerCreateTrainingJob", "SageMakerCreateProcessingJob", "SageMakerCreateModel", "SageMakerCreateEndpointConfig",
                   "SageMakerCreateEndpoint", "SageMakerUpdateEndpoint", "SageMakerCreateTransformJob", "GlueStartJobRun", "LambdaInvoke",
                   "EcsRunTask", "BatchSubmitJob", "EmrAddStep"})
_SAGEMAKER = frozenset(w for w in _WORK if w.startswith("SageMaker"))
_TRAINING = "SageMakerCreateTrainingJob"
_DEPLOY = frozenset({"SageMakerCreateEndpoint", "SageMakerUpdateEndpoint"})
# the service integration a CustomState calls: ``arn:aws:states:::sagemaker:createTrainingJob.sync``
_ARN = re.compile(r"arn:aws:states:::sagemaker:(create|update)(\w+?)(?:\.sync|\.waitForTaskToken)?$")


def _custom_kind(resource: str) -> str:
    m = _ARN.match(resource)
    return f"SageMaker{m.group(1).capitalize()}{m.group(2)}" if m else ""


class AwsCdkStepFunctions(Detector):
    """Step Functions state machines of SageMaker states in AWS CDK Python apps: DAG, endpoint deploy, training output store."""

    id = "aws.cdk_sfn"
    questions = ("D3", "M2", "T2")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = NEEDLES
    signals = ("pipeline.dag", "deploy.automated", "artifact.store")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        machines: list[tuple[FileEntry, ops.PyCall]] = []
        for e in index.select(self.globs):
            if e.test or not index.mentions(e.path, NEEDLES):
                continue
            al, calls = ops.py_calls(index, e)
            if not ops.imports_module(al, "aws_cdk"):
                continue
            machines += [(e, c) for c in calls if c.qual == _SFN + "StateMachine"
                         and (kwarg(c.node, "definition") is not None or kwarg(c.node, "definition_body") is not None)]
        for e, machine in machines:
            yield from self._machine(index, e, machine)

    def _machine(self, index: FileIndex, e: FileEntry, machine: ops.PyCall) -> Iterator[Finding]:
        tree = index.python(e.path)
        if tree is None or not any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "next"
                                   for c in walk(tree)):
            return  # a machine whose definition chains nothing
        files = [e, *(f for f in ops.local_imports(index, e) if not f.test)]
        states = sorted((s for f in files for s in _states(index, f)), key=lambda s: (s[0].path != e.path, s[0].path, s[1]))
        if len(states) < 2 or not any(kind in _SAGEMAKER for _f, _l, kind, _c in states):
            return
        kinds = {kind for _f, _l, kind, _c in states}
        at, snip = ops.locate(index, e, machine.line)
        yield self.found("pipeline.dag", index, e.path, at, snippet=snip, strength=Strength.MEDIUM,
                         attrs={"tool": "stepfunctions", "steps": len(states), "with_io": True, "training": _TRAINING in kinds})
        deploy = next(((f, line) for f, line, kind, _c in states if kind in _DEPLOY), None)
        if deploy is not None:
            f, line = deploy
            yield self.found("deploy.automated", index, f.path, line, strength=Strength.MEDIUM,
                             attrs={"system": "stepfunctions", "target": "sagemaker", "active": True, "automatic": False,
                                    "via": "step functions state machine (CDK)", "environment": "", "job": "",
                                    "manual_dispatch": True})
        train = next(((f, c) for f, _l, kind, c in states if kind == _TRAINING and c is not None), None)
        if train is not None:
            out = kwarg(train[1], "output_data_config")
            if out is not None and any(isinstance(k, ast.keyword) and k.arg == "s3_output_location" for k in walk(out)):
                line = getattr(out, "lineno", train[1].lineno)
                yield self.found("artifact.store", index, train[0].path, line, strength=Strength.MEDIUM,
                                 attrs={"how": "estimator-output", "kind": "s3", "wired": False})


def _states(index: FileIndex, f: FileEntry) -> Iterator[tuple[FileEntry, int, str, ast.Call | None]]:
    """(file, line, kind, task call) for each work state a module builds: a ``aws_stepfunctions_tasks`` class, or a
    ``CustomState`` whose state JSON (a literal, or a dict the module builds) names a SageMaker service integration."""
    al, calls = ops.py_calls(index, f)
    if not ops.imports_module(al, "aws_cdk"):
        return
    customs = [c for c in calls if c.qual == _SFN + "CustomState"]
    resources: list[tuple[int, str]] = []
    if customs:
        tree = index.python(f.path)
        for d in walk(tree) if tree is not None else ():
            if isinstance(d, ast.Dict):
                for k, v in zip(d.keys, d.values, strict=False):
                    if isinstance(k, ast.Constant) and k.value == "Resource" and isinstance(v, ast.Constant) and isinstance(v.value, str):
                        if kind := _custom_kind(v.value):
                            resources.append((v.lineno, kind))
    for c in calls:
        if c.qual.startswith(_TASKS) and c.attr in _WORK:
            yield f, c.line, c.attr, c.node
    # a module's CustomStates and the SageMaker resources its state JSON names: one state per resource
    if customs:
        for line, kind in resources:
            yield f, line, kind, None
