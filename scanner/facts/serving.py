"""How models are served, as configuration says it: serving images and server commands, model-loading calls,
Kubernetes serving and release resources (KServe, Seldon, Ray Serve, Argo Rollouts, Flagger, Istio routing,
Deployments that serve a model) and managed endpoints declared in YAML (Azure ML, Databricks bundles,
CloudFormation). Each resource yields (signal, line, attributes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlscan.facts.ops import PyCall, k8s_name

from ..lazyre import lazy_re

_IMAGES = (("tensorflow/serving", "tf-serving"), ("tritonserver", "triton"), ("torchserve", "torchserve"), ("mlserver", "mlserver"),
           ("seldon", "seldon"), ("bentoml", "bentoml"), ("vllm", "vllm"), ("text-generation-inference", "tgi"), ("kserve", "kserve"))
_SERVE_CMDS = (("seldon-core-microservice", "seldon"), ("mlserver start", "mlserver"), ("torchserve --start", "torchserve"),
               ("tritonserver", "triton"), ("bentoml serve", "bentoml"), ("mlflow models serve", "mlflow"),
               ("tensorflow_model_server", "tf-serving"), ("serve run", "ray-serve"))
_MODELISH = lazy_re(r"model|predict|inference|scor(e|ing)|serving|classifier|regressor|recommend", re.I)
_LOADERS = ("joblib.", "pickle.", "cloudpickle.", "dill.", "mlflow.", "torch.", "tensorflow.", "keras.", "xgboost.", "lightgbm.",
            "catboost.", "onnxruntime.", "transformers.", "sentence_transformers.", "bentoml.", "skops.")


# the libraries of _LOADERS by name: a file whose text names none of them imports none, so none of its calls loads a model
LOADER_MODULES = tuple(m.rstrip(".") for m in _LOADERS)


def names_loader_library(text: str) -> bool:
    """Can ``loads_model`` hold for a file with this source? Its calls are qualified through its imports, which name
    the library (a template's text is rendered before it is parsed: only then is this not known)."""
    return any(m in text for m in LOADER_MODULES) or "{{" in text or "{%" in text


def loads_model(calls: list[PyCall]) -> bool:
    """Some call loads a model through an ML or serialisation library (``joblib.load``, ``from_pretrained`` ...)."""
    return any(x.qual.startswith(_LOADERS) and re.search(r"load|from_pretrained|InferenceSession|pipeline|Booster|get", x.attr) for x in calls)


def serving_image(image: str) -> str | None:
    ref = image.split()[0].lower() if image.split() else ""
    return next((t for needle, t in _IMAGES if needle in ref), None)



def serve_command(text: str) -> str | None:
    """The model server a command line starts (``tritonserver``, ``bentoml serve`` ...)."""
    return next((t for c, t in _SERVE_CMDS if c in text), None)


def k8s_serving(doc: Any) -> Iterator[tuple[str, int, dict]]:
    api, kind = doc["apiVersion"], doc["kind"]
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    line = doc.line_of("kind")
    if api.startswith("serving.kserve.io") and kind == "InferenceService":
        yield "serving.k8s", line, {"tool": "kserve"}
        pred = spec.get("predictor") if isinstance(spec.get("predictor"), dict) else {}
        anns = (doc.get("metadata") or {}).get("annotations") or {}
        if "canaryTrafficPercent" in pred or "serving.kserve.io/canaryTrafficPercent" in anns:
            yield "deploy.canary", pred.line_of("canaryTrafficPercent") if "canaryTrafficPercent" in pred else line, {"kind": "canary", "tool": "kserve"}
    elif api.startswith("machinelearning.seldon.io") and kind == "SeldonDeployment":
        yield "serving.k8s", line, {"tool": "seldon"}
        preds = [p for p in spec.get("predictors") or [] if isinstance(p, dict)]
        if any(p.get("shadow") is True for p in preds):
            yield "deploy.canary", line, {"kind": "shadow", "tool": "seldon"}
        elif sum(1 for p in preds if p.get("traffic")) > 1:
            yield "deploy.canary", line, {"kind": "ab", "tool": "seldon"}
    elif api.startswith("mlops.seldon.io") and kind in ("Model", "Experiment"):
        if kind == "Model":
            yield "serving.k8s", line, {"tool": "seldon"}
        else:
            yield "deploy.canary", line, {"kind": "shadow" if spec.get("mirror") else "ab", "tool": "seldon"}
    elif api.startswith("ray.io") and kind == "RayService":
        yield "serving.k8s", line, {"tool": "ray-serve"}
    elif api.startswith("argoproj.io") and kind == "Rollout":
        strategy = spec.get("strategy") if isinstance(spec.get("strategy"), dict) else {}
        if isinstance(strategy.get("canary"), dict):
            yield "deploy.canary", strategy.line_of("canary"), {"kind": "canary", "tool": "argo-rollouts"}
            if "analysis" in str(strategy["canary"]):
                yield "deploy.rollback", strategy.line_of("canary"), {"tool": "argo-rollouts", "automatic": True}
        if isinstance(strategy.get("blueGreen"), dict):
            yield "deploy.rollback", strategy.line_of("blueGreen"), {"tool": "argo-rollouts", "kind": "blue_green", "automatic": False}
    elif api.startswith("flagger.app") and kind == "Canary":
        yield "deploy.canary", line, {"kind": "canary", "tool": "flagger"}
    elif api.startswith("networking.istio.io") and kind == "VirtualService":
        for route in spec.get("http") or []:
            if isinstance(route, dict) and route.get("mirror"):
                yield "deploy.canary", route.line, {"kind": "shadow", "tool": "istio"}
                return
            dests = route.get("route") if isinstance(route, dict) and isinstance(route.get("route"), list) else []
            if sum(1 for d in dests if isinstance(d, dict) and "weight" in d) > 1:
                yield "deploy.canary", route.line, {"kind": "canary", "tool": "istio"}
                return
    elif kind in ("Deployment", "StatefulSet"):
        pod = (spec.get("template") or {}).get("spec") or {}
        for cont in pod.get("containers") or [] if isinstance(pod, dict) else []:
            image = str(cont.get("image", "")) if isinstance(cont, dict) else ""
            tool = serving_image(image) or next((t for c, t in _SERVE_CMDS if c in str(cont.get("command", "")) + str(cont.get("args", ""))), None)
            if tool or _MODELISH.search(f"{k8s_name(doc)} {image}"):
                yield "serving.k8s", line, {"tool": tool or "kubernetes"}
                return



def managed_endpoints(doc: Any) -> Iterator[tuple[str, int, dict]]:
    if not isinstance(doc, dict):
        return
    schema = str(doc.get("$schema", ""))
    if re.search(r"(managed|kubernetes)Online(Deployment|Endpoint)", schema):
        yield "serving.managed", doc.line_of("$schema"), {"tool": "azureml"}
    if str(doc.get("computeType", "")).upper() in ("AKS", "ACI"):
        yield "serving.managed", doc.line_of("computeType"), {"tool": "azureml"}
    res = doc.get("resources") if isinstance(doc.get("resources"), dict) else {}
    if isinstance(res.get("model_serving_endpoints"), dict):
        yield "serving.managed", res.line_of("model_serving_endpoints"), {"tool": "databricks"}
    cfn = doc.get("Resources") if isinstance(doc.get("Resources"), dict) else {}
    for name, r in cfn.items():
        if isinstance(r, dict) and r.get("Type") == "AWS::SageMaker::Endpoint":
            yield "serving.managed", cfn.line_of(name), {"tool": "sagemaker"}
            if "AutoRollbackConfiguration" in str(r.get("Properties")):
                yield "deploy.rollback", cfn.line_of(name), {"tool": "sagemaker", "automatic": True}
