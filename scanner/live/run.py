"""Read the endpoints asked for (command line and/or ``.mlscan.yml`` ``live:``), link what they show to the
repository and hand the engine observed findings, replacements for disproved declared ones, warnings and the
report's ``live`` section. Platform libraries are imported only for the platforms asked for."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from ..model import AnswerValue, Finding, Source, Warning_
from .common import scrub, secret_values
from .declared import Declared, collect
from .evidence import AREA_QUESTIONS, Contradiction, Link, Mapping_, contradictions, findings, link
from .interface import AwsTarget, K8sTarget, LiveRequest, MlflowTarget, Outcome, ProbeResult, Status

EXTRAS = {"mlflow": ("mlflow", "mlflow"), "k8s": ("kubernetes", "kubernetes"), "aws": ("boto3", "boto3")}


def check_extras(req: LiveRequest) -> None:
    """Fail fast (exit 2, the pip command) when a platform is asked for and its library is missing."""
    from .interface import MissingExtra

    for name, target in (("mlflow", req.mlflow), ("k8s", req.k8s), ("aws", req.aws)):
        module, dist = EXTRAS[name]
        if target is not None and importlib.util.find_spec(module) is None:
            raise MissingExtra(name, dist)


def merge(cli: LiveRequest | None, section: Mapping[str, Any] | None, *, honour_section: bool) -> tuple[LiveRequest, dict[str, Mapping_]]:
    """The request: the command line's platforms, plus those the repository's ``live:`` section asks for (only when
    ``honour_section``; a repository never supplies an endpoint URI); its names/labels become link mappings."""
    req = cli or LiveRequest()
    sec = dict(section or {})
    maps: dict[str, Mapping_] = {}
    for platform in ("mlflow", "k8s", "aws"):
        v = sec.get(platform)
        conf = v if isinstance(v, dict) else {}
        names = [*conf.get("names", []), *conf.get("models", []), *conf.get("experiments", [])]
        labels = tuple((str(k), str(val)) for k, val in (conf.get("labels") or {}).items())
        if names or labels:
            maps[platform] = Mapping_(frozenset(str(n).lower() for n in names), labels)
        if not honour_section or v in (None, False):
            continue
        if platform == "mlflow" and req.mlflow is None:
            req = replace(req, mlflow=MlflowTarget(None))
        elif platform == "k8s":
            ns = tuple(conf.get("namespaces") or ([conf["namespace"]] if conf.get("namespace") else []))
            if req.k8s is None:
                req = replace(req, k8s=K8sTarget(conf.get("context"), ns))
            else:
                req = replace(req, k8s=K8sTarget(req.k8s.context or conf.get("context"), req.k8s.namespaces or ns))
        elif platform == "aws":
            if req.aws is None:
                req = replace(req, aws=AwsTarget(conf.get("profile"), conf.get("region")))
            else:
                req = replace(req, aws=AwsTarget(req.aws.profile or conf.get("profile"), req.aws.region or conf.get("region")))
    if honour_section:
        for key in ("timeout", "stale_after_days"):
            if key in sec and (cli is None or getattr(cli, key) == getattr(LiveRequest(), key)):
                req = replace(req, **{key: float(sec[key])})
                if key == "timeout":
                    req = replace(req, budget=6 * float(sec[key]))
    return req, maps


@dataclass
class LiveOutcome:
    findings: list[Finding]  # declared (some replaced) + observed
    warnings: list[Warning_]
    probes: list[ProbeResult]
    links: list[Link]
    contradictions: list[Contradiction]
    declared: Declared
    seconds: float
    original: list[Finding] = field(default_factory=list)  # the declared findings as the repository states them
    answers: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for p in self.probes for o in p.outcomes]

    def observed_answer(self, qid: str, observed_only: AnswerValue) -> str | None:
        """The observed side of a question: what the linked live objects alone give; ``unknown`` when an area that
        feeds it could not be read (never "no" for what was not seen); None when no probe feeds it."""
        feeding = [o for o in self.outcomes if qid in AREA_QUESTIONS.get(o.area, ())]
        if observed_only in (AnswerValue.YES, AnswerValue.PARTIAL):
            return str(observed_only)
        if any(not o.status.known for o in feeding):
            return "unknown"
        return str(AnswerValue.NO) if feeding else None

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoints": [{"platform": p.platform, "endpoint": p.endpoint, "seconds": p.seconds, "calls": list(p.calls)} for p in self.probes],
            "areas": [o.to_json() for o in self.outcomes],
            "observed": sum(len(p.resources) for p in self.probes),
            "linked": [lk.to_json() for lk in self.links[:200]],
            "contradictions": [c.to_json() for c in self.contradictions],
            "answers": self.answers,
            "seconds": round(self.seconds, 3),
        }


def _probe(platform: str, req: LiveRequest, declared: Declared) -> ProbeResult:
    if platform == "mlflow" and req.mlflow is not None:
        from . import mlflow

        return mlflow.probe(req.mlflow, req)
    if platform == "k8s" and req.k8s is not None:
        from . import k8s

        return k8s.probe(req.k8s, req)
    if platform == "aws" and req.aws is not None:
        from . import aws

        return aws.probe(req.aws, req, sorted(declared.buckets))
    raise ValueError(platform)


def observe(index: Any, req: LiveRequest, maps: Mapping[str, Mapping_], declared_findings: Sequence[Finding]) -> LiveOutcome:
    started = time.monotonic()
    declared = collect(index)
    platforms = [p for p in ("mlflow", "k8s", "aws") if getattr(req, p) is not None]
    probes: list[ProbeResult] = []
    with ThreadPoolExecutor(max_workers=max(1, len(platforms)), thread_name_prefix="mlscan-probe") as pool:
        futures = {p: pool.submit(_probe, p, req, declared) for p in platforms}
        for p, fut in futures.items():
            try:
                probes.append(fut.result(timeout=req.budget + req.timeout + 5))
            except Exception as e:  # UsageError (bad --context/--profile) propagates; anything else is an unknown platform
                from ..errors import MlscanError

                if isinstance(e, MlscanError):
                    raise
                from .common import classify, describe

                areas = [a for a in AREA_QUESTIONS if a.startswith(p + ".")]
                probes.append(ProbeResult(p, p, (), tuple(Outcome(p, a, classify(e), describe(e, secret_values())) for a in areas)))
    resources = [r for p in probes for r in p.resources]
    links = link(resources, declared, maps)
    observed = findings(links, req)
    outcomes = [o for p in probes for o in p.outcomes]
    namespaces = req.k8s.namespaces if req.k8s else ()
    contra, replace_ = contradictions(links, declared_findings, declared, outcomes, req, namespaces)
    merged = [replace_.get(id(f), f) for f in declared_findings] + observed
    return LiveOutcome(merged, _warnings(probes, contra), probes, links, contra, declared, time.monotonic() - started, list(declared_findings))


def _warnings(probes: Sequence[ProbeResult], contra: Sequence[Contradiction]) -> list[Warning_]:
    out: list[Warning_] = []
    secrets = secret_values()
    for p in probes:
        failed = [o for o in p.outcomes if not o.status.known]
        if not failed:
            continue
        if len(failed) == len(p.outcomes) and len({(o.status, o.message) for o in failed}) == 1:
            o = failed[0]
            out.append(Warning_(f"live-{o.status}", f"{p.platform} ({scrub(p.endpoint, secrets)}): {o.status}: {scrub(o.message, secrets)}; "
                                                    "everything it would show is unknown", None))
            continue
        for o in failed:
            out.append(Warning_(f"live-{o.status}", f"{p.platform} {o.area}: {o.status}: {scrub(o.message, secrets)}; what it would show is unknown",
                                None))
    for c in contra:
        out.append(Warning_("live-contradiction", f"{c.question}: {c.message}", c.path))
    return out


def split_sources(all_findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    declared = [f for f in all_findings if f.source != Source.OBSERVED]
    observed = [f for f in all_findings if f.source == Source.OBSERVED]
    return declared, observed


__all__ = ["LiveOutcome", "LiveRequest", "Status", "check_extras", "merge", "observe", "split_sources"]
