"""Autoscaling, as manifests and code declare it: HorizontalPodAutoscalers, KEDA ScaledObjects, VPAs, KServe
predictors with a replica range, Seldon ``hpaSpec``, Ray in-tree autoscaling, Knative services (switched off when a
Helm ``{{ if .Values.x }}`` guard's value is false), and the SageMaker, Ray Serve and Azure ML autoscaling calls."""

from __future__ import annotations

import re
from typing import Any

from mlscan.facts.ops import PyCall, chart_values, value_at
from mlscan.index import FileEntry, FileIndex

_AUTOSCALE_KINDS = {"HorizontalPodAutoscaler": "hpa", "ScaledObject": "keda", "VerticalPodAutoscaler": "vpa"}


def k8s_autoscaling(index: FileIndex, e: FileEntry, doc: Any, chart: str | None) -> tuple[str | None, bool]:
    """(tool, enabled) of a Kubernetes document that autoscales, (None, False) for any other."""
    kind, api = doc["kind"], doc["apiVersion"]
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    tool = _AUTOSCALE_KINDS.get(kind)
    if kind == "InferenceService" and api.startswith("serving.kserve.io"):
        pred = spec.get("predictor") if isinstance(spec.get("predictor"), dict) else {}
        lo, hi = pred.get("minReplicas"), pred.get("maxReplicas")
        tool = "kserve" if isinstance(hi, int) and hi > (lo if isinstance(lo, int) else 1) else None
    elif kind == "SeldonDeployment" and "hpaSpec" in str(spec):
        tool = "seldon"
    elif kind in ("RayService", "RayCluster") and "enableInTreeAutoscaling': True" in str(spec):
        tool = "ray"
    elif kind == "Service" and api.startswith("serving.knative.dev"):
        tool = "knative"
    if tool is None:
        return None, False
    guard = re.search(r"\{\{-?\s*if\s+\.Values\.([\w.]+)\s*-?\}\}", index.text(e.path) or "") if chart is not None else None
    if guard:
        return tool, bool(value_at(chart_values(index, chart or ""), guard.group(1)))
    return tool, True



def python_autoscaling(c: PyCall) -> str | None:
    """The tool of an autoscaling call (SageMaker scalable target, Ray Serve autoscaling_config, Azure ML scale settings)."""
    if c.attr == "register_scalable_target" and "sagemaker" in str(c.kw_value("ScalableDimension") or ""):
        return "sagemaker"
    if c.qual in ("ray.serve.deployment",) and c.has_kw("autoscaling_config"):
        return "ray-serve"
    if c.qual.endswith("TargetUtilizationScaleSettings"):
        return "azureml"
    return None

