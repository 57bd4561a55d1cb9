"""Helpers shared by the tracking, registry, code-version and data-lineage detectors: which tracker a
Python call belongs to (through imports and tracker objects bound to names), where a file sits on the
training path, opt-in flags that default off, remote URIs, code-version expressions and shell
variables. Nothing here reads files except through the index. Not a detector."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mlscan.ci import argv, line_of
from mlscan.facts.pyast import walk
from mlscan.facts.wiring import AUTOMATED, has_main_guard, wiring
from mlscan.index import FileEntry, FileIndex

from . import ops
from .orchestration import config_refs, trainingish, words
from .pyeval import UNKNOWN, Evaluator

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


@dataclass(frozen=True, slots=True)
class TrackCall:
    line: int
    tool: str
    role: str  # run | params | metrics | auto (params and metrics)
    node: ast.AST


def _auto_tool(c: ops.PyCall) -> str | None:
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


def tracker_calls(index: FileIndex, e: FileEntry) -> list[TrackCall]:
    """Every call (and tracker-object assignment) of a file that logs to an experiment tracker."""

    def build() -> list[TrackCall]:
        tree = index.python(e.path)
        if tree is None:
            return []
        al, calls = ops.py_calls(index, e)
        objs = tracker_objects(tree, al)
        uses_mlflow = ops.imports_module(al, "mlflow")
        out: list[TrackCall] = []
        for c in calls:
            hit = _classify(c, al, objs, uses_mlflow)
            if hit:
                out.append(TrackCall(c.line, hit[0], hit[1], c.node))
        for n in walk(tree):  # run["params"] = ..., live.summary[...] = ..., wandb.config.x = ...
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if not isinstance(t, (ast.Subscript, ast.Attribute)):
                        continue
                    text = ops.dotted(t.value if isinstance(t, ast.Subscript) else t)
                    if text.startswith("wandb.config") or ops.qualname(t, al) == "wandb.config":
                        out.append(TrackCall(n.lineno, "wandb", "params", n))
                        continue
                    tool = _obj_tool(_receiver(t) or text, objs)
                    if tool in ("neptune", "aim", "dvclive", "wandb"):
                        key = " ".join(ops.literal(s.slice) or "" for s in walk(t) if isinstance(s, ast.Subscript)
                                       if isinstance(ops.literal(s.slice), str))
                        role = "params" if words(key) & {"params", "param", "parameters", "config", "hparams", "hyperparameters"} else "metrics"
                        out.append(TrackCall(n.lineno, tool, role, n))
        out.sort(key=lambda t: t.line)
        return out

    return index.file_memo("tracking-calls", e.path, build)  # type: ignore[no-any-return]


def _classify(c: ops.PyCall, al: dict[str, str], objs: dict[str, str], uses_mlflow: bool) -> tuple[str, str] | None:
    q = c.qual
    auto = _auto_tool(c)
    if auto:
        return auto, "metrics" if c.qual.endswith("callbacks.TensorBoard") else "auto"
    if c.attr.endswith(("TrainingArguments", "SFTConfig", "DPOConfig", "GRPOConfig")) and q.startswith(("transformers.", "trl.")):
        report = ops.kwarg(c.node, "report_to")
        vals = [s for s in ([ops.literal(report)] if report is not None else []) for s in (s if isinstance(s, list) else [s]) if isinstance(s, str)]
        tools = [_REPORT_TO[v] for v in vals if v in _REPORT_TO]
        return (tools[0], "auto") if tools else None
    if q.startswith("mlflow.") and not q.startswith(("mlflow.tracking.", "mlflow.client.")):
        role = _MLFLOW.get(c.attr)
        return ("mlflow", role) if role else None
    tool = _ctor(c.node, al)
    if tool:
        role = _CTOR_ROLE.get(tool, "run")
        if tool == "wandb" and ops.kwarg(c.node, "config") is not None:
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
        if c.attr == "autolog" or (c.attr == "init" and ops.kwarg(c.node, "experiment") is not None):
            return "vertex-experiments", "auto" if c.attr == "autolog" else "run"
        return None
    recv = _receiver(c.node)
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


# ------------------------------------------------------------------ where a file sits


@dataclass(frozen=True, slots=True)
class Place:
    wired: str  # automated | entrypoint | none
    training_script: bool  # defines/calls training and runs as a script, or a notebook that trains
    near_reached: bool  # a sibling module is reached (the training package)
    test: bool
    chain: str


def trains(tree: ast.AST) -> bool:
    names = [n.name for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    calls = [ops.dotted(n.func).rsplit(".", 1)[-1] for n in walk(tree) if isinstance(n, ast.Call)]
    return any(c in ("fit", "train", "fit_generator", "partial_fit") for c in calls) or trainingish(*names, *calls)


def _top_level_training(tree: ast.AST) -> bool:
    """A script written top to bottom (no main guard) that fits a model at module level."""
    body = tree.body if isinstance(tree, ast.Module) else []
    stmts = [st for st in body if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
    return any(isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] in ("fit", "train", "fit_generator")
               for st in stmts for n in walk(st))


def place(index: FileIndex, e: FileEntry) -> Place:
    def build() -> Place:
        w = wiring(index)
        r = w.of(e.vpath)
        test = e.test
        wired, chain = "none", ""
        if r is not None:
            wired, chain = ("automated" if r.kind == AUTOMATED else "entrypoint"), r.describe()
        elif not test:
            refs = config_refs(index, e)
            if refs:
                wired, chain = "automated", f"config {refs[0][0].path}"
        tree = index.python(e.path)
        script = (e.suffix == ".ipynb" or (tree is not None and isinstance(tree, ast.Module) and has_main_guard(tree))
                  or index.contains(e.path, (b"# Databricks notebook source",)))
        training = bool(tree is not None and (script and trains(tree) or _top_level_training(tree)))
        folder = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
        package = bool(folder) and bool(index.select((f"{folder}/__init__.py",)))  # the training package, not any folder
        near = package and any(vp != e.vpath and (vp.rsplit("/", 1)[0] if "/" in vp else "") == folder for vp in w.reach)
        return Place(wired, training, near and not test, test, chain)

    return index.memo(f"tracking-place:{e.path}", build)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ opt-in flags that default off

_FLAG_ROOTS = frozenset({"args", "opts", "options", "flags", "config", "cfg", "conf", "params", "hparams", "hp", "settings", "opt",
                         "self.args", "self.config", "self.cfg", "self.hparams", "self.opts", "self.params", "training_args"})


# the nodes Flags reads: argparse calls, decorated functions' defaults, assignments
_FLAG_NODES = (ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)


class Flags(Evaluator):
    """Evaluates ``if`` tests on CLI/config flags to their default value (or the value a project config
    or an automated command sets); anything else is unknown."""

    max_depth = 12
    compare_ops = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
    str_methods = {m: (lambda v: v.lower().strip()) for m in ("lower", "strip", "casefold")}

    def __init__(self, index: FileIndex, tree: ast.AST) -> None:
        super().__init__()
        self.index = index
        self.casts = {"bool": bool, "str": str, "int": _int}
        self.defaults: dict[str, Any] = {}
        for n in walk(tree):
            if not isinstance(n, _FLAG_NODES):
                continue  # one test for most nodes
            if isinstance(n, ast.Call) and ops.dotted(n.func).endswith("add_argument") and n.args:
                flag = ops.literal(n.args[0])
                if isinstance(flag, str) and flag.startswith("-"):
                    dest = ops.literal(ops.kwarg(n, "dest")) or flag.lstrip("-").replace("-", "_")
                    action = ops.literal(ops.kwarg(n, "action"))
                    default = ops.kwarg(n, "default")
                    self.defaults[dest] = (False if action == "store_true" else True if action == "store_false" else
                                           ops.literal(default) if default is not None and ops.literal(default) is not None else UNKNOWN)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.decorator_list:
                args = n.args.args[len(n.args.args) - len(n.args.defaults):] if n.args.defaults else []
                for a, d in zip(args, n.args.defaults):
                    if isinstance(ops.literal(d), bool):
                        self.defaults.setdefault(a.arg, ops.literal(d))
            elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                self.assigns.setdefault(n.targets[0].id, []).append((n.lineno, n.value))

    def _key(self, key: str, default: Any) -> Any:
        cfg = configured(self.index, key)
        return cfg if cfg is not None else default

    def lookup(self, node: ast.AST, line: int, depth: int) -> Any:
        if isinstance(node, ast.Attribute):
            root = ops.dotted(node.value)
            if root in _FLAG_ROOTS or root.split(".")[-1] in _FLAG_ROOTS:
                return self._key(node.attr, self.defaults.get(node.attr, UNKNOWN))
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            key = ops.literal(node.slice)
            return self._key(key, UNKNOWN) if isinstance(key, str) else UNKNOWN
        if isinstance(node, ast.Name):
            if any(ln < line for ln, _ in self.assigns.get(node.id, [])):
                return self.prior(node.id, line, depth)
            return self.defaults.get(node.id, UNKNOWN)
        if isinstance(node, ast.Call):
            name = ops.dotted(node.func)
            key = ops.literal(node.args[0]) if node.args else None
            if name.endswith(("getenv", "environ.get")):
                return ops.literal(node.args[1]) if len(node.args) > 1 and isinstance(key, str) else UNKNOWN
            if name.endswith(".get") and isinstance(key, str) and len(node.args) > 1:
                return self._key(key, ops.literal(node.args[1]))
        return UNKNOWN


def _int(v: Any) -> Any:
    try:
        return int(v)
    except (TypeError, ValueError):
        return UNKNOWN


_FLAG_FILES = ("**/*.yaml", "**/*.yml", "**/*.json")
# ``key: true`` / ``"key": "false"`` / ``key: on`` as YAML 1.1 and JSON write booleans (and their strings)
_BOOLISH = re.compile(r"""([\w.-]+)["']?\s*:\s*["']?(?:true|false|yes|no|on|off)\b""", re.IGNORECASE)


def _flag_table(index: FileIndex) -> dict[str, set[str]]:
    """Keys that configs (outside tests) set to a boolean-looking value -> the files: one read of each
    config instead of one per flag ``configured`` is asked about."""
    table: dict[str, set[str]] = {}
    for e in index.select(_FLAG_FILES):
        if e.test or not (text := index.text(e.path)):
            continue
        for key in {m.group(1) for m in _BOOLISH.finditer(text)}:
            table.setdefault(key, set()).add(e.path)
    return table


def configured(index: FileIndex, key: str) -> bool | None:
    """Is a flag switched on (True) or off (False) by a project config file or an automated command?
    None when nothing sets it."""

    def build() -> bool | None:
        dashed = key.replace("_", "-")
        for c in ops.automated_commands(index):
            if re.search(rf"--({re.escape(key)}|{re.escape(dashed)})\b(?!\s*[= ]\s*(false|False|0)\b)|\b{re.escape(key)}=(true|True|1)\b", c.text):
                return True
        found: bool | None = None
        candidates = index.memo("tracking-flag-table", lambda: _flag_table(index)).get(key, set())
        for e in index.select(_FLAG_FILES):
            if e.path not in candidates:
                continue
            docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
            for doc in docs:
                for d in ops.walk_dicts(doc):
                    v = d.get(key)
                    if isinstance(v, bool) or (isinstance(v, str) and v.lower() in ("true", "false")):
                        on = v is True or (isinstance(v, str) and v.lower() == "true")
                        if on:
                            return True
                        found = False
        return found

    return index.memo(f"tracking-flag:{key}", build)  # type: ignore[no-any-return]


# nodes without child nodes (a Name's context marker aside): parents() skips them
_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias})


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


def guarded_off(node: ast.AST, par: dict[ast.AST, ast.AST], flags: Flags) -> bool:
    """Is the node only reached when an opt-in flag that defaults off is set (``if args.use_wandb:``)?"""
    child, cur = node, par.get(node)
    while cur is not None:
        if isinstance(cur, (ast.If, ast.IfExp)) and child is not cur.test:
            on = flags.truth(cur.test, getattr(cur, "lineno", 0))
            in_body = child in cur.body if isinstance(cur, ast.If) else child is cur.body
            if on is False and in_body or on is True and not in_body:
                return True
        child, cur = cur, par.get(cur)
    return False


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


CODE_EXPR = re.compile(
    r"github\.sha\b|github\.event\.pull_request\.head\.sha|\bGITHUB_SHA\b|\bCI_COMMIT_(SHORT_)?SHA\b|\bCI_COMMIT_TAG\b|"
    r"Build\.SourceVersion\b|\bBUILD_SOURCEVERSION\b|\bCIRCLE_SHA1\b|\bCIRCLE_TAG\b|\bBITBUCKET_COMMIT\b|\bBITBUCKET_TAG\b|"
    r"\bBUILDKITE_COMMIT\b|\bBUILDKITE_TAG\b|\bGIT_COMMIT\b|\bGIT_SHA\b|\bCOMMIT_SHA\b|\bSHORT_SHA\b|\bREVISION_ID\b|\bTAG_NAME\b|"
    r"\bCODEBUILD_RESOLVED_SOURCE_VERSION\b|\bDRONE_COMMIT(_SHA)?\b|\bTRAVIS_COMMIT\b|\bSEMAPHORE_GIT_SHA\b|"
    r"git\s+rev-parse|git\s+describe|git\s+log\s+-1\s+--(pretty|format)=(format:)?%h|\$\{bundle\.git\.commit\}|"
    r"(Build|BUILD)[._]?(BuildId|BUILDID|BuildNumber|BUILDNUMBER)\b|github\.run_(id|number)\b|\bGITHUB_RUN_(ID|NUMBER)\b|"
    r"\bCI_PIPELINE_I?ID\b|\bCIRCLE_BUILD_NUM\b|\bBITBUCKET_BUILD_NUMBER\b|\bBUILDKITE_BUILD_NUMBER\b|\bCODEBUILD_BUILD_NUMBER\b|"
    r"\bBUILD_NUMBER\b|\bBUILD_ID\b"
)
_TAG_EXPR = re.compile(r"github\.ref_name\b|\bGITHUB_REF_NAME\b|github\.event\.release\.tag_name|github\.ref\b|\bGITHUB_REF\b")
_BUILD_ID = re.compile(r"(?i)build.?(id|number)|run_(id|number)|RUN_(ID|NUMBER)|PIPELINE_I?ID|BUILD_NUM")


def code_expr(text: str, tag_trigger: bool = False) -> str | None:
    """``git-sha`` / ``ci-build-id`` / ``release-tag`` when text holds a code-version expression."""
    m = CODE_EXPR.search(text)
    if m:
        return "ci-build-id" if _BUILD_ID.search(m.group(0)) else "git-sha"
    if tag_trigger and _TAG_EXPR.search(text):
        return "release-tag"
    return None


_VAR = re.compile(r"\$\{\{\s*(?:env|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:%#/][^}]*)?\}|\$\(([A-Za-z_][A-Za-z0-9_.]*)\)|\$([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGN = re.compile(r"^(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*)$")
_GH_ENV = re.compile(r"""echo\s+["']?([A-Za-z_][A-Za-z0-9_]*)=(.*?)["']?\s*>>\s*["']?\$\{?GITHUB_(ENV|OUTPUT)""")


def variables(texts: Iterable[str], mappings: Iterable[Any] = ()) -> dict[str, list[str]]:
    """Shell/CI variables: ``X=...``/``export X=...`` lines, ``>> $GITHUB_ENV`` writes, env/variables mappings."""
    out: dict[str, list[str]] = {}
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            if len(line) > 2000:
                continue  # minified or generated text: no variables worth reading, and keeps the regexes linear
            m = _GH_ENV.search(line) or _ASSIGN.match(line)
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


def image_refs(cmd: str) -> Iterator[str]:
    """Image references a build/push/deploy command names: ``docker build -t x:tag``, ``docker push x:tag``,
    ``kubectl set image d c=x:tag``, ``az acr build -t``, ``gcloud builds submit --tag``, ``--set image.tag=``."""
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
    """``${{ github.sha }}`` -> ``${{github.sha}}`` so shell splitting keeps an expression in one word."""
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", text)


def tag_of(ref: str) -> str:
    """The tag part of an image reference (``reg:5000/x:tag`` -> ``tag``); '' when absent."""
    if "@" in ref:
        return ref.split("@", 1)[1]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


# ------------------------------------------------------------------ settings outside Python

ENV_TEXT_GLOBS = ("**/.env", "**/*.env", "**/.env.*", "**/*.sh", "**/Makefile", "**/makefile", "**/*.mk", "**/.envrc")
DOCKERFILES = ("**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile", "**/*.dockerfile", "**/Containerfile")


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
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in node.values)
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
