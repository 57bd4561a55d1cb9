"""ML operations declared with the AWS CDK in Python (``aws_cdk``): SageMaker model monitoring schedules and their
data/model quality job definitions, endpoint data capture, CloudWatch alarms with the path that takes them to a
person or an action (an alarm action, a CodeDeploy deployment group that rolls back on it, an EventBridge rule on
alarm state changes anywhere in the app), EventBridge schedules that start training, and a ``BucketDeployment`` that
uploads a model archive (the model artifact store). Feeds O1, O2, O3, M1, T2."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.alarms import alarm_state_rule
from mlscan.facts.orchestration import dotted, kwarg, trainingish
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

NEEDLES = (b"aws_cdk",)
_ABOUT_MODEL = lazy_re(r"model|endpoint|invocation|drift|predict|inference|sagemaker|latency", re.I)
_MODEL_UPLOAD = lazy_re(r"(?i)model|\.tar\.gz|artifact")  # what a BucketDeployment uploads (its id, sources, key prefix)
_MONITORS = {"CfnMonitoringSchedule": "", "CfnDataQualityJobDefinition": "monitoring.data_drift",
             "CfnModelQualityJobDefinition": "monitoring.model_drift", "CfnModelBiasJobDefinition": "",
             "CfnModelExplainabilityJobDefinition": ""}





class AwsCdk(Detector):
    """AWS CDK (Python) monitoring, data capture, alarms with their action path, training schedules, model uploads; feeds O1-O3, M1, T2."""

    id = "aws.cdk"
    questions = ("O1", "O2", "O3", "M1", "T2")
    globs = ("**/*.py",)
    needs = ("**/*.py",)
    needs_words = NEEDLES
    signals = ("monitoring.model", "monitoring.data_drift", "monitoring.model_drift", "monitoring.logging", "alerting.rule", "schedule.training",
               "artifact.store")

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return not e.test and e.suffix == ".py" and index.mentions(e.path, NEEDLES)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        al, calls = ops.py_calls(index, e)
        if not ops.imports_module(al, "aws_cdk"):
            return
        yield from self._monitoring(index, e, calls)
        yield from self._alarms(index, e, tree, calls)
        yield from self._schedules(index, e, al, calls)
        yield from self._model_uploads(index, e, calls)

    def _model_uploads(self, index: FileIndex, e: FileEntry, calls: list[ops.PyCall]) -> Iterator[Finding]:
        """``s3_deployment.BucketDeployment(self, "model_deploy", sources=[Source.asset("assets/model_v1")], ...)``: the app
        uploads a model archive to its bucket on every deploy, the store the endpoint's model data is read from."""
        lines = index.lines(e.path)
        for c in calls:
            if c.attr == "BucketDeployment" and (c.qual.startswith("aws_cdk") or not c.qual):
                end = getattr(c.node, "end_lineno", None) or c.line
                if _MODEL_UPLOAD.search("\n".join(lines[c.line - 1 : end])):
                    line, snip = self._at(index, e, c.line)
                    yield self.found("artifact.store", index, e.path, line, snippet=snip, strength=Strength.MEDIUM,
                                     attrs={"how": "bucket-deployment", "kind": "s3", "wired": False})
                    return

    def _at(self, index: FileIndex, e: FileEntry, line: int) -> tuple[int, str]:
        return ops.locate(index, e, line)

    def _monitoring(self, index: FileIndex, e: FileEntry, calls: list[ops.PyCall]) -> Iterator[Finding]:
        sm = [c for c in calls if c.qual.startswith("aws_cdk.aws_sagemaker.") and c.attr in _MONITORS]
        schedules = [c for c in sm if c.attr == "CfnMonitoringSchedule"]
        if schedules:
            at, snip = self._at(index, e, schedules[0].line)
            yield self.found("monitoring.model", index, e.path, at, snippet=snip, strength=Strength.STRONG,
                             attrs={"tool": "sagemaker-model-monitor", "wired": True})
            text = " ".join(ast.unparse(c.node) for c in schedules)
            kinds = {_MONITORS[c.attr]: c for c in sm if _MONITORS[c.attr]}
            for signal, word in (("monitoring.data_drift", "DataQuality"), ("monitoring.model_drift", "ModelQuality")):
                if signal not in kinds and word in text:
                    kinds[signal] = schedules[0]
            for signal, c in sorted(kinds.items()):
                at, snip = self._at(index, e, c.line)
                yield self.found(signal, index, e.path, at, snippet=snip, strength=Strength.STRONG,
                                 attrs={"tool": "sagemaker-model-monitor", "wired": True})
        capture = next((c for c in calls if c.qual.startswith("aws_cdk.aws_sagemaker.") and c.attr == "CfnEndpointConfig"
                        and c.has_kw("data_capture_config")), None)
        if capture is not None:
            at, snip = self._at(index, e, capture.line)
            yield self.found("monitoring.logging", index, e.path, at, snippet=snip, strength=Strength.MEDIUM,
                             attrs={"tool": "sagemaker-data-capture", "wired": True})

    def _alarms(self, index: FileIndex, e: FileEntry, tree: ast.Module, calls: list[ops.PyCall]) -> Iterator[Finding]:
        alarms: list[tuple[ops.PyCall, str]] = []  # (call, variable it is bound to)
        bound = {id(n.value): t.id for n in walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        for c in calls:
            cloudwatch = c.qual.startswith("aws_cdk.aws_cloudwatch.") and c.attr in ("Alarm", "CfnAlarm", "CompositeAlarm", "CfnCompositeAlarm")
            if cloudwatch or c.attr == "create_alarm":
                alarms.append((c, bound.get(id(c.node), "")))
        if not alarms:
            return
        acted = {dotted(c.func.value) for c in walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                 and c.func.attr in ("add_alarm_action", "add_ok_action", "add_insufficient_data_action")}
        # alarms handed to a deployment (CodeDeploy/Lambda alias deployment groups roll back when they fire)
        guarded = {n.id for c in walk(tree) if isinstance(c, ast.Call) for k in c.keywords if k.arg == "alarms" for n in walk(k.value)
                   if isinstance(n, ast.Name)}
        route = alarm_state_rule(index)
        for c, var in alarms:
            actions = kwarg(c.node, "alarm_actions")
            own = (actions is not None and ops.literal(actions) != []) or bool(var and (var in acted or var in guarded))
            notify = own or route is not None
            about = "model" if _ABOUT_MODEL.search(ast.unparse(c.node)) else "infra"
            at, snip = self._at(index, e, c.line)
            attrs: dict[str, object] = {"tool": "cloudwatch", "notify": bool(notify), "about": about}
            if not own and route is not None:
                # an alarm with no actions of its own alerts through an EventBridge rule on alarm state changes: the rule
                # acts, it leads (the part of O3 that decides), the alarm it routes follows
                attrs["routed_by"] = f"{route[0]}:{route[1]}"
                yield self.found("alerting.rule", index, route[0], route[1], strength=Strength.STRONG, attrs=attrs,
                                 extra=(self.evidence(index, e.path, at, snippet=snip, strength=Strength.MEDIUM),))
                continue
            yield self.found("alerting.rule", index, e.path, at, snippet=snip, strength=Strength.STRONG if notify else Strength.MEDIUM,
                             attrs=attrs)

    def _schedules(self, index: FileIndex, e: FileEntry, al: dict[str, str], calls: list[ops.PyCall]) -> Iterator[Finding]:
        """``events.Rule(schedule=...)``/``CfnRule(schedule_expression=...)`` and the rules other constructs make for
        themselves (``stage.on_state_change(..., schedule=events.Schedule.expression(...))``) when they start training."""
        for c in calls:
            sched = kwarg(c.node, "schedule") or kwarg(c.node, "schedule_expression")
            if sched is None:
                continue
            if not (c.qual.startswith("aws_cdk.aws_events.") and c.attr in ("Rule", "CfnRule")):
                built = sched.func if isinstance(sched, ast.Call) else None
                if not (c.attr.startswith("on_") and built is not None
                        and (ops.qualname(built, al) or "").startswith("aws_cdk.aws_events.Schedule.")):
                    continue
            texts = [ast.unparse(c.node), *(str(a.value) for a in walk(c.node) if isinstance(a, ast.Constant) and isinstance(a.value, str))]
            if not trainingish(*texts) and "SageMakerStartPipelineExecution" not in texts[0] and "SageMakerPipeline" not in texts[0]:
                continue
            active = c.kw_value("enabled") is not False
            cron = ast.unparse(sched)
            at, snip = self._at(index, e, c.line)
            yield self.found("schedule.training", index, e.path, at, snippet=snip, strength=Strength.STRONG if active else Strength.WEAK,
                             attrs={"tool": "eventbridge", "cron": cron, "active": active, "trigger": "cron"})
