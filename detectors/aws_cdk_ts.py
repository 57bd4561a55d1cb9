"""ML workflows declared with the AWS CDK in TypeScript/JavaScript (``aws-cdk-lib``), read with the small text reader
of ``mlscan.facts.typescript``: Step Functions state machines built from ``aws-stepfunctions-tasks`` SageMaker tasks
(training job -> model -> endpoint config -> endpoint, Glue/Lambda steps) as a DAG, their endpoint tasks as the
workflow's deploy, a ``Choice`` whose numeric condition on a training metric decides between deploying and stopping as
a quality gate, the training task's S3 output location and a ``BucketDeployment`` of a model archive as the model
artifact store, and CloudWatch alarms with their
path to a person or an action (``alarm.addAlarmAction(new SnsAction(topic))``, ``alarmActions``, a deployment group
that rolls back on them). Feeds D3, M2, M4, T2, O3."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import words
from mlscan.facts.typescript import TsFile, TsNew, calls, cdk_app_of, names, prop, split_top, strings, ts_file
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

NEEDLES = (b"aws-cdk-lib", b"@aws-cdk")
_WORK = frozenset({"SageMakerCreateTrainingJob", "SageMakerCreateModel", "SageMakerCreateEndpointConfig", "SageMakerCreateEndpoint",
                   "SageMakerUpdateEndpoint", "SageMakerCreateTransformJob", "GlueStartJobRun", "LambdaInvoke", "EcsRunTask",
                   "BatchSubmitJob", "EmrAddStep", "CallAwsService", "StepFunctionsStartExecution", "CustomState",
                   "SageMakerCreateProcessingJob"})
_FLOW = frozenset({"Choice", "Pass", "Fail", "Succeed", "Parallel", "Map", "Wait"})
_TRAINING = frozenset({"SageMakerCreateTrainingJob"})
_DEPLOY = frozenset({"SageMakerCreateEndpoint", "SageMakerUpdateEndpoint"})
# states on the way to serving: a model, its endpoint config, the endpoint
_SERVING = frozenset({"SageMakerCreateModel", "SageMakerCreateEndpointConfig", *_DEPLOY})
_NUMERIC = lazy_re(r"\bCondition\s*\.\s*number(LessThan|GreaterThan)(Equals)?(JsonPath)?\s*\(")
_METRIC_WORDS = frozenset({"metric", "metrics", "accuracy", "auc", "f1", "rmse", "mse", "mae", "loss", "score", "precision", "recall",
                           "r2", "error", "validation"})
CDK_ROOTS = ("aws-cdk-lib",)  # ``import { aws_stepfunctions as sfn } from 'aws-cdk-lib'``
# ``const alarm = metric.createAlarm(...)`` / ``this.alarm = ...``: the name bound right before the receiver of the call
_BOUND_BEFORE = lazy_re(r"(?:\b(?:const|let|var)\s+|\bthis\.)([A-Za-z_$][\w$]*)\s*(?::\s*[\w$.]+)?\s*=\s*[\w$.()'\"\s,]*$")
_ABOUT_MODEL = lazy_re(r"model|endpoint|invocation|drift|predict|inference|sagemaker", re.I)
# what a BucketDeployment uploads, named in its id, sources or key prefix: a model, its archive or artifacts
MODEL_UPLOAD = lazy_re(r"(?i)model|\.tar\.gz|artifact")
_EVENT_TARGET = lazy_re(r"\bSfnStateMachine\s*\(")
_LINKS = ("next", "start", "when", "otherwise", "branch", "iterator", "itemProcessor", "fromChainable")


class AwsCdkTs(Detector):
    """Step Functions ML workflows in AWS CDK TypeScript apps: DAG, endpoint deploy, metric Choice gate, training output store."""

    id = "aws.cdk_ts"
    questions = ("D3", "M2", "M4", "T2", "O3", "T4")
    globs = ("**/*.ts", "**/*.js")
    needs = ("**/*.ts", "**/*.js")
    needs_words = NEEDLES
    signals = ("pipeline.dag", "deploy.automated", "gate.metric", "artifact.store", "alerting.rule", "governance.approval")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        apps: dict[str, list[TsFile]] = {}
        for e in index.select(self.globs):
            if e.test or e.name.endswith(".d.ts") or not index.mentions(e.path, NEEDLES):
                continue
            app = cdk_app_of(index, e.path)
            f = ts_file(index, e) if app is not None else None
            if f is None or not f.cdk():
                continue
            yield from self._alarms(index, f)
            yield from self._model_uploads(index, f)
            if any(m.endswith(("aws-stepfunctions-tasks", "aws-stepfunctions")) or m in CDK_ROOTS for m in f.imports):
                apps.setdefault(app or "", []).append(f)
        for _app, files in sorted(apps.items()):
            yield from self._app(index, files)

    def _alarms(self, index: FileIndex, f: TsFile) -> Iterator[Finding]:
        """CloudWatch alarms (``new cloudwatch.Alarm``/``CfnAlarm``/``CompositeAlarm``, ``metric.createAlarm(...)``) and
        whether something acts on them: an alarm action added or declared, or a deployment that watches them."""
        alarms = [(n.var, n.line, n.props()) for n in f.news if n.tail in ("Alarm", "CfnAlarm", "CompositeAlarm", "CfnCompositeAlarm")]
        for receiver, args, at in calls(f, "createAlarm"):
            bound = _BOUND_BEFORE.search(f.code[max(0, at - 300) : at])
            alarms.append((bound.group(1) if bound else "", f.line_at(at), f"{receiver} {args}"))
        if not alarms:
            return
        acted = {r.rsplit(".", 1)[-1] for method in ("addAlarmAction", "addOkAction", "addInsufficientDataAction")
                 for r, _a, _o in calls(f, method) if r}
        guarded = {x for n in f.news for x in names(prop(n.props(), "alarms") or "")}
        for var, line, props in alarms:
            notify = bool(var and (var in acted or var in guarded)) or (prop(props, "alarmActions") or "[]").strip() not in ("[]", "")
            about = "model" if _ABOUT_MODEL.search(props) else "infra"
            yield self.found("alerting.rule", index, f.path, line, strength=Strength.STRONG if notify else Strength.MEDIUM,
                             attrs={"tool": "cloudwatch", "notify": notify, "about": about})

    def _model_uploads(self, index: FileIndex, f: TsFile) -> Iterator[Finding]:
        """``new s3deploy.BucketDeployment(this, 'Model', { sources: [Source.asset('./model')], destinationBucket })``: the
        app uploads a model archive to its bucket on every deploy, the store the endpoint's model data is read from."""
        for n in f.news:
            if n.tail == "BucketDeployment" and MODEL_UPLOAD.search(" ".join(n.args)):
                yield self.found("artifact.store", index, f.path, n.line, strength=Strength.MEDIUM,
                                 attrs={"how": "bucket-deployment", "kind": "s3", "wired": False})
                return

    def _app(self, index: FileIndex, files: list[TsFile]) -> Iterator[Finding]:
        # an app's tasks are often built in construct classes of their own files (``this.task = new tasks...``) and
        # chained in another (``train.task.next(model.task)``): states and links are read across the app's files
        machines = [n for f in files for n in f.news if n.tail == "StateMachine"]
        if not machines:
            return
        states: dict[str, list[tuple[TsFile, TsNew]]] = {}
        for f in files:
            for n in f.news:
                if n.var and _task_kind(n) in _WORK | _FLOW:
                    states.setdefault(n.var, []).append((f, n))
        linked = set().union(*(_linked(f) for f in files), *(_definition(m.props()) for m in machines)) & set(states)
        work = sorted(((f.path, n.line, f, n) for v in linked for f, n in states[v] if _task_kind(n) in _WORK), key=lambda w: (w[0], w[1]))
        if len(work) >= 2:
            _p, _l, f, first = work[0]
            yield self.found("pipeline.dag", index, f.path, first.line, strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "steps": len(work), "with_io": True,
                                    "training": any(_task_kind(n) in _TRAINING for *_x, n in work)})
        deploy = next(((f, n) for *_x, f, n in work if _task_kind(n) in _DEPLOY), None)
        if deploy is not None:
            f, n = deploy
            # an EventBridge rule of the app that starts the machine (``new targets.SfnStateMachine(machine)`` on an S3
            # upload or a CodeCommit push) runs the deploy without anyone dispatching it
            triggered = any(_EVENT_TARGET.search(x.code) for x in files)
            yield self.found("deploy.automated", index, f.path, n.line, strength=Strength.MEDIUM,
                             attrs={"system": "stepfunctions", "target": "sagemaker", "active": True, "automatic": triggered,
                                    "via": "step functions state machine (CDK)", "environment": "", "job": n.var,
                                    "manual_dispatch": not triggered})
            approval = _approval(work, n)
            if approval is not None:
                af, an = approval
                yield self.found("governance.approval", index, af.path, an.line, strength=Strength.STRONG,
                                 attrs={"kind": "manual-approval", "system": "stepfunctions", "job": an.var})
        kinds = {v: _task_kind(found[0][1]) for v, found in states.items()}
        gate = next(((f, at) for f in files if (at := _gate(f, kinds)) is not None), None)
        if gate is not None:
            f, at = gate
            yield self.found("gate.metric", index, f.path, f.line_at(at), strength=Strength.MEDIUM,
                             attrs={"tool": "stepfunctions", "blocking": True, "kind": "threshold"})
        train = next(((f, n) for *_x, f, n in work if _task_kind(n) in _TRAINING), None)
        out = prop(train[1].props(), "outputDataConfig") if train is not None else None
        if train is not None and out is not None and prop(out, "s3OutputLocation") is not None:
            yield self.found("artifact.store", index, train[0].path, train[1].line, strength=Strength.MEDIUM,
                             attrs={"how": "estimator-output", "kind": "s3", "wired": False})


_SAGEMAKER_ARN = lazy_re(r"arn:aws:states:::sagemaker:(create|update)(\w+?)(?:\.sync|\.waitForTaskToken)?$")


def _task_kind(n: TsNew) -> str:
    """The construct's class, or for the generic states the SageMaker task they are: ``new tasks.CallAwsService(this,
    'Deploy', { service: 'sagemaker', action: 'updateEndpoint' })`` is ``SageMakerUpdateEndpoint``, and so is a
    ``new sfn.CustomState(this, 'x', { stateJson: { Resource: 'arn:aws:states:::sagemaker:updateEndpoint' } })``."""
    if n.tail == "CallAwsService":
        service, action = (strings(prop(n.props(), k) or "") for k in ("service", "action"))
        if service == ["sagemaker"] and action and (m := re.match(r"(create|update)(\w+)$", action[0])):
            kind = f"SageMaker{m.group(1).capitalize()}{m.group(2)}"
            return kind if kind in _WORK else n.tail
    elif n.tail == "CustomState":
        resource = strings(prop(prop(n.props(), "stateJson") or "", "Resource") or "")
        m = _SAGEMAKER_ARN.match(resource[0]) if resource else None
        kind = f"SageMaker{m.group(1).capitalize()}{m.group(2)}" if m else ""
        return kind if kind in _WORK else ("CustomState" if resource else "")
    return n.tail


def _approval(work: list[tuple[str, int, TsFile, TsNew]], deploy: TsNew) -> tuple[TsFile, TsNew] | None:
    """A state of the machine that waits for a person's answer before the deploy: a task with
    ``integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN`` (a Lambda or SNS message carrying the task token to
    a reviewer, a Slack approval request) named for an approval, built before the endpoint task in its file (or in another file of the app)."""
    deploy_path = next((p for p, _l, _f, x in work if x is deploy), "")
    for path, line, f, n in work:
        if n is deploy or "WAIT_FOR_TASK_TOKEN" not in (prop(n.props(), "integrationPattern") or ""):
            continue
        named = " ".join([n.var, *(strings(n.args[1]) if len(n.args) > 1 else [])]).lower()
        if "approv" in named and (path != deploy_path or line < deploy.line):
            return f, n
    return None


def _definition(machine_props: str) -> set[str]:
    """Names in a StateMachine's ``definition``/``definitionBody``."""
    out: set[str] = set()
    for key in ("definition", "definitionBody"):
        value = prop(machine_props, key)
        if value:
            out |= names(value)
    return out


def _linked(f: TsFile) -> set[str]:
    """Variables chained into a state machine: receivers and arguments of ``.next()``, ``Chain.start()``,
    ``.when()``/``.otherwise()``, ``.branch()``, ``DefinitionBody.fromChainable()``."""
    out: set[str] = set()
    for method in _LINKS:
        for receiver, args, _at in calls(f, method):
            out |= names(args)
            if receiver and method not in ("start", "fromChainable"):
                out.add(receiver.rsplit(".", 1)[-1])
    return out


def _gate(f: TsFile, kinds: dict[str, str]) -> int | None:
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
        kinds_ = {_kind(parts[1], kinds), _kind(other, kinds)}
        if ("Fail" in kinds_ and kinds_ - {"Fail", ""}) or (kinds_ & _SERVING and kinds_ - _SERVING):
            return at
    return None


def _kind(expr: str, kinds: dict[str, str]) -> str:
    expr = expr.strip()
    last = expr.rsplit(".", 1)[-1]
    if expr in kinds or last in kinds:
        return kinds.get(expr) or kinds[last]
    m = re.match(r"new\s+[\w$.]*?(\w+)\s*\(", expr)
    return m.group(1) if m else ""
