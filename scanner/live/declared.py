"""What the repository declares that a live object can be linked to: Kubernetes manifests (kind, name, labels),
names given to models, pipelines, endpoints and experiments in Python and YAML, S3 buckets and ECR
repositories named in URIs. Read through the index (safe YAML loader, ``ast``), never executed."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..index import FileIndex
from ..lazyre import lazy_re

YAML_GLOBS = ("**/*.yaml", "**/*.yml")
PY_GLOBS = ("**/*.py",)
MIN_NAME = 3
# keyword arguments / YAML keys whose string value names an object that lives on a platform
NAME_KEYS = frozenset({
    "registered_model_name", "model_name", "pipeline_name", "endpoint_name", "experiment_name", "model_package_group_name",
    "EndpointName", "PipelineName", "ModelPackageGroupName", "ModelName", "TrainingJobName", "EndpointConfigName", "base_job_name",
    "repository_name", "repositoryName", "monitor_schedule_name", "MonitoringScheduleName", "schedule_name", "rule_name", "AlarmName",
    "alarm_name", "bucket", "Bucket", "bucket_name",
})
# calls whose first (or ``name=``) string argument is a platform object's name
NAME_CALLS = {"set_experiment": 0, "create_experiment": 0, "create_registered_model": 0, "register_model": 1, "get_registered_model": 0,
              "set_registered_model_alias": 0, "transition_model_version_stage": 0, "Pipeline": None, "ModelPackageGroup": None}
_NAME_VARS = frozenset(k.lower() for k in NAME_KEYS)
_S3 = lazy_re(r"^s3a?://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/|$)")
_ECR = lazy_re(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/\-]*?)(?::[\w.\-]+|@sha256:[0-9a-f]{64})?$")
_MODELS_URI = lazy_re(r"^models:/([^/@]+)")


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    name: str
    namespace: str | None
    labels: tuple[tuple[str, str], ...]
    path: str
    line: int


@dataclass
class Declared:
    names: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower-cased name -> first (path, line) that declares it
    manifests: list[Manifest] = field(default_factory=list)
    buckets: set[str] = field(default_factory=set)

    def add(self, name: Any, path: str, line: int) -> None:
        if isinstance(name, str) and len(name.strip()) >= MIN_NAME and "{" not in name and "$" not in name:
            self.names.setdefault(name.strip().lower(), (path, line))

    def where(self, name: str) -> tuple[str, int] | None:
        return self.names.get(name.lower())

    def labelled(self, labels: dict[str, str]) -> Manifest | None:
        """A manifest sharing one of these app labels (``app``, ``app.kubernetes.io/name``, ...)."""
        if not labels:
            return None
        for m in self.manifests:
            if any(labels.get(k) == v for k, v in m.labels):
                return m
        return None

    def manifest(self, kind: str, name: str, namespace: str | None) -> Manifest | None:
        """The repository's manifest of that kind and name (a namespace it sets must match)."""
        for m in self.manifests:
            if m.kind == kind and m.name == name and (m.namespace is None or not namespace or m.namespace == namespace):
                return m
        return None


def collect(index: FileIndex) -> Declared:
    d = Declared()
    for e in index.select(YAML_GLOBS):
        try:
            docs = index.yaml(e.path)
        except Exception:  # the detectors already warned about a malformed file
            continue
        for doc in docs or []:
            if isinstance(doc, dict):
                _yaml_doc(d, doc, e.path)
    for e in index.select(PY_GLOBS):
        if not index.contains(e.path, (b"name", b"Name", b"bucket", b"Bucket", b"s3://", b"s3a://", b"models:/", b".dkr.ecr.", b"registered_model",
                                       b"experiment", b"Pipeline", b"ModelPackageGroup")):
            continue
        tree = index.python(e.path)
        if tree is not None:
            _python(d, tree, e.path)
    return d


def _line(node: Any, key: str | None = None) -> int:
    if key is not None and hasattr(node, "line_of"):
        try:
            return int(node.line_of(key) or 1)
        except Exception:
            return int(getattr(node, "line", 1) or 1)
    return int(getattr(node, "line", 1) or 1)


def _yaml_doc(d: Declared, doc: dict[str, Any], path: str) -> None:
    meta = doc.get("metadata")
    if isinstance(doc.get("kind"), str) and isinstance(doc.get("apiVersion"), str) and isinstance(meta, dict) and isinstance(meta.get("name"), str):
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        line = _line(doc, "kind")
        d.manifests.append(Manifest(doc["kind"], meta["name"], meta.get("namespace") if isinstance(meta.get("namespace"), str) else None,
                                    tuple((str(k), str(v)) for k, v in labels.items()), path, line))
        d.add(meta["name"], path, line)
        for k in ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance"):
            if isinstance(labels.get(k), str):
                d.add(labels[k], path, line)
    for node, key, value in _walk(doc):
        if isinstance(value, str):
            if key in NAME_KEYS:
                d.add(value, path, _line(node, key))
            _uri(d, value, path, _line(node, key))


def _walk(node: Any, depth: int = 0) -> Iterator[tuple[Any, str, Any]]:
    if depth > 30:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, str(k), v
            if isinstance(v, (dict, list)):
                yield from _walk(v, depth + 1)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, (dict, list)):
                yield from _walk(v, depth + 1)
            elif isinstance(v, str):
                yield node, "", v


def _uri(d: Declared, value: str, path: str, line: int) -> None:
    v = value.strip()
    m = _S3.match(v)
    if m:
        d.buckets.add(m.group(1))
        d.add(m.group(1), path, line)
        return
    m = _ECR.match(v)
    if m:
        d.add(m.group(1), path, line)
        return
    m = _MODELS_URI.match(v)
    if m:
        d.add(m.group(1), path, line)


def _python(d: Declared, tree: ast.Module, path: str) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else ""
            for kw in node.keywords:
                if kw.arg in NAME_KEYS and isinstance(kw.value, ast.Constant):
                    d.add(kw.value.value, path, node.lineno)
                if kw.arg == "name" and fn in NAME_CALLS and isinstance(kw.value, ast.Constant):
                    d.add(kw.value.value, path, node.lineno)
            pos = NAME_CALLS.get(fn)
            if pos is not None and len(node.args) > pos and isinstance(node.args[pos], ast.Constant):
                d.add(node.args[pos].value, path, node.lineno)
        elif isinstance(node, ast.Dict):  # boto3 request dicts: {"EndpointName": "churn-endpoint", ...}
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value in NAME_KEYS and isinstance(v, ast.Constant):
                    d.add(v.value, path, v.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 300:
            _uri(d, node.value, path, node.lineno)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id.lower() in _NAME_VARS:
                    d.add(node.value.value, path, node.lineno)
