"""Platform signals: Kubernetes manifests/Helm/Kustomize, docker-compose, autoscaling (HPA, KEDA, KServe,
SageMaker, Ray Serve), distributed training (training-operator/Ray jobs, torch.distributed, DeepSpeed,
Horovod, Spark ML...), infrastructure as code with ML resources, feature stores. Scalability radar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops
from mlscan.facts.autoscaling import k8s_autoscaling, python_autoscaling
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_DIST_KINDS = {"PyTorchJob": "pytorchjob", "TFJob": "tfjob", "MPIJob": "mpijob", "XGBoostJob": "xgboostjob", "PaddleJob": "paddlejob",
               "TrainJob": "kubeflow-trainer", "RayJob": "ray", "SparkApplication": "spark", "ScheduledSparkApplication": "spark"}
_DIST_PY = (("torch.distributed.init_process_group", "torch.distributed"), ("torch.distributed.launch", "torch.distributed"),
            ("torch.distributed.run", "torch.distributed"), ("torch.distributed.fsdp.", "torch.distributed"),
            ("torch.nn.parallel.DistributedDataParallel", "torch.distributed"), ("deepspeed.initialize", "deepspeed"),
            ("horovod.", "horovod"), ("ray.train.", "ray-train"), ("pyspark.ml.", "spark-ml"), ("accelerate.Accelerator", "accelerate"),
            ("tensorflow.distribute.MirroredStrategy", "tf.distribute"), ("tensorflow.distribute.MultiWorkerMirroredStrategy", "tf.distribute"),
            ("tensorflow.distribute.TPUStrategy", "tf.distribute"), ("tensorflow.distribute.experimental.", "tf.distribute"), ("dask_ml.", "dask"),
            ("xgboost.dask.", "dask"), ("xgboost_ray.", "ray-train"), ("lightgbm_ray.", "ray-train"))
_DIST_CMDS = lazy_re(r"^(torchrun|deepspeed|horovodrun|mpirun|accelerate\s+launch|python3?\s+-m\s+torch\.distributed\.(run|launch))\b")
_ML_TF = ("aws_sagemaker_", "google_vertex_ai_", "azurerm_machine_learning_", "databricks_", "google_ml_engine_")
_FEATURE = (("feast.", "feast"), ("tecton.", "tecton"), ("sagemaker.feature_store.", "sagemaker"), ("hsfs.", "hopsworks"),
            ("hopsworks.", "hopsworks"), ("databricks.feature_store.", "databricks"), ("databricks.feature_engineering.", "databricks"),
            ("google.cloud.aiplatform.Featurestore", "vertex"), ("google.cloud.aiplatform.FeatureOnlineStore", "vertex"), ("featureform.", "featureform"))
_TF_FEATURE = {"aws_sagemaker_feature_group": "sagemaker", "google_vertex_ai_featurestore": "vertex", "google_vertex_ai_feature_online_store": "vertex"}
# Python files that name distributed training, a feature store or autoscaling (words as before) ...
NEEDLES = (b"distributed", b"deepspeed", b"horovod", b"ray", b"pyspark", b"accelerate", b"dask", b"strategy", b"feast", b"tecton",
           b"feature_store", b"feature_engineering", b"hsfs", b"hopsworks", b"Featurestore", b"FeatureOnlineStore", b"featureform",
           b"register_scalable_target", b"autoscaling_config", b"ScaleSettings")
# ... and spell out an API the calls are matched against: the module words of each _DIST_PY/_FEATURE prefix (a
# qualified name's words all appear in its import and call; a prefix's last segment may be partial, so it is dropped
# unless the prefix ends with a dot), Lightning, and the autoscaling calls of python_autoscaling
LIBRARIES = (*dict.fromkeys((p[:-1] if p.endswith(".") else p.rsplit(".", 1)[0]).encode() for p, _t in _DIST_PY + _FEATURE),
             b"lightning", b"register_scalable_target", b"ray.serve", b"TargetUtilizationScaleSettings")
# Each tool with the module words a file must name to be reported for it: only the first file per tool is reported,
# so once a tool is known a file that can only add known tools is not parsed (a feature store's own repository
# names it in every file). Autoscaling calls are reported in every file: their words always need the parse.
_TOOL_WORDS = tuple(((p[:-1] if p.endswith(".") else p.rsplit(".", 1)[0]).encode(), t, kind)
                    for pairs, kind in ((_DIST_PY, "dist"), (_FEATURE, "feature")) for p, t in pairs)
_AUTOSCALING_WORDS = (b"register_scalable_target", b"ray.serve", b"TargetUtilizationScaleSettings")
_LIGHTNING_TOOLS = tuple(f"lightning-{s}" for s in ("ddp", "deepspeed", "fsdp", "horovod"))


class InfraPlatform(Detector):
    """Kubernetes/compose/IaC platform, autoscaling, distributed training and feature stores (Scalability radar)."""

    id = "infra.platform"
    questions = ()
    globs = (*ops.YAML_GLOBS, "**/*.tf", "**/*.py", "**/cdk.json", "**/Pulumi.yaml", "**/*.bicep", "**/*.sh", "**/Dockerfile")
    signals = ("infra.kubernetes", "infra.compose", "scale.autoscaling", "scale.distributed_training", "infra.iac", "featurestore")
    # Kubernetes/compose/CloudFormation YAML and JSON, Terraform, IaC files, commands, or Python naming a library first
    needs_any = (Need((*ops.YAML_GLOBS, "**/*.json", "**/*.template", "**/*.tf", "**/*.bicep", "**/Kustomization")),
                 *needs_of(ops.COMMAND_LINE_NEEDS), Need(("**/*.py", "**/*.ipynb"), words=LIBRARIES))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield from self._kubernetes(index)
        for e in index.select(("**/docker-compose*.yml", "**/docker-compose*.yaml", "**/compose.yml", "**/compose.yaml")):
            doc = next(iter(index.yaml(e.path)), None)
            if isinstance(doc, dict) and isinstance(doc.get("services"), dict) and doc["services"]:
                yield self.found("infra.compose", index, e.path, doc.line_of("services"), strength=Strength.MEDIUM,
                                 attrs={"services": len(doc["services"])})
        dist: dict[str, tuple[str, int | None, str | None]] = {}
        for e, doc in ops.k8s_docs(index):
            if doc["kind"] in _DIST_KINDS:
                dist.setdefault(_DIST_KINDS[doc["kind"]], (e.path, doc.line_of("kind"), None))
        feature: dict[str, tuple[str, int | None, str | None]] = {}
        for e in index.select(("**/feature_store.yaml", "**/feature_store.yml")):
            doc = next(iter(index.yaml(e.path)), None)
            if isinstance(doc, dict) and "project" in doc and ("registry" in doc or "provider" in doc):
                feature.setdefault("feast", (e.path, doc.line_of("project"), None))
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not (index.mentions(e.path, LIBRARIES) and index.mentions(e.path, NEEDLES)):
                continue
            if not _may_add(index, e, dist, feature):
                continue
            al, calls = ops.py_calls(index, e)  # parses the file
            for c in calls:
                line, snip = ops.locate(index, e, c.line)
                tool = next((t for p, t in _DIST_PY if c.qual.startswith(p)), None) or _lightning(c)
                if tool:
                    dist.setdefault(tool, (e.path, line, snip))
                tool = next((t for p, t in _FEATURE if c.qual.startswith(p)), None)
                if tool:
                    feature.setdefault(tool, (e.path, line, snip))
                tool = python_autoscaling(c)
                if tool:
                    yield self.found("scale.autoscaling", index, e.path, line, snippet=snip, attrs={"tool": tool, "enabled": True})
        for cmd_path, line, text in ops.command_lines(index):
            m = _DIST_CMDS.match(text)
            if m:
                dist.setdefault(m.group(1).split()[0], (cmd_path, line, None))
        for tool, (path, line, snip) in dist.items():
            yield self.found("scale.distributed_training", index, path, line, snippet=snip, attrs={"tool": tool})
        yield from self._iac(index, feature)
        for tool, (path, line, snip) in feature.items():
            yield self.found("featurestore", index, path, line, snippet=snip, attrs={"tool": tool})

    def _kubernetes(self, index: FileIndex) -> Iterator[Finding]:
        groups: dict[str, list[tuple[FileEntry, Any]]] = {}
        for e, doc in ops.k8s_docs(index):
            chart = index.chart_dir(e.vpath, virtual=True)
            groups.setdefault("manifests" if chart is None else f"helm:{chart}", []).append((e, doc))
            tool, enabled = k8s_autoscaling(index, e, doc, chart)
            if tool:
                yield self.found("scale.autoscaling", index, e.path, doc.line_of("kind"), strength=Strength.STRONG if enabled else Strength.WEAK,
                                 attrs={"tool": tool, "enabled": enabled})
        docs = groups.get("manifests", [])
        if docs:
            files = sorted({e.path for e, _d in docs})
            e0, d0 = next((e, d) for e, d in docs if e.path == files[0])
            extra = tuple(self.evidence(index, p, 1, strength=Strength.MEDIUM) for p in files[1:4])
            yield self.found("infra.kubernetes", index, e0.path, d0.line_of("apiVersion"), strength=Strength.MEDIUM, extra=extra,
                             attrs={"tool": "manifests", "kinds": sorted({str(d["kind"]) for _e, d in docs}), "files": len(files)})
        for e in index.select(("**/Chart.yaml",)):
            chart = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
            docs = groups.get(f"helm:{chart}", [])
            extra = tuple(self.evidence(index, p, 1, strength=Strength.MEDIUM) for p in sorted({f.path for f, _d in docs})[:3])
            yield self.found("infra.kubernetes", index, e.path, 1, strength=Strength.MEDIUM, extra=extra,
                             attrs={"tool": "helm", "chart": chart, "kinds": sorted({str(d["kind"]) for _e, d in docs}), "files": len(extra)})
        for e in index.select(("**/kustomization.yaml", "**/kustomization.yml", "**/Kustomization")):
            doc = next(iter(index.yaml(e.path)), None)
            if isinstance(doc, dict) and any(k in doc for k in ("resources", "bases", "components", "patches", "helmCharts")):
                yield self.found("infra.kubernetes", index, e.path, 1, strength=Strength.MEDIUM, attrs={"tool": "kustomize", "kinds": ["Kustomization"]})
                break

    def _iac(self, index: FileIndex, feature: dict) -> Iterator[Finding]:
        first: tuple[str, int] | None = None
        ml: tuple[str, int] | None = None
        count = 0
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                if b.kind != "resource":
                    continue
                count += 1
                first = first or (e.path, b.line)
                if b.type.startswith(_ML_TF):
                    ml = ml or (e.path, b.line)
                if b.type in _TF_FEATURE:
                    feature.setdefault(_TF_FEATURE[b.type], (e.path, b.line, None))
        if first:
            path, line = ml or first
            yield self.found("infra.iac", index, path, line, strength=Strength.MEDIUM, attrs={"tool": "terraform", "ml_resources": ml is not None, "resources": count})
        cfn = None
        for e in index.select((*ops.YAML_GLOBS, "**/*.template", "**/*.json")):
            if not index.contains(e.path, (b"AWS::",)) or not index.contains(e.path, (b"Resources",)):
                continue
            docs = index.yaml(e.path) if e.suffix != ".json" else [index.json(e.path)]
            for doc in docs:
                res = doc.get("Resources") if isinstance(doc, dict) else None
                types = [str(r.get("Type", "")) for r in res.values() if isinstance(r, dict)] if isinstance(res, dict) else []
                if any(t.startswith("AWS::") for t in types) and (cfn is None or (not cfn[2] and any(t.startswith("AWS::SageMaker::") for t in types))):
                    cfn = (e.path, doc.line_of("Resources") if hasattr(doc, "line_of") else None, any(t.startswith("AWS::SageMaker::") for t in types))
        if cfn:
            yield self.found("infra.iac", index, cfn[0], cfn[1], strength=Strength.MEDIUM, attrs={"tool": "cloudformation", "ml_resources": cfn[2]})
        for glob, tool, needles in (("**/cdk.json", "cdk", (b"aws_sagemaker", b"aws-sagemaker")),
                                    ("**/Pulumi.yaml", "pulumi", (b"sagemaker", b"vertex", b"machinelearningservices")),
                                    ("**/*.bicep", "bicep", (b"Microsoft.MachineLearningServices",))):
            hits = index.select((glob,))
            if hits:
                pool = index.select(("**/*.bicep",)) if tool == "bicep" else index.select(("**/*.py", "**/*.ts"))
                ml_hit = any(index.contains(p.path, needles) for p in pool)
                yield self.found("infra.iac", index, hits[0].path, 1, strength=Strength.MEDIUM, attrs={"tool": tool, "ml_resources": ml_hit})


def _may_add(index: FileIndex, e: FileEntry, dist: dict[str, Any], feature: dict[str, Any]) -> bool:
    """Can the file add a finding: an autoscaling call, or a tool not found yet whose module it names?"""
    if index.mentions(e.path, _AUTOSCALING_WORDS):
        return True
    if index.mentions(e.path, (b"lightning",)) and not all(t in dist for t in _LIGHTNING_TOOLS):
        return True
    return any(t not in (dist if kind == "dist" else feature) and index.mentions(e.path, (words,)) for words, t, kind in _TOOL_WORDS)


def _lightning(c: ops.PyCall) -> str | None:
    if c.attr == "Trainer" and c.qual.startswith(("pytorch_lightning", "lightning")):
        strategy = c.kw_value("strategy")
        if isinstance(strategy, str) and re.search(r"ddp|deepspeed|fsdp|horovod", strategy):
            return "lightning-" + re.search(r"ddp|deepspeed|fsdp|horovod", strategy).group(0)
    return None
