"""Alert rules and their notification paths: Prometheus rules (files, PrometheusRule, ConfigMaps) with
Alertmanager receivers, Grafana alerting, CloudWatch alarms (CloudFormation, Terraform, boto3), GCP/Azure
alert policies, Vertex/Azure ML monitor alerts, drift checks that message a person (chat, mail, paging, or an SNS topic
with an e-mail/SMS subscription). Feeds O3."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops
from mlscan.facts.alarms import alarm_state_rule, sns_person_subscription
from mlscan.facts.orchestration import all_strings
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_ABOUT_MODEL = lazy_re(r"drift|profile_metrics|predict|accura|psi\b|\bf1|auc\b|rmse|\bmae\b|precision|recall|fairness|disparate|parity|"
                          r"bias|feature|data.?quality|model.?quality|baseline|score|label|concept", re.I)
_TRIGGER = lazy_re(r"drift|threshold|violat|degrad|anomal|psi|alert|exceed", re.I)
_CHANNEL_KEYS = lazy_re(r"(_configs|Configs)$")
_CHANNEL_TYPES = {"email", "slack", "pagerduty", "webhook", "teams", "opsgenie", "victorops", "telegram", "discord", "googlechat"}
_TF_ALARMS = {"aws_cloudwatch_metric_alarm": ("cloudwatch", "alarm_actions"), "google_monitoring_alert_policy": ("gcp-monitoring", "notification_channels"),
              "azurerm_monitor_metric_alert": ("azure-monitor", "action"), "azurerm_monitor_scheduled_query_rules_alert_v2": ("azure-monitor", "action"),
              "datadog_monitor": ("datadog", "message")}
_NOTIFY_LIBS = ("slack_sdk.", "slack.", "pdpyras.", "sendgrid.", "twilio.", "pymsteams.", "prefect.blocks.notifications.", "apprise.")
# Python files worth parsing: those calling an alerting API (Vertex model-monitoring alert classes; boto3 CloudWatch
# ``put_metric_alarm``, made of common words, so confirmed as a substring) ...
NEEDLES = (b"EmailAlertConfig", b"NotificationSpec", b"ModelMonitoringAlertConfig", b"AlertNotification", b"alerts_v2")
CLOUDWATCH_CALLS = (b"put_metric_alarm",)
# ... and drift code (the word ``drift``) that can message a person: a notification SDK of _NOTIFY_LIBS, Slack's
# chat_postMessage, smtplib, or requests/httpx when the text names a hook/Slack/PagerDuty/Teams endpoint (_notifies).
DRIFT_WORDS = (b"drift", b"Drift")
NOTIFIERS = (b"slack", b"pdpyras", b"sendgrid", b"twilio", b"pymsteams", b"prefect.blocks.notifications", b"apprise",
             b"chat_postMessage", b"smtplib", b"TopicArn", b"TargetArn")
HTTP_CLIENTS = (b"requests", b"httpx")
_ENDPOINT = ops.AnyOf("slack", "hook", "pagerduty", "teams", "telegram", "discord")
# a chat or paging API a project helper posts to (Telegram bots' sendMessage, Slack/Discord/Teams webhooks, PagerDuty)
_CHAT_API = lazy_re(r"api\.telegram\.org|/sendMessage|hooks\.slack\.com|discord(app)?\.com/api/webhooks|webhook\.office\.com|"
                    r"events\.pagerduty\.com|slack|webhook", re.I)
# the same test for ASCII text (nearly all source): every alternative above holds one of these or is one of them, lower
# case; a case-insensitive regex alternation is tried at every character (2.6 s for 15 M characters, 0.2 s this way)
_CHAT_API_LOWER = ("slack", "webhook", "api.telegram.org", "/sendmessage", "events.pagerduty.com")


def _chat_api(text: str) -> bool:
    if text.isascii():  # re.I also folds a few non-ASCII letters onto ASCII ones (the Kelvin sign): those use the regex
        low = text.lower()
        return any(s in low for s in _CHAT_API_LOWER)
    return _CHAT_API.search(text) is not None
# YAML files that can hold what _yaml_rules reads: alert text (any of ALERT_TEXT) and the key of a rule list, a
# CloudWatch alarm or an Azure ML monitor alert (RULE_KEYS); the others are not parsed
ALERT_TEXT = (b"alert", b"AWS::CloudWatch::Alarm", b"alert_notification")
RULE_KEYS = (b"groups", b"AWS::CloudWatch::Alarm", b"alert_notification", b"alerts:", b"sql_task")


class AlertingRules(Detector):
    """Alert rules/alarms and whether a receiver routes them to a person; feeds O3."""

    id = "alerting.rules"
    questions = ("O3",)
    globs = (*ops.YAML_GLOBS, "**/*.tf", "**/*.py", "**/*.ipynb", "**/*.json")
    signals = ("alerting.rule",)
    # YAML/Terraform/JSON rules, or Python that _may_alert lets through (its first words: no file without one is parsed)
    needs_any = (Need((*ops.YAML_GLOBS, "**/*.tf", "**/*.json")), Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, *CLOUDWATCH_CALLS, *DRIFT_WORDS)))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        state = _receivers(index)
        receivers = state != _NONE
        for e in index.select(ops.YAML_GLOBS):
            if not (index.contains(e.path, ALERT_TEXT) and index.contains(e.path, RULE_KEYS)):
                continue
            for doc in _docs(index, e):
                for line, about, notify in _bundle_alerts(index, e.vpath, doc):
                    yield self.found("alerting.rule", index, e.path, line, strength=Strength.STRONG if notify else Strength.MEDIUM,
                                     attrs={"tool": "databricks-sql-alert", "notify": notify, "about": about})
                for tool, line, about, notify in _yaml_rules(doc, receivers):
                    # an alarm with no actions of its own alerts through an EventBridge rule on alarm state changes: the rule
                    # acts, it leads, the alarm it routes follows
                    routed = alarm_state_rule(index) if tool == "cloudwatch" and not notify else None
                    notify = notify or routed is not None
                    attrs: dict[str, Any] = {"tool": tool, "notify": notify, "about": about}
                    if notify and tool in ("prometheus", "grafana") and state == _PLACEHOLDER:
                        attrs["placeholder"] = True  # every receiver sends to a documentation address or an unfilled URL
                    if routed is not None:
                        attrs["routed_by"] = f"{routed[0]}:{routed[1]}"
                        yield self.found("alerting.rule", index, routed[0], routed[1], strength=Strength.STRONG, attrs=attrs,
                                         extra=(self.evidence(index, e.path, line, strength=Strength.MEDIUM),))
                        continue
                    yield self.found("alerting.rule", index, e.path, line, strength=Strength.STRONG if notify else Strength.MEDIUM,
                                     attrs=attrs)
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                if b.kind == "resource" and b.type in _TF_ALARMS:
                    tool, action = _TF_ALARMS[b.type]
                    notify = ops.tf_has(b, action) and (tool != "datadog" or "@" in b.body)
                    attrs = {"tool": tool, "notify": notify, "about": _about(b.body)}
                    if tool == "cloudwatch" and _unpublished(index, e.path, b.body):
                        attrs["published"] = False  # a custom metric nothing here puts: the alarm never fires
                    yield self.found("alerting.rule", index, e.path, b.line, strength=Strength.STRONG if notify else Strength.MEDIUM,
                                     attrs=attrs)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not _may_alert(index, e):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            for tool, line, notify, about in _python_alerts(index, e, tree):
                ln, snip = ops.locate(index, e, line)
                yield self.found("alerting.rule", index, e.path, ln, snippet=snip, strength=Strength.STRONG if notify else Strength.MEDIUM,
                                 attrs={"tool": tool, "notify": notify, "about": about})


def _may_alert(index: FileIndex, e: Any) -> bool:
    """Can the file hold an alert _python_alerts reports? Decided on words and text, before any parse."""
    if index.mentions(e.path, NEEDLES) or (index.mentions(e.path, CLOUDWATCH_CALLS) and index.contains(e.path, CLOUDWATCH_CALLS)):
        return True
    if not index.mentions(e.path, DRIFT_WORDS):
        return False
    if index.mentions(e.path, NOTIFIERS):
        return True
    if index.mentions(e.path, HTTP_CLIENTS) and _ENDPOINT.search(index.text(e.path) or ""):
        return True
    helpers = project_notifiers(index)
    return bool(helpers) and index.contains(e.path, tuple(h.encode() for h in sorted(helpers)))


def project_notifiers(index: FileIndex) -> frozenset[str]:
    """Names of the project's own functions that post a message to a chat or paging API (``notify_telegram`` posting
    to ``api.telegram.org/bot.../sendMessage``, ``send_slack_alert`` posting to a Slack webhook): calling one under a
    drift condition alerts a person."""
    def build() -> frozenset[str]:
        names: set[str] = set()
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, HTTP_CLIENTS) or not _chat_api(index.text(e.path) or ""):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            al = ops.aliases(tree)
            for fn in walk(tree):
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and _chat_api(ast.unparse(fn)) and any(
                        isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "post"
                        and (ops.qualname(c.func, al) or "").startswith(("requests.", "httpx.")) for c in walk(fn)):
                    names.add(fn.name)
        return frozenset(names)

    return index.memo("alerting-project-notifiers", build)  # type: ignore[no-any-return]


def _docs(index: FileIndex, e: Any) -> list[Any]:
    """The file's Kubernetes documents when it has any (Helm templates rendered), else its YAML documents."""
    by_path = index.memo("ops-k8s-by-path", lambda: _group(ops.k8s_docs(index)))
    return by_path.get(e.path) or index.yaml(e.path)


def _group(pairs: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for f, d in pairs:
        out.setdefault(f.path, []).append(d)
    return out


def _about(text: str) -> str:
    return "model" if _ABOUT_MODEL.search(text) else "infra"


def _docs_with_embedded(doc: Any) -> Iterator[tuple[Any, int]]:
    yield doc, 0
    if isinstance(doc, dict) and doc.get("kind") in ("ConfigMap", "Secret"):
        for _key, d, off in ops.embedded_docs(doc):
            yield d, off


def _yaml_rules(doc: Any, receivers: bool) -> Iterator[tuple[str, int, str, bool]]:
    for d, off in _docs_with_embedded(doc):
        if not isinstance(d, dict):
            continue
        spec = d.get("spec") if d.get("kind") == "PrometheusRule" and isinstance(d.get("spec"), dict) else d
        groups = spec.get("groups") if isinstance(spec, dict) else None
        found: dict[str, int] = {}
        for g in groups if isinstance(groups, list) else []:
            rules = g.get("rules") if isinstance(g, dict) else None
            for i, r in enumerate(rules if isinstance(rules, list) else []):
                if isinstance(r, dict) and ("alert" in r or "title" in r and "condition" in r):
                    about = _about(f"{r.get('alert', r.get('title'))} {r.get('expr', '')} {r.get('annotations', '')}")
                    found.setdefault(about, rules.line_of(i) + off)
        tool = "grafana" if d.get("apiVersion") == 1 else "prometheus"
        for about, line in found.items():
            yield tool, line, about, receivers
        res = d.get("Resources") if isinstance(d.get("Resources"), dict) else {}
        # alarms a deployment watches (SAM DeploymentPreference / CodeDeploy AlarmConfiguration ``Alarms``): the
        # deployment rolls back when one fires, an action path of its own
        watched = {x for node in ops.walk_dicts(d) for k, v in node.items() if k == "Alarms" for x in all_strings(v)} if res else set()
        for name, r in res.items():
            if isinstance(r, dict) and r.get("Type") == "AWS::CloudWatch::Alarm":
                props = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
                yield "cloudwatch", res.line_of(name) + off, _about(str(props)), bool(props.get("AlarmActions")) or name in watched
        mon = d.get("create_monitor")
        alert = mon.get("alert_notification") if isinstance(mon, dict) else None
        if isinstance(alert, dict):
            yield "azureml-monitor", mon.line_of("alert_notification") + off, "model", bool(alert.get("emails") or alert.get("webhooks"))


def _bundle_alerts(index: FileIndex, vpath: str, doc: Any) -> Iterator[tuple[int, str, bool]]:
    """(line, about, notify) of a Databricks asset bundle's SQL alerts: ``resources: alerts:`` (alerts v2: a query, an
    ``evaluation`` whose ``notification.subscriptions`` name a ``user_email`` or a ``destination_id``; or the same in the
    ``.dbalert.json`` its ``file_path`` names) and job tasks that evaluate an alert (``sql_task: alert:`` with
    ``subscriptions`` of a ``user_name`` or ``destination_id``). An alert with no subscriber, paused, or whose task pauses
    its subscriptions, routes nothing to a person."""
    res = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(res, dict):
        return
    alerts = res.get("alerts") if isinstance(res.get("alerts"), dict) else {}
    about_of: dict[str, str] = {}
    base = vpath.rsplit("/", 1)[0] if "/" in vpath else ""
    for name, a in alerts.items():
        if not isinstance(a, dict):
            continue
        spec: dict = a
        if "evaluation" not in a and isinstance(a.get("file_path"), str):
            from mlscan.facts.commands import normpath  # an alert kept in a ``.dbalert.json`` beside the bundle file

            hit = next(iter(index.select((normpath(f"{base}/{a['file_path']}" if base else a["file_path"]),))), None)
            loaded = index.json(hit.path) if hit is not None else None
            spec = {**loaded, **a} if isinstance(loaded, dict) else a
        evaluation = spec.get("evaluation") if isinstance(spec.get("evaluation"), dict) else {}
        notification = evaluation.get("notification") if isinstance(evaluation.get("notification"), dict) else {}
        schedule = spec.get("schedule") if isinstance(spec.get("schedule"), dict) else {}
        about = _about(" ".join(str(spec.get(k, "")) for k in ("display_name", "custom_summary", "query_text", "query_lines")))
        about_of[str(name)] = about
        paused = str(schedule.get("pause_status", "")).upper() == "PAUSED"
        yield alerts.line_of(name), about, _subscribed(notification.get("subscriptions"), "user_email") and not paused
    jobs = res.get("jobs") if isinstance(res.get("jobs"), dict) else {}
    for job in jobs.values():
        for t in job.get("tasks") or [] if isinstance(job, dict) else []:
            sql = t.get("sql_task") if isinstance(t, dict) else None
            alert = sql.get("alert") if isinstance(sql, dict) else None
            if not isinstance(alert, dict):
                continue
            ref = re.search(r"resources\.alerts\.([\w-]+)\.", str(alert.get("alert_id", "")))
            about = about_of.get(ref.group(1), "") if ref else ""
            notify = _subscribed(alert.get("subscriptions"), "user_name") and alert.get("pause_subscriptions") is not True
            yield sql.line_of("alert") if hasattr(sql, "line_of") else 0, about or _about(str(t)), notify


def _subscribed(subs: Any, user_key: str) -> bool:
    """Does a subscription list name a person or a notification destination (``user_email``/``user_name``,
    ``destination_id``)?"""
    return isinstance(subs, list) and any(isinstance(s, dict) and any(str(s.get(k) or "").strip() for k in (user_key, "destination_id"))
                                           for s in subs)


_NONE, _PLACEHOLDER, _REAL = "none", "placeholder", "real"
# where a channel sends: an address, a URL, a key or a chat
_DESTINATION = lazy_re(r"^(to|url|api_url|webhook_url|url_file|routing_key|service_key|api_key|bot_token|chat_id|addresses|"
                       r"integrationKey|webhook|token|recipient|user_key)$", re.I)
# a destination left for the reader: a domain reserved for documentation (RFC 2606), a URL path segment written for the
# reader to replace (``hooks.slack.com/services/YOUR/WEBHOOK/URL``, ``.../XXX/YYY``), ``<your-key>``, ``your_key``,
# ``CHANGEME``, or a loopback host (the notifier's own container: nobody there). An environment reference
# (``${SLACK_URL}``) is filled in at deploy time: real.
_DOC_DESTINATION = lazy_re(r"[@./]example\.(com|org|net)\b|/(your|xxx+|yyy+|zzz+|token|webhook_?id)(/|$)|"
                           r"://(localhost|127\.0\.0\.1|0\.0\.0\.0)[:/]|<[^<>/\s][^<>]*>|\byour[-_]\w+|"
                           r"\b(changeme|change[-_]me|replace[-_]?me|todo)\b|\bx{3,}\b", re.I)


def _receivers(index: FileIndex) -> str:
    """Whether a notification channel exists (Alertmanager receivers with *_configs, AlertmanagerConfig CRDs, Grafana
    contact points): ``real``, ``placeholder`` when every channel found sends only to destinations left for the reader
    (``oncall@example.com``, ``hooks.slack.com/services/YOUR/WEBHOOK/URL``, a loopback webhook), or ``none``."""

    def build() -> str:
        found = _NONE
        for e in index.select(ops.YAML_GLOBS):
            if not index.contains(e.path, (b"receivers", b"contactPoints")):
                continue
            for doc in _docs(index, e):
                for d, _off in _docs_with_embedded(doc):
                    for node in ops.walk_dicts(d):
                        receivers = node.get("receivers")
                        for r in receivers if isinstance(receivers, list) else []:
                            if not isinstance(r, dict):
                                continue
                            channels = [v for k, v in r.items() if _CHANNEL_KEYS.search(str(k)) and v]
                            if not channels and str(r.get("type", "")).lower() not in _CHANNEL_TYPES:
                                continue
                            if not _placeholder_channel(channels or [r.get("settings") or r]):
                                return _REAL
                            found = _PLACEHOLDER
        return found

    return index.memo("ops-alert-receivers", build)  # type: ignore[no-any-return]


def _placeholder_channel(channels: list[Any]) -> bool:
    """Every destination the channels name is left for the reader (None of them names a real one); a channel naming no
    destination (a global default) counts as real."""
    dests = [x for c in channels for node in ops.walk_dicts(c) for k, v in node.items() if _DESTINATION.match(str(k))
             for x in (v if isinstance(v, list) else [v]) if isinstance(x, str) and x.strip()]
    return bool(dests) and all(_DOC_DESTINATION.search(x) for x in dests)


def _python_alerts(index: FileIndex, e: Any, tree: ast.Module) -> Iterator[tuple[str, int, bool, str]]:
    al, calls = ops.py_calls(index, e)
    for c in calls:
        if c.attr == "put_metric_alarm":
            actions = ops.kwarg(c.node, "AlarmActions")
            text = " ".join(str(ops.literal(ops.kwarg(c.node, k)) or "") for k in ("AlarmName", "MetricName", "Namespace"))
            yield "cloudwatch", c.line, actions is not None and ops.literal(actions) != [], _about(text)
        elif c.qual.endswith(("model_monitoring.EmailAlertConfig", "ml_monitoring.spec.NotificationSpec")) or _vertex_gapic_alert(c):
            yield "vertex-model-monitoring", c.line, True, "model"
        elif c.qual == "azure.ai.ml.entities.AlertNotification" and _given(ops.kwarg(c.node, "emails")):
            yield "azureml-monitor", c.line, True, "model"  # Azure ML model monitoring e-mails its alerts
        elif c.attr == "create_alert" and ".alerts_v2." in f".{c.text}":
            # a Databricks SQL alert (``w.alerts_v2.create_alert(alert=AlertV2(...))``) notifies its subscribers:
            # ``AlertV2Subscription(user_email=...)`` or a notification destination
            v2 = [x for x in calls if x.attr.startswith("AlertV2")]
            subscribed = any(x.attr == "AlertV2Subscription" and (_given(ops.kwarg(x.node, "user_email")) or _given(ops.kwarg(x.node, "destination_id")))
                             for x in v2)
            yield "databricks-sql-alert", c.line, subscribed, _about(" ".join(ast.unparse(x.node) for x in [c, *v2]))
    smtp = ops.imports_module(al, "smtplib")
    helpers = project_notifiers(index)
    publishers = _sns_publishers(tree)
    for node in walk(tree):
        if isinstance(node, ast.If) and _TRIGGER.search(ast.unparse(node.test)):
            for n in (n for stmt in node.body for n in walk(stmt)):
                if isinstance(n, ast.Call) and (_notifies(n, al, smtp) or _helper_call(n, helpers)):
                    yield "custom", n.lineno, True, "model"
                    return
                if isinstance(n, ast.Call) and (_sns_publish(n) or _helper_call(n, publishers)):
                    # a message to an SNS topic reaches a person when a subscription of the project's sends it on
                    yield "sns", n.lineno, sns_person_subscription(index), "model"
                    return


def _sns_publish(call: ast.Call) -> bool:
    """boto3's SNS ``publish(TopicArn=..., Message=...)`` (or ``TargetArn=``/``PhoneNumber=``): the API's own keywords."""
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "publish" and any(k.arg == "Message" for k in call.keywords)
            and any(k.arg in ("TopicArn", "TargetArn", "PhoneNumber") for k in call.keywords))


def _sns_publishers(tree: ast.Module) -> frozenset[str]:
    """The module's own functions that publish to SNS (``def send_alert(...): sns.publish(TopicArn=..., ...)``)."""
    return frozenset(fn.name for fn in walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and any(isinstance(c, ast.Call) and _sns_publish(c) for c in walk(fn)))


def _given(node: ast.AST | None) -> bool:
    """An argument passed with a value: not left out, not ``None``, not an empty list."""
    return node is not None and not (isinstance(node, ast.Constant) and node.value is None) and not (isinstance(node, ast.List) and not node.elts)


def _vertex_gapic_alert(c: ops.PyCall) -> bool:
    """The low-level Vertex AI clients' alert settings of a model monitoring job (``aiplatform_v1``/``v1beta1``):
    ``ModelMonitoringAlertConfig.EmailAlertConfig(user_emails=[...])``, or ``ModelMonitoringAlertConfig(...)`` with
    notification channels."""
    if not c.qual.startswith("google.cloud.aiplatform_v1"):
        return False
    if c.qual.endswith("ModelMonitoringAlertConfig.EmailAlertConfig"):
        return c.has_kw("user_emails")
    return c.attr == "ModelMonitoringAlertConfig" and c.has_kw("notification_channels")


def _helper_call(call: ast.Call, helpers: frozenset[str]) -> bool:
    """A call of a project notifier: ``notify(...)``, ``alerts.notify(...)``, or a Prefect task's ``notify.submit(...)``."""
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in ("submit", "fn", "delay", "apply_async"):
        f = f.value
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return name in helpers


def _notifies(call: ast.Call, al: dict[str, str], smtp: bool) -> bool:
    q = ops.qualname(call.func, al) or ""
    attr = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if q.startswith(_NOTIFY_LIBS) or attr == "chat_postMessage" or (smtp and attr in ("sendmail", "send_message")):
        return True
    if attr == "post" and (q.startswith(("requests.", "httpx.")) or ops.imports_module(al, "requests", "httpx")):
        first = ast.unparse(call.args[0]) if call.args else ""
        return bool(re.search(r"slack|webhook|pagerduty|teams|hook", first, re.I))
    return False


_TF_NAMESPACE = lazy_re(r'^\s*namespace\s*=\s*"([^"$]+)"', re.M)
_TF_METRIC = lazy_re(r'^\s*metric_name\s*=\s*"([A-Za-z0-9_.\-]+)"', re.M)
_PUBLISH_GLOBS = ("**/*.py", "**/*.tf", "**/*.json", "**/*.yml", "**/*.yaml", "**/*.js", "**/*.ts", "**/*.sh", "**/*.go", "**/*.java")


def _unpublished(index: FileIndex, path: str, body: str) -> bool:
    """A CloudWatch alarm on a custom metric (a namespace outside ``AWS/``) whose metric name appears nowhere else in the
    repository's code or configuration: no ``put_metric_data``, log metric filter or embedded-metric log writes it. AWS
    metrics and names given by variables are not judged."""
    ns, metric = _TF_NAMESPACE.search(body), _TF_METRIC.search(body)
    if not (ns and metric) or ns.group(1).lower().startswith("aws/"):
        return False
    name = metric.group(1)
    own = (index.text(path) or "").count(name)
    if own > body.count(name):
        return False  # the same file defines a metric filter or another writer of it
    needle = (name.encode(),)
    for e in index.select(_PUBLISH_GLOBS):
        if e.path != path and not e.test and index.contains(e.path, needle):
            return False
    return True
