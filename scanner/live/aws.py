"""AWS probe (extra ``aws``): SageMaker endpoints (data capture), monitoring schedules, model package groups
(approval status), pipelines (recent executions), training jobs (git/data tags); CloudWatch alarms (actions);
EventBridge rules and Scheduler schedules; S3 bucket versioning; ECR repositories and images.

boto3's default credential chain and ``AWS_PROFILE``/``--profile``, ``AWS_REGION``/``--region`` and
``AWS_ENDPOINT_URL`` apply. Only List/Describe/Get calls are made; deploy/iam-readonly.json allows exactly ``CALLS``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
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
    areas: list[tuple[str, Callable[[], list[Resource]]]] = [
        ("aws.sagemaker.endpoints", lambda: _endpoints(client("sagemaker"), req)),
        ("aws.sagemaker.monitoring_schedules", lambda: _monitoring(client("sagemaker"), req)),
        ("aws.sagemaker.model_packages", lambda: _model_packages(client("sagemaker"), req)),
        ("aws.sagemaker.pipelines", lambda: _pipelines(client("sagemaker"), req)),
        ("aws.sagemaker.training_jobs", lambda: _training_jobs(client("sagemaker"), req)),
        ("aws.cloudwatch.alarms", lambda: _alarms(client("cloudwatch"), req)),
        ("aws.events.rules", lambda: _rules(client("events"), req)),
        ("aws.scheduler.schedules", lambda: _schedules(client("scheduler"), req)),
        ("aws.s3.buckets", lambda: _buckets(client("s3"), wanted)),
        ("aws.ecr.repositories", lambda: _ecr(client("ecr"), req)),
    ]
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


def _endpoints(sm: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for i, e in enumerate(_pages(sm, "list_endpoints", "Endpoints", req.max_items)):
        tick()
        name = e["EndpointName"]
        attrs: dict[str, Any] = {"status": e.get("EndpointStatus"), "created": iso(parse_time(e.get("CreationTime")))}
        names = [name]
        if i < DETAIL:
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
        out.append(resource("aws", "aws.sagemaker.endpoints", "Endpoint", e["EndpointArn"], names, endpoint=name, **attrs))
    return out


_MONITOR_TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")


def _monitoring(sm: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for m in _pages(sm, "list_monitoring_schedules", "MonitoringScheduleSummaries", req.max_items):
        name, ep = m["MonitoringScheduleName"], m.get("EndpointName")
        out.append(resource("aws", "aws.sagemaker.monitoring_schedules", "MonitoringSchedule", m["MonitoringScheduleArn"],
                            [name] + ([ep] if ep else []), endpoint=ep, type=m.get("MonitoringType") or "DataQuality",
                            status=m.get("MonitoringScheduleStatus"), created=iso(parse_time(m.get("CreationTime")))))
    return out


def _model_packages(sm: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for i, g in enumerate(_pages(sm, "list_model_package_groups", "ModelPackageGroupSummaryList", req.max_items)):
        tick()
        name = g["ModelPackageGroupName"]
        counts = {"Approved": 0, "PendingManualApproval": 0, "Rejected": 0}
        latest: dict[str, Any] = {}
        if i < DETAIL:
            pkgs = _pages(sm, "list_model_packages", "ModelPackageSummaryList", 200, ModelPackageGroupName=name)
            for p in pkgs:
                st = p.get("ModelApprovalStatus") or ""
                counts[st] = counts.get(st, 0) + 1
            latest = max(pkgs, key=lambda p: p.get("ModelPackageVersion") or 0, default={})
        out.append(resource("aws", "aws.sagemaker.model_packages", "ModelPackageGroup", g["ModelPackageGroupArn"], [name], group=name,
                            packages=sum(counts.values()), approved=counts.get("Approved", 0), pending=counts.get("PendingManualApproval", 0),
                            rejected=counts.get("Rejected", 0), latest_status=latest.get("ModelApprovalStatus"),
                            created=iso(parse_time(g.get("CreationTime")))))
    return out


def _pipelines(sm: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for i, p in enumerate(_pages(sm, "list_pipelines", "PipelineSummaries", req.max_items)):
        tick()
        name = p["PipelineName"]
        attrs: dict[str, Any] = {"created": iso(parse_time(p.get("CreationTime")))}
        if i < DETAIL:
            ex = sm.list_pipeline_executions(PipelineName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=10)
            runs = ex.get("PipelineExecutionSummaries") or []
            attrs["executions"] = len(runs)
            attrs["succeeded"] = sum(1 for r in runs if r.get("PipelineExecutionStatus") == "Succeeded")
            attrs["last_status"] = runs[0].get("PipelineExecutionStatus") if runs else None
            attrs["last_run"] = iso(parse_time(runs[0].get("StartTime"))) if runs else None
        out.append(resource("aws", "aws.sagemaker.pipelines", "Pipeline", p["PipelineArn"], [name, p.get("PipelineDisplayName") or ""],
                            pipeline=name, **attrs))
    return out


def _training_jobs(sm: Any, req: LiveRequest) -> list[Resource]:
    out = []
    jobs = _pages(sm, "list_training_jobs", "TrainingJobSummaries", min(req.max_items, 200), SortBy="CreationTime", SortOrder="Descending")
    for i, j in enumerate(jobs):
        tick()
        tags = _tags(sm.list_tags(ResourceArn=j["TrainingJobArn"]).get("Tags") or []) if i < DETAIL else {}
        git = next((v for k, v in tags.items() if GIT_TAG.search(k)), None)
        data = {k: v for k, v in tags.items() if DATA_TAG.search(k)}
        names = [j["TrainingJobName"], *[v for k, v in tags.items() if k.lower() in ("pipeline", "model", "project", "sagemaker:pipeline-name")]]
        out.append(resource("aws", "aws.sagemaker.training_jobs", "TrainingJob", j["TrainingJobArn"], names, status=j.get("TrainingJobStatus"),
                            git_commit=git, data_tags=sorted(f"{k}={v}" for k, v in data.items()), created=iso(parse_time(j.get("CreationTime")))))
    return out


def _alarms(cw: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for a in _pages(cw, "describe_alarms", "MetricAlarms", req.max_items):
        dims = [str(d.get("Value")) for d in a.get("Dimensions") or [] if d.get("Value")]
        actions = a.get("AlarmActions") or []
        out.append(resource("aws", "aws.cloudwatch.alarms", "Alarm", a["AlarmArn"], [a["AlarmName"], *dims], namespace=a.get("Namespace"),
                            metric=a.get("MetricName"), actions=len(actions), actions_enabled=a.get("ActionsEnabled", True) is not False,
                            state=a.get("StateValue")))
    return out


def _arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def _rules(ev: Any, req: LiveRequest) -> list[Resource]:
    out = []
    scheduled = [r for r in _pages(ev, "list_rules", "Rules", req.max_items) if r.get("ScheduleExpression")]
    for i, r in enumerate(scheduled):
        tick()
        targets = [t.get("Arn", "") for t in ev.list_targets_by_rule(Rule=r["Name"], EventBusName=r.get("EventBusName") or "default").get("Targets") or []] if i < DETAIL else []
        out.append(resource("aws", "aws.events.rules", "EventRule", r["Arn"], [r["Name"], *(_arn_name(t) for t in targets)],
                            schedule=r["ScheduleExpression"], suspended=r.get("State") != "ENABLED", targets=targets))
    return out


def _schedules(sch: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for i, s in enumerate(_pages(sch, "list_schedules", "Schedules", req.max_items)):
        tick()
        target = (s.get("Target") or {}).get("Arn", "")
        expr = ""
        if i < DETAIL:
            full = sch.get_schedule(Name=s["Name"], GroupName=s.get("GroupName") or "default")
            expr = full.get("ScheduleExpression") or ""
            target = (full.get("Target") or {}).get("Arn", target)
        out.append(resource("aws", "aws.scheduler.schedules", "Schedule", s["Arn"], [s["Name"], *([_arn_name(target)] if target else [])],
                            schedule=expr, suspended=s.get("State") != "ENABLED", targets=[target] if target else []))
    return out


def _buckets(s3: Any, wanted: tuple[str, ...]) -> list[Resource]:
    names = [b["Name"] for b in s3.list_buckets().get("Buckets") or []]
    pick = [n for n in names if n in wanted] if wanted else names[:S3_MAX]
    out = []
    for n in pick[:S3_MAX]:
        tick()
        v = s3.get_bucket_versioning(Bucket=n).get("Status") or "Off"
        out.append(resource("aws", "aws.s3.buckets", "Bucket", f"arn:aws:s3:::{n}", [n], bucket=n, versioning=v))
    return out


def _ecr(ecr: Any, req: LiveRequest) -> list[Resource]:
    out = []
    for i, r in enumerate(_pages(ecr, "describe_repositories", "repositories", req.max_items)):
        tick()
        name = r["repositoryName"]
        tags: list[str] = []
        images = 0
        if i < DETAIL:
            imgs = _pages(ecr, "describe_images", "imageDetails", 200, repositoryName=name)
            images = len(imgs)
            for im in sorted(imgs, key=lambda x: str(x.get("imagePushedAt") or ""), reverse=True):
                tags += im.get("imageTags") or []
        out.append(resource("aws", "aws.ecr.repositories", "Repository", r["repositoryArn"], [name, name.rsplit("/", 1)[-1]], repository=name,
                            images=images, tags=tags[:10], sha_tags=sum(1 for t in tags if SHA.match(t)),
                            mutability=r.get("imageTagMutability"), scan_on_push=(r.get("imageScanningConfiguration") or {}).get("scanOnPush")))
    return out
