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


def alarm_state_rule(index: FileIndex) -> tuple[str, int] | None:
    """(path, line) of the first EventBridge rule that routes alarm state changes to a target: the CDK ``Rule(`` call's
    line naming the alarm state change (its ``detail_type``, else its source ``aws.cloudwatch``), or the template line
    naming it (``detail-type: CloudWatch Alarm State Change``); None without one. An alarm with no actions of its own
    alerts through it: the rule is what acts."""

    def build() -> list[object] | None:
        for e in index.select(("**/*.py",)):
            if index.mentions(e.path, CDK_NEEDLES) and index.contains(e.path, (b"CloudWatch Alarm State Change", b"aws.cloudwatch")):
                tree = index.python(e.path)
                for c in walk(tree) if tree is not None else ():
                    if isinstance(c, ast.Call) and call_tail(c) in ("Rule", "CfnRule") and _ALARM_STATE.search(ast.unparse(c)):
                        # the line naming the alarm state change (``detail_type=["CloudWatch Alarm State Change"],``), in
                        # its call's context: what makes the rule act on alarms, where the ``Rule(`` opener shows no more
                        # than its construct id
                        named = sorted((not n.value.endswith("Change"), n.lineno) for n in walk(c)
                                       if isinstance(n, ast.Constant) and isinstance(n.value, str) and _ALARM_STATE.fullmatch(n.value))
                        return [e.path, named[0][1] if named else c.lineno]
        for e in index.select((*ops.YAML_GLOBS, "**/*.json", "**/*.template")):
            if index.contains(e.path, (b"CloudWatch Alarm State Change",)) and index.contains(e.path, (b"AWS::Events::Rule",)):
                line = next((i for i, text in enumerate(index.lines(e.path), start=1) if "CloudWatch Alarm State Change" in text), 1)
                return [e.path, line]
        return None

    hit = index.memo("aws-cdk:alarm-rules", build)
    return (str(hit[0]), int(hit[1])) if hit else None  # type: ignore[index,call-overload]


# SNS protocols that reach a person (an e-mail inbox, a phone); a Lambda, SQS or HTTP endpoint subscription is a program
PERSON_PROTOCOLS = frozenset({"email", "email-json", "sms"})
SNS_NEEDLES = (b"subscribe", b"EmailSubscription", b"SmsSubscription", b"CfnSubscription")
_TF_PERSON = lazy_re(r"""protocol\s*=\s*["'](email|email-json|sms)["']""")


def sns_person_subscription(index: FileIndex) -> bool:
    """Does an SNS topic of the project have a subscription that reaches a person: ``sns.subscribe(Protocol="email",
    ...)`` with boto3 (scripts and notebooks), the CDK's ``EmailSubscription``/``SmsSubscription`` or
    ``CfnSubscription(protocol="email")``, a CloudFormation ``AWS::SNS::Subscription`` or a topic's ``Subscription`` list
    with an e-mail/SMS protocol, or Terraform's ``aws_sns_topic_subscription``? (A message published to a topic nobody
    subscribes to reaches no one.)"""

    def build() -> bool:
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if e.test or not index.mentions(e.path, SNS_NEEDLES):
                continue
            tree = index.python(e.path)
            for c in walk(tree) if tree is not None else ():
                if not isinstance(c, ast.Call):
                    continue
                tail = call_tail(c)
                if tail in ("EmailSubscription", "SmsSubscription"):
                    return True
                proto = ops.kwarg(c, "Protocol") if tail == "subscribe" else ops.kwarg(c, "protocol") if tail == "CfnSubscription" else None
                if str(ops.literal(proto) or "").lower() in PERSON_PROTOCOLS:
                    return True
        for e in index.select((*ops.YAML_GLOBS, "**/*.json", "**/*.template")):
            if e.test or not index.contains(e.path, (b"AWS::SNS::",)):
                continue
            docs = index.json(e.path) if e.vpath.endswith(".json") else index.yaml(e.path)
            for d in docs if isinstance(docs, list) else [docs]:
                for node in ops.walk_dicts(d):
                    if str(node.get("Type", "")).startswith("AWS::SNS::") and _person_protocol(node.get("Properties")):
                        return True
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                if b.kind == "resource" and b.type == "aws_sns_topic_subscription" and _TF_PERSON.search(b.body):
                    return True
        return False

    return bool(index.memo("aws:sns-person-subscription", build))


def _person_protocol(props: object) -> bool:
    """A subscription's (or a topic's inline ``Subscription`` list's) protocol reaches a person."""
    if not isinstance(props, dict):
        return False
    subs = props.get("Subscription")
    items = [props, *(subs if isinstance(subs, list) else [])]
    return any(isinstance(s, dict) and str(s.get("Protocol", "")).lower() in PERSON_PROTOCOLS for s in items)
