"""Model registries: MLflow/Unity Catalog registration and aliases, W&B model links, SageMaker model
package groups (with approval status), Azure ML and Vertex model registration, HF Hub pushes, BentoML,
Neptune/Comet/ClearML models, DVC/GTO artifacts, registry resources in bundles/IaC and CLI registration
in CI; feeds T2, T4 (registry approval), E3, M4."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops, tracking
from mlscan.facts.commands import find_line
from mlscan.facts.hcl import parse as parse_hcl
from mlscan.facts.place import derive_facts, place
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_MLFLOW_CLIENT = frozenset({"create_registered_model", "create_model_version", "transition_model_version_stage",
                            "set_registered_model_alias", "copy_model_version", "set_model_version_tag"})
# (``az ml model download --name N --version V`` pulls a registered version: the registry is where the model is shared)
_CLI = ((lazy_re(r"\baz\s+ml\s+model\s+(create|register|download)\b"), "azureml"), (lazy_re(r"\bgcloud\s+ai\s+models\s+upload\b"), "vertex"),
        (lazy_re(r"\baws\s+sagemaker\s+create-model-package\b"), "sagemaker"), (lazy_re(r"\bbentoml\s+(models\s+)?push\b"), "bentoml"),
        (lazy_re(r"\b(huggingface-cli|hf)\s+upload\b"), "huggingface"), (lazy_re(r"\bgto\s+(register|assign|promote)\b"), "gto"),
        (lazy_re(r"\bmlflow\s+models?\s+register\b"), "mlflow"))
# Python files that name a registration API (register, registered_model_name, link_model, push_to_hub, upload, ...) ...
NEEDLES = (b"register", b"registered_model_name", b"link_model", b"link_artifact", b"push_to_hub", b"bentoml", b"upload",
           b"create_model_package", b"init_model", b"OutputModel", b"create_or_update", b"set_registered_model_alias",
           b"log_artifact", b"RegisterModel", b"ModelUploadOp", b"create_registered_model", b"create_model_version",
           b"transition_model_version_stage", b"set_model_version_tag", b"model_display_name", b"TrainingJobRunOp", b"parent_model", b"add_version_aliases",
           b"Model")
# ... and a registry _python() recognises: the SDK modules its calls resolve to, the SageMaker step argument and the
# Vertex/HF ops that need no import, and the CLIs of _CLI run through subprocess
REGISTRIES = (b"mlflow", b"wandb", b"sagemaker", b"boto3", b"model_package_group_name", b"azureml", b"azure.ai.ml", b"aiplatform",
              b"ModelUploadOp", b"push_to_hub", b"huggingface_hub", b"bentoml", b"neptune", b"comet_ml", b"clearml", b"dvclive",
              b"google_cloud_pipeline_components", b"az ml model", b"gcloud ai models upload", b"huggingface-cli upload", b"hf upload", b"gto", b"zenml",
              b"databricks")  # (Databricks' feature store clients: ``databricks.feature_store``, ``databricks.feature_engineering``)
# Databricks' feature store clients (FeatureStoreClient, FeatureEngineeringClient), whose log_model registers the model
_FEATURE_CLIENTS = ("databricks.feature_store", "databricks.feature_engineering")
# The Kubeflow Model Registry client (``model_registry`` module, register_model) has common words: its module name is
# matched as a substring instead
KUBEFLOW_REGISTRY = (b"model_registry",)


def auto_approved(index: FileIndex) -> bool:
    """Does the project's own code (not a notebook a person runs, not a test) approve model packages unconditionally,
    ``update_model_package(..., ModelApprovalStatus="Approved")`` outside any ``if``? Then the pending-approval default
    is overridden by automation and no one decides: registry approval is no governance policy."""

    def build() -> bool:
        for e in index.select(("**/*.py",)):
            if e.test or not index.contains(e.path, (b"update_model_package",)):
                continue
            tree = index.python(e.path)
            conditional = {id(n) for i in walk(tree) if isinstance(i, ast.If) for s in (*i.body, *i.orelse) for n in walk(s)} if tree else set()
            for c in walk(tree) if tree is not None else ():
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "update_model_package" \
                        and ops.literal(ops.kwarg(c, "ModelApprovalStatus")) == "Approved" and id(c) not in conditional:
                    return True
        return False

    return bool(index.memo("model-registry:auto-approved", build))


class ModelRegistry(Detector):
    """Models registered in a registry (code, bundles, IaC, CI commands), with approval status; feeds T2, T4, E3."""

    id = "model.registry"
    questions = ("T2", "T4", "E3")
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, "**/*.tf", "**/*.sh", "**/Makefile")
    signals = ("model.registry", "governance.approval")
    # registry configs (YAML, Terraform), scripts and Makefiles, automated commands, or Python naming a registry call first
    needs_any = (Need((*ops.YAML_GLOBS, "**/*.tf", "**/Makefile", "**/*.sh")), *needs_of(ops.AUTOMATED_NEEDS),
                 Need(("**/*.py", "**/*.ipynb"), words=NEEDLES))

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        if e.test or not index.mentions(e.path, NEEDLES):
            return False
        return index.mentions(e.path, REGISTRIES) or (index.mentions(e.path, (b"register_model",)) and index.contains(e.path, KUBEFLOW_REGISTRY))

    visit_reads_tree = False  # its tree work is the file fact HIT

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        hit = index.fact(e.path, HIT)
        if not hit:
            return
        where = place(index, e)
        (at, snip), tool, central, pending, uri_keys = hit
        if tool == "mlflow" and central and any(_local_config(index, k) for k in uri_keys):
            central = False  # ``mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)`` with every configured value local
        strength = where.strength()
        if not central:
            strength = Strength.WEAK
        approval = tool == "sagemaker" and pending is not None and not auto_approved(index)
        # a Hub upload only made when an opt-in flag that defaults off is set (``if args.push_to_hub:`` over
        # ``add_argument("--push_to_hub", action="store_true")``): a default run shares nothing (conventions: a default-off
        # publish step is a caveat at most)
        optional = tool == "huggingface" and _uploads_opt_in(index, e)
        yield self.found("model.registry", index, e.path, at, snippet=snip, strength=strength,
                         attrs={"tool": tool, "approval": approval, "central": central, "wired": where.wired,
                                **({"optional": True} if optional else {})})
        if approval:
            # the policy is the pending-approval status (often a pipeline parameter's default, far from the registration
            # that passes it by name): it leads, the registration follows
            p_at, p_snip = pending
            lead, rest = ((p_at, p_snip), (at, snip)) if p_at is not None and p_at != at else ((at, snip), None)
            extra = (self.evidence(index, e.path, rest[0], snippet=rest[1], strength=strength),) if rest and rest[0] is not None else ()
            yield self.found("governance.approval", index, e.path, lead[0], snippet=lead[1], strength=strength, extra=extra,
                             attrs={"kind": "registry", "tool": tool})

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        yield from self._configs(index)
        seen: set[tuple[str, str]] = set()
        tools_of: dict[str, list[str]] = {}  # by command text: a CI-heavy repository runs the same few thousand texts
        for c in ops.automated_commands(index):
            tools = tools_of.get(c.text)
            if tools is None:
                tools = tools_of[c.text] = [tool for rx, tool in _CLI if rx.search(c.text)]
            for tool in tools:
                if (c.path, tool) not in seen:
                    seen.add((c.path, tool))
                    # the command's own line in the step's script, not the step's first line (variable assignments
                    # that open a ``run: |`` block before the upload)
                    line = find_line(index, c.path, c.line, c.text) or c.line
                    yield self.found("model.registry", index, c.path, line, strength=Strength.STRONG,
                                     attrs={"tool": tool, "approval": False, "central": True, "wired": "automated"})
        yield from self._by_hand(index, {tool for _p, tool in seen})

    def _by_hand(self, index: FileIndex, automated: set[str]) -> Iterator[Finding]:
        """A registry CLI run from a Makefile target or a shell script that a person invokes (``make register-model``
        runs ``az ml model create``): the model is still shared through the registry, so the store is central even
        though no pipeline registers it (medium; demo and test trees are left out)."""
        for e in index.select(("**/Makefile", "**/*.sh")):
            if e.test or place(index, e).kind in ("exploration", "test") or not index.contains(e.path, REGISTRIES):
                continue
            for n, ln in enumerate(index.lines(e.path), 1):
                body = ln.strip()
                if body.startswith(("#", "echo ", "@echo ")):
                    continue
                tool = next((t for rx, t in _CLI if t not in automated and rx.search(body)), None)
                if tool is not None:
                    automated.add(tool)
                    yield self.found("model.registry", index, e.path, n, strength=Strength.MEDIUM,
                                     attrs={"tool": tool, "approval": False, "central": True, "wired": "manual"})

    def _configs(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(ops.YAML_GLOBS):
            if e.test or not index.contains(e.path, CONFIG_NEEDLES):
                continue
            for kind, line, tool in index.fact(e.path, CONFIGS):
                if kind == "registry":  # line: the found() keywords citing the registered model
                    yield self.found("model.registry", index, e.path, **line, strength=Strength.STRONG,
                                     attrs={"tool": tool, "approval": False, "central": True, "wired": "automated"})
                elif kind == "approval":
                    if not auto_approved(index):
                        yield self.found("governance.approval", index, e.path, line, strength=Strength.STRONG,
                                         attrs={"kind": "registry", "tool": "sagemaker"})
                elif e.name in ("dvc.yaml", "artifacts.yaml"):  # "artifacts": a model among the artifacts declared
                    yield self.found("model.registry", index, e.path, line, strength=Strength.MEDIUM,
                                     attrs={"tool": "dvc" if e.name == "dvc.yaml" else "gto", "approval": False, "central": True,
                                            "wired": "none"})
        for e in index.select(("**/*.tf",)):
            if not index.contains(e.path, (b"aws_sagemaker_model_package_group", b"google_vertex_ai", b"azurerm_machine_learning")):
                continue
            for b in parse_hcl(index.text(e.path) or ""):
                if b.type == "resource" and b.labels and b.labels[0] == "aws_sagemaker_model_package_group":
                    yield self.found("model.registry", index, e.path, b.line, strength=Strength.STRONG,
                                     attrs={"tool": "sagemaker", "approval": False, "central": True, "wired": "automated"})


def _bundle_model(index: FileIndex, path: str, res: Any, key: str) -> dict[str, Any]:
    """``found`` keyword arguments citing a Databricks bundle's first registered model as the model it is: its key with its
    ``name:`` line and then its ``catalog_name:``/``schema_name:`` lines (not the ``registered_models:`` opener, nor a merged ``<<: *grants`` or a comment among its settings)."""
    models = res[key]
    name = next(iter(models))
    model = models[name]
    line = models.line_of(name)
    if not isinstance(model, dict) or not line:
        return {"line": res.line_of(key)}
    lines = index.lines(path)
    # (its ``name:`` right under the key, wherever the mapping writes it: the block shown with the name it is given, then
    # where it is registered)
    named = [ln] if "name" in model and (ln := model.line_of("name")) else []
    shown = [line, *named, *sorted(ln for k in ("catalog_name", "schema_name") if k in model and (ln := model.line_of(k)))][:3]
    if not lines or not all(0 < ln <= len(lines) for ln in shown):
        return {"line": line}
    return {"line": line, "end_line": max(shown), "snippet": textwrap.dedent("\n".join(lines[ln - 1] for ln in shown)).strip("\n")}


CONFIG_NEEDLES = (b"registered_models", b"models:", b"artifacts:", b"ModelPackageGroup", b"ModelApprovalStatus")


def _config_hits(index: FileIndex, path: str) -> list[list[Any]]:
    """What a YAML file declares of a registry, in document order: ["registry", cite, tool] (cite: the ``found`` keywords; a Databricks bundle's
    ``registered_models``/``models`` resources, a CloudFormation ``AWS::SageMaker::ModelPackageGroup``), ["approval",
    line, ""] (the first ``ModelApprovalStatus: PendingManualApproval`` of a document), ["artifacts", line, ""] (the
    first model among a document's ``artifacts``: a registry in a ``dvc.yaml`` or GTO's ``artifacts.yaml``). A fact of the
    YAML file, derived as it is first loaded: a compiled Kubeflow pipeline holds ``artifacts:`` and was loaded again."""
    out: list[list[Any]] = []
    for doc in index.yaml(path):
        if not isinstance(doc, dict):
            continue
        res = doc.get("resources")
        if isinstance(res, dict):  # Databricks asset bundle resources
            for key, tool in (("registered_models", "databricks-uc"), ("models", "databricks-mlflow")):
                if isinstance(res.get(key), dict) and res[key]:
                    out.append(["registry", _bundle_model(index, path, res, key), tool])
            for name, r in res.items() if not isinstance(res.get("registered_models"), dict) else ():
                if isinstance(r, dict) and str(r.get("Type", "")) == "AWS::SageMaker::ModelPackageGroup":
                    out.append(["registry", {"line": res.line_of(name)}, "sagemaker"])
        for d in ops.walk_dicts(doc):  # CloudFormation/CDK output: ModelApprovalStatus: PendingManualApproval
            if d.get("ModelApprovalStatus") == "PendingManualApproval":
                out.append(["approval", d.line_of("ModelApprovalStatus"), ""])
                break
        arts = doc.get("artifacts")
        if isinstance(arts, dict):
            models = [n for n, a in arts.items() if isinstance(a, dict) and str(a.get("type", "")) == "model"]
            if models:
                out.append(["artifacts", arts.line_of(models[0]), ""])
    return out


CONFIGS = register_fact("model.registry.configs", _config_hits, eager=lambda index, path: index.contains(path, CONFIG_NEEDLES),
                        kind="yaml")


def _python(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> Iterator[tuple[int, str, bool]]:
    """(line, tool, central) for each registration call in a file."""
    al, calls = ops.py_calls(index, e)
    objs = tracking.tracker_objects(tree, al)
    mlflow = ops.imports_module(al, "mlflow")
    for c in calls:
        q, a = c.qual, c.attr
        recv = c.text.rsplit(".", 1)[0] if "." in c.text else ""
        obj = objs.get(recv, "")
        if q.startswith("mlflow.") and (a == "register_model" or a == "log_model" and _kw_set(c, "registered_model_name")):
            yield c.line, "mlflow", True
        elif a == "log_model" and _kw_set(c, "registered_model_name") and ops.imports_module(al, *_FEATURE_CLIENTS):
            # ``fe.log_model(model=..., flavor=mlflow.sklearn, training_set=..., registered_model_name=...)``: Databricks'
            # feature store clients package the model with its feature lookups and register it in the MLflow registry
            yield c.line, "databricks-mlflow", True
        elif mlflow and a in _MLFLOW_CLIENT and not q.startswith(("mlflow.pyfunc", "mlflow.models")):
            yield c.line, "mlflow", True
        elif a in ("link_model", "link_artifact") and (q.startswith("wandb.") or obj == "wandb" or ops.imports_module(al, "wandb")):
            yield c.line, "wandb", True
        elif q == "wandb.Artifact" and c.kw_value("type") == "model":
            yield c.line, "wandb", True
        elif a == "RegisterModel" and q.startswith("sagemaker.") or a == "register" and _kw_set(c, "model_package_group_name") \
                or a in ("create_model_package", "create_model_package_group") and ops.imports_module(al, "boto3", "sagemaker"):
            yield c.line, "sagemaker", True
        elif (q.endswith(("core.Model.register", "core.model.Model.register")) and q.startswith("azureml")) or (
                a == "register_model" and ops.imports_module(al, "azureml")) or (
                c.text.endswith("models.create_or_update") and ops.imports_module(al, "azure.ai.ml")):
            yield c.line, "azureml", True
        elif q.startswith("google.cloud.aiplatform.Model.upload") or a == "ModelUploadOp" or _vertex_upload(c, al):
            yield c.line, "vertex", True
        elif (a == "push_to_hub" and not re.search(r"dataset|\bds\b", c.text, re.I) or a == "upload_folder" and ops.imports_module(al, "huggingface_hub")) \
                and c.kw_value("repo_type") not in ("space", "dataset") and not _app_folder(c):
            # (an upload to a Space deploys an app, a demo's files; one to a dataset repository stores data: no model store;
            # nor is an app's folder uploaded, ``upload_folder(folder_path=gradio_folder_path, ...)``, whatever the repository)
            yield c.line, "huggingface", True
        elif q.startswith("bentoml."):
            if a == "push" or q.startswith("bentoml.models.push"):
                yield c.line, "bentoml", True
            elif a == "save_model" or q == "bentoml.models.create":
                yield c.line, "bentoml", False
        elif q.startswith("neptune.") and a in ("init_model_version", "init_model") or a == "register_model" and ops.imports_module(al, "comet_ml"):
            yield c.line, "neptune" if q.startswith("neptune.") else "comet", True
        elif q == "clearml.OutputModel" or a == "register_model" and ops.imports_module(al, "model_registry"):
            yield c.line, "clearml" if q.startswith("clearml") else "kubeflow-model-registry", True
        elif a == "log_artifact" and obj == "dvclive" and c.kw_value("type") == "model":
            yield c.line, "dvc", True
        elif q.startswith("zenml.") and "mlflow_register_model_step" in q.split("."):
            # ZenML's MLflow integration step (``mlflow_register_model_step.with_options(parameters=dict(name=...))``
            # or called in a pipeline): each run registers the model version in the stack's MLflow registry
            yield c.line, "mlflow", True
        elif q.startswith("zenml.") and a == "Model" and c.kw_value("name") and _attached_model(tree):
            # ZenML's Model Control Plane: a Model given to a @pipeline/@step gets a new version with every run
            yield c.line, "zenml", True
        elif q in ("os.system", "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"):
            cmd = _command_text(c.node, tree)
            tool = next((t for rx, t in _CLI if rx.search(cmd)), None)
            if tool:
                yield c.line, tool, True


_HUB_UPLOADS = frozenset({"push_to_hub", "upload_folder", "upload_file"})
# words of an uploaded folder's name or path that make it an app's files, not a model's (``gradio_folder_path``, ``"demo/app"``)
_APP_WORDS = frozenset({"gradio", "streamlit", "app", "apps", "space", "spaces", "ui", "frontend", "webapp", "demo"})


def _app_folder(c: ops.PyCall) -> bool:
    """Does a Hub ``upload_folder`` call upload an app's folder (its ``folder_path`` named or written for one)?"""
    node = ops.kwarg(c.node, "folder_path")
    if node is None and c.node.args:
        node = c.node.args[0]
    text = node.id if isinstance(node, ast.Name) else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
    return bool(set(re.split(r"[^a-z0-9]+", text.lower())) & _APP_WORDS)


def _uploads_opt_in(index: FileIndex, e: FileEntry) -> bool:
    """Is every Hugging Face Hub upload of the module reached only behind an opt-in flag that defaults off (argparse
    ``store_true``, a ``False`` default, a settings field; unless a config or an automated command of the project sets
    it: ``pyeval.Flags``)? Also the ``push_to_hub=`` keyword of a trainer's arguments."""
    tree = index.python(e.path)
    if tree is None:
        return False
    from mlscan.facts.pyeval import Flags, guarded_off
    from mlscan.facts.tracking import parents

    uploads = [n for n in walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name))
               and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in _HUB_UPLOADS]
    if not uploads:
        return False
    par, flags = parents(tree), Flags(index, tree)
    return all(guarded_off(n, par, flags) for n in uploads)


def _hit(index: FileIndex, path: str) -> list[object] | None:
    """The file's first registration as ``[[line, snippet], tool, central, pending, uri_keys]`` (what ``visit`` finishes with the
    file's place; line and snippet as evidence cites them, ``ops.locate``): ``central`` False for a store that is not
    shared, also an MLflow registry the module points at a local store; ``pending`` where the first SageMaker
    ``PendingManualApproval`` status of the module stands (None without one); ``uri_keys`` the configuration keys an MLflow
    tracking/registry URI is read from (``cfg.mlflow.tracking_uri``: looked up in the project's configs by ``visit``,
    since they are other files). None when the file registers nothing or does not parse."""
    e = index.entry(path)
    tree = index.python(path)
    if e is None or tree is None:
        return None
    hits = _python(index, e, tree)
    line, tool, central = next(hits, (0, "", False))
    if tool == "vertex" and _implicit_upload(index, e, line):
        # a training job's ``run(model_display_name=...)`` uploads its model implicitly: a pipeline's explicit upload
        # further down (``ModelUploadOp``, ``Model.upload``) is what a reviewer reads as the registration, so it leads
        line, tool, central = next((h for h in hits if h[1] == "vertex" and not _implicit_upload(index, e, h[0])), (line, tool, central))
    if not tool:
        return None
    if tool == "mlflow" and _local_store(tree):
        central = False  # ``mlflow.set_tracking_uri("file:///./mlruns")`` in the module: the registry is a local folder
    pending = min((n.lineno for n in walk(tree) if isinstance(n, ast.Constant) and n.value == "PendingManualApproval"), default=None) \
        if tool == "sagemaker" else None
    derive_facts(index, path)  # the visit asks the file's place
    return [list(ops.locate(index, e, line)), tool, central, None if pending is None else list(ops.locate(index, e, pending)),
            _uri_keys(tree) if tool == "mlflow" and central else []]


def _wanted(index: FileIndex, path: str) -> bool:
    """``ModelRegistry.wants`` for an eager fact: words may be unsure (``may_mention``)."""
    e = index.entry(path)
    if e is None or e.test or not index.may_mention(path, NEEDLES):
        return False
    return index.may_mention(path, REGISTRIES) or (index.may_mention(path, (b"register_model",)) and index.contains(path, KUBEFLOW_REGISTRY))


# derived at the file's first parse (whichever process parses it): the Python pass parses no file for this detector
HIT = register_fact("model.registry.hit", _hit, eager=_wanted)


def _attached_model(tree: ast.AST) -> bool:
    """Is a ZenML ``Model`` handed to a pipeline or step decorator (``@pipeline(model=...)``, ``@step(model=...)``)?"""
    return any(isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        isinstance(d, ast.Call) and ops.dotted(d.func).rsplit(".", 1)[-1] in ("pipeline", "step") and ops.kwarg(d, "model") is not None
        for d in fn.decorator_list) for fn in walk(tree))


def _implicit_upload(index: FileIndex, e: ops.FileEntry, line: int) -> bool:
    """Is the call at ``line`` a training job's run that uploads its model as a side effect (``job.run(model_display_name=...)``),
    rather than an explicit upload?"""
    al, calls = ops.py_calls(index, e)
    return any(c.line == line and c.attr != "ModelUploadOp" and not c.qual.startswith("google.cloud.aiplatform.Model.upload")
               and _vertex_upload(c, al) for c in calls)


def _vertex_upload(c: ops.PyCall, al: dict[str, str]) -> bool:
    """Vertex AI Model Registry without ``Model.upload``: a training job's ``run(model_display_name=...|parent_model=...)``
    uploads the trained model (as a new version of ``parent_model``); ``ModelRegistry(...).add_version_aliases``; in a
    pipeline, Google Cloud Pipeline Components' training-job ops: an AutoML ``...TrainingJobRunOp`` always outputs a model
    uploaded to the registry, a custom one when given ``model_display_name``."""
    # the call's own name first: every call of every file comes here, and the import checks walk the file's aliases
    if c.attr.endswith("TrainingJobRunOp") and ops.imports_module(al, "google_cloud_pipeline_components"):
        return c.attr.startswith("AutoML") or _kw_set(c, "model_display_name")
    hit = c.attr == "run" and (_kw_set(c, "model_display_name") or _kw_set(c, "parent_model")) \
        or c.attr == "add_version_aliases" or c.qual.endswith("aiplatform.models.ModelRegistry")
    return hit and ops.imports_module(al, "google.cloud.aiplatform")


def _kw_set(c: ops.PyCall, name: str) -> bool:
    v = ops.kwarg(c.node, name)
    return v is not None and not (isinstance(v, ast.Constant) and v.value in (None, ""))


def _command_text(call: ast.Call, tree: ast.AST) -> str:
    """The shell text a subprocess/os.system call runs, from literals (list arguments joined)."""
    if not call.args:
        return ""
    arg = call.args[0]
    if isinstance(arg, (ast.List, ast.Tuple)):
        return " ".join(tracking.python_value(x, tree, call.lineno) or "{}" for x in arg.elts)
    return tracking.python_value(arg, tree, call.lineno) or ""


def _local_uri(v: str) -> bool:
    """A ``file:``/``sqlite:`` URI, a plain path such as ``./mlruns``, or a server on this machine."""
    v = v.strip().lower()
    if v.startswith(("file:", "sqlite:")) or (v and "://" not in v and not v.startswith(("databricks", "$", "{"))):
        return True
    return bool(re.match(r"https?://(localhost|127\.0\.0\.1|0\.0\.0\.0)([:/]|$)", v))


def _config_uris(index: FileIndex, key: str) -> list[str]:
    """String values of ``key`` (``tracking_uri``) in the project's YAML configuration files (``params.yaml``,
    ``config.yaml``, ``configs/*.yaml``): where code that reads its settings from a config file gets the URI."""
    def build() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for e in index.select(("**/*.yaml", "**/*.yml")):
            if e.test or not index.contains(e.path, (b"_uri",)) or e.vpath.startswith(".github/"):
                continue
            todo = list(index.yaml(e.path))
            while todo:
                d = todo.pop()
                if isinstance(d, dict):
                    for k, v in d.items():
                        if isinstance(v, str) and str(k).lower().endswith("_uri"):
                            out.setdefault(str(k).lower(), []).append(v)
                        elif isinstance(v, (dict, list)):
                            todo.append(v)
                elif isinstance(d, list):
                    todo += [x for x in d if isinstance(x, (dict, list))]
        return out

    table: dict[str, list[str]] = index.memo("model-registry:config-uris", build)
    return table.get(key.lower(), [])


def _config_key(arg: ast.expr) -> str | None:
    """The setting a URI argument reads from a configuration object: ``cfg.mlflow.tracking_uri``,
    ``params["mlflow"]["tracking_uri"]``, ``config.get("tracking_uri")``."""
    if isinstance(arg, ast.Attribute) and arg.attr.lower().endswith("_uri"):
        return arg.attr
    if isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Constant) and str(arg.slice.value).lower().endswith("_uri"):
        return str(arg.slice.value)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "get" and arg.args \
            and isinstance(arg.args[0], ast.Constant) and str(arg.args[0].value).lower().endswith("_uri"):
        return str(arg.args[0].value)
    return None


def _uri_calls(tree: ast.AST) -> Iterator[ast.expr]:
    """The URI argument of each ``set_tracking_uri``/``set_registry_uri`` call of a module."""
    for n in walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("set_tracking_uri", "set_registry_uri") and n.args:
            yield n.args[0]


def _local_store(tree: ast.AST) -> bool:
    """Does the module point MLflow at a local store (``set_tracking_uri``/``set_registry_uri`` with a ``file:`` or
    ``sqlite:`` URI, a plain path such as ``./mlruns``, or a server on this machine: ``http://127.0.0.1:5000``,
    ``http://localhost:5000``)? Models registered there stay on the machine that trained them."""
    return any(isinstance(a, ast.Constant) and isinstance(a.value, str) and _local_uri(a.value) for a in _uri_calls(tree))


def _uri_keys(tree: ast.AST) -> list[str]:
    """The configuration keys the module's MLflow URIs are read from (``cfg.mlflow.tracking_uri``)."""
    return sorted({k for a in _uri_calls(tree) if not isinstance(a, ast.Constant) and (k := _config_key(a))})


def _local_config(index: FileIndex, key: str) -> bool:
    """Is every value the project's YAML configs write under ``key`` a local store (at least one written)?"""
    values = _config_uris(index, key)
    return bool(values) and all(_local_uri(v) for v in values)
