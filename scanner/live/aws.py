"""AWS probe (extra ``aws``): SageMaker endpoints (data capture), monitoring schedules, model package groups
(approval status), pipelines (recent executions), training jobs (git/data tags); CloudWatch alarms (actions);
EventBridge rules and Scheduler schedules; S3 bucket versioning; ECR repositories and images.

boto3's default credential chain and ``AWS_PROFILE``/``--profile``, ``AWS_REGION``/``--region`` and
``AWS_ENDPOINT_URL`` apply. Only List/Describe/Get calls are made; deploy/iam-readonly.json allows exactly ``CALLS``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..lazyre import lazy_re
from .common import display_uri, guarded, iso, parse_time, run_bounded, scrub, secret_values, tick
from .interface import AwsTarget, LiveRequest, MissingExtra, ProbeResult, Resource, resource

# IAM action of every operation the probe calls (S3 ListBuckets is authorised by s3:ListAllMyBuckets).
CALLS: tuple[str, ...] = (
    "sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:ListMonitoringSchedules",
    "sagemaker:ListModelPackageGroups", "sagemaker:ListModelPackages", "sagemaker:ListPipelines", "sagemaker:ListPipelineExecutions",
    "sagemaker:ListTrainingJobs", "sagemaker:ListTags",
    "cloudwatch:DescribeAlarms", "events:ListRules", "events:ListTargetsByRule", "scheduler:ListSchedules", "scheduler:GetSchedule",
    "s3:ListAllMyBuckets", "s3:GetBucketVersioning", "ecr:DescribeRepositories", "ecr:DescribeImages",
)
IAM_NAME = {("s3", "ListBuckets"): "s3:ListAllMyBuckets"}
GIT_TAG = lazy_re(r"(?i)(git|commit|sha|revision)")
DATA_TAG = lazy_re(r"(?i)(data|dataset)")
SHA = lazy_re(r"^(?:sha-)?[0-9a-f]{7,40}$")
DETAIL = 50  # per-object follow-up calls (describe, list tags, executions) per area
S3_MAX = 50


def load_boto3() -> Any:
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        raise MissingExtra("aws", "boto3") from None
    return boto3, botocore


def session(target: AwsTarget) -> Any:
    boto3, botocore = load_boto3()
    from ..errors import UsageError

    try:
        s = boto3.Session(profile_name=target.profile, region_name=target.region)
    except botocore.exceptions.ProfileNotFound as e:
        raise UsageError(f"--profile: {e}") from None
    if not s.region_name:
        raise UsageError("--aws needs a region: --region, AWS_REGION or the profile's region")
    return s


def probe(target: AwsTarget, req: LiveRequest, buckets: Iterable[str] = (), on_client: Callable[[str, Any], None] | None = None) -> ProbeResult:
    """``buckets``: the S3 buckets the repository names (only their versioning is read; all, up to 50, when none);
    ``on_client(service, client)`` sees every client once it is made (tests attach botocore stubs there)."""
    _boto3, botocore = load_boto3()
    started = time.monotonic()
    s = session(target)
    cfg = botocore.config.Config(connect_timeout=min(req.timeout, 5.0), read_timeout=req.timeout, retries={"max_attempts": 1, "mode": "standard"},
                                 max_pool_connections=max(2, req.workers))
    calls: list[str] = []
    clients: dict[str, Any] = {}

    def client(name: str) -> Any:
        if name not in clients:
            c = s.client(name, config=cfg)
            c.meta.events.register("before-call", lambda model, **_: calls.append(IAM_NAME.get((name, model.name), f"{name}:{model.name}")))
            clients[name] = c
            if on_client is not None:
                on_client(name, c)
        return clients[name]

    creds = s.get_credentials()
    frozen = creds.get_frozen_credentials() if creds is not None else None
    secrets = secret_values(x for x in (getattr(frozen, "secret_key", None), getattr(frozen, "token", None)) if x)
    for svc in ("sagemaker", "cloudwatch", "events", "scheduler", "s3", "ecr"):  # created up front: client creation is not thread-safe
        client(svc)
    wanted = tuple(buckets)
    areas: list[tuple[str, Callable[[], list[Resource]]]] = [(a.name, lambda a=a: _listed(client(a.service), a, req)) for a in AREAS]
    areas.append(("aws.s3.buckets", lambda: _buckets(client("s3"), wanted)))
    areas.append((_ECR.name, lambda: _listed(client("ecr"), _ECR, req)))
    tasks = [("aws", area, (lambda a=area, b=body: guarded("aws", a, secrets, b))) for area, body in areas]
    res, outcomes = run_bounded(tasks, workers=req.workers, budget=req.budget, secrets=secrets)
    endpoint = f"aws {s.region_name} ({display_uri(clients['sagemaker'].meta.endpoint_url)})"
    return ProbeResult("aws", scrub(endpoint, secrets), tuple(res), tuple(outcomes), tuple(dict.fromkeys(calls)), round(time.monotonic() - started, 3))


def _pages(c: Any, op: str, key: str, limit: int, **kw: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if c.can_paginate(op):
        for page in c.get_paginator(op).paginate(**kw):
            tick()
            out += page.get(key) or []
            if len(out) >= limit:
                break
    else:
        out = getattr(c, op)(**kw).get(key) or []
    return out[:limit]


def _tags(tags: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value"))[:80] for t in tags if isinstance(t, dict)}


Item = tuple[str, list[str], dict[str, Any]]  # (ARN, names the repository may use for it, attributes)


@dataclass(frozen=True)
class _Area:
    """One listed kind of AWS object: the List/Describe operation that pages through them, the response key that holds
    them, and ``item(client, listed, detailed)`` -> Item. Only the first DETAIL objects get follow-up calls."""

    name: str
    kind: str
    service: str
    op: str
    key: str
    item: Callable[[Any, dict[str, Any], bool], Item]
    params: tuple[tuple[str, str], ...] = ()
    most: int | None = None  # a cap below --max-items
    keep: Callable[[dict[str, Any]], bool] | None = None  # listed objects worth reporting (before DETAIL counts)


def _listed(c: Any, area: _Area, req: LiveRequest) -> list[Resource]:
    """The one listing loop: page through ``area.op``, then one resource per kept object."""
    limit = min(req.max_items, area.most) if area.most is not None else req.max_items
    listed = [x for x in _pages(c, area.op, area.key, limit, **dict(area.params)) if area.keep is None or area.keep(x)]
    out = []
    for i, x in enumerate(listed):
        tick()
        arn, names, attrs = area.item(c, x, i < DETAIL)
        out.append(resource("aws", area.name, area.kind, arn, names, **attrs))
    return out


def _endpoint(sm: Any, e: dict[str, Any], detailed: bool) -> Item:
    name = e["EndpointName"]
    attrs: dict[str, Any] = {"status": e.get("EndpointStatus"), "created": iso(parse_time(e.get("CreationTime")))}
    names = [name]
    if detailed:
        d = sm.describe_endpoint(EndpointName=name)
        capture = (d.get("DataCaptureConfig") or {}).get("EnableCapture")
        cfg_name = d.get("EndpointConfigName")
        if cfg_name:
            names.append(cfg_name)
            ec = sm.describe_endpoint_config(EndpointConfigName=cfg_name)
            if capture is None:
                capture = (ec.get("DataCaptureConfig") or {}).get("EnableCapture")
            models = [v.get("ModelName") for v in ec.get("ProductionVariants") or [] if v.get("ModelName")]
            names += models
            attrs["models"] = models
            attrs["shadow_variants"] = len(ec.get("ShadowProductionVariants") or [])
        attrs["capture"] = bool(capture) if capture is not None else False
        attrs["auto_rollback"] = bool(((d.get("LastDeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}).get("Alarms"))
    return e["EndpointArn"], names, {"endpoint": name, **attrs}


_MONITOR_TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")


def _monitoring_schedule(_sm: Any, m: dict[str, Any], _detailed: bool) -> Item:
    name, ep = m["MonitoringScheduleName"], m.get("EndpointName")
    return m["MonitoringScheduleArn"], [name] + ([ep] if ep else []), {
        "endpoint": ep, "type": m.get("MonitoringType") or "DataQuality", "status": m.get("MonitoringScheduleStatus"),
        "created": iso(parse_time(m.get("CreationTime")))}


def _model_package_group(sm: Any, g: dict[str, Any], detailed: bool) -> Item:
    name = g["ModelPackageGroupName"]
    counts = {"Approved": 0, "PendingManualApproval": 0, "Rejected": 0}
    latest: dict[str, Any] = {}
    if detailed:
        pkgs = _pages(sm, "list_model_packages", "ModelPackageSummaryList", 200, ModelPackageGroupName=name)
        for p in pkgs:
            st = p.get("ModelApprovalStatus") or ""
            counts[st] = counts.get(st, 0) + 1
        latest = max(pkgs, key=lambda p: p.get("ModelPackageVersion") or 0, default={})
    return g["ModelPackageGroupArn"], [name], {
        "group": name, "packages": sum(counts.values()), "approved": counts.get("Approved", 0), "pending": counts.get("PendingManualApproval", 0),
        "rejected": counts.get("Rejected", 0), "latest_status": latest.get("ModelApprovalStatus"), "created": iso(parse_time(g.get("CreationTime")))}


def _pipeline(sm: Any, p: dict[str, Any], detailed: bool) -> Item:
    name = p["PipelineName"]
    attrs: dict[str, Any] = {"created": iso(parse_time(p.get("CreationTime")))}
    if detailed:
        ex = sm.list_pipeline_executions(PipelineName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=10)
        runs = ex.get("PipelineExecutionSummaries") or []
        attrs["executions"] = len(runs)
        attrs["succeeded"] = sum(1 for r in runs if r.get("PipelineExecutionStatus") == "Succeeded")
        attrs["last_status"] = runs[0].get("PipelineExecutionStatus") if runs else None
        attrs["last_run"] = iso(parse_time(runs[0].get("StartTime"))) if runs else None
    return p["PipelineArn"], [name, p.get("PipelineDisplayName") or ""], {"pipeline": name, **attrs}


def _training_job(sm: Any, j: dict[str, Any], detailed: bool) -> Item:
    tags = _tags(sm.list_tags(ResourceArn=j["TrainingJobArn"]).get("Tags") or []) if detailed else {}
    git = next((v for k, v in tags.items() if GIT_TAG.search(k)), None)
    data = {k: v for k, v in tags.items() if DATA_TAG.search(k)}
    names = [j["TrainingJobName"], *[v for k, v in tags.items() if k.lower() in ("pipeline", "model", "project", "sagemaker:pipeline-name")]]
    return j["TrainingJobArn"], names, {"status": j.get("TrainingJobStatus"), "git_commit": git, "data_tags": sorted(f"{k}={v}" for k, v in data.items()),
                                        "created": iso(parse_time(j.get("CreationTime")))}


def _alarm(_cw: Any, a: dict[str, Any], _detailed: bool) -> Item:
    dims = [str(d.get("Value")) for d in a.get("Dimensions") or [] if d.get("Value")]
    actions = a.get("AlarmActions") or []
    return a["AlarmArn"], [a["AlarmName"], *dims], {
        "namespace": a.get("Namespace"), "metric": a.get("MetricName"), "actions": len(actions),
        "actions_enabled": a.get("ActionsEnabled", True) is not False, "state": a.get("StateValue")}


def _arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def _rule(ev: Any, r: dict[str, Any], detailed: bool) -> Item:
    targets = [t.get("Arn", "") for t in ev.list_targets_by_rule(Rule=r["Name"], EventBusName=r.get("EventBusName") or "default").get("Targets") or []] \
        if detailed else []
    return r["Arn"], [r["Name"], *(_arn_name(t) for t in targets)], {
        "schedule": r["ScheduleExpression"], "suspended": r.get("State") != "ENABLED", "targets": targets}


def _schedule(sch: Any, s: dict[str, Any], detailed: bool) -> Item:
    target = (s.get("Target") or {}).get("Arn", "")
    expr = ""
    if detailed:
        full = sch.get_schedule(Name=s["Name"], GroupName=s.get("GroupName") or "default")
        expr = full.get("ScheduleExpression") or ""
        target = (full.get("Target") or {}).get("Arn", target)
    return s["Arn"], [s["Name"], *([_arn_name(target)] if target else [])], {
        "schedule": expr, "suspended": s.get("State") != "ENABLED", "targets": [target] if target else []}


def _repository(ecr: Any, r: dict[str, Any], detailed: bool) -> Item:
    name = r["repositoryName"]
    tags: list[str] = []
    images = 0
    if detailed:
        imgs = _pages(ecr, "describe_images", "imageDetails", 200, repositoryName=name)
        images = len(imgs)
        for im in sorted(imgs, key=lambda x: str(x.get("imagePushedAt") or ""), reverse=True):
            tags += im.get("imageTags") or []
    return r["repositoryArn"], [name, name.rsplit("/", 1)[-1]], {
        "repository": name, "images": images, "tags": tags[:10], "sha_tags": sum(1 for t in tags if SHA.match(t)),
        "mutability": r.get("imageTagMutability"), "scan_on_push": (r.get("imageScanningConfiguration") or {}).get("scanOnPush")}


AREAS: tuple[_Area, ...] = (
    _Area("aws.sagemaker.endpoints", "Endpoint", "sagemaker", "list_endpoints", "Endpoints", _endpoint),
    _Area("aws.sagemaker.monitoring_schedules", "MonitoringSchedule", "sagemaker", "list_monitoring_schedules", "MonitoringScheduleSummaries",
          _monitoring_schedule),
    _Area("aws.sagemaker.model_packages", "ModelPackageGroup", "sagemaker", "list_model_package_groups", "ModelPackageGroupSummaryList",
          _model_package_group),
    _Area("aws.sagemaker.pipelines", "Pipeline", "sagemaker", "list_pipelines", "PipelineSummaries", _pipeline),
    _Area("aws.sagemaker.training_jobs", "TrainingJob", "sagemaker", "list_training_jobs", "TrainingJobSummaries", _training_job,
          params=(("SortBy", "CreationTime"), ("SortOrder", "Descending")), most=200),
    _Area("aws.cloudwatch.alarms", "Alarm", "cloudwatch", "describe_alarms", "MetricAlarms", _alarm),
    _Area("aws.events.rules", "EventRule", "events", "list_rules", "Rules", _rule, keep=lambda r: bool(r.get("ScheduleExpression"))),
    _Area("aws.scheduler.schedules", "Schedule", "scheduler", "list_schedules", "Schedules", _schedule),
)
# listed after the S3 buckets (not paged: ListBuckets returns them all), keeping the order of a probe's areas
_ECR = _Area("aws.ecr.repositories", "Repository", "ecr", "describe_repositories", "repositories", _repository)


def _buckets(s3: Any, wanted: tuple[str, ...]) -> list[Resource]:
    names = [b["Name"] for b in s3.list_buckets().get("Buckets") or []]
    pick = [n for n in names if n in wanted] if wanted else names[:S3_MAX]
    out = []
    for n in pick[:S3_MAX]:
        tick()
        v = s3.get_bucket_versioning(Bucket=n).get("Status") or "Off"
        out.append(resource("aws", "aws.s3.buckets", "Bucket", f"arn:aws:s3:::{n}", [n], bucket=n, versioning=v))
    return out
