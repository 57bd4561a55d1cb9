"""Kubernetes probe (extra ``k8s``): API discovery first, then list-only reads of Deployments, CronJobs, Jobs,
HPAs and the ML custom resources a cluster serves (KServe, Seldon, Prometheus Operator, Argo, Kubeflow).

A custom resource the cluster does not serve is "not installed", never an error. Lists are paginated
(``limit`` + ``continue``, restarted once on 410 Gone). Secrets, ConfigMaps, logs and exec are never touched."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import NotInstalled, display_uri, guarded, iso, parse_time, run_bounded, scrub, secret_values, tick
from .interface import K8sTarget, LiveRequest, MissingExtra, Outcome, ProbeResult, Resource, Status, resource

PAGE = 500


@dataclass(frozen=True)
class Kind:
    area: str
    group: str  # "" for core
    versions: tuple[str, ...]  # acceptable versions, preferred first
    plural: str
    kind: str
    builtin: bool = False


# Every resource the probe lists; deploy/k8s-clusterrole.yaml grants exactly get/list on these (a test checks it).
KINDS: tuple[Kind, ...] = (
    Kind("k8s.deployments", "apps", ("v1",), "deployments", "Deployment", True),
    Kind("k8s.cronjobs", "batch", ("v1",), "cronjobs", "CronJob", True),
    Kind("k8s.jobs", "batch", ("v1",), "jobs", "Job", True),
    Kind("k8s.hpas", "autoscaling", ("v2",), "horizontalpodautoscalers", "HorizontalPodAutoscaler", True),
    Kind("k8s.inferenceservices", "serving.kserve.io", ("v1beta1",), "inferenceservices", "InferenceService"),
    Kind("k8s.seldondeployments", "machinelearning.seldon.io", ("v1", "v1alpha3", "v1alpha2"), "seldondeployments", "SeldonDeployment"),
    Kind("k8s.prometheusrules", "monitoring.coreos.com", ("v1",), "prometheusrules", "PrometheusRule"),
    Kind("k8s.cronworkflows", "argoproj.io", ("v1alpha1",), "cronworkflows", "CronWorkflow"),
    Kind("k8s.scheduledworkflows", "kubeflow.org", ("v1beta1",), "scheduledworkflows", "ScheduledWorkflow"),
)


def load_client() -> Any:
    try:
        import kubernetes.client as client
        import kubernetes.config as config
    except ImportError:
        raise MissingExtra("k8s", "kubernetes") from None
    return client, config


def api_client(target: K8sTarget, timeout: float) -> tuple[Any, str, tuple[str, ...]]:
    """(ApiClient, display host, secrets) from kubeconfig (``--context``) or the in-cluster service account."""
    client, config = load_client()
    cfg = client.Configuration()
    try:
        # KUBECONFIG as it is now (the client reads it once, at import)
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG") or None, context=target.context, client_configuration=cfg,
                                persist_config=False)
    except config.ConfigException as e:
        if target.context:
            from ..errors import UsageError

            raise UsageError(f"--context {target.context}: {scrub(str(e))}") from None
        try:
            config.load_incluster_config(client_configuration=cfg)
        except config.ConfigException:
            raise NotConfigured("no kubeconfig (KUBECONFIG, ~/.kube/config) and not running in a cluster") from None
    except FileNotFoundError as e:  # an exec plugin (aws-iam-authenticator, gke-gcloud-auth-plugin) that is not installed
        raise NotConfigured(f"kubeconfig credential plugin not found: {e.filename or e}") from None
    except Exception as e:  # a malformed kubeconfig: its text may hold tokens, so only the kind of error is told
        raise NotConfigured(f"kubeconfig could not be loaded ({type(e).__name__})") from None
    cfg.retries = 0  # one try per call: the probe's own budget decides, not urllib3's back-off
    secrets = tuple(str(v) for v in (cfg.api_key or {}).values() if v) + tuple(x for x in (cfg.password, cfg.username) if x)
    secrets += tuple(str(v).split(" ", 1)[-1] for v in (cfg.api_key or {}).values() if v)
    return client.ApiClient(cfg), display_uri(cfg.host or ""), secrets


class NotConfigured(Exception):
    """No cluster credentials at all."""


def probe(target: K8sTarget, req: LiveRequest, api: Any = None) -> ProbeResult:
    client, _config = load_client()
    started = time.monotonic()
    extra: tuple[str, ...] = ()
    try:
        if api is None:
            api, host, extra = api_client(target, req.timeout)
        else:
            host = display_uri(api.configuration.host)
    except NotConfigured as e:
        outs = tuple(Outcome("k8s", k.area, Status.UNREACHABLE, str(e)) for k in KINDS)
        return ProbeResult("k8s", "kubernetes", (), outs, (), 0.0)
    secrets = secret_values(extra)
    reader = _Reader(client, api, req, secrets, target.namespaces)
    try:
        served = reader.discover()
    except Exception as e:
        from .common import classify, describe

        status, msg = classify(e), describe(e, secrets)
        outs = tuple(Outcome("k8s", k.area, status, f"discovery: {msg}") for k in KINDS)
        return ProbeResult("k8s", host, (), outs, tuple(reader.calls), round(time.monotonic() - started, 3))
    tasks = []
    for k in KINDS:
        version = served.get(f"{k.group}/{k.plural}")
        tasks.append(("k8s", k.area, _task(reader, k, version, secrets)))
    res, outcomes = run_bounded(tasks, workers=req.workers, budget=req.budget, secrets=secrets)
    res = _with_jobs(res)
    return ProbeResult("k8s", scrub(host, secrets), tuple(res), tuple(outcomes), tuple(reader.calls), round(time.monotonic() - started, 3))


def _task(reader: _Reader, k: Kind, version: str | None, secrets: tuple[str, ...]) -> Callable[[], tuple[list[Resource], Outcome]]:
    def body() -> list[Resource]:
        if version is None:
            raise NotInstalled(f"{k.group or 'core'}/{k.plural} is not served by this cluster")
        items = reader.list(k, version)
        return [r for item in items if (r := _RESOURCE[k.kind](k, item)) is not None]

    return lambda: guarded("k8s", k.area, secrets, body)


class _Reader:
    """Discovery and paginated lists as raw JSON (the same shapes ``kubectl get --raw`` shows)."""

    def __init__(self, client: Any, api: Any, req: LiveRequest, secrets: tuple[str, ...], namespaces: tuple[str, ...] = ()) -> None:
        self.client, self.api, self.req, self.secrets, self.namespaces = client, api, req, secrets, namespaces
        self.calls: list[str] = []
        self.timeout = (min(req.timeout, 5.0), req.timeout)

    def _json(self, resp: Any) -> Any:
        data = resp.data if hasattr(resp, "data") else resp.read()
        return json.loads(data)

    def discover(self) -> dict[str, str]:
        """``group/plural`` -> the version to read, for every kind the cluster serves."""
        self.calls.append("GET /apis")
        groups = self._json(self.client.ApisApi(self.api).get_api_versions(_preload_content=False, _request_timeout=self.timeout))
        served_versions: dict[str, list[str]] = {}
        for g in groups.get("groups") or []:
            served_versions[g.get("name", "")] = [v.get("version", "") for v in g.get("versions") or []]
        out: dict[str, str] = {}
        custom = self.client.CustomObjectsApi(self.api)
        for k in KINDS:
            if k.builtin:
                if k.group in served_versions and k.versions[0] in served_versions[k.group]:
                    out[f"{k.group}/{k.plural}"] = k.versions[0]
                continue
            version = next((v for v in k.versions if v in served_versions.get(k.group, [])), None)
            if version is None:
                continue
            self.calls.append(f"GET /apis/{k.group}/{version}")
            try:
                rl = self._json(custom.get_api_resources(k.group, version, _preload_content=False, _request_timeout=self.timeout))
            except Exception as e:
                if getattr(e, "status", None) == 404:
                    continue
                raise
            if any(r.get("name") == k.plural for r in rl.get("resources") or []):
                out[f"{k.group}/{k.plural}"] = version
        return out

    def list(self, k: Kind, version: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for ns in self.namespaces or (None,):
            items += self._list_all(k, version, ns)
        return items

    def _call(self, k: Kind, version: str, ns: str | None) -> Callable[..., Any]:
        c = self.client
        if not k.builtin:
            api = c.CustomObjectsApi(self.api)
            if ns:
                return lambda **kw: api.list_namespaced_custom_object(k.group, version, ns, k.plural, **kw)
            return lambda **kw: api.list_cluster_custom_object(k.group, version, k.plural, **kw)
        typed = {"deployments": (c.AppsV1Api, "deployment"), "cronjobs": (c.BatchV1Api, "cron_job"), "jobs": (c.BatchV1Api, "job"),
                 "horizontalpodautoscalers": (c.AutoscalingV2Api, "horizontal_pod_autoscaler")}
        cls, noun = typed[k.plural]
        api = cls(self.api)
        if ns:
            fn = getattr(api, f"list_namespaced_{noun}")
            return lambda **kw: fn(ns, **kw)
        return getattr(api, f"list_{noun}_for_all_namespaces")  # type: ignore[no-any-return]

    def _list_all(self, k: Kind, version: str, ns: str | None) -> list[dict[str, Any]]:
        call = self._call(k, version, ns)
        path = f"/apis/{k.group}/{version}" + (f"/namespaces/{ns}" if ns else "") + f"/{k.plural}"
        items: list[dict[str, Any]] = []
        token: str | None = None
        restarted = False
        while len(items) < self.req.max_items:
            tick()
            kw: dict[str, Any] = {"limit": PAGE, "_preload_content": False, "_request_timeout": self.timeout}
            if token:
                kw["_continue"] = token
            self.calls.append(f"GET {path}")
            try:
                page = self._json(call(**kw))
            except Exception as e:
                if getattr(e, "status", None) == 410 and not restarted:  # the continue token expired: list again from the start
                    restarted, token, items = True, None, []
                    continue
                raise
            items += [i for i in page.get("items") or [] if isinstance(i, dict)]
            token = (page.get("metadata") or {}).get("continue") or None
            if not token:
                break
        return items[: self.req.max_items]


# ------------------------------------------------------------------ objects -> resources


def _meta(item: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    m = item.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (m.get("labels") or {}).items()}
    return str(m.get("namespace") or ""), str(m.get("name") or ""), labels


def _uri(k: Kind, ns: str, name: str) -> str:
    return f"k8s://{ns}/{k.plural}/{name}" if ns else f"k8s://{k.plural}/{name}"


def _names(name: str, labels: dict[str, str]) -> tuple[str, ...]:
    keys = ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of")
    return tuple(dict.fromkeys([name, *(labels[k] for k in keys if labels.get(k))]))


def _dig(d: Any, *keys: str) -> Any:
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return d


def _images(pod_spec: Any) -> list[str]:
    out = []
    for key in ("containers", "initContainers"):
        for c in (pod_spec or {}).get(key) or [] if isinstance(pod_spec, dict) else []:
            if isinstance(c, dict) and c.get("image"):
                out.append(str(c["image"]))
    return out


def _created(item: dict[str, Any]) -> str | None:
    return iso(parse_time(_dig(item, "metadata", "creationTimestamp")))


def _deployment(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec, status = item.get("spec") or {}, item.get("status") or {}
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns,
                    images=_images(_dig(spec, "template", "spec")), replicas=spec.get("replicas"),
                    ready=status.get("readyReplicas") or 0, created=_created(item))


def _cronjob(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec, status = item.get("spec") or {}, item.get("status") or {}
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns,
                    schedule=str(spec.get("schedule") or ""), suspended=spec.get("suspend") is True,
                    last_schedule=iso(parse_time(status.get("lastScheduleTime"))),
                    last_success=iso(parse_time(status.get("lastSuccessfulTime"))),
                    images=_images(_dig(spec, "jobTemplate", "spec", "template", "spec")), created=_created(item))


def _job(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    owner = next((o.get("name") for o in _dig(item, "metadata", "ownerReferences") or [] if o.get("kind") == "CronJob"), None)
    status = item.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in status.get("conditions") or [] if isinstance(c, dict)}
    state = "succeeded" if conds.get("Complete") == "True" else "failed" if conds.get("Failed") == "True" else "running"
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns, owner=owner, state=state,
                    started=iso(parse_time(status.get("startTime"))), finished=iso(parse_time(status.get("completionTime"))))


def _hpa(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec = item.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels) + ((str(ref["name"]),) if ref.get("name") else ()),
                    labels=labels, namespace=ns, target=f"{ref.get('kind', '')}/{ref.get('name', '')}",
                    min_replicas=spec.get("minReplicas", 1), max_replicas=spec.get("maxReplicas"))


def _ready(item: dict[str, Any]) -> bool | None:
    for c in _dig(item, "status", "conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c.get("status") == "True"
    return None


def _isvc(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec = item.get("spec") or {}
    pred = spec.get("predictor") or {}
    model = pred.get("model") or {}
    fmt = _dig(model, "modelFormat", "name") or next((key for key in pred if isinstance(pred.get(key), dict) and key != "model"), None)
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns, format=fmt,
                    storage=display_uri(str(model.get("storageUri") or "")) or None, ready=_ready(item),
                    explainer="explainer" in spec, logger=bool(pred.get("logger")), canary=pred.get("canaryTrafficPercent"),
                    min_replicas=pred.get("minReplicas"), max_replicas=pred.get("maxReplicas"))


def _seldon(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    preds = [p for p in _dig(item, "spec", "predictors") or [] if isinstance(p, dict)]
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns, predictors=len(preds),
                    explainer=any(p.get("explainer") for p in preds), traffic=[p.get("traffic") for p in preds if p.get("traffic") is not None],
                    state=_dig(item, "status", "state"))


def _prometheusrule(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    alerts = [r for g in _dig(item, "spec", "groups") or [] if isinstance(g, dict) for r in g.get("rules") or []
              if isinstance(r, dict) and r.get("alert")]
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns,
                    alerts=[str(a["alert"]) for a in alerts][:20],
                    exprs=[str(a.get("expr", ""))[:120] for a in alerts][:20],
                    severities=sorted({str(_dig(a, "labels", "severity")) for a in alerts if _dig(a, "labels", "severity")}))


def _cronworkflow(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec, status = item.get("spec") or {}, item.get("status") or {}
    schedules = spec.get("schedules") or ([spec["schedule"]] if spec.get("schedule") else [])
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns,
                    schedule=str(schedules[0]) if schedules else "", suspended=spec.get("suspend") is True,
                    last_schedule=iso(parse_time(status.get("lastScheduledTime"))), failed=status.get("failed"),
                    succeeded=status.get("succeeded"), created=_created(item))


def _scheduledworkflow(k: Kind, item: dict[str, Any]) -> Resource:
    ns, name, labels = _meta(item)
    spec, status = item.get("spec") or {}, item.get("status") or {}
    trig = spec.get("trigger") or {}
    cron = _dig(trig, "cronSchedule", "cron")
    interval = _dig(trig, "periodicSchedule", "intervalSecond")
    schedule = str(cron) if cron else (f"rate({max(1, int(interval) // 60)} minutes)" if isinstance(interval, int) else "")
    return resource("k8s", k.area, k.kind, _uri(k, ns, name), _names(name, labels), labels=labels, namespace=ns, schedule=schedule,
                    suspended=spec.get("enabled") is False, last_schedule=iso(parse_time(_dig(status, "trigger", "lastTriggeredTime"))),
                    created=_created(item))


_RESOURCE: dict[str, Callable[[Kind, dict[str, Any]], Resource | None]] = {
    "Deployment": _deployment, "CronJob": _cronjob, "Job": _job, "HorizontalPodAutoscaler": _hpa, "InferenceService": _isvc,
    "SeldonDeployment": _seldon, "PrometheusRule": _prometheusrule, "CronWorkflow": _cronworkflow, "ScheduledWorkflow": _scheduledworkflow,
}


def _with_jobs(res: list[Resource]) -> list[Resource]:
    """CronJobs carry the state of their latest Job (failed runs are a schedule that fires but does not train)."""
    latest: dict[tuple[str, str], Resource] = {}
    for r in res:
        if r.kind == "Job" and r.attrs.get("owner"):
            key = (str(r.attrs.get("namespace")), str(r.attrs["owner"]))
            if key not in latest or str(r.attrs.get("started") or "") > str(latest[key].attrs.get("started") or ""):
                latest[key] = r
    out = []
    for r in res:
        job = latest.get((str(r.attrs.get("namespace")), r.names[0])) if r.kind == "CronJob" and r.names else None
        if job is not None:
            r = resource(r.platform, r.area, r.kind, r.uri, r.names, labels=r.labels, parent=r.parent, **{**r.attrs, "last_job": job.attrs.get("state")})
        out.append(r)
    return out
