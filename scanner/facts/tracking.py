"""Helpers shared by the tracking, registry, code-version and data-lineage detectors: which tracker a
Python call belongs to (through imports and tracker objects bound to names), where a file sits on the
training path, opt-in flags that default off, remote URIs, code-version expressions and shell
variables. Nothing here reads files except through the index. Not a detector."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from mlscan.ci import argv, line_of
from mlscan.facts.pyast import string_template, walk
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.index.formats import normalize_name

from ..lazyre import lazy_re
from ..valueclass import Value, setfield
from . import ops, pycalls
from .orchestration import words

# ------------------------------------------------------------------ trackers

# qualified constructor -> tool: the object it returns logs to the tracker
_CTORS = {
    "mlflow.tracking.MlflowClient": "mlflow", "mlflow.MlflowClient": "mlflow", "mlflow.client.MlflowClient": "mlflow",
    "mlflow.tracking.client.MlflowClient": "mlflow", "mlflow.start_run": "mlflow",
    "wandb.init": "wandb", "wandb.run": "wandb",
    "neptune.init_run": "neptune", "neptune.init": "neptune", "neptune.new.init": "neptune", "neptune.new.init_run": "neptune",
    "neptune_scale.Run": "neptune",
    "comet_ml.Experiment": "comet", "comet_ml.OfflineExperiment": "comet", "comet_ml.ExistingExperiment": "comet", "comet_ml.start": "comet",
    "clearml.Task.init": "clearml", "clearml.Task.current_task": "clearml", "trains.Task.init": "clearml", "clearml.Logger.current_logger": "clearml",
    "aim.Run": "aim", "aim.sdk.Run": "aim",
    "dvclive.Live": "dvclive",
    "torch.utils.tensorboard.SummaryWriter": "tensorboard", "torch.utils.tensorboard.writer.SummaryWriter": "tensorboard",
    "tensorboardX.SummaryWriter": "tensorboard", "tensorflow.summary.create_file_writer": "tensorboard",
    "sagemaker.experiments.Run": "sagemaker-experiments", "sagemaker.experiments.run.Run": "sagemaker-experiments",
    "sagemaker.experiments.load_run": "sagemaker-experiments", "sagemaker.experiments.run.load_run": "sagemaker-experiments",
    "smexperiments.tracker.Tracker.create": "sagemaker-experiments", "smexperiments.tracker.Tracker.load": "sagemaker-experiments",
    "google.cloud.aiplatform.start_run": "vertex-experiments",
    "azureml.core.Run.get_context": "azureml", "azureml.core.run.Run.get_context": "azureml", "azureml.core.Run": "azureml",
    "azureml.core.run.Run": "azureml",
    "sacred.Experiment": "sacred",
}
_CTOR_ROLE = {"mlflow": "", "clearml": "auto", "sacred": "params", "tensorboard": "metrics"}  # default role of creating the object: "run"
# integrations that log params and metrics on their own: (qualified prefix, attr -> tool)
_AUTO = {
    "Logger": {"TensorBoardLogger": "tensorboard", "MLFlowLogger": "mlflow", "WandbLogger": "wandb", "NeptuneLogger": "neptune",
               "CometLogger": "comet", "AimLogger": "aim", "DVCLiveLogger": "dvclive", "DvcLiveLogger": "dvclive"},
    "Callback": {"MLflowLoggerCallback": "mlflow", "WandbLoggerCallback": "wandb", "MLflowCallback": "mlflow", "WandbCallback": "wandb",
                 "TensorBoardCallback": "tensorboard", "CometCallback": "comet", "NeptuneCallback": "neptune", "DVCLiveCallback": "dvclive",
                 "WeightsAndBiasesCallback": "wandb", "WandbMetricsLogger": "wandb", "ClearMLCallback": "clearml"},
    "setup": {"setup_mlflow": "mlflow", "setup_wandb": "wandb"},
}
# decorators that log a whole flow or step: W&B's Metaflow integration records parameters, datasets and metrics
_DECORATORS = {"wandb.integration.metaflow.wandb_log": "wandb", "wandb.integration.metaflow.metaflow.wandb_log": "wandb"}
# Files worth a parse (word pre-filter): the tracker modules a call resolves to, the integration classes of _AUTO
# (capitalised words also match inside longer names) and SummaryWriter. ``report_to=`` (Hugging Face) is confirmed as
# text: its words are common.
TRACKER_NEEDLES = (
    b"mlflow", b"wandb", b"neptune", b"neptune_scale", b"comet_ml", b"clearml", b"trains.Task", b"aim.Run", b"aim.sdk", b"dvclive",
    b"SummaryWriter", b"tensorboard", b"tensorboardX", b"tensorflow.summary", b"callbacks.TensorBoard", b"sagemaker",
    b"smexperiments", b"aiplatform", b"azureml", b"sacred",
    *sorted({name.encode() for names in _AUTO.values() for name in names}),
)
REPORT_TO = (b"report_to",)


def wants_tracker_file(index: FileIndex, e: FileEntry) -> bool:
    """Can the Python file or notebook log to an experiment tracker? Words only, no parse."""
    return index.mentions(e.path, TRACKER_NEEDLES) or (index.mentions(e.path, REPORT_TO) and index.contains(e.path, REPORT_TO))
_AUTO_PREFIXES = ("pytorch_lightning.", "lightning.", "lightning_fabric.", "ray.", "transformers.", "optuna.", "optuna_integration.",
                  "dvclive.", "wandb.", "neptune.", "comet_ml.", "aim.", "keras.", "tensorflow.", "catalyst.", "ignite.", "fastai.",
                  "sentence_transformers.", "mlflow.")
_REPORT_TO = {"wandb": "wandb", "mlflow": "mlflow", "tensorboard": "tensorboard", "comet_ml": "comet", "neptune": "neptune",
              "clearml": "clearml", "dvclive": "dvclive", "aim": "aim", "azure_ml": "azureml", "all": "all"}
_MLFLOW = {
    **dict.fromkeys(("log_param", "log_params"), "params"),
    **dict.fromkeys(("log_metric", "log_metrics", "evaluate"), "metrics"),
    "autolog": "auto",
    **dict.fromkeys(("start_run", "log_model", "log_artifact", "log_artifacts", "log_dict", "log_figure", "log_table", "log_text",
                     "log_image", "log_input", "set_tag", "set_tags", "create_run", "log_batch"), "run"),
}
_PARAM_ATTRS = frozenset({"log_param", "log_params", "log_parameter", "log_parameters", "log_hyperparams", "log_hparams", "add_hparams",
                          "log_configs", "connect", "connect_configuration", "set_parameters", "log_config", "update"})
_METRIC_ATTRS = frozenset({"log_metric", "log_metrics", "add_scalar", "add_scalars", "log", "log_scalar", "report_scalar", "track",
                           "log_list", "log_row", "log_table", "log_accuracy_table", "log_residuals", "log_time_series_metrics",
                           "log_classification_metrics", "log_sklearn_plot", "log_batch", "append", "report_single_value"})
_RUN_ATTRS = frozenset({"log_artifact", "log_artifacts", "log_image", "add_image", "add_histogram", "add_figure", "log_model", "set_tag",
                        "set_tags", "tag", "log_plot", "log_text", "log_figure", "upload_file", "next_step", "make_summary", "finish",
                        "end", "log_code", "watch", "add_graph", "add_text", "log_input", "log_dataset_hash"})
_OBJ_ROOTS = ("self.", "cls.")


class TrackCall(Value, frozen=True):
    """One experiment-tracking call, decorator or logging assignment in a Python module."""

    line: int
    tool: str
    role: str  # run | params | metrics | auto (params and metrics)
    attr: str  # the called attribute or name ('' for an assignment: ``run["acc"] = ...``)
    text: str  # the callee as written ('' for an assignment)
    kind: str  # "c": a call, "d": a decorator, "a": an assignment
    ordinal: int  # its place among the module's calls (``pycalls.calls_of``), decorators or assignments, in walk order

    _fields = ("line", "tool", "role", "attr", "text", "kind", "ordinal")
    __slots__ = _fields

    def __init__(self, line: int, tool: str, role: str, attr: str, text: str, kind: str, ordinal: int) -> None:
        setfield(self, "line", line)
        setfield(self, "tool", tool)
        setfield(self, "role", role)
        setfield(self, "attr", attr)
        setfield(self, "text", text)
        setfield(self, "kind", kind)
        setfield(self, "ordinal", ordinal)

    def node_in(self, tree: ast.AST) -> ast.AST:
        """The call, decorator or assignment in ``tree``, the parse of the file it was read from."""
        if self.kind == "c":
            return pycalls.calls_of(tree)[self.ordinal]
        if self.kind == "d":
            return [d for n in walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                    for d in n.decorator_list][self.ordinal]
        return [n for n in walk(tree) if n.__class__ is ast.Assign][self.ordinal]


def _auto_tool(c: pycalls.Call) -> str | None:
    if not c.qual.startswith(_AUTO_PREFIXES):
        return None
    for kind, names in _AUTO.items():
        if kind in c.attr and c.attr in names:
            return names[c.attr]
    if c.qual.endswith("callbacks.TensorBoard"):
        return "tensorboard"
    if c.qual.startswith("wandb.") and c.attr.endswith(("Callback", "callback", "Logger")):
        return "wandb"
    return None


def call_ctor(c: pycalls.Call, al: dict[str, str]) -> str | None:
    """``_ctor`` of a call from the call facts (``qual`` and ``attr`` are what ``_ctor`` reads of the node)."""
    if c.qual in _CTORS:
        return _CTORS[c.qual]
    if c.attr == "SummaryWriter":
        return "tensorboard"
    if c.attr == "start_logging" and ops.imports_module(al, "azureml"):
        return "azureml"
    return None


def _ctor(call: ast.AST, al: dict[str, str]) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    q = ops.qualname(call.func, al) or ""
    if q in _CTORS:
        return _CTORS[q]
    attr = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if attr == "SummaryWriter":  # also ``importlib.import_module("torch.utils.tensorboard").SummaryWriter(...)``
        return "tensorboard"
    if attr == "start_logging" and ops.imports_module(al, "azureml"):
        return "azureml"
    return None


# statements that bind names: what tracker_objects reads
_BINDINGS = (ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith)


def tracker_objects(tree: ast.AST, al: dict[str, str]) -> dict[str, str]:
    """Names (``run``, ``self.writer``) bound to tracker objects: assignments and ``with ... as``."""
    out: dict[str, str] = {}
    for n in walk(tree):
        if not isinstance(n, _BINDINGS):
            continue  # one test for most nodes
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(n, ast.Assign):
            pairs = [(t, n.value) for t in n.targets]
        elif isinstance(n, ast.AnnAssign) and n.value is not None:
            pairs = [(n.target, n.value)]
        elif isinstance(n, (ast.With, ast.AsyncWith)):
            pairs = [(i.optional_vars, i.context_expr) for i in n.items if i.optional_vars is not None]
        for target, value in pairs:
            tool = _ctor(value, al) or (_CTORS.get(ops.qualname(value, al) or "") if isinstance(value, ast.Attribute) else None)
            name = ops.dotted(target)
            if tool and name:
                out[name] = tool
    return out


def _receiver(node: ast.AST) -> str:
    """The object a method is called on, without subscripts: ``run["acc"].append`` -> ``run``."""
    f = node.func if isinstance(node, ast.Call) else node
    base = f.value if isinstance(f, ast.Attribute) else None
    while isinstance(base, ast.Subscript):
        base = base.value
    return ops.dotted(base) if base is not None else ""


def _obj_tool(recv: str, objs: dict[str, str]) -> str | None:
    while recv:
        if recv in objs:
            return objs[recv]
        recv = recv.rsplit(".", 1)[0] if "." in recv else ""
    return None


def _tracker_facts(index: FileIndex, path: str) -> list[list[Any]] | None:
    """Every call (and tracker-object assignment) of a file that logs to an experiment tracker, as
    ``[line, tool, role, attr, text, kind, ordinal]`` sorted by line (``TrackCall``); None when it does not parse."""
    tree = index.python(path)
    if tree is None:
        return None
    fc = pycalls.file_calls(index, index.entry(path) or FileEntry(path, path, "project"))
    al = fc.aliases
    objs = tracker_objects(tree, al)
    uses_mlflow = ops.imports_module(al, "mlflow")
    out: list[list[Any]] = []
    for c in fc.calls:
        hit = _classify(c, al, objs, uses_mlflow)
        if hit:
            out.append([c.line, hit[0], hit[1], c.attr, c.text, "c", c.ordinal])
    k_assign = k_dec = 0
    for n in walk(tree):  # one walk: decorators and assignments in walk order
        cls = n.__class__
        if cls is ast.ClassDef or cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
            for dec in n.decorator_list:  # type: ignore[attr-defined]  # @wandb_log on a Metaflow flow or step logs its parameters and artifacts
                q = ops.qualname(dec.func if isinstance(dec, ast.Call) else dec, al) or ""
                if q in _DECORATORS:
                    f = dec.func if isinstance(dec, ast.Call) else None
                    attr = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                    out.append([dec.lineno, _DECORATORS[q], "auto", attr, ops.dotted(f) if f is not None else "", "d", k_dec])
                k_dec += 1
        elif cls is ast.Assign:  # run["params"] = ..., live.summary[...] = ..., wandb.config.x = ...
            for t in n.targets:  # type: ignore[attr-defined]
                if not isinstance(t, (ast.Subscript, ast.Attribute)):
                    continue
                text = ops.dotted(t.value if isinstance(t, ast.Subscript) else t)
                if text.startswith("wandb.config") or ops.qualname(t, al) == "wandb.config":
                    out.append([n.lineno, "wandb", "params", "", "", "a", k_assign])  # type: ignore[attr-defined]
                    continue
                tool = _obj_tool(_receiver(t) or text, objs)
                if tool in ("neptune", "aim", "dvclive", "wandb"):
                    key = " ".join(ops.literal(s.slice) or "" for s in walk(t) if isinstance(s, ast.Subscript)
                                   if isinstance(ops.literal(s.slice), str))
                    role = "params" if words(key) & {"params", "param", "parameters", "config", "hparams", "hyperparameters"} else "metrics"
                    out.append([n.lineno, tool, role, "", "", "a", k_assign])  # type: ignore[attr-defined]
            k_assign += 1
    out.sort(key=lambda t: t[0])
    return out


TRACKER_FACTS = register_fact(
    "tracking.calls", _tracker_facts,
    eager=lambda index, path: index.may_mention(path, TRACKER_NEEDLES) or index.may_mention(path, REPORT_TO))


def tracker_calls(index: FileIndex, e: FileEntry) -> list[TrackCall]:
    """Every call (and tracker-object assignment) of a file that logs to an experiment tracker (a file fact)."""

    def build() -> list[TrackCall]:
        raw = index.fact(e.path, TRACKER_FACTS)
        return [TrackCall(*t) for t in raw] if raw else []

    return index.file_memo("tracking-calls", e.path, build)  # type: ignore[no-any-return]


def _classify(c: pycalls.Call, al: dict[str, str], objs: dict[str, str], uses_mlflow: bool) -> tuple[str, str] | None:
    q = c.qual
    auto = _auto_tool(c)
    if auto:
        return auto, "metrics" if c.qual.endswith("callbacks.TensorBoard") else "auto"
    if c.attr.endswith(("TrainingArguments", "SFTConfig", "DPOConfig", "GRPOConfig")) and q.startswith(("transformers.", "trl.")):
        report = c.kw("report_to")
        vals = [s for s in ([report.value] if report is not None else []) for s in (s if isinstance(s, list) else [s]) if isinstance(s, str)]
        tools = [_REPORT_TO[v] for v in vals if v in _REPORT_TO]
        return (tools[0], "auto") if tools else None
    if q.startswith("mlflow.") and not q.startswith(("mlflow.tracking.", "mlflow.client.")):
        role = _MLFLOW.get(c.attr)
        return ("mlflow", role) if role else None
    tool = call_ctor(c, al)
    if tool:
        role = _CTOR_ROLE.get(tool, "run")
        if tool == "wandb" and c.has_kw("config"):
            role = "params"
        return (tool, role) if role else None
    if q.startswith("wandb."):
        rest = q[len("wandb."):]
        if rest in ("log", "summary.update"):
            return "wandb", "metrics"
        if rest in ("config.update", "config.setdefaults"):
            return "wandb", "params"
        if rest in ("log_artifact", "Artifact", "watch", "save", "agent", "sweep", "log_model", "use_artifact"):
            return "wandb", "run"
        return None
    if q.startswith("tensorflow.summary.") and c.attr in ("scalar", "histogram", "image", "text"):
        return "tensorboard", "metrics" if c.attr == "scalar" else "run"
    if q.startswith("google.cloud.aiplatform."):
        if c.attr == "log_params":
            return "vertex-experiments", "params"
        if c.attr.startswith("log_") and "metrics" in c.attr:
            return "vertex-experiments", "metrics"
        if c.attr == "autolog" or (c.attr == "init" and c.has_kw("experiment")):
            return "vertex-experiments", "auto" if c.attr == "autolog" else "run"
        return None
    recv = c.recv
    tool = _obj_tool(recv, objs)
    if tool is None and uses_mlflow and recv.rsplit(".", 1)[-1].lower().endswith("client") and (c.attr in _MLFLOW or c.attr == "log_batch"):
        tool = "mlflow"
    if tool is None:
        return None
    if c.attr in _PARAM_ATTRS and not (c.attr == "update" and "config" not in recv):
        return tool, "params"
    if c.attr in _METRIC_ATTRS:
        return tool, "auto" if c.attr == "log_batch" or (tool == "azureml" and c.attr == "log") else "metrics"
    if c.attr in _RUN_ATTRS:
        return tool, "run"
    return None


# ------------------------------------------------------------------ AST parents

# nodes without child nodes (a Name's context marker aside): parents() skips them
_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias})


def items_loop(name: ast.Name, par: dict[ast.AST, ast.AST]) -> ast.AST | None:
    """The mapping a loop ``for k, v in mapping.items():`` around the call unpacks ``name`` from, else None."""
    cur = par.get(name)
    while cur is not None:
        if isinstance(cur, ast.For) and isinstance(cur.target, ast.Tuple) and any(
                isinstance(t, ast.Name) and t.id == name.id for t in cur.target.elts):
            it = cur.iter
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items":
                return it.func.value
            return None
        cur = par.get(cur)
    return None


def loop_line(call: ast.AST, par: dict[ast.AST, ast.AST]) -> int | None:
    """The line of the ``for k, v in mapping.items():`` loop a call logging ``(k, v)`` sits in (``mlflow.log_metric(k, v)``:
    the loop says what it logs), None otherwise."""
    if not (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Name)) or items_loop(call.args[0], par) is None:
        return None
    cur = par.get(call)
    while cur is not None and not isinstance(cur, ast.For):
        cur = par.get(cur)
    return cur.lineno if cur is not None and cur.lineno < call.lineno else None


def loop_span(index: FileIndex, path: str, loop: int | None, line: int | None) -> str | None:
    """The snippet citing a call logged in a loop from the loop through the call (``for k, v in metrics.items():`` /
    ``metrics.log_metric(k, v)``), when ``loop`` is a line of the Python file above ``line``; None otherwise."""
    lines = index.lines(path) if loop and line and path.endswith(".py") else []
    if not lines or not (0 < loop < line <= len(lines)):  # type: ignore[operator]
        return None
    return f"{lines[loop - 1].strip()}\n    {lines[line - 1].strip()}"  # type: ignore[index,operator]


def parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Parent of every node below ``tree`` (``ast.iter_child_nodes`` inlined; the shared ``Load``/``Store`` context
    markers are left out, nobody asks for their parent)."""
    out: dict[ast.AST, ast.AST] = {}
    for n in walk(tree):
        if n.__class__ in _LEAVES:
            continue
        for name in n._fields:
            v = getattr(n, name, None)
            if v.__class__ is list:
                for ch in v:
                    if isinstance(ch, ast.AST):
                        out[ch] = n
            elif isinstance(v, ast.AST) and not isinstance(v, ast.expr_context):
                out[v] = n
    return out


def enclosing_functions(node: ast.AST, par: dict[ast.AST, ast.AST]) -> list[str]:
    out, cur = [], par.get(node)
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(cur.name)
        cur = par.get(cur)
    return out


TUNING_WORDS = frozenset({"tune", "tuning", "tunig", "hpo", "sweep", "hyperparameter", "hyperparameters", "hyperopt", "optuna", "search"})


# ------------------------------------------------------------------ URIs, code versions, shell variables

_REMOTE_SCHEMES = ("s3://", "gs://", "gcs://", "az://", "abfs://", "abfss://", "wasbs://", "wasb://", "azureml://", "dbfs:/", "oss://",
                   "hdfs://", "r2://", "minio://", "https://", "http://")


def remote_uri(value: str) -> str | None:
    """The scheme of a remote store URI (``s3``, ``databricks``, ``http``) or None for local paths."""
    v = value.strip().strip("'\"").lower()
    if v in ("databricks", "databricks-uc") or v.startswith(("databricks://", "databricks-uc://")):
        return "databricks"
    for s in _REMOTE_SCHEMES:
        if v.startswith(s):
            host = v[len(s):].split("/", 1)[0]
            if s.startswith("http") and (host.startswith(("localhost", "127.0.0.1", "0.0.0.0")) or not host):  # noqa: S104 - a URI, not a bind
                return None
            return s.split(":")[0]
    return None


COMPOSE_GLOBS = ("**/docker-compose*.yml", "**/docker-compose*.yaml", "**/compose.yml", "**/compose.yaml", "**/compose.*.yml",
                 "**/compose.*.yaml")
_MLFLOW_SERVER = lazy_re(r"\bmlflow\s+(server|ui)\b")
_STORE_URI = lazy_re(r"\b(?:[a-z][a-z0-9+]*)://[^\s\"',\]]+", re.I)


def _service_text(index: FileIndex, compose: FileEntry, service: dict) -> str:
    """What a compose service runs: its command, entrypoint and environment, and the Dockerfile it builds from."""
    parts = [str(service.get(k, "")) for k in ("command", "entrypoint", "environment")]
    build = service.get("build")
    context, dockerfile = (build, "Dockerfile") if isinstance(build, str) else (
        (str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))) if isinstance(build, dict) else (None, None))
    if context is not None:
        base = compose.vpath.rsplit("/", 1)[0] if "/" in compose.vpath else ""
        want = posixpath.normpath(posixpath.join(base, str(context), str(dockerfile)))
        hit = next((f for f in index.select((want,)) if f.vpath == want), None)
        if hit is not None:
            parts.append(index.text(hit.path) or "")
    return "\n".join(parts)


def compose_local_server(index: FileIndex, uri: str) -> bool:
    """Is ``uri`` (``http://mlflow:5000``) an MLflow server the repository's compose file runs on the developer's machine,
    keeping its runs and artifacts there: a service of that name whose ``mlflow server`` (command or Dockerfile) has no
    remote store (no ``s3://``/``gs://``/database URI for artifacts or an S3 endpoint), e.g. ``--backend-store-uri
    sqlite:///...`` with the default local artifact folder on a bind-mounted volume? Such a server is no shared store."""
    v = uri.strip().strip("'\"").lower()
    m = re.match(r"https?://([^/:]+)", v)
    if not m:
        return False
    host = m.group(1)

    def build() -> dict[str, bool]:
        out: dict[str, bool] = {}
        for e in index.select(COMPOSE_GLOBS):
            if e.test:
                continue
            for doc in index.yaml(e.path):
                services = doc.get("services") if isinstance(doc, dict) else None
                for name, svc in services.items() if isinstance(services, dict) else ():
                    if not isinstance(svc, dict):
                        continue
                    # exec-form commands (``CMD ["mlflow", "server", ...]``, compose lists) read as words
                    text = re.sub(r"[\"',\[\]]", " ", _service_text(index, e, svc))
                    if not _MLFLOW_SERVER.search(text):
                        continue
                    stores = [u.group(0).lower() for u in _STORE_URI.finditer(text)]
                    local = not any(not u.startswith(("sqlite:", "file:", "http://localhost", "http://127.0.0.1", "http://0.0.0.0")) for u in stores) \
                        and "MLFLOW_S3_ENDPOINT_URL" not in text and "--artifacts-destination" not in text
                    for n in {str(name).lower(), str(svc.get("container_name", "")).lower(), str(svc.get("hostname", "")).lower()} - {""}:
                        out[n] = out.get(n, True) and local
        return out

    servers: dict[str, bool] = index.memo("tracking:compose-local-servers", build)
    return bool(servers.get(host))


CODE_EXPR = lazy_re(
    r"github\.sha\b|github\.event\.pull_request\.head\.sha|\bGITHUB_SHA\b|\bCI_COMMIT_(SHORT_)?SHA\b|\bCI_COMMIT_TAG\b|"
    r"Build\.SourceVersion\b|\bBUILD_SOURCEVERSION\b|\bCIRCLE_SHA1\b|\bCIRCLE_TAG\b|\bBITBUCKET_COMMIT\b|\bBITBUCKET_TAG\b|"
    r"\bBUILDKITE_COMMIT\b|\bBUILDKITE_TAG\b|\bGIT_COMMIT\b|\bGIT_SHA\b|\bCOMMIT_SHA\b|\bSHORT_SHA\b|\bREVISION_ID\b|\bTAG_NAME\b|"
    r"\bCODEBUILD_RESOLVED_SOURCE_VERSION\b|\bDRONE_COMMIT(_SHA)?\b|\bTRAVIS_COMMIT\b|\bSEMAPHORE_GIT_SHA\b|"
    r"git\s+rev-parse|git\s+describe|git\s+log\s+-1\s+--(pretty|format)=(format:)?%h|\$\{bundle\.git\.commit\}|"
    r"(Build|BUILD)[._]?(BuildId|BUILDID|BuildNumber|BUILDNUMBER)\b|github\.run_(id|number)\b|\bGITHUB_RUN_(ID|NUMBER)\b|"
    r"\bCI_PIPELINE_I?ID\b|\bCIRCLE_BUILD_NUM\b|\bBITBUCKET_BUILD_NUMBER\b|\bBUILDKITE_BUILD_NUMBER\b|\bCODEBUILD_BUILD_NUMBER\b|"
    r"\bBUILD_NUMBER\b|\bBUILD_ID\b"
)
_TAG_EXPR = lazy_re(r"github\.ref_name\b|\bGITHUB_REF_NAME\b|github\.event\.release\.tag_name|github\.ref\b|\bGITHUB_REF\b")
_BUILD_ID = lazy_re(r"(?i)build.?(id|number)|run_(id|number)|RUN_(ID|NUMBER)|PIPELINE_I?ID|BUILD_NUM")


# the commands whose output keeps the text they are given (``$(echo $GITHUB_SHA | cut -c1-7)`` is still the commit), and git
_MACRO = lazy_re(r"[A-Za-z_][\w.]*")
_PASS_THROUGH = frozenset({"echo", "printf", "cut", "head", "tail", "tr", "sed", "awk", "xargs", "git", "basename"})


def other_outputs(text: str) -> str:
    """The text with each command substitution (``$(...)``, backquotes) whose command makes its own output replaced by
    ``$(...)``: ``RUN_ID=$(kfp run submit ... -r train-$GITHUB_SHA)`` is the id of an orchestrator's run, not the commit
    its arguments name; a substitution that only reshapes its input (``echo``, ``cut``, ``head`` ...) or asks git
    keeps its text."""
    if "$(" not in text and "`" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i) and not text.startswith("$((", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            inner, end = text[i + 2:j - 1], j
        elif text[i] == "`" and "`" in text[i + 1:]:
            end = text.index("`", i + 1) + 1
            inner = text[i + 1:end - 1]
        else:
            out.append(text[i])
            i += 1
            continue
        cmd = inner.strip()
        if cmd.startswith("shell "):
            cmd = cmd[6:].strip()  # Make's ``$(shell git rev-parse --short HEAD)``
        first = cmd.split(None, 1)[0].rsplit("/", 1)[-1] if cmd else ""
        # ``$(Build.BuildId)``, ``$(GIT_SHA)``: a variable of Azure Pipelines or Make, written like a substitution
        out.append(text[i:end] if first in _PASS_THROUGH or _MACRO.fullmatch(cmd) else "$(...)")
        i = end
    return "".join(out)


def code_expr(text: str, tag_trigger: bool = False) -> str | None:
    """``git-sha`` / ``ci-build-id`` / ``release-tag`` when text holds a code-version expression (outside the arguments
    of a command whose output is something else, ``other_outputs``)."""
    text = other_outputs(text)
    m = CODE_EXPR.search(text)
    if m:
        return "ci-build-id" if _BUILD_ID.search(m.group(0)) else "git-sha"
    if tag_trigger and _TAG_EXPR.search(text):
        return "release-tag"
    return None


_VAR = lazy_re(r"\$\{\{\s*(?:env|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:%#/][^}]*)?\}|\$\(([A-Za-z_][A-Za-z0-9_.]*)\)|\$([A-Za-z_][A-Za-z0-9_]*)")
ASSIGN = lazy_re(r"^(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*)$")
_GH_ENV = lazy_re(r"""echo\s+["']?([A-Za-z_][A-Za-z0-9_]*)=(.*?)["']?\s*>>\s*["']?\$\{?GITHUB_(ENV|OUTPUT)""")


def _gh_env(line: str) -> re.Match[str] | None:
    """``echo X=... >> $GITHUB_ENV``. Searched only up to the line's last ``GITHUB_ENV``/``GITHUB_OUTPUT``: every
    ``echo`` after it would scan to the end of the line and fail (quadratic on a line of ``echo a=``)."""
    if "GITHUB_" not in line:
        return None
    last = max(line.rfind("GITHUB_ENV") + 10, line.rfind("GITHUB_OUTPUT") + 13)
    return _GH_ENV.search(line, 0, last) if last > 12 else None


def variables(texts: Iterable[str], mappings: Iterable[Any] = ()) -> dict[str, list[str]]:
    """Shell/CI variables: ``X=...``/``export X=...`` lines, ``>> $GITHUB_ENV`` writes, env/variables mappings."""
    out: dict[str, list[str]] = {}
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            if len(line) > 2000:
                continue  # minified or generated text: no variables worth reading, and keeps the regexes linear
            m = _gh_env(line) or ASSIGN.match(line)
            if m:
                value = re.split(r"\s+#", m.group(2), maxsplit=1)[0]  # an inline shell comment is not part of the value
                out.setdefault(m.group(1), []).append(value.strip().strip("'\""))
    for m in mappings:
        for d in ops.walk_dicts(m):
            for key in ("env", "variables", "environment", "vars", "parameters"):
                v = d.get(key)
                if isinstance(v, dict):
                    for k, val in v.items():
                        if isinstance(val, (str, int, float)) or isinstance(val, dict) and "value" in val:
                            out.setdefault(str(k), []).append(str(val["value"] if isinstance(val, dict) else val))
                elif isinstance(v, list):  # Azure: - name: X / value: Y ; compose: - X=Y
                    for item in v:
                        if isinstance(item, dict) and "name" in item and "value" in item:
                            out.setdefault(str(item["name"]), []).append(str(item["value"]))
                        elif isinstance(item, str) and "=" in item:
                            k, _, val = item.partition("=")
                            out.setdefault(k.strip(), []).append(val.strip())
    return out


def expand(text: str, env: dict[str, list[str]], depth: int = 0, start: int = 0) -> list[str]:
    """The text with each defined variable replaced by each of its definitions (bounded); undefined
    variables stay as written (``$GITHUB_SHA`` keeps its meaning)."""
    m = _VAR.search(text, start)
    if not m or depth > 6:
        return [text]
    name = next(g for g in m.groups() if g)
    values = env.get(name) or env.get(name.split(".")[-1]) or []
    if not values:
        return expand(text, env, depth, m.end())
    out: list[str] = []
    for v in values[:4]:
        if name in v:
            v = m.group(0) + "?"  # self-reference
        new = text[: m.start()] + v + text[m.end():]
        out += expand(new, env, depth + 1, m.start())
    return out[:16]


# commands that build, push or deploy images (the head of the command line, path stripped)
_IMAGE_TOOLS = frozenset({"docker", "podman", "buildah", "nerdctl", "kaniko", "executor", "az", "gcloud", "kubectl", "helm", "skaffold",
                          "crane", "pack", "bentoml", "kustomize"})


def image_refs(cmd: str) -> tuple[str, ...]:
    """Image references a build/push/deploy command names: ``docker build -t x:tag``, ``docker push x:tag``,
    ``kubectl set image d c=x:tag``, ``az acr build -t``, ``gcloud builds submit --tag``, ``--set image.tag=``.
    Memoised by text: the steps of many CI jobs run the same commands."""
    return _image_refs(cmd)


@lru_cache(maxsize=1 << 14)
def _image_refs(cmd: str) -> tuple[str, ...]:
    return tuple(_image_refs_of(cmd))


def _image_refs_of(cmd: str) -> Iterator[str]:
    text = gh_compact(cmd)
    if not any(t in text for t in _IMAGE_TOOLS) and not any(q in text for q in "'\"\\"):
        return  # unquoted, unescaped shell words are pieces of the text: none can be a tool
    words = argv(text)
    heads = [w.rsplit("/", 1)[-1] for w in words[:3]]
    if not words:
        return
    if not (set(heads) & _IMAGE_TOOLS):
        return
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in ("-t", "--tag", "--destination", "--image", "-i") and nxt:
            yield nxt
        elif w.startswith(("--tag=", "--destination=", "--image=")):
            yield w.split("=", 1)[1]
        elif w in ("--set", "--set-string") and nxt and re.search(r"(^|\.)(tag|image|version)[^=]*=", nxt):
            yield nxt.split("=", 1)[1]
        elif w.startswith("--set=") and re.search(r"(tag|image)[^=]*=", w):
            yield w.split("=", 2)[-1]
    if "push" in heads or "set" in heads or "tag" in heads:
        for w in words[2:]:
            if not w.startswith("-") and ":" in w and "=" not in w.split(":", 1)[0]:
                yield w.split("=", 1)[1] if "=" in w and "/" not in w.split("=", 1)[0] else w


def gh_compact(text: str) -> str:
    """``${{ github.sha }}`` -> ``${{github.sha}}`` so shell splitting keeps an expression in one word. An expression
    ends at the first ``}}`` on its line; one scan over the text (a regex from every ``${{`` was quadratic)."""
    if "${{" not in text:
        return text
    out: list[str] = []
    done = i = 0
    while (start := text.find("${{", i)) >= 0:
        end = text.find("}}", start + 3)
        if end < 0:
            break  # no later expression can end either
        inner = text[start + 3 : end]
        core = inner.strip()
        newline = text.rfind("\n", end - len(inner.lstrip()), start + 3 + len(inner.rstrip()))
        if newline >= 0:  # not closed on its line: only a ``${{`` with nothing but blanks before that newline can be
            prev = text.rfind("${{", start + 1, newline)
            i = prev if prev > start and not text[prev + 3 : newline].strip() else newline + 1
            continue
        out.append(text[done:start])
        out.append("${{" + core.replace(" ", "") + "}}")
        done = i = end + 2
    out.append(text[done:])
    return "".join(out)


def tag_of(ref: str) -> str:
    """The tag part of an image reference (``reg:5000/x:tag`` -> ``tag``); '' when absent."""
    if "@" in ref:
        return ref.split("@", 1)[1]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


# ------------------------------------------------------------------ settings outside Python

ENV_TEXT_GLOBS = ("**/.env", "**/*.env", "**/.env.*", "**/*.sh", "**/Makefile", "**/makefile", "**/*.mk", "**/.envrc")
DOCKERFILES = ("**/Dockerfile", "**/Dockerfile.*", "**/Dockerfile-*", "**/dockerfile", "**/dockerfile.*", "**/dockerfile-*", "**/*.Dockerfile",
               "**/*.dockerfile", "**/Containerfile", "**/Containerfile.*")


def env_settings(index: FileIndex, names: tuple[str, ...]) -> Iterator[tuple[FileEntry, int | None, str, str]]:
    """(file, line, name, value) for environment settings of the given variables in YAML (CI env,
    compose, Kubernetes ``name``/``value``, ``- K=V`` lists), Dockerfile ENV/ARG, .env files, shell
    scripts and Makefiles."""
    needles = tuple(n.encode() for n in names)
    for e in index.select(ops.YAML_GLOBS):
        if not index.contains(e.path, needles):
            continue
        for doc in index.yaml(e.path):
            for d in ops.walk_dicts(doc):
                for k, v in d.items():
                    if k in names and isinstance(v, (str, int, float)) and not isinstance(v, bool):
                        yield e, line_of(d, k), str(k), str(v)
                    elif isinstance(v, list):
                        for i, item in enumerate(v):
                            if isinstance(item, str) and "=" in item and item.split("=", 1)[0].strip() in names:
                                yield e, v.line_of(i) if hasattr(v, "line_of") else None, item.split("=", 1)[0].strip(), item.split("=", 1)[1].strip()
                if d.get("name") in names and isinstance(d.get("value"), (str, int, float)):
                    yield e, line_of(d, "value"), str(d["name"]), str(d["value"])
    for e in index.select(DOCKERFILES):
        if not index.contains(e.path, needles):
            continue
        for ins in index.dockerfile(e.path):
            if ins.instruction in ("ENV", "ARG"):
                for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+)(\"[^\"]*\"|'[^']*'|\S+)", ins.value):
                    if m.group(1) in names:
                        yield e, ins.line, m.group(1), m.group(2).strip("'\"")
    for e in index.select(ENV_TEXT_GLOBS):
        if not index.contains(e.path, needles):
            continue
        for i, ln in enumerate(index.lines(e.path), start=1):
            m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*?)\s*$", ln)
            if m and m.group(1) in names:
                yield e, i, m.group(1), m.group(2).strip("'\"")


def python_value(node: ast.AST | None, tree: ast.AST, line: int = 10**9) -> str | None:
    """A string an expression evaluates to from literals alone: constants, f-strings (placeholders become
    ``{}``), names assigned earlier in the file and ``os.getenv(name, default)`` defaults."""
    if node is None:
        return None
    text = string_template(node)
    if text is not None:
        return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = python_value(node.left, tree, line), python_value(node.right, tree, line)
        return (a or "{}") + (b or "{}") if a or b else None
    if isinstance(node, ast.Name):
        prior = [n for n in walk(tree) if isinstance(n, ast.Assign) and n.lineno < line
                 and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
        return python_value(max(prior, key=lambda n: n.lineno).value, tree, line) if prior else None
    if isinstance(node, ast.Call) and ops.dotted(node.func).endswith(("getenv", "environ.get")) and len(node.args) > 1:
        return python_value(node.args[1], tree, line)
    return None


# ------------------------------------------------------------------ install-gated trackers

# tracker tool -> the distributions that bring it (TensorFlow ships TensorBoard)
TRACKER_DISTS = {
    "mlflow": ("mlflow", "mlflow-skinny"), "wandb": ("wandb",), "clearml": ("clearml",), "comet": ("comet-ml",),
    "neptune": ("neptune", "neptune-client"), "tensorboard": ("tensorboard", "tensorboardx", "tensorflow", "tensorflow-cpu", "tf-nightly"),
    "dvclive": ("dvclive",), "aim": ("aim",),
}
_COMMENTED_REQ = lazy_re(r"^\s*#\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[<>=~!;\[#]|$)")


def install_gated(index: FileIndex, tool: str, import_guarded: bool = False) -> bool:
    """Does a default install leave the tracker out? Its package is commented out of a requirements file or only
    listed under optional extras (or the code imports it under ``try/except ImportError``: ``import_guarded``), and
    no core dependency list (requirements, ``[project] dependencies``, Poetry, Pipfile, conda, setup.py) brings it:
    the tracker only runs for users who install it themselves (opt-in). An extra or a guarded import is no opt-in when
    the project's shipped configs turn the tracker on (``configs_enable``): the runs it documents are tracked; a
    package commented out of the requirements stays out."""
    dists = TRACKER_DISTS.get(tool)
    if not dists:
        return False

    def build() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        core: set[str] = set()
        gated: set[str] = set()
        commented: set[str] = set()
        for e in index.select(("**/requirements*.txt", "**/requirements/*.txt", "**/*requirements.txt")):
            if e.test:
                continue
            names = {r.name for r in index.requirements(e.path)}
            if _optional_requirements(index, e):
                gated |= names  # ``requirements/requirements-wandb.txt``: installed only by who asks for the tracker
            else:
                core |= names
            for ln in index.lines(e.path):
                m = _COMMENTED_REQ.match(ln)
                if m:
                    commented.add(normalize_name(m.group(1)))
        for e in index.select(("**/pyproject.toml",)):
            doc = index.toml(e.path) or {}
            proj = doc.get("project") if isinstance(doc.get("project"), dict) else {}
            core |= {_req_name(x) for x in proj.get("dependencies") or [] if isinstance(x, str)}
            extras = proj.get("optional-dependencies") if isinstance(proj.get("optional-dependencies"), dict) else {}
            gated |= {_req_name(x) for v in extras.values() if isinstance(v, list) for x in v if isinstance(x, str)}
            poetry = ((doc.get("tool") or {}).get("poetry") or {}) if isinstance(doc.get("tool"), dict) else {}
            deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
            core |= {normalize_name(k) for k in deps} if isinstance(deps, dict) else set()
        every = {n: n for d in TRACKER_DISTS.values() for n in d}
        # requirements files are read above; their declarations were dropped here anyway (.txt), asking parsed each again
        core |= {normalize_name(tool_name) for e, _line, tool_name in ops.declared(index, every, requirements=False)
                 if not e.name.endswith(("requirements.txt", ".toml")) and not e.vpath.endswith(".txt")}
        return frozenset(core), frozenset(gated), frozenset(commented)

    core, gated, commented = index.memo("tracking:install-gated", build)
    names = {normalize_name(d) for d in dists}
    if names & core:
        return False
    if names & commented:
        return True
    return (bool(names & gated) or import_guarded) and not configs_enable(index, tool)


# configuration files a project ships for its runs (not CI, containers, deployments or tests)
_RUN_CONFIGS = ("**/*.yaml", "**/*.yml", "**/*.json", "**/*.toml")
_NOT_RUN_CONFIG = lazy_re(r"(?i)(^|/)(\.github|\.gitlab|\.circleci|\.azure-pipelines|deploy|deployment|k8s|kubernetes|helm|charts?|"
                          r"docker)(/|$)|(^|/)[^/]*compose[^/]*$|(^|/)(package|tsconfig|\.pre-commit-config|mkdocs|codecov|pyproject)\.")
# keys naming which tracker(s) a run reports to
_TRACKER_CHOICE_KEYS = frozenset({"logger", "loggers", "report_to", "tracker", "trackers", "experiment_tracker", "log_with", "logging"})


def configs_enable(index: FileIndex, tool: str) -> bool:
    """Do the project's run configs turn the tracker on, and none off? A section of its own (``wandb: {project: ...}``),
    a switch set on (``use_wandb: true``, ``wandb: true``, ``log_wandb``, ``wandb_enabled``), or a choice naming it
    (``logger: wandb``, ``report_to: [wandb]``). A switch set off (``use_wandb: false``, ``wandb: {mode: disabled}``)
    anywhere makes it opt-in again."""

    def build() -> dict[str, bool]:
        found: dict[str, bool] = {}
        for e in index.select(_RUN_CONFIGS):
            if e.test or _NOT_RUN_CONFIG.search(e.vpath) or not index.mentions(e.path, tuple(t.encode() for t in TRACKER_MODULES)):
                continue
            docs = [index.json(e.path)] if e.suffix == ".json" else [index.toml(e.path)] if e.suffix == ".toml" else index.yaml(e.path)
            for doc in docs:
                if isinstance(doc, dict) and ("apiVersion" in doc or "services" in doc):
                    continue
                for d in ops.walk_dicts(doc):
                    for k, v in d.items():
                        for t, on in _tracker_setting(str(k).lower(), v):
                            found[t] = found.get(t, True) and on
        return found

    return index.memo("tracking:configs-enable", build).get(tool, False)  # type: ignore[no-any-return]


def _tracker_setting(key: str, value: Any) -> Iterator[tuple[str, bool]]:
    """(tracker, on) a config key/value pair says."""
    for t in TRACKER_MODULES:
        if key in (t, f"use_{t}", f"log_{t}", f"{t}_enabled", f"enable_{t}", f"with_{t}"):
            if isinstance(value, bool):
                yield t, value
            elif isinstance(value, dict):
                mode = str(value.get("mode", "")).lower()
                enabled = value.get("enabled", value.get("enable"))
                yield t, mode not in ("disabled", "off", "offline_disabled") and enabled is not False
        elif key in _TRACKER_CHOICE_KEYS:
            chosen = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            if any(isinstance(x, str) and x.lower() == t for x in chosen):
                yield t, True


_REQ_NAME = lazy_re(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# a requirements file named for an optional part of the install (``requirements-wandb.txt``, ``requirements/optional.txt``)
_OPTIONAL_PART = lazy_re(r"(?i)(?:^|[-_.])(?:optional|extras?|wandb|tensorboard|mlflow|comet|neptune|clearml|aim|dvclive|trackers?|logging)(?:$|[-_.])")


def _optional_requirements(index: FileIndex, e: FileEntry) -> bool:
    """Is a requirements file an optional extra that no default install reads: named for one (``requirements-wandb.txt``,
    ``requirements/tensorboard.txt``), included by no other requirements file (``-r``) and installed by no automated
    command (CI, Dockerfile, task runner)?"""
    stem = e.name.rsplit(".", 1)[0]
    part = stem[len("requirements"):] if stem.lower().startswith("requirements") else stem
    if not part or _OPTIONAL_PART.search(part) is None:
        return False
    if any(e.name in t for t in ops.automated_texts(index)):
        return False
    return not any(f.path != e.path and any(ln.lstrip().startswith(("-r", "--requirement")) and e.name in ln for ln in index.lines(f.path))
                   for f in index.select(("**/requirements*.txt", "**/requirements/*.txt")))


def component_installs(tree: ast.AST) -> frozenset[str]:
    """The distributions a component or step declared in the file installs where it runs: the literal strings of a
    ``packages_to_install=[...]`` (KFP ``create_component_from_func``/``@dsl.component``), normalised names. A tracker
    listed there is installed with the code that calls it, whatever the repository's requirements leave out."""
    out: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "packages_to_install" and isinstance(node.value, (ast.List, ast.Tuple)):
            for v in node.value.elts:
                m = _REQ_NAME.match(v.value) if isinstance(v, ast.Constant) and isinstance(v.value, str) else None
                if m:
                    out.add(normalize_name(m.group(1)))
    return frozenset(out)


def installed_by(tool: str, installs: Iterable[str]) -> bool:
    """Is one of the tracker's distributions among ``installs`` (normalised names)?"""
    return bool({normalize_name(d) for d in TRACKER_DISTS.get(tool, ())} & set(installs))


def guarded_imports(tree: ast.AST) -> set[str]:
    """Top-level modules imported inside ``try:`` blocks whose handlers catch ImportError (or any exception): the code
    runs without them (``try: import wandb`` / ``except ImportError: wandb = None``)."""
    out: set[str] = set()
    for t in walk(tree):
        if not isinstance(t, ast.Try):
            continue
        catches = any(h.type is None or {ops.dotted(n) for n in walk(h.type)} & {"ImportError", "ModuleNotFoundError", "Exception"}
                      for h in t.handlers)
        if catches:
            for n in (x for st in t.body for x in walk(st)):
                if isinstance(n, ast.Import):
                    out |= {a.name.split(".")[0] for a in n.names}
                elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                    out.add(n.module.split(".")[0])
    return out


# the module a tracker tool is imported as
TRACKER_MODULES = {"mlflow": "mlflow", "wandb": "wandb", "clearml": "clearml", "comet": "comet_ml", "neptune": "neptune",
                   "dvclive": "dvclive", "aim": "aim", "tensorboard": "tensorboard"}


def _req_name(spec: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return normalize_name(m.group(1)) if m else ""


# ---------------------------------------------------------------- runs compared by a metric (E2's deciding line)

# MLflow ``search_runs(order_by=[...])``, W&B ``Api().runs(path, order="-summary_metrics.acc")``, SageMaker
# ``ExperimentAnalytics(experiment_name=..., sort_by="metrics.validation:auc.max")``
_ORDER_KWARGS = ("order_by", "order", "sort_by")
_PICK_ATTRS = frozenset({"sort_values", "idxmax", "idxmin", "nlargest", "nsmallest"})


def run_comparison(tree: ast.Module) -> list[Any] | None:
    """[line, tool] of the code that compares a tracker's runs by a metric to pick one: an MLflow ``search_runs`` ordered
    by a metric (``order_by=["metrics.rmse ASC"]``, cited at that argument) or whose result is sorted or reduced by a
    metric column (``runs.sort_values("metrics.rmse")``, ``runs["metrics.auc"].idxmax()``), a W&B ``api.runs(...,
    order=...)``, a SageMaker ``ExperimentAnalytics(..., sort_by="metrics.auc.max")`` table of trial components; None when the module compares no runs. Listing runs without ordering them compares nothing."""
    searched: set[str] = set()  # names assigned from a run search
    for n in walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and _search_call(n.value):
            searched |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    best: list[Any] | None = None
    for n in walk(tree):
        if not isinstance(n, ast.Call):
            continue
        hit: list[Any] | None = None
        tool = _search_call(n)
        if tool:
            kw = next((k for k in n.keywords if k.arg in _ORDER_KWARGS and _metric_text(k.value)), None)
            if kw is not None:
                hit = [kw.value.lineno, tool]
        elif isinstance(n.func, ast.Attribute) and n.func.attr in _PICK_ATTRS:
            # ``runs.sort_values("metrics.f1")``, ``runs["metrics.auc"].idxmax()``: down the chain to the searched runs
            root, metric = n.func.value, any(_metric_text(a) for a in [*n.args, *(k.value for k in n.keywords)])
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                metric = metric or (isinstance(root, ast.Subscript) and _metric_text(root.slice))
                root = root.value
            if metric and ((isinstance(root, ast.Name) and root.id in searched) or (isinstance(root, ast.Call) and _search_call(root))):
                hit = [n.lineno, "mlflow"]
        if hit and (best is None or hit[0] < best[0]):
            best = hit
    return best


def _search_call(n: ast.Call) -> str:
    name = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(n.func, ast.Name) else ""
    if name == "search_runs":
        return "mlflow"
    if name == "runs" and isinstance(n.func, ast.Attribute) and any(k.arg == "order" for k in n.keywords):
        return "wandb"
    if name == "ExperimentAnalytics":  # SageMaker Experiments: a table of trial components, ``sort_by="metrics.auc.max"``
        return "sagemaker-experiments"
    return ""


def _metric_text(node: ast.AST) -> bool:
    """An argument naming a metric to order by: ``"metrics.rmse ASC"``, ``["metrics.val_loss"]``, ``"-summary_metrics.acc"``."""
    return any(isinstance(c, ast.Constant) and isinstance(c.value, str) and "metric" in c.value.lower() for c in walk(node))


# where a tracker groups the runs it records, so that its UI lists them side by side: qualified call -> the keywords
# naming the group (() when the call names it with its first argument: ``mlflow.set_experiment("churn")``)
_RUN_GROUPS: dict[str, tuple[str, ...]] = {
    "mlflow.set_experiment": (), "mlflow.create_experiment": (), "mlflow.start_run": ("experiment_id",),
    "wandb.init": ("project", "group"), "neptune.init_run": ("project",), "neptune.init": ("project",),
    "comet_ml.Experiment": ("project_name",), "comet_ml.start": ("project_name",), "clearml.Task.init": ("project_name",),
    "aim.Run": ("experiment",), "sagemaker.experiments.Run": ("experiment_name",),
    "sagemaker.experiments.run.Run": ("experiment_name",), "google.cloud.aiplatform.init": ("experiment",),
    "azureml.core.Experiment": (), "mlflow.tracking.fluent.set_experiment": (),
    # a ZenML step run by the stack's experiment tracker (``@step(experiment_tracker=tracker.name)``): the MLflow tracker
    # files each step run under one experiment per pipeline
    "zenml.step": ("experiment_tracker",), "zenml.steps.step": ("experiment_tracker",),
}


def run_group(tree: ast.Module) -> list[Any] | None:
    """[line, text] of the first call that names the experiment (or project) a tracker files the module's runs under
    (``mlflow.set_experiment("boston-housing")``, ``wandb.init(project="mnist")``, a Vertex ``aiplatform.init(experiment=
    ...)``): what makes the runs one metric line logs comparable with the others in the tracker's UI (E2), where a
    metric line alone shows one run. None when the module names none (the tracker's default experiment)."""
    al = ops.aliases(tree)
    best: list[Any] | None = None
    for n in walk(tree):
        if not isinstance(n, ast.Call):
            continue
        kws = _RUN_GROUPS.get(ops.qualname(n.func, al) or "")
        if kws is None or not (n.args if not kws else any(k.arg in kws for k in n.keywords)):
            continue
        if best is None or n.lineno < best[0]:
            # the call with the argument naming the group (``wandb.init(project='mnist', ...)``)
            named = n.args[0] if not kws else next(k for k in n.keywords if k.arg in kws)
            arg = ast.unparse(named)[:80] if isinstance(named, ast.expr) else f"{named.arg}={ast.unparse(named.value)[:80]}"
            more = len(n.args) + len(n.keywords) > 1
            best = [n.lineno, f"{ast.unparse(n.func)}({arg}{', ...' if more else ''})"]
    return best


# the environment variable a tracker reads the run's experiment or project from when the code names none
# (W&B ``WANDB_PROJECT``, MLflow ``MLFLOW_EXPERIMENT_NAME``/``_ID``, Comet ``COMET_PROJECT_NAME``, Neptune ``NEPTUNE_PROJECT``)
_GROUP_ENV = {"wandb": ("WANDB_PROJECT",), "mlflow": ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID"),
              "comet": ("COMET_PROJECT_NAME",), "neptune": ("NEPTUNE_PROJECT",)}
# the same names as the needles ``_env_run_group`` asks (module-level bytes: the scan's vocabulary gathers them up front)
_GROUP_ENV_NEEDLES = tuple(n.encode() for names in _GROUP_ENV.values() for n in names)


def env_run_group(index: FileIndex, tool: str) -> tuple[str, int, str] | None:
    """(path, line, ``NAME=value``) of the first setting of the variable ``tool`` files its runs under: a CI/compose/
    Kubernetes env, a Dockerfile ``ENV``, an .env or shell file (``env_settings``), or a Python mapping key or
    ``os.environ`` assignment (``environment={"WANDB_PROJECT": repo}`` handed to the training job); None when none is set."""
    names = _GROUP_ENV.get(tool)
    if not names:
        return None
    return index.derived(("env-run-group", tool), lambda: _env_run_group(index, names))  # type: ignore[no-any-return]


def _env_run_group(index: FileIndex, names: tuple[str, ...]) -> tuple[str, int, str] | None:
    hits = [(e.path, ln, f"{k}={v}") for e, ln, k, v in env_settings(index, names) if ln and not e.test]
    needles = tuple(n for n in _GROUP_ENV_NEEDLES if n.decode() in names)
    for e in index.select(("**/*.py",)):
        if e.test or not index.mentions(e.path, needles):
            continue
        tree = index.python(e.path)
        for n in walk(tree) if tree is not None else ():
            if isinstance(n, ast.Dict):
                hits += [(e.path, k.lineno, f"{k.value}={ast.unparse(v)[:60]}") for k, v in zip(n.keys, n.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value in names]
            elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(t := n.targets[0], ast.Subscript) \
                    and isinstance(t.slice, ast.Constant) and t.slice.value in names:
                hits.append((e.path, n.lineno, f"{t.slice.value}={ast.unparse(n.value)[:60]}"))
    return min(hits) if hits else None
