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

    def build() -> bool:
        for e in index.select(("**/*.py",)):
            if index.mentions(e.path, CDK_NEEDLES) and index.contains(e.path, (b"CloudWatch Alarm State Change", b"aws.cloudwatch")):
                tree = index.python(e.path)
                for c in walk(tree) if tree is not None else ():
                    if isinstance(c, ast.Call) and call_tail(c) in ("Rule", "CfnRule") and _ALARM_STATE.search(ast.unparse(c)):
                        return True
        for e in index.select((*ops.YAML_GLOBS, "**/*.json", "**/*.template")):
            if index.contains(e.path, (b"CloudWatch Alarm State Change",)) and index.contains(e.path, (b"AWS::Events::Rule",)):
                return True
        return False

    return bool(index.memo("aws-cdk:alarm-rules", build))
