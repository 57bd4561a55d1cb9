"""ZenML pipelines that deploy a model through an integration deployer step, in both APIs ZenML's own examples use.

Current API (``@pipeline`` body): ``decision = deployment_trigger(accuracy)`` and
``mlflow_model_deployer_step(model=model, deploy_decision=decision)``.

Legacy API (before 0.20): a ``@pipeline`` function takes its steps as parameters and wires them in its body
(``decision = deployment_trigger(recall)``, ``model_deployer(decision, model)``); a run script binds each parameter
to a step instance and runs the pipeline: ``p = training_pipeline(deployment_trigger=deployment_trigger(),
model_deployer=mlflow_model_deployer_step())`` then ``p.run()``.

A deployment is *gated* when the decision handed to the deployer comes from a step whose result is a metric verdict
(``return recall > 0.7``, see ``mlscan.facts.gates.metric_predicates``). Nothing is imported or executed."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.facts import ops
from mlscan.facts.orchestration import call_tail, decorator, dotted, functions, kwarg, literal, trainingish, words
from mlscan.facts.pyast import walk
from mlscan.facts.pycalls import qualified

from ..index import FileEntry, FileIndex
from ..valueclass import Value, setfield

# ZenML's integration deployer steps (``zenml.integrations.<tool>.steps``)
DEPLOYERS = ("mlflow_model_deployer_step", "seldon_model_deployer_step", "kserve_model_deployer_step",
             "bentoml_model_deployer_step", "huggingface_model_deployer_step", "databricks_model_deployer_step",
             "vllm_model_deployer_step")


class Deployment(Value, frozen=True):
    """A ZenML model deployment: the deployer step or the pipeline binding that wires it, and its decision input."""

    line: int  # the deployer call (current API) or the pipeline instantiation that binds it (legacy API)
    tool: str  # mlflow, seldon, ...
    pipeline: str  # the @pipeline function's name
    decision: ast.expr | None  # current API: the deploy_decision argument
    bindings: dict[str, ast.Call]  # legacy API: parameter -> the step instance bound to it
    bound_line: dict[str, int]  # legacy API: parameter -> the line of its binding
    deployer_param: str  # legacy API: the parameter bound to the deployer step ("" in the current API)

    _fields = ("line", "tool", "pipeline", "decision", "bindings", "bound_line", "deployer_param")

    def __init__(
        self,
        line: int,
        tool: str,
        pipeline: str,
        decision: ast.expr | None,
        bindings: dict[str, ast.Call],
        bound_line: dict[str, int],
        deployer_param: str = "",
    ) -> None:
        setfield(self, "line", line)
        setfield(self, "tool", tool)
        setfield(self, "pipeline", pipeline)
        setfield(self, "decision", decision)
        setfield(self, "bindings", bindings)
        setfield(self, "bound_line", bound_line)
        setfield(self, "deployer_param", deployer_param)


def deployer_of(node: ast.AST | None, al: dict[str, str]) -> str | None:
    """The ZenML integration deployer step a call runs (``mlflow_model_deployer_step``), resolved through the file's
    imports: ``from zenml.integrations.mlflow.steps import mlflow_model_deployer_step as deployer`` then ``deployer(...)``,
    or a module alias (``import zenml.integrations.mlflow.steps as mls`` then ``mls.mlflow_model_deployer_step(...)``).
    None for any other call, also one merely named like a deployer but not imported from ``zenml.integrations``."""
    if not isinstance(node, ast.Call):
        return None
    name = qualified(dotted(node.func), al) or ""
    tail = name.rsplit(".", 1)[-1]
    return tail if tail in DEPLOYERS and name.startswith("zenml.integrations") else None


def through_project(index: FileIndex, e: FileEntry, al: dict[str, str]) -> dict[str, str]:
    """The file's import aliases with deployer steps that a project module re-exports resolved (one level): ``from
    steps.deployer import mlflow_model_deployer_step`` where ``steps/deployer.py`` imports it from
    ``zenml.integrations.mlflow.steps`` (under any name) names ZenML's step."""
    out = dict(al)
    for local, target in al.items():
        mod, _, name = target.rpartition(".")
        if not mod or target.startswith("zenml.") or "deploy" not in f"{local} {name}".lower():
            continue  # (only names that say they deploy are looked up: a wrapper module is read for nothing else)
        for f in ops.local_files(index, e.path, [mod]):
            q = ops.py_calls(index, f)[0].get(name, "")
            if q.startswith("zenml.integrations") and q.rsplit(".", 1)[-1] in DEPLOYERS:
                out[local] = q
                break
    return out


def is_deployer(node: ast.AST | None, al: dict[str, str]) -> bool:
    """A call of a ZenML integration deployer step imported from ``zenml.integrations`` (under any name)."""
    return deployer_of(node, al) is not None


def _runs(tree: ast.AST, call: ast.Call) -> bool:
    """The pipeline instance built by ``call`` is run: ``call.run()`` or ``name = call`` ... ``name.run()``."""
    names = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and n.value is call for t in n.targets if isinstance(t, ast.Name)}
    for n in walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "run":
            v = n.func.value
            if v is call or isinstance(v, ast.Name) and v.id in names:
                return True
    return False


def deployments(tree: ast.Module, al: dict[str, str]) -> Iterator[Deployment]:
    """Deployer steps a module's pipelines call (current API) or bind and run (legacy API)."""
    for fn in functions(tree).values():
        if not decorator(fn, "pipeline"):
            continue
        for c in walk(fn):
            if is_deployer(c, al) and literal(kwarg(c, "deploy_decision")) is not False:  # type: ignore[arg-type]
                yield Deployment(c.lineno, deployer_of(c, al).split("_", 1)[0], fn.name, kwarg(c, "deploy_decision"), {}, {})  # type: ignore[union-attr,arg-type]
                break
    for c in walk(tree):
        if not isinstance(c, ast.Call) or is_deployer(c, al):
            continue
        bound = {k.arg: k.value for k in c.keywords if k.arg and isinstance(k.value, ast.Call)}
        param = next((p for p, v in bound.items() if is_deployer(v, al)), None)
        if param is None or not _runs(tree, c):
            continue
        yield Deployment(c.lineno, deployer_of(bound[param], al).split("_", 1)[0], call_tail(c), None, bound,  # type: ignore[union-attr,arg-type]
                         {k.arg: k.value.lineno for k in c.keywords if k.arg in bound}, param)


def _result_of(fn: ast.AST, value: ast.expr | None) -> str | None:
    """The name of the function whose call produced ``value`` in ``fn``: the call itself, or the call last assigned
    to the name ``value`` reads."""
    if isinstance(value, ast.Call):
        return call_tail(value) or None
    if isinstance(value, ast.Name):
        for n in walk(fn):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and any(
                    isinstance(t, ast.Name) and t.id == value.id for t in n.targets):
                return call_tail(n.value) or None
    return None


def gated_by(d: Deployment, pipeline_def: ast.AST | None, predicates: frozenset[str]) -> int | None:
    """The line of the metric-verdict step that decides deployment ``d``, or None when nothing decides it on a
    metric. Current API: ``deploy_decision`` comes from a verdict step. Legacy API: in the pipeline's body (found by
    the caller) the parameter bound to the deployer receives the result of the parameter bound to a verdict step."""
    if not d.bindings:
        if d.decision is None or pipeline_def is None:
            return None
        return d.line if _result_of(pipeline_def, d.decision) in predicates else None
    if pipeline_def is None:
        return None
    deployer_param = d.deployer_param
    verdict_params = {p for p, v in d.bindings.items() if call_tail(v) in predicates}
    if not deployer_param or not verdict_params:
        return None
    for c in walk(pipeline_def):
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == deployer_param:
            for a in [*c.args, *(k.value for k in c.keywords)]:
                src = _result_of(pipeline_def, a)
                if src in verdict_params:
                    return d.bound_line.get(src, d.line)
    return None


# ------------------------------------------------------------------ the Model Control Plane: data linked to a model version

# the model a pipeline or step runs under: ``Model`` (0.55+), ``ModelVersion`` and ``ModelConfig`` before it
MODEL_CONFIGS = frozenset({"Model", "ModelVersion", "ModelConfig"})
_MODEL_KWARGS = ("model", "model_version", "model_config")
_INGEST = frozenset({"ingest", "ingestion", "load", "loader", "read", "fetch", "extract", "import", "importer", "download", "query",
                     "get", "collect", "prepare", "split", "preprocess", "preprocessing", "clean", "feature", "features"})
_DATA = frozenset({"data", "dataset", "datasets", "df", "dataframe", "table", "features", "feature", "csv", "raw", "records",
                   "samples", "corpus", "train", "test", "split", "ingest", "ingestion", "preprocess", "preprocessing"})
_MODEL_ONLY = frozenset({"model", "models", "checkpoint", "weights", "deployer", "deploy", "deployment", "endpoint", "service"})
# an explicit link: an artifact config naming the model on a step's output, or a call linking an artifact to it
_ARTIFACT_CONFIGS = frozenset({"ArtifactConfig", "DataArtifactConfig"})
_LINK_CALLS = frozenset({"link_artifact_to_model", "link_output_to_model"})


def model_data_links(tree: ast.Module, al: dict[str, str]) -> list[tuple[int, int, str]]:
    """Data linked to a model version by ZenML's Model Control Plane: ``(line of the link, line of the data, how)``.

    ``@pipeline(model=Model(name=...))`` links every artifact of the run to the model version (ZenML's docs: "linking
    model binaries/data to a Model"), so a pipeline running under a model that both brings data in (a step named for
    loading or preparing data) and trains links the trained model to the data versions it was built from
    (``how: pipeline``). A step output annotated ``ArtifactConfig(name=..., model_name=...)``/``DataArtifactConfig`` on a
    table, or ``link_artifact_to_model(...)`` in a step running under a model, names the link explicitly (``how:
    artifact-config``). A model declared on a pipeline that loads a model and deploys it brings no data in: no link."""
    if not any(v == "zenml" or v.startswith("zenml.") for v in al.values()):
        return []
    configs = {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and call_tail(n.value) in MODEL_CONFIGS for t in n.targets if isinstance(t, ast.Name)}
    out: list[tuple[int, int, str]] = []
    for fn in functions(tree).values():
        d = decorator(fn, "pipeline")
        given = next((k.value for k in d.keywords if k.arg in _MODEL_KWARGS), None) if isinstance(d, ast.Call) else None
        if given is None or not _a_model(given, configs, al):
            continue
        steps = [c for c in walk(fn) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]
        data = next((c for c in steps if _brings_data(c.func.id)), None)  # type: ignore[attr-defined]
        if data is not None and any(trainingish(c.func.id) for c in steps):  # type: ignore[attr-defined]
            out.append((given.lineno, data.lineno, "pipeline"))
    for fn in functions(tree).values():
        if not decorator(fn, "step"):
            continue
        for n in walk(fn.returns) if fn.returns is not None else ():
            if isinstance(n, ast.Call) and call_tail(n) in _ARTIFACT_CONFIGS and (
                    call_tail(n) == "DataArtifactConfig" or kwarg(n, "model_name") is not None):
                out.append((n.lineno, fn.lineno, "artifact-config"))
                break
        d = decorator(fn, "step")
        under = isinstance(d, ast.Call) and any(k.arg in _MODEL_KWARGS for k in d.keywords)
        for c in walk(fn):
            if under and isinstance(c, ast.Call) and call_tail(c) in _LINK_CALLS and _brings_data(fn.name):
                out.append((c.lineno, fn.lineno, "artifact-config"))
                break
    return out


def _a_model(node: ast.expr, configs: set[str], al: dict[str, str]) -> bool:
    """A model configuration: ``Model(...)`` written in place, a module-level name bound to one, or a name imported
    from the project (``from utils.model_definition import model_definition``)."""
    if isinstance(node, ast.Call):
        return call_tail(node) in MODEL_CONFIGS
    if isinstance(node, ast.Name):
        return node.id in configs or (node.id in al and not al[node.id].startswith("zenml"))
    return False


def _brings_data(name: str) -> bool:
    w = words(name)
    return bool(w & _INGEST and w & _DATA and not w & _MODEL_ONLY) or bool(w & {"ingest", "ingestion", "dataset", "datasets"} and not w & _MODEL_ONLY)
