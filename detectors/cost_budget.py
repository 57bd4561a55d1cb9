"""Cloud cost controls (seed 003's cost management for GPU workloads): budgets with or without alert
notifications (Terraform, CloudFormation) and GPU spend tracking (Kubecost/OpenCost installed by Helm, Argo CD,
Flux or Terraform; AWS cost and usage reports). Feeds google3 COST.budget and COST.tracking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops
from mlscan.index import FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_TF_BUDGETS = {"aws_budgets_budget": ("aws-budgets", "notification"), "google_billing_budget": ("gcp-billing-budget", "threshold_rules"),
               "azurerm_consumption_budget_subscription": ("azure-budget", "notification"),
               "azurerm_consumption_budget_resource_group": ("azure-budget", "notification")}
_COST_CHARTS = {"cost-analyzer": "kubecost", "kubecost": "kubecost", "opencost": "opencost"}
_COST_IMAGES = lazy_re(r"(kubecost/cost-model|opencost/opencost|kubecost/frontend)")


class CostBudget(Detector):
    """Cloud budgets with alert notifications and GPU spend tracking (Kubecost, OpenCost, cost reports); feeds google3 COST.*."""

    id = "cost.budget"
    questions = ()
    globs = ("**/*.tf", *ops.YAML_GLOBS, "**/*.json")
    signals = ("cost.budget", "cost.monitoring")
    needs_any = (Need(("**/*.tf", *ops.YAML_GLOBS, "**/*.json")),)  # it reads nothing else

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                if b.kind == "resource" and b.type in _TF_BUDGETS:
                    tool, alert_key = _TF_BUDGETS[b.type]
                    alert = ops.tf_has(b, alert_key)
                    yield self.found("cost.budget", index, e.path, b.line, strength=Strength.STRONG if alert else Strength.MEDIUM,
                                     attrs={"tool": tool, "alert": alert})
                elif b.kind == "resource" and b.type == "helm_release":
                    chart = re.search(r'(?m)^\s*chart\s*=\s*"([^"]+)"', b.body)
                    tool = _COST_CHARTS.get(chart.group(1).rsplit("/", 1)[-1]) if chart else None
                    if tool:
                        yield self.found("cost.monitoring", index, e.path, b.line, attrs={"tool": tool, "via": "terraform-helm"})
                elif b.kind == "resource" and b.type == "aws_cur_report_definition":
                    yield self.found("cost.monitoring", index, e.path, b.line, attrs={"tool": "aws-cur", "via": "terraform"})
        for e in index.select(ops.YAML_GLOBS + ("**/*.json",)):
            if not index.contains(e.path, (b"Budgets", b"cost-analyzer", b"kubecost", b"opencost")):
                continue
            docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
            for doc in docs:
                yield from self._doc(index, e.path, e.name, doc)

    def _doc(self, index: FileIndex, path: str, name: str, doc: Any) -> Iterator[Finding]:
        if not isinstance(doc, dict):
            return
        resources = doc.get("Resources")
        if isinstance(resources, dict):  # CloudFormation
            for key, res in resources.items():
                if isinstance(res, dict) and res.get("Type") == "AWS::Budgets::Budget":
                    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
                    alert = bool(props.get("NotificationsWithSubscribers"))
                    line = resources.line_of(key) if hasattr(resources, "line_of") else None
                    yield self.found("cost.budget", index, path, line, strength=Strength.STRONG if alert else Strength.MEDIUM,
                                     attrs={"tool": "aws-budgets", "alert": alert})
        if name in ("Chart.yaml", "requirements.yaml"):
            for i, dep in enumerate(doc.get("dependencies") or []):
                tool = _COST_CHARTS.get(str(dep.get("name", ""))) if isinstance(dep, dict) else None
                if tool:
                    yield self.found("cost.monitoring", index, path, doc["dependencies"].line_of(i), attrs={"tool": tool, "via": "helm"})
                    return
        for d in ops.walk_dicts(doc):
            chart = d.get("chart")
            chart_name = chart.get("spec", {}).get("chart") if isinstance(chart, dict) and isinstance(chart.get("spec"), dict) else chart
            tool = _COST_CHARTS.get(str(chart_name).rsplit("/", 1)[-1]) if isinstance(chart_name, str) else None
            image = d.get("image")
            if tool is None and isinstance(image, str) and _COST_IMAGES.search(image):
                tool = "opencost" if "opencost" in image else "kubecost"
            if tool:  # Argo CD Application / Flux HelmRelease / manifests running the cost model
                line = d.line_of("chart" if "chart" in d else "image") if hasattr(d, "line_of") else None
                yield self.found("cost.monitoring", index, path, line, attrs={"tool": tool, "via": "kubernetes"})
                return
