"""Model deployments run as a step of an orchestrated workflow: a Metaflow step, a Prefect task/flow, a Dagster
op/asset, an Airflow task (``@task`` or a PythonOperator callable), a ZenML step or a KFP component that deploys the
trained model to a managed endpoint (SageMaker ``Model.deploy``/``create_endpoint``, Vertex ``Model.deploy``/
``Endpoint.deploy``, Azure ML online deployments). The workflow runs the deploy without a person copying files;
feeds M2."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.orchestration import call_tail, decorator, dotted, kwarg
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

# orchestrator module -> the decorators that make a function one of its tasks
_TASK_DECOS = {"metaflow": ("step",), "prefect": ("task", "flow"), "dagster": ("op", "asset", "multi_asset"),
               "airflow": ("task",), "zenml": ("step",), "kfp": ("component", "container_component")}
NEEDLES = tuple(m.encode() for m in _TASK_DECOS)
DEPLOY_NEEDLES = (b"deploy", b"create_endpoint", b"update_endpoint", b"online_deployments", b"ModelDeployOp")
# SDKs whose ``deploy`` puts a model behind a managed endpoint
_DEPLOY_SDKS = (("sagemaker", "sagemaker"), ("google.cloud.aiplatform", "vertex"), ("azureml", "azureml"))


def _tasks(tree: ast.Module, al: dict[str, str]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions the orchestrators the file imports run as tasks."""
    decos = tuple({d for mod, ds in _TASK_DECOS.items() if ops.imports_module(al, mod) for d in ds})
    out = [f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and decos and decorator(f, *decos)]
    if ops.imports_module(al, "airflow"):  # PythonOperator(python_callable=fn)
        funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for c in walk(tree):
            if isinstance(c, ast.Call) and isinstance(kwarg(c, "python_callable"), ast.Name):
                fn = funcs.get(kwarg(c, "python_callable").id)  # type: ignore[union-attr]
                if fn is not None and fn not in out:
                    out.append(fn)
    return out


def _deploy_target(c: ast.Call, al: dict[str, str]) -> str | None:
    """The managed platform a call deploys to, or None."""
    name = call_tail(c)
    text = dotted(c.func)
    if name == "deploy" and isinstance(c.func, ast.Attribute):
        if text.startswith(("self.next", "st.", "streamlit.")):
            return None
        for module, target in _DEPLOY_SDKS:
            if ops.imports_module(al, module):
                return target
        return None
    if name in ("create_endpoint", "update_endpoint") and ops.imports_module(al, "boto3", "sagemaker"):
        return "sagemaker"
    if name in ("begin_create_or_update", "create_or_update") and "online_deployments" in text and ops.imports_module(al, "azure.ai.ml"):
        return "azureml"
    if name == "ModelDeployOp":
        return "vertex"
    return None


class OrchestratedDeploy(Detector):
    """A workflow step (Metaflow, Prefect, Dagster, Airflow, ZenML, KFP) deploys the model to a managed endpoint; feeds M2."""

    id = "orchestrator.deploy"
    questions = ("M2",)
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("deploy.automated",)

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return not e.test and index.mentions(e.path, NEEDLES) and index.mentions(e.path, DEPLOY_NEEDLES)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        al, _calls = ops.py_calls(index, e)
        if ops.place(index, e) in ("notebook", "exploration"):
            return  # a deploy cell in a notebook is run by a person
        funcs = {f.name: f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for task in _tasks(tree, al):
            # the task body and the local helpers it calls (one level: ``deploy_model(self.model)``)
            bodies = [task, *(funcs[n.func.id] for n in walk(task) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                              and n.func.id in funcs and funcs[n.func.id] is not task)]
            hit = next(((c, t) for b in bodies for c in walk(b) if isinstance(c, ast.Call) and (t := _deploy_target(c, al))), None)
            if hit is None:
                continue
            c, target = hit
            tool = next(m for m in _TASK_DECOS if ops.imports_module(al, m))
            line, snip = ops.locate(index, e, c.lineno)
            yield self.found("deploy.automated", index, e.path, line, snippet=snip, strength=Strength.STRONG,
                             attrs={"system": tool, "target": target, "active": True, "automatic": False, "via": f"{tool} task {task.name}",
                                    "environment": "", "job": task.name, "manual_dispatch": True})
            return
