"""ML workflows declared with the AWS CDK in TypeScript/JavaScript (``aws-cdk-lib``), read with the small text reader
of ``mlscan.facts.typescript``: Step Functions state machines built from ``aws-stepfunctions-tasks`` SageMaker tasks
(training job -> model -> endpoint config -> endpoint, Glue/Lambda steps) as a DAG, their endpoint tasks as the
workflow's deploy, a ``Choice`` whose numeric condition on a training metric decides between deploying and stopping as
a quality gate, and the training task's S3 output location as the model artifact store. Feeds D3, M2, M4, T2."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import words
from mlscan.facts.typescript import TsFile, calls, in_cdk_app, names, prop, split_top, strings, ts_file
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

NEEDLES = (b"aws-cdk-lib", b"@aws-cdk")
_WORK = frozenset({"SageMakerCreateTrainingJob", "SageMakerCreateModel", "SageMakerCreateEndpointConfig", "SageMakerCreateEndpoint",
                   "SageMakerUpdateEndpoint", "SageMakerCreateTransformJob", "GlueStartJobRun", "LambdaInvoke", "EcsRunTask",
                   "BatchSubmitJob", "EmrAddStep", "CallAwsService", "StepFunctionsStartExecution"})
_FLOW = frozenset({"Choice", "Pass", "Fail", "Succeed", "Parallel", "Map", "Wait"})
_TRAINING = frozenset({"SageMakerCreateTrainingJob"})
_DEPLOY = frozenset({"SageMakerCreateEndpoint", "SageMakerUpdateEndpoint"})
# states on the way to serving: a model, its endpoint config, the endpoint
_SERVING = frozenset({"SageMakerCreateModel", "SageMakerCreateEndpointConfig", *_DEPLOY})
_NUMERIC = re.compile(r"\bCondition\s*\.\s*number(LessThan|GreaterThan)(Equals)?(JsonPath)?\s*\(")
_METRIC_WORDS = frozenset({"metric", "metrics", "accuracy", "auc", "f1", "rmse", "mse", "mae", "loss", "score", "precision", "recall",
                           "r2", "error", "validation"})
_LINKS = ("next", "start", "when", "otherwise", "branch", "iterator", "itemProcessor", "fromChainable")


class AwsCdkTs(Detector):
    """Step Functions ML workflows in AWS CDK TypeScript apps: DAG, endpoint deploy, metric Choice gate, training output store."""

    id = "aws.cdk_ts"
    questions = ("D3", "M2", "M4", "T2")
    globs = ("**/*.ts", "**/*.js")
    signals = ("pipeline.dag", "deploy.automated", "gate.metric", "artifact.store")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(self.globs):
            if e.test or e.name.endswith(".d.ts") or not index.mentions(e.path, NEEDLES) or not in_cdk_app(index, e.path):
                continue
            f = ts_file(index, e)
            if f is None or not f.cdk() or not any(m.endswith("aws-stepfunctions-tasks") or m.endswith("aws-stepfunctions")
                                                   for m in f.imports):
                continue
            yield from self._state_machine(index, f)

    def _state_machine(self, index: FileIndex, f: TsFile) -> Iterator[Finding]:
        states = {n.var: n for n in f.news if n.var and n.tail in _WORK | _FLOW}
        machine = next((n for n in f.news if n.tail == "StateMachine"), None)
        if machine is None or not states:
            return
        linked = _linked(f, machine.props()) & set(states)
        work = sorted((states[v].line, v) for v in linked if states[v].tail in _WORK)
        if len(work) >= 2:
            first = states[work[0][1]]
            yield self.found("pipeline.dag", index, f.path, first.line, strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "steps": len(work), "with_io": True,
                                    "training": any(states[v].tail in _TRAINING for _l, v in work)})
        deploy = next((states[v] for _l, v in work if states[v].tail in _DEPLOY), None)
        if deploy is not None:
            yield self.found("deploy.automated", index, f.path, deploy.line, strength=Strength.MEDIUM,
                             attrs={"system": "stepfunctions", "target": "sagemaker", "active": True, "automatic": False,
                                    "via": "step functions state machine (CDK)", "environment": "", "job": deploy.var,
                                    "manual_dispatch": True})
        gate = _gate(f, states)
        if gate is not None:
            yield self.found("gate.metric", index, f.path, f.line_at(gate), strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "blocking": True, "kind": "threshold"})
        train = next((states[v] for _l, v in work if states[v].tail in _TRAINING), None)
        out = prop(train.props(), "outputDataConfig") if train is not None else None
        if out is not None and prop(out, "s3OutputLocation") is not None:
            yield self.found("artifact.store", index, f.path, train.line, strength=Strength.MEDIUM,
                             attrs={"how": "estimator-output", "kind": "s3", "wired": False})


def _linked(f: TsFile, machine_props: str) -> set[str]:
    """Variables chained into a state machine: receivers and arguments of ``.next()``, ``Chain.start()``,
    ``.when()``/``.otherwise()``, ``.branch()``, and the machine's ``definition``/``definitionBody``."""
    out: set[str] = set()
    for method in _LINKS:
        for receiver, args, _at in calls(f, method):
            out |= names(args)
            if receiver and method not in ("start", "fromChainable"):
                out.add(receiver.rsplit(".", 1)[-1])
    for key in ("definition", "definitionBody"):
        value = prop(machine_props, key)
        if value:
            out |= names(value)
    return out


def _gate(f: TsFile, states: dict) -> int | None:
    """Offset of a ``.when(sfn.Condition.numberLessThan('$.<metric path>', t), a).otherwise(b)`` where the metric
    decides between a state on the way to serving and one that is not (or between going on and ``Fail``)."""
    for _receiver, args, at in calls(f, "when"):
        parts = split_top(args)
        if len(parts) < 2 or not _NUMERIC.search(parts[0]):
            continue
        path = " ".join(strings(parts[0])) or parts[0]
        if not words(path) & _METRIC_WORDS:
            continue
        end = f.code.find(";", at)
        other = next((a for _r, a, o in calls(f, "otherwise") if at < o < (end if end > 0 else len(f.code))), "")
        kinds = {_kind(parts[1], states), _kind(other, states)}
        if ("Fail" in kinds and kinds - {"Fail", ""}) or (kinds & _SERVING and kinds - _SERVING):
            return at
    return None


def _kind(expr: str, states: dict) -> str:
    expr = expr.strip()
    if expr in states:
        return str(states[expr].tail)
    m = re.match(r"new\s+[\w$.]*?(\w+)\s*\(", expr)
    return m.group(1) if m else ""
