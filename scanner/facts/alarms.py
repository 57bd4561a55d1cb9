"""How alarms reach someone: EventBridge rules on CloudWatch alarm state changes, declared with the AWS CDK in Python
or in a CloudFormation/SAM template."""

from __future__ import annotations

import ast
import re

from mlscan.facts import ops
from mlscan.facts.orchestration import call_tail
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex

from ..lazyre import lazy_re

CDK_NEEDLES = (b"aws_cdk",)
_ALARM_STATE = lazy_re(r"CloudWatch Alarm State Change|aws\.cloudwatch", re.I)


def alarm_state_rules(index: FileIndex) -> bool:
    """Does the app route alarm state changes through an EventBridge rule (CDK Python or a CloudFormation/SAM
    template: ``source: aws.cloudwatch``, ``detail-type: CloudWatch Alarm State Change``) to a target?"""
    return alarm_state_rule(index) is not None


def alarm_state_rule(index: FileIndex) -> tuple[str, int] | None:
    """(path, line) of the first EventBridge rule that routes alarm state changes to a target: the CDK ``Rule(`` call, or
    the template line naming the alarm state change (``detail-type: CloudWatch Alarm State Change``); None without one.
    An alarm with no actions of its own alerts through it: the rule is what acts."""

    def build() -> list[object] | None:
        for e in index.select(("**/*.py",)):
            if index.mentions(e.path, CDK_NEEDLES) and index.contains(e.path, (b"CloudWatch Alarm State Change", b"aws.cloudwatch")):
                tree = index.python(e.path)
                for c in walk(tree) if tree is not None else ():
                    if isinstance(c, ast.Call) and call_tail(c) in ("Rule", "CfnRule") and _ALARM_STATE.search(ast.unparse(c)):
                        return [e.path, c.lineno]
        for e in index.select((*ops.YAML_GLOBS, "**/*.json", "**/*.template")):
            if index.contains(e.path, (b"CloudWatch Alarm State Change",)) and index.contains(e.path, (b"AWS::Events::Rule",)):
                line = next((i for i, text in enumerate(index.lines(e.path), start=1) if "CloudWatch Alarm State Change" in text), 1)
                return [e.path, line]
        return None

    hit = index.memo("aws-cdk:alarm-rules", build)
    return (str(hit[0]), int(hit[1])) if hit else None  # type: ignore[index,call-overload]
