"""GPU workloads and spot capacity (seed 003's cost management for GPU workloads): GPU resource requests in
Kubernetes/compose, GPU instance types and accelerators in Python, Terraform and YAML, and spot/preemptible
capacity (SageMaker managed spot training, spot node selectors, spot node groups). Feeds google3 COST.*."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops
from mlscan.index import FileIndex, register_fact
from mlscan.index.formats import LineDict
from mlscan.lazyre import lazy_re
from mlscan.model import Finding

# AWS p/g families (ml.p3.2xlarge, g5.xlarge, p4d.24xlarge), Azure NC/ND/NV, GCP a2/a3/g2
_GPU_INSTANCE = lazy_re(r"^(ml\.)?(p[2-5][a-z]*|g[3-6][a-z]*|trn1|inf[12])\.[0-9]*x?large$|^Standard_N[CDV]\w*$|^(a2|a3|g2)-\w+$")
_GPU_ACCEL = lazy_re(r"^(NVIDIA_|nvidia-|TPU_|ct[0-9])", re.I)
_GPU_KEYS = ("nvidia.com/gpu", "amd.com/gpu", "cloud.google.com/gke-accelerator")
_SPOT_LABELS = {
    "cloud.google.com/gke-spot": None, "cloud.google.com/gke-preemptible": None, "eks.amazonaws.com/capacityType": "SPOT",
    "karpenter.sh/capacity-type": "spot", "kubernetes.azure.com/scalesetpriority": "spot", "node.kubernetes.io/lifecycle": "spot",
}
_TF_SPOT = lazy_re(r'(?m)^\s*(capacity_type\s*=\s*"SPOT"|preemptible\s*=\s*true|provisioning_model\s*=\s*"SPOT"|spot_price\s*=|priority\s*=\s*"Spot")')
# Python files worth a parse (word pre-filter): the keyword arguments the Python branch reads
NEEDLES = (b"instance_type", b"accelerator_type", b"num_gpus", b"use_spot_instances")


def _file_findings(index: FileIndex, path: str) -> list[Any] | None:
    """The Python branch of the detector for one file, as [signal, line, snippet, attrs] (a file fact: derived once,
    when the file is parsed, and kept between scans): the first GPU instance type/accelerator/GPU count and the first
    spot-instance flag of its calls. None when it does not parse."""
    e = index.entry(path)
    if e is None or index.python(path) is None:
        return None
    out: list[Any] = []
    _al, calls = ops.py_calls(index, e)
    gpu = spot = False
    for c in calls:
        for key in ("instance_type", "accelerator_type", "num_gpus"):
            node = ops.kwarg(c.node, key)
            v = ops.literal(node)
            hit = (isinstance(v, str) and (_GPU_INSTANCE.match(v) or (key == "accelerator_type" and _GPU_ACCEL.match(v)))) or (
                key == "num_gpus" and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0)
            if hit and not gpu and node is not None:
                gpu = True
                line, snip = ops.locate(index, e, node.lineno)
                out.append(["cost.gpu", line, snip, {"kind": "python", "value": str(v)}])
        node = ops.kwarg(c.node, "use_spot_instances")
        if not spot and node is not None and ops.literal(node) is True:
            spot = True
            line, snip = ops.locate(index, e, node.lineno)
            out.append(["cost.spot", line, snip, {"tool": "sagemaker", "for": "training"}])
    return out


FILE_FACTS = register_fact("cost.gpu.file", _file_findings, eager=lambda index, path: index.may_mention(path, NEEDLES))


class CostGpu(Detector):
    """GPU workloads (k8s GPU requests, GPU instance types, accelerators) and spot/preemptible capacity; feeds google3 COST.*."""

    id = "cost.gpu"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, "**/*.tf")
    signals = ("cost.gpu", "cost.spot")
    needs_any = (Need(("**/*.py", "**/*.ipynb"), words=NEEDLES), Need((*ops.YAML_GLOBS, "**/*.tf")))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if index.mentions(e.path, NEEDLES):
                for signal, line, snip, attrs in index.fact(e.path, FILE_FACTS) or ():
                    yield self.found(signal, index, e.path, line, snippet=snip, attrs=attrs)
        for e in index.select(ops.YAML_GLOBS):
            if not index.contains(e.path, (b"gpu", b"accelerator", b"spot", b"preemptible", b"instance_type", b"capacityType",
                                           b"capacity-type", b"scalesetpriority", b"lifecycle")):
                continue
            for doc in index.yaml(e.path):
                yield from self._yaml(index, e.path, doc)
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                m = re.search(r'(instance_type|instance_types|vm_size|machine_type)\s*=\s*\[?\s*"([^"]+)"', b.body)
                if m and _GPU_INSTANCE.match(m.group(2)) or "guest_accelerator" in b.body:
                    yield self.found("cost.gpu", index, e.path, b.line, attrs={"kind": "terraform", "resource": b.type})
                s = _TF_SPOT.search(b.body)
                if s or b.type in ("aws_spot_instance_request", "aws_spot_fleet_request"):
                    yield self.found("cost.spot", index, e.path, b.line, attrs={"tool": "terraform", "resource": b.type, "for": "nodes"})

    def _yaml(self, index: FileIndex, path: str, doc: Any) -> Iterator[Finding]:
        gpu = spot = False
        for d in ops.walk_dicts(doc):
            line = d.line_of if isinstance(d, LineDict) else (lambda _k: None)
            for k, v in d.items():
                if not gpu and isinstance(k, str) and k in _GPU_KEYS and v not in (0, "0", None, ""):
                    gpu = True
                    yield self.found("cost.gpu", index, path, line(k), attrs={"kind": "kubernetes", "resource": k})
                elif not gpu and k == "capabilities" and isinstance(v, list) and "gpu" in v:
                    gpu = True
                    yield self.found("cost.gpu", index, path, line(k), attrs={"kind": "compose"})
                elif not gpu and k in ("instance_type", "instanceType", "accelerator_type") and isinstance(v, str) and (
                    _GPU_INSTANCE.match(v) or _GPU_ACCEL.match(v)
                ):
                    gpu = True
                    yield self.found("cost.gpu", index, path, line(k), attrs={"kind": "config", "value": v})
                if not spot and isinstance(k, str) and k in _SPOT_LABELS and (_SPOT_LABELS[k] is None and v in (True, "true")
                                                                             or str(v).lower() == str(_SPOT_LABELS[k]).lower()):
                    spot = True
                    yield self.found("cost.spot", index, path, line(k), attrs={"tool": "kubernetes", "label": k, "for": "pods"})
                if not spot and (k in ("use_spot", "use_spot_instances", "spot") and v is True
                                 or k in ("market_type", "capacity_type", "capacityType") and str(v).upper() == "SPOT"):
                    spot = True
                    yield self.found("cost.spot", index, path, line(k), attrs={"tool": "config", "key": k, "for": "nodes"})
                if not spot and k == "key" and isinstance(v, str) and v in _SPOT_LABELS and isinstance(d.get("values"), list) and any(
                    str(x).lower() in ("spot", "true") for x in d["values"]
                ):
                    spot = True
                    yield self.found("cost.spot", index, path, line(k), attrs={"tool": "kubernetes", "label": v, "for": "pods"})
