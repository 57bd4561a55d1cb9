"""Kubernetes CronJobs whose containers run training (``suspend: true`` = switched off); feeds M1."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import dig, line_of, trainingish
from mlscan.facts.schedules import cron_resource
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


class K8sCronJob(Detector):
    """Kubernetes batch CronJobs running training containers; feeds M1."""

    id = "k8s.cronjob"
    questions = ("M1",)
    globs = ops.YAML_GLOBS
    needs = ops.YAML_GLOBS
    needs_text = (b"apiVersion",)
    signals = ("schedule.training",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, d in ops.k8s_docs(index):
            if d.get("kind") != "CronJob" or not str(d.get("apiVersion", "")).startswith("batch/") or e.test:
                continue
            spec = dig(d, "spec")
            pod_spec = dig(spec, "jobTemplate", "spec", "template", "spec")
            texts = [ops.k8s_name(d)]
            containers = [c for k in ("containers", "initContainers") if isinstance(pod_spec.get(k) if isinstance(pod_spec, dict) else None, list) for c in pod_spec[k]]
            for c in containers:
                if isinstance(c, dict):
                    for k in ("name", "image", "command", "args"):
                        v = c.get(k)
                        texts += [v] if isinstance(v, str) else [str(x) for x in v] if isinstance(v, list) else []
            if not trainingish(*texts):
                continue
            active = bool((c := cron_resource(d)) and c[1])  # ``suspend: true``: switched off (the shared schedule judgement)
            yield self.found("schedule.training", index, e.path, line_of(spec, "schedule"), strength=Strength.STRONG if active else Strength.WEAK,
                             attrs={"tool": "kubernetes", "cron": str(dig(spec, "schedule") or ""), "active": active, "trigger": "cron"})
