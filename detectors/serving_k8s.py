"""Model serving and release patterns: KServe/Seldon/Ray Serve/BentoML/TorchServe/Triton and Deployments
that serve a model, managed endpoints (SageMaker, Vertex, Azure ML, Databricks), FastAPI/Flask apps that
load a model, canary/shadow/A-B routing and rollback automation. Feeds T3 and the Scalability radar."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops
from mlscan.facts.placeholders import stub_endpoints
from mlscan.facts.pyast import lines_naming
from mlscan.facts.serving import k8s_serving, loads_model, managed_endpoints, names_loader_library, serve_command, serving_image
from mlscan.facts.wiring import imported_modules
from mlscan.index import FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

# an app or model server whose every model endpoint answers a constant serves no model yet
_STUB_CAPPED = ("serving.app", "serving.k8s")
_APPS = ("fastapi.FastAPI", "flask.Flask", "starlette.applications.Starlette", "litestar.Litestar", "sanic.Sanic")
_ROLLBACK = lazy_re(r"\bhelm\s+rollback\b|kubectl\s+rollout\s+undo|kubectl\s+argo\s+rollouts\s+(abort|undo)|"
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
    # manifests, endpoint YAML, serving configs, Dockerfiles, Terraform, scripts and commands (rollbacks), or Python
    # naming a serving library first
    needs_any = (Need((*ops.YAML_GLOBS, "**/config.pbtxt", "**/config.properties", "**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile",
                       "**/*.tf", *ops.SCRIPT_GLOBS, ".github/workflows/*")),
                 *needs_of(ops.AUTOMATED_NEEDS), Need(("**/*.py", "**/*.ipynb"), words=SERVING))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, doc in ops.k8s_docs(index):
            for signal, line, attrs in k8s_serving(doc):
                yield self.found(signal, index, e.path, line, strength=Strength.STRONG, attrs=attrs)
        for e in index.select(ops.YAML_GLOBS):
            if index.contains(e.path, (b"managedOnline", b"kubernetesOnline", b"model_serving_endpoints", b"AWS::SageMaker::Endpoint", b"computeType")):
                for doc in index.yaml(e.path):
                    for signal, line, attrs in managed_endpoints(doc):
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
                tool = serving_image(ins.value) if ins.instruction == "FROM" else \
                    serve_command(ins.value) if ins.instruction in ("CMD", "ENTRYPOINT") else None
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
            # a template is read as the project sees it (its vpath); other files through a file fact, kept between
            # scans by content: a rescan after an edit elsewhere parses none of them again
            if e.template:
                tree = index.python(e.path)
                fact = _python_fact(index, e, tree) if tree is not None else None
            else:
                fact = index.fact(e.path, PYTHON_FACT)
            if fact is None:
                continue
            app, loads_here, modules, hits, canary, stub = fact
            loads = app and (loads_here or any(index.fact(f.path, LOADS_MODEL) for f in ops.local_files(index, e.path, modules)))
            seen: set[str] = set()
            for (line, snip), signal, attrs, needs_loads in hits:
                if signal not in seen and (loads or not needs_loads):
                    seen.add(signal)
                    if stub and signal in _STUB_CAPPED:
                        attrs = {**attrs, "stub": True}  # every model endpoint of the app answers a constant
                    yield self.found(signal, index, e.path, line, snippet=snip, attrs=attrs)
            if canary is not None:
                line, snip = canary
                yield self.found("deploy.canary", index, e.path, line, snippet=snip, attrs={"kind": "champion_challenger", "tool": "app"})


def _python_fact(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> list[Any]:
    """What _python reads of one parsed file: [creates a web app, loads a model itself, the modules it imports (only
    for an app: where a model may be loaded), [[line, snippet], signal, attrs, only when the app loads a model] of each
    call _py_call recognises, in call order, [line, snippet] of the first line naming "challenger" in a serving module
    that also names "champion" (or None), every model endpoint is a placeholder (``mlscan.facts.placeholders.stub_endpoints``)];
    lines and snippets as evidence cites them (``ops.locate``: a notebook's JSON line), so citing them parses nothing again."""
    al, calls = ops.py_calls(index, e)
    app = any(c.qual in _APPS for c in calls)
    hits = [[list(ops.locate(index, e, c.line)), signal, attrs, signal == "serving.app"] for c in calls for signal, attrs in _py_call(c, al, True)]
    canary = None
    if ops.imports_module(al, "fastapi", "flask", "starlette", "ray.serve", "bentoml", "litestar", "sanic"):
        lines = lines_naming(tree, "challenger")
        if lines and lines_naming(tree, "champion"):
            canary = list(ops.locate(index, e, lines[0]))
    return [app, app and loads_model(calls), imported_modules(tree, e.vpath) if app else [], hits, canary,
            bool(hits) and stub_endpoints(tree)]


def _python_file_fact(index: FileIndex, path: str) -> list[Any] | None:
    tree = index.python(path)
    return None if tree is None else _python_fact(index, ops.FileEntry(path, path, "project"), tree)


def _loads_model_fact(index: FileIndex, path: str) -> bool:
    """Some call of this Python file loads a model (serving.loads_model). Derived whenever a Python file is parsed (the
    modules an app imports are usually parsed first by the wiring graph): the typed calls are built only for a file
    that names a loader library."""
    if index.python(path) is None:
        return False
    text = index.text(path)
    if text is not None and not names_loader_library(text):
        return False
    return loads_model(ops.py_calls(index, ops.FileEntry(path, path, "project"))[1])


PYTHON_FACT = register_fact("serving.k8s.python", _python_file_fact,
                            eager=lambda index, path: index.may_mention(path, SERVING) and index.may_mention(path, NEEDLES))
LOADS_MODEL = register_fact("serving.k8s.loads_model", _loads_model_fact, eager=lambda index, path: path.endswith(".py"))


def _py_call(c: ops.PyCall, al: dict[str, str], loads: bool) -> Iterator[tuple[str, dict]]:
    q = c.qual
    if q in _APPS and loads:
        yield "serving.app", {"framework": q.split(".")[0]}
    if q in ("ray.serve.deployment", "ray.serve.run") or q.startswith("bentoml.service") or q == "bentoml.Service":
        yield "serving.k8s", {"tool": "ray-serve" if q.startswith("ray") else "bentoml"}
    if q.startswith(("kserve.V1beta1InferenceService", "kserve.KServeClient")):
        yield "serving.k8s", {"tool": "kserve"}
    if c.attr == "deploy" and ops.imports_module(al, "sagemaker") and any(c.has_kw(k) for k in ("initial_instance_count", "instance_type", "endpoint_name", "serverless_inference_config")):
        yield "serving.managed", {"tool": "sagemaker"}
    if c.attr == "create_endpoint" and c.has_kw("EndpointName") or \
            q in ("aws_cdk.aws_sagemaker.CfnEndpoint", "pulumi_aws.sagemaker.Endpoint"):
        yield "serving.managed", {"tool": "sagemaker"}
    if c.attr in ("deploy", "create") and ops.imports_module(al, "google.cloud.aiplatform") and ("Endpoint" in c.text or c.has_kw("machine_type")):
        yield "serving.managed", {"tool": "vertex"}
    if q.startswith(("azure.ai.ml.entities.ManagedOnline", "azure.ai.ml.entities.KubernetesOnline")) or \
            (c.attr in ("deploy", "deploy_configuration") and q.startswith("azureml.core")):
        yield "serving.managed", {"tool": "azureml"}
    if "serving_endpoints.create" in c.text or (c.attr == "create_endpoint" and ops.imports_module(al, "mlflow.deployments")):
        yield "serving.managed", {"tool": "databricks"}
    variants = ops.kwarg(c.node, "ProductionVariants")
    if variants is not None and isinstance(ops.literal(variants), list) and len(ops.literal(variants)) > 1:
        yield "deploy.canary", {"kind": "ab", "tool": "sagemaker"}
    if c.has_kw("ShadowProductionVariants"):
        yield "deploy.canary", {"kind": "shadow", "tool": "sagemaker"}
    if any(k.arg == "DeploymentConfig" and "AutoRollbackConfiguration" in ast.unparse(k.value) for k in c.node.keywords):
        yield "deploy.rollback", {"tool": "sagemaker", "automatic": True}
