"""Frozen types shared by the live probes (MLflow, Kubernetes, AWS) and the engine side that links them.

A probe turns what an endpoint says into ``Resource`` rows (one per object it read) and ``Outcome`` rows
(one per area it tried: ``ok``, or why it could not tell). Nothing here imports a platform library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..errors import UsageError


class Status(StrEnum):
    """What one probe area could establish."""

    OK = "ok"
    NOT_INSTALLED = "not-installed"  # a CRD/API group the cluster does not serve: nothing to see, not an error
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
    FORBIDDEN = "forbidden"  # 401/403, AccessDenied
    THROTTLED = "throttled"  # 429, ThrottlingException
    TIMEOUT = "timeout"  # the call or the probe's time budget ran out
    ERROR = "error"  # anything else the endpoint answered (5xx, not implemented)

    @property
    def known(self) -> bool:
        """Whether the area's absence of objects means "none" (ok, not installed) rather than "unknown"."""
        return self in (Status.OK, Status.NOT_INSTALLED)


class MissingExtra(UsageError):
    """A live option needs an optional extra that is not installed: exit 2 with the pip command."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(f"--{extra} needs the '{module}' package: pip install 'mlscan[{extra}]'")


@dataclass(frozen=True, slots=True)
class MlflowTarget:
    uri: str | None  # None: the MLflow client's own default (MLFLOW_TRACKING_URI, Databricks profile, ...)


@dataclass(frozen=True, slots=True)
class K8sTarget:
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: every namespace the credentials may list


@dataclass(frozen=True, slots=True)
class AwsTarget:
    profile: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class LiveRequest:
    """Which endpoints to read (None: not asked for) and the limits of every call."""

    mlflow: MlflowTarget | None = None
    k8s: K8sTarget | None = None
    aws: AwsTarget | None = None
    timeout: float = 10.0  # seconds per call
    budget: float = 60.0  # seconds for a whole platform
    workers: int = 4  # calls in flight per platform
    max_items: int = 2000  # objects read per area (lists are paginated up to this)
    recent_runs: int = 50  # runs read per experiment
    stale_after_days: float = 7.0

    @property
    def asked(self) -> bool:
        return any(t is not None for t in (self.mlflow, self.k8s, self.aws))


@dataclass(frozen=True, slots=True)
class Resource:
    """One object an endpoint reported. ``uri`` is its location in reports (``k8s://ml/cronjobs/train``,
    ``mlflow://models/churn/versions/3``, an ARN); ``names`` are the names a repository may declare it by."""

    platform: str  # mlflow | k8s | aws
    area: str  # e.g. k8s.cronjobs, mlflow.model_versions, aws.sagemaker.endpoints
    kind: str  # CronJob, ModelVersion, Endpoint, ...
    uri: str
    names: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    attrs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    parent: str | None = None  # uri of the object it belongs to (a version's model, a run's experiment)

    def summary(self) -> str:
        facts = ", ".join(f"{k}={_short(v)}" for k, v in sorted(self.attrs.items()) if v not in (None, "", [], {}))
        return f"{self.kind} {self.uri}" + (f": {facts}" if facts else "")


def _short(v: Any) -> str:
    text = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
    return text if len(text) <= 60 else text[:59] + "…"


def resource(platform: str, area: str, kind: str, uri: str, names: tuple[str, ...] | list[str], *, labels: Mapping[str, str] | None = None,
             parent: str | None = None, **attrs: Any) -> Resource:
    return Resource(platform, area, kind, uri, tuple(n for n in names if n), MappingProxyType(dict(labels or {})),
                    MappingProxyType(dict(attrs)), parent)


@dataclass(frozen=True, slots=True)
class Outcome:
    platform: str
    area: str
    status: Status
    message: str = ""
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "area": self.area, "status": str(self.status), "message": self.message, "count": self.count}


@dataclass(frozen=True, slots=True)
class ProbeResult:
    platform: str
    endpoint: str  # display form, credentials removed
    resources: tuple[Resource, ...]
    outcomes: tuple[Outcome, ...]
    calls: tuple[str, ...] = ()  # the read calls made (``sagemaker:ListEndpoints``, ``GET batch/cronjobs``)
    seconds: float = 0.0
