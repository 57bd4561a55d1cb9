"""Observed resources -> findings for the same rules as declared ones, once linked to the repository; the
contradictions between what the repository declares and what the endpoints show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..lazyre import lazy_re
from ..model import Evidence, Finding, Source, Strength
from .common import parse_time, scrub, stale
from .declared import Declared
from .interface import LiveRequest, Outcome, Resource

# which questions each probe area can feed: an area that failed makes their observed side "unknown"
AREA_QUESTIONS: dict[str, tuple[str, ...]] = {
    "mlflow.models": ("T2", "T4", "E1", "E2", "E3", "D1", "D2"),
    "mlflow.experiments": ("E1", "E2"),
    "k8s.deployments": ("E3",),
    "k8s.cronjobs": ("M1",),
    "k8s.jobs": ("M1",),
    "k8s.hpas": (),
    "k8s.inferenceservices": ("O4",),
    "k8s.seldondeployments": ("O4",),
    "k8s.prometheusrules": ("O3",),
    "k8s.cronworkflows": ("M1",),
    "k8s.scheduledworkflows": ("M1",),
    "aws.sagemaker.endpoints": ("T3",),
    "aws.sagemaker.monitoring_schedules": ("O1", "O2", "O4"),
    "aws.sagemaker.model_packages": ("T2", "T4"),
    "aws.sagemaker.pipelines": ("D3",),
    "aws.sagemaker.training_jobs": ("E3", "D1"),
    "aws.cloudwatch.alarms": ("O3",),
    "aws.events.rules": ("M1",),
    "aws.scheduler.schedules": ("M1",),
    "aws.s3.buckets": ("D1",),
    "aws.ecr.repositories": ("T2", "E3"),
}
APP_LABELS = ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of")
SCHEDULE_KINDS = ("CronJob", "CronWorkflow", "ScheduledWorkflow", "EventRule", "Schedule")
_SHA_TAG = lazy_re(r":(?:sha-)?[0-9a-f]{7,40}$")
_MONITOR_SIGNALS = {"DataQuality": ("monitoring.data_drift", "monitoring.model"), "ModelQuality": ("monitoring.model_drift", "monitoring.model"),
                    "ModelBias": ("governance.fairness",), "ModelExplainability": ("explain.usage",)}


@dataclass(frozen=True, slots=True)
class Link:
    resource: Resource
    how: str  # "declared" | "mapped" | "parent"
    path: str | None  # where the repository declares it (declared links)
    line: int | None

    def to_json(self) -> dict[str, Any]:
        r = self.resource
        return {"platform": r.platform, "kind": r.kind, "uri": r.uri, "link": self.how, "path": self.path, "line": self.line,
                "summary": scrub(r.summary())}


@dataclass(frozen=True, slots=True)
class Mapping_:
    """``.mlscan.yml`` ``live.<platform>`` names/labels that belong to this repository."""

    names: frozenset[str] = frozenset()
    labels: tuple[tuple[str, str], ...] = ()


def link(resources: Sequence[Resource], declared: Declared, mapping: Mapping[str, Mapping_]) -> list[Link]:
    """Resources that belong to the repository: a name it declares, a mapping in .mlscan.yml, or a parent that does."""
    by_uri: dict[str, Link] = {}
    for r in resources:
        m = mapping.get(r.platform) or Mapping_()
        if any(n.lower() in m.names for n in r.names) or (m.labels and all(r.labels.get(k) == v for k, v in m.labels)):
            by_uri[r.uri] = Link(r, "mapped", None, None)
            continue
        if r.platform == "k8s":  # Kubernetes objects link through manifests only: same kind and name, or the same app label
            man = declared.manifest(r.kind, r.names[0], str(r.attrs.get("namespace") or "") or None) if r.names else None
            man = man or declared.labelled({k: v for k, v in r.labels.items() if k in APP_LABELS})
            if man is not None:
                by_uri[r.uri] = Link(r, "declared", man.path, man.line)
            continue
        for n in r.names:
            w = declared.where(n)
            if w:
                by_uri[r.uri] = Link(r, "declared", w[0], w[1])
                break
    for r in resources:  # children of a linked object (a model's versions, a version's run)
        if r.uri not in by_uri and r.parent and r.parent in by_uri:
            p = by_uri[r.parent]
            by_uri[r.uri] = Link(r, "parent", p.path, p.line)
    for r in resources:  # second generation (run -> version -> model)
        if r.uri not in by_uri and r.parent and r.parent in by_uri:
            p = by_uri[r.parent]
            by_uri[r.uri] = Link(r, "parent", p.path, p.line)
    return [by_uri[r.uri] for r in resources if r.uri in by_uri]


def _ev(r: Resource, strength: Strength) -> Evidence:
    return Evidence(path=r.uri, line=None, snippet=r.summary(), detector=f"live.{r.platform}", strength=strength, source=Source.OBSERVED)


def _f(signal: str, r: Resource, strength: Strength, **attrs: Any) -> Finding:
    return Finding(signal, f"live.{r.platform}", (_ev(r, strength),), MappingProxyType({"observed": True, **attrs}), strength, Source.OBSERVED)


def schedule_state(r: Resource, req: LiveRequest) -> tuple[bool, str]:
    """(active, why not) of an observed schedule."""
    if r.attrs.get("suspended"):
        return False, "suspended"
    if r.kind in ("EventRule", "Schedule"):  # no run history in the rule itself
        return True, ""
    last = parse_time(r.attrs.get("last_schedule"))
    is_stale = stale(last, str(r.attrs.get("schedule") or ""), parse_time(r.attrs.get("created")), req.stale_after_days)
    if is_stale:
        return False, f"last scheduled {r.attrs.get('last_schedule')}" if last else "never scheduled"
    if r.attrs.get("last_job") == "failed":
        return True, "latest job failed"
    return True, ""


_TRAINING = lazy_re(r"(?i)(?:re)?train|fit|learn|pipeline|model|refresh|tune")


def findings(links: Iterable[Link], req: LiveRequest) -> list[Finding]:
    out: list[Finding] = []
    for lk in links:
        r, a = lk.resource, lk.resource.attrs
        tool = {"k8s": "kubernetes"}.get(r.platform, r.platform)
        if r.kind in SCHEDULE_KINDS:
            text = " ".join([*r.names, *map(str, a.get("images") or []), *map(str, a.get("targets") or [])])
            if r.kind == "CronJob" and not _TRAINING.search(text):
                continue
            active, why = schedule_state(r, req)
            out.append(_f("schedule.training", r, Strength.STRONG if active else Strength.WEAK, tool=tool, cron=str(a.get("schedule") or ""),
                          active=active, trigger="cron", state=why or "running"))
        elif r.kind == "Deployment":
            out.append(_f("infra.kubernetes", r, Strength.MEDIUM, tool="kubernetes"))
            if any(_SHA_TAG.search(i) for i in a.get("images") or []):
                out.append(_f("model.code_version", r, Strength.MEDIUM, tool="kubernetes", via="image tag"))
        elif r.kind == "HorizontalPodAutoscaler":
            out.append(_f("scale.autoscaling", r, Strength.MEDIUM, tool="kubernetes"))
        elif r.kind in ("InferenceService", "SeldonDeployment"):
            out.append(_f("serving.k8s", r, Strength.STRONG, tool="kserve" if r.kind == "InferenceService" else "seldon"))
            if a.get("explainer"):
                out.append(_f("explain.usage", r, Strength.MEDIUM, tool=r.kind))
            if a.get("logger"):
                out.append(_f("monitoring.logging", r, Strength.MEDIUM, tool=r.kind))
            if a.get("canary") is not None or len(a.get("traffic") or []) > 1:
                out.append(_f("deploy.canary", r, Strength.MEDIUM, tool=r.kind))
        elif r.kind == "PrometheusRule" and a.get("alerts"):
            out.append(_f("alerting.rule", r, Strength.MEDIUM, tool="prometheus", notify=False, about="model"))
        elif r.kind == "RegisteredModel":
            out.append(_f("model.registry", r, Strength.STRONG if a.get("promoted") else Strength.MEDIUM, tool="mlflow", central=True,
                          approval=bool(a.get("promoted")), wired="observed"))
        elif r.kind == "Run":
            out.append(_f("tracking.run", r, Strength.STRONG, tool="mlflow", in_training=True, optional=False, tuning_only=False,
                          metrics=bool(a.get("metrics")), params=bool(a.get("params"))))
            if a.get("git_commit"):
                out.append(_f("model.code_version", r, Strength.STRONG, tool="mlflow", via="mlflow.source.git.commit"))
            if a.get("datasets"):
                out.append(_f("data.version_logged", r, Strength.MEDIUM, tool="mlflow", linked_to_model=bool(a.get("model")),
                              digest=any("@" in str(x) for x in a["datasets"])))
        elif r.kind == "Experiment" and a.get("recent_runs"):
            out.append(_f("tracking.run", r, Strength.MEDIUM, tool="mlflow", in_training=True, optional=False, tuning_only=False,
                          metrics=bool(a.get("with_metrics")), params=bool(a.get("with_params"))))
        elif r.kind == "Endpoint":
            out.append(_f("serving.managed", r, Strength.STRONG, tool="sagemaker"))
            if a.get("capture"):
                out.append(_f("monitoring.logging", r, Strength.MEDIUM, tool="sagemaker data capture"))
            if a.get("auto_rollback"):
                out.append(_f("deploy.rollback", r, Strength.STRONG, tool="sagemaker", automatic=True))
        elif r.kind == "MonitoringSchedule":
            active = a.get("status") == "Scheduled"
            for sig in _MONITOR_SIGNALS.get(str(a.get("type")), ()):
                out.append(_f(sig, r, Strength.STRONG if active else Strength.WEAK, tool="sagemaker", active=active))
        elif r.kind == "ModelPackageGroup":
            out.append(_f("model.registry", r, Strength.STRONG, tool="sagemaker", central=True, approval=bool(a.get("approved")), wired="observed"))
            if a.get("approved"):
                out.append(_f("governance.approval", r, Strength.MEDIUM, tool="sagemaker"))
        elif r.kind == "Pipeline":
            out.append(_f("pipeline.dag", r, Strength.MEDIUM if a.get("executions") else Strength.WEAK, tool="sagemaker"))
        elif r.kind == "TrainingJob":
            if a.get("git_commit"):
                out.append(_f("model.code_version", r, Strength.MEDIUM, tool="sagemaker", via="training job tag"))
            if a.get("data_tags"):
                out.append(_f("data.version_logged", r, Strength.MEDIUM, tool="sagemaker", linked_to_model=False))
        elif r.kind == "Alarm":
            out.append(_f("alerting.rule", r, Strength.STRONG if a.get("actions") else Strength.MEDIUM, tool="cloudwatch",
                          notify=bool(a.get("actions")) and bool(a.get("actions_enabled")), about=str(a.get("metric") or "")))
        elif r.kind == "Bucket" and a.get("versioning") == "Enabled":
            out.append(_f("data.versioned_store", r, Strength.MEDIUM, tool="s3"))
        elif r.kind == "Repository":
            out.append(_f("image.registry", r, Strength.MEDIUM, tool="ecr"))
            if a.get("sha_tags"):
                out.append(_f("model.code_version", r, Strength.MEDIUM, tool="ecr", via="image tag"))
    return out


# ------------------------------------------------------------------ contradictions


@dataclass(frozen=True, slots=True)
class Contradiction:
    question: str
    kind: str
    message: str
    observed: str  # resource uri
    path: str | None = None  # declared side
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "kind": self.kind, "message": self.message, "observed": self.observed,
                "declared": {"path": self.path, "line": self.line} if self.path else None}


def contradictions(links: Sequence[Link], declared_findings: Sequence[Finding], declared: Declared, outcomes: Sequence[Outcome],
                   req: LiveRequest, namespaces: Sequence[str] = ()) -> tuple[list[Contradiction], dict[int, Finding]]:
    """Contradictions, and replacements for declared findings the endpoints disprove (a schedule declared in the very
    manifest whose live object is suspended or stale is not an active schedule)."""
    out: list[Contradiction] = []
    replace: dict[int, Finding] = {}
    schedules = [f for f in declared_findings if f.signal == "schedule.training" and f.attrs.get("active") and f.evidence]
    status = {o.area: o.status for o in outcomes}
    for lk in links:
        r = lk.resource
        if r.kind in SCHEDULE_KINDS:
            active, why = schedule_state(r, req)
            if active:
                continue
            same = [f for f in schedules if lk.path and f.evidence[0].path == lk.path]
            anyd = same or schedules
            if not anyd:
                continue
            d = anyd[0].evidence[0]
            out.append(Contradiction("M1", "schedule-not-running", f"the repository declares an active schedule ({d.path}:{d.line}) but "
                                     f"{r.kind} {r.uri} is {why}", r.uri, d.path, d.line))
            for f in same:
                replace[id(f)] = Finding(f.signal, f.detector, f.evidence, MappingProxyType({**f.attrs, "active": False, "observed_state": why,
                                                                                             "contradicted_by": r.uri}), Strength.WEAK, f.source)
        elif r.kind == "RegisteredModel" and r.attrs.get("versions") and not r.attrs.get("promoted"):
            out.append(Contradiction("T4", "registry-unapproved", f"registered model {r.names[0]} has {r.attrs['versions']} version(s) and "
                                     "none promoted (no alias, no Staging/Production stage)", r.uri, lk.path, lk.line))
        elif r.kind == "ModelPackageGroup" and r.attrs.get("packages") and not r.attrs.get("approved"):
            out.append(Contradiction("T4", "registry-unapproved", f"model package group {r.names[0]} has {r.attrs['packages']} package(s) and "
                                     "none Approved", r.uri, lk.path, lk.line))
    # endpoints without the monitoring the repository configures
    monitored = [f for f in declared_findings if f.signal in ("monitoring.model", "monitoring.data_drift", "monitoring.model_drift") and f.evidence]
    if monitored and status.get("aws.sagemaker.monitoring_schedules") is not None and status["aws.sagemaker.monitoring_schedules"].known:
        watched = {str(lk.resource.attrs.get("endpoint")) for lk in links if lk.resource.kind == "MonitoringSchedule"
                   and lk.resource.attrs.get("status") == "Scheduled"}
        d = monitored[0].evidence[0]
        for lk in links:
            r = lk.resource
            if r.kind == "Endpoint" and str(r.attrs.get("endpoint")) not in watched:
                out.append(Contradiction("O1", "endpoint-unmonitored", f"the repository configures model monitoring ({d.path}:{d.line}) but "
                                         f"endpoint {r.attrs.get('endpoint')} has no active monitoring schedule", r.uri, d.path, d.line))
    # schedules the repository declares that the cluster does not have
    kinds = {"CronJob": "k8s.cronjobs", "CronWorkflow": "k8s.cronworkflows", "ScheduledWorkflow": "k8s.scheduledworkflows"}
    seen = {(lk.resource.kind, n.lower()) for lk in links for n in lk.resource.names[:1]}
    for m in declared.manifests:
        area = kinds.get(m.kind)
        if area is None or status.get(area) is None or str(status[area]) != "ok":
            continue
        if namespaces and m.namespace and m.namespace not in namespaces:
            continue
        if (m.kind, m.name.lower()) not in seen and any(f.evidence[0].path == m.path for f in schedules):
            out.append(Contradiction("M1", "schedule-not-found", f"{m.kind} {m.name} ({m.path}:{m.line}) is declared but the cluster has none "
                                     "by that name", f"k8s://{m.namespace or '*'}/{area.split('.', 1)[1]}/{m.name}", m.path, m.line))
    return out, replace
