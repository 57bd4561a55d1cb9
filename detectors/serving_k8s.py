"""Model serving and release patterns: KServe/Seldon/Ray Serve/BentoML/TorchServe/Triton and Deployments
that serve a model, managed endpoints (SageMaker, Vertex, Azure ML, Databricks), FastAPI/Flask apps that
load a model, canary/shadow/A-B routing and rollback automation. Feeds T3 and the Scalability radar."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_IMAGES = (("tensorflow/serving", "tf-serving"), ("tritonserver", "triton"), ("torchserve", "torchserve"), ("mlserver", "mlserver"),
           ("seldon", "seldon"), ("bentoml", "bentoml"), ("vllm", "vllm"), ("text-generation-inference", "tgi"), ("kserve", "kserve"))
_SERVE_CMDS = (("seldon-core-microservice", "seldon"), ("mlserver start", "mlserver"), ("torchserve --start", "torchserve"),
               ("tritonserver", "triton"), ("bentoml serve", "bentoml"), ("mlflow models serve", "mlflow"),
               ("tensorflow_model_server", "tf-serving"), ("serve run", "ray-serve"))
_MODELISH = re.compile(r"model|predict|inference|scor(e|ing)|serving|classifier|regressor|recommend", re.I)
_LOADERS = ("joblib.", "pickle.", "cloudpickle.", "dill.", "mlflow.", "torch.", "tensorflow.", "keras.", "xgboost.", "lightgbm.",
            "catboost.", "onnxruntime.", "transformers.", "sentence_transformers.", "bentoml.", "skops.")
_APPS = ("fastapi.FastAPI", "flask.Flask", "starlette.applications.Starlette", "litestar.Litestar", "sanic.Sanic")
_ROLLBACK = re.compile(r"\bhelm\s+rollback\b|kubectl\s+rollout\s+undo|kubectl\s+argo\s+rollouts\s+(abort|undo)|"
                       r"az\s+webapp\s+deployment\s+slot\s+swap", re.I)
_MANAGED = {"aws_sagemaker_endpoint": "sagemaker", "google_vertex_ai_endpoint": "vertex", "databricks_model_serving": "databricks",
            "azurerm_machine_learning_inference_cluster": "azureml"}
# Python files that name a serving API (web app classes, serve/deploy calls, endpoint creation, SageMaker
# variants and rollback configuration, champion/challenger routing) ...
NEEDLES = (b"FastAPI", b"Flask", b"serve", b"bentoml", b"deploy", b"create_endpoint", b"OnlineDeployment", b"Webservice",
           b"ProductionVariants", b"AutoRollbackConfiguration", b"serving_endpoints", b"CfnEndpoint", b"pulumi_aws", b"kserve",
           b"challenger")
# ... and a serving stack _py_call() or the champion/challenger check recognises: web frameworks, Ray Serve, BentoML, KServe,
# managed endpoints (SageMaker incl. CDK/Pulumi, Vertex, Azure ML, Databricks/MLflow deployments) and the boto3-style
# endpoint keywords that need no import
SERVING = (b"fastapi", b"flask", b"starlette", b"litestar", b"sanic", b"ray.serve", b"bentoml", b"kserve", b"sagemaker",
           b"aiplatform", b"azure.ai.ml", b"azureml", b"serving_endpoints", b"mlflow.deployments", b"EndpointName",
           b"ProductionVariants", b"ShadowProductionVariants", b"DeploymentConfig")


class ServingK8s(Detector):
    """Model serving (Kubernetes, frameworks, managed endpoints, web apps), canaries and rollbacks; feeds T3, Scalability."""

    id = "serving.k8s"
    questions = ("T3",)
    globs = (*ops.YAML_GLOBS, "**/*.py", "**/bentofile.yaml", "**/config.pbtxt", "**/config.properties", "**/Dockerfile*", "**/*.tf", "**/*.sh")
    signals = ("serving.k8s", "serving.managed", "serving.app", "deploy.canary", "deploy.rollback")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, doc in ops.k8s_docs(index):
            for signal, line, attrs in _k8s(doc):
                yield self.found(signal, index, e.path, line, strength=Strength.STRONG, attrs=attrs)
        for e in index.select(ops.YAML_GLOBS):
            if index.contains(e.path, (b"managedOnline", b"kubernetesOnline", b"model_serving_endpoints", b"AWS::SageMaker::Endpoint", b"computeType")):
                for doc in index.yaml(e.path):
                    for signal, line, attrs in _managed_yaml(doc):
                        yield self.found(signal, index, e.path, line, strength=Strength.MEDIUM, attrs=attrs)
        for e in index.select(("**/bentofile.yaml",)):
            doc = next(iter(index.yaml(e.path)), None)
            if isinstance(doc, dict) and doc.get("service"):
                yield self.found("serving.k8s", index, e.path, doc.line_of("service"), attrs={"tool": "bentoml"})
        for e in index.select(("**/config.pbtxt", "**/config.properties")):
            text = index.text(e.path) or ""
            tool = "triton" if e.name == "config.pbtxt" and re.search(r"(?m)^\s*(platform|backend)\s*:", text) else \
                "torchserve" if e.name == "config.properties" and re.search(r"(?m)^\s*(inference_address|model_store)\s*=", text) else None
            if tool:
                yield self.found("serving.k8s", index, e.path, 1, attrs={"tool": tool})
        for e in index.select(("**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile")):
            for ins in index.dockerfile(e.path):
                tool = _serving_image(ins.value) if ins.instruction == "FROM" else \
                    next((t for c, t in _SERVE_CMDS if c in ins.value), None) if ins.instruction in ("CMD", "ENTRYPOINT") else None
                if tool:
                    yield self.found("serving.k8s", index, e.path, ins.line, attrs={"tool": tool})
                    break
        yield from self._python(index)
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                if b.kind == "resource" and b.type in _MANAGED:
                    yield self.found("serving.managed", index, e.path, b.line, strength=Strength.STRONG, attrs={"tool": _MANAGED[b.type]})
                if ops.tf_has(b, "auto_rollback_configuration"):
                    yield self.found("deploy.rollback", index, e.path, b.line, strength=Strength.STRONG, attrs={"tool": "sagemaker", "automatic": True})
        automated = {(c.path, c.line) for c in ops.automated_commands(index)}
        for e in index.select(ops.SCRIPT_GLOBS + (".github/workflows/*", "**/*.yml", "**/*.yaml")):
            if not index.contains(e.path, (b"rollback", b"rollout", b"slot swap")):
                continue
            for i, ln in enumerate(index.lines(e.path), start=1):
                m = _ROLLBACK.search(ln)
                if m and not ln.lstrip().startswith("#"):
                    yield self.found("deploy.rollback", index, e.path, i, strength=Strength.STRONG if (e.path, i) in automated else Strength.MEDIUM,
                                     attrs={"tool": m.group(0).split()[0].split("(")[0], "automatic": False})
                    break

    def _python(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if not (index.mentions(e.path, SERVING) and index.mentions(e.path, NEEDLES)):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            al, calls = ops.py_calls(index, e)
            seen: set[str] = set()
            app = any(c.qual in _APPS for c in calls)
            loads = app and (_loads_model(calls) or any(_loads_model(ops.py_calls(index, f)[1]) for f in ops.local_imports(index, e)))
            for c in calls:
                for signal, attrs in _py_call(c, al, loads):
                    if signal not in seen:
                        seen.add(signal)
                        line, snip = ops.locate(index, e, c.line)
                        yield self.found(signal, index, e.path, line, snippet=snip, attrs=attrs)
            if ops.imports_module(al, "fastapi", "flask", "starlette", "ray.serve", "bentoml", "litestar", "sanic"):
                lines = _mentions(tree, "challenger")
                if lines and _mentions(tree, "champion"):
                    line, snip = ops.locate(index, e, lines[0])
                    yield self.found("deploy.canary", index, e.path, line, snippet=snip, attrs={"kind": "champion_challenger", "tool": "app"})


def _loads_model(calls: list[ops.PyCall]) -> bool:
    return any(x.qual.startswith(_LOADERS) and re.search(r"load|from_pretrained|InferenceSession|pipeline|Booster|get", x.attr) for x in calls)


def _py_call(c: ops.PyCall, al: dict[str, str], loads: bool) -> Iterator[tuple[str, dict]]:
    q = c.qual
    if q in _APPS and loads:
        yield "serving.app", {"framework": q.split(".")[0]}
    if q in ("ray.serve.deployment", "ray.serve.run") or q.startswith("bentoml.service") or q == "bentoml.Service":
        yield "serving.k8s", {"tool": "ray-serve" if q.startswith("ray") else "bentoml"}
    if q.startswith(("kserve.V1beta1InferenceService", "kserve.KServeClient")):
        yield "serving.k8s", {"tool": "kserve"}
    if c.attr == "deploy" and ops.imports_module(al, "sagemaker") and any(ops.kwarg(c.node, k) is not None for k in ("initial_instance_count", "instance_type", "endpoint_name", "serverless_inference_config")):
        yield "serving.managed", {"tool": "sagemaker"}
    if c.attr == "create_endpoint" and ops.kwarg(c.node, "EndpointName") is not None or \
            q in ("aws_cdk.aws_sagemaker.CfnEndpoint", "pulumi_aws.sagemaker.Endpoint"):
        yield "serving.managed", {"tool": "sagemaker"}
    if c.attr in ("deploy", "create") and ops.imports_module(al, "google.cloud.aiplatform") and ("Endpoint" in c.text or ops.kwarg(c.node, "machine_type") is not None):
        yield "serving.managed", {"tool": "vertex"}
    if q.startswith(("azure.ai.ml.entities.ManagedOnline", "azure.ai.ml.entities.KubernetesOnline")) or \
            (c.attr in ("deploy", "deploy_configuration") and q.startswith("azureml.core")):
        yield "serving.managed", {"tool": "azureml"}
    if "serving_endpoints.create" in c.text or (c.attr == "create_endpoint" and ops.imports_module(al, "mlflow.deployments")):
        yield "serving.managed", {"tool": "databricks"}
    variants = ops.kwarg(c.node, "ProductionVariants")
    if variants is not None and isinstance(ops.literal(variants), list) and len(ops.literal(variants)) > 1:
        yield "deploy.canary", {"kind": "ab", "tool": "sagemaker"}
    if ops.kwarg(c.node, "ShadowProductionVariants") is not None:
        yield "deploy.canary", {"kind": "shadow", "tool": "sagemaker"}
    if any(k.arg == "DeploymentConfig" and "AutoRollbackConfiguration" in _unparse(k.value) for k in c.node.keywords):
        yield "deploy.rollback", {"tool": "sagemaker", "automatic": True}


def _mentions(tree: ast.AST, word: str) -> list[int]:
    """Lines where an identifier or string names ``word`` (routing between champion and challenger models)."""
    out = []
    docs = {id(n.value) for n in walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for n in walk(tree):
        if id(n) in docs:
            continue
        text = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else ""
        if word in text.lower() and hasattr(n, "lineno"):
            out.append(n.lineno)
    return sorted(out)


def _unparse(node: Any) -> str:
    return ast.unparse(node)


def _serving_image(image: str) -> str | None:
    ref = image.split()[0].lower() if image.split() else ""
    return next((t for needle, t in _IMAGES if needle in ref), None)


def _k8s(doc: Any) -> Iterator[tuple[str, int, dict]]:
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
            tool = _serving_image(image) or next((t for c, t in _SERVE_CMDS if c in str(cont.get("command", "")) + str(cont.get("args", ""))), None)
            if tool or _MODELISH.search(f"{ops.k8s_name(doc)} {image}"):
                yield "serving.k8s", line, {"tool": tool or "kubernetes"}
                return


def _managed_yaml(doc: Any) -> Iterator[tuple[str, int, dict]]:
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
