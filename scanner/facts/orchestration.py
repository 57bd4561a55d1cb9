"""Helpers shared by the orchestration detectors (pipelines, schedules, gates): ``ast`` lookups,
training/metric vocabulary, YAML walking and "which config runs this file". Not a detector."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mlscan.ci.shell import split_commands
from mlscan.facts import ops
from mlscan.facts.ops import walk_dicts  # re-exported: detectors import it from here
from mlscan.facts.pyast import statement_walk, walk
from mlscan.facts.wiring import AUTOMATED, imports_any, wiring
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Strength

from ..lazyre import lazy_re

# ------------------------------------------------------------------ vocabulary

TRAIN_WORDS = frozenset(
    {"train", "training", "retrain", "retraining", "trainer", "fit", "finetune", "finetuning", "tune", "tuning", "hpo"}
)
INFER_WORDS = frozenset({"infer", "inference", "predict", "prediction", "predictions", "score", "scoring", "serve", "batch", "monitor", "monitoring"})
METRIC_WORDS = frozenset(
    {
        "acc", "accuracy", "auc", "roc", "f1", "fscore", "precision", "recall", "rmse", "mse", "mae", "mape", "r2",
        "rsquared", "loss", "score", "metric", "metrics", "error", "logloss", "ndcg", "bleu", "rouge", "perplexity",
        "iou", "dice", "nwrmsle", "rmsle", "wape", "smape",
    }
)
DRIFT_WORDS = frozenset({"drift", "drifted", "psi", "pvalue", "p_value", "violation", "violated", "degradation", "degraded", "ks"})
NOT_METRIC_WORDS = frozenset({"len", "shape", "size", "count", "epoch", "epochs", "step", "steps", "iter", "time", "batch", "version", "n", "num", "retries", "patience", "idx", "index"})
PROMOTE_CALLS = frozenset(
    {
        "register_model", "transition_model_version_stage", "set_registered_model_alias", "create_model_version",
        "create_registered_model", "update_model_package", "create_model_package", "push_to_hub", "register",
        "promote", "promote_model", "deploy", "deploy_model", "upload_model", "push_model", "publish_model",
        "copy_model_version", "add_version_aliases",
    }
)
_SPLIT_CAMEL = lazy_re(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_TRAINING = lazy_re(r"train_test_split|train_test|[xy]_train\b|train_(x|y|df|data|set|path|dataset)\b", re.I)


def words(text: str) -> set[str]:
    """Lower-case tokens of identifiers and text: ``SageMakerTrainingOperator`` -> sage, maker, training, operator."""
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", _SPLIT_CAMEL.sub(" ", text)) if w}


def trainingish(*texts: str) -> bool:
    return any(words(_NOT_TRAINING.sub(" ", t)) & TRAIN_WORDS for t in texts if t)


def inferenceish(*texts: str) -> bool:
    return any(words(t) & INFER_WORDS for t in texts if t)


# ------------------------------------------------------------------ ast helpers


def dotted(node: ast.AST | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def tail(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def call_tail(node: ast.AST) -> str:
    return tail(dotted(node.func)) if isinstance(node, ast.Call) else ""


def kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg in names:
            return k.value
    return None


MISSING: Any = object()


def literal(node: ast.AST | None, default: Any = MISSING) -> Any:
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return default


def strings(node: ast.AST) -> list[str]:
    return [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def call_names(node: ast.AST) -> list[str]:
    """Names of everything called in a subtree (``a.b.fit()`` -> ``fit``), plus def names."""
    out: list[str] = []
    for n in walk(node):
        if isinstance(n, ast.Call):
            out.append(tail(dotted(n.func)))
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(n.name)
    return out


def decorator(fn: ast.AST, *names: str) -> ast.expr | None:
    """The decorator of ``fn`` whose last name part is one of ``names`` (``@dsl.pipeline(...)`` -> pipeline)."""
    for d in getattr(fn, "decorator_list", ()):
        if tail(dotted(d)) in names:
            return d
    return None


def functions(tree: ast.AST) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {n.name: n for n in statement_walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}  # statements: no expression walked


def assigned_calls(tree: ast.AST) -> dict[str, ast.Call]:
    """``x = Foo(...)`` (any depth): variable name -> the call."""
    out: dict[str, ast.Call] = {}
    for n in walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, n.value)
    return out


def calls(tree: ast.AST, *tails: str) -> Iterator[ast.Call]:
    for n in walk(tree):
        if isinstance(n, ast.Call) and tail(dotted(n.func)) in tails:
            yield n


def training_code(node: ast.AST, funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None) -> bool:
    """Does a subtree (task call, decorated function) reach training: names called, strings, and the
    bodies of local functions it references (one level)."""
    texts = call_names(node) + strings(node)
    texts += [k.value.id for c in walk(node) if isinstance(c, ast.Call) for k in c.keywords if isinstance(k.value, ast.Name)]
    if funcs:
        for n in walk(node):
            if isinstance(n, ast.Name) and n.id in funcs and funcs[n.id] is not node:
                texts += [n.id, *call_names(funcs[n.id]), *strings(funcs[n.id])]
    return trainingish(*texts)


def calls_training(node: ast.AST, funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None) -> bool:
    """Does a subtree call training (``fit_model(...)``, ``trainer.fit``), itself or in the local functions it
    references (one level)? Unlike ``training_code``, its strings do not count (``group_name="Training"`` names a group
    of an orchestrator's UI; a best-run selector in it trains nothing)."""
    names = list(call_names(node))
    local = funcs or {}
    for n in walk(node) if local else ():
        if isinstance(n, ast.Name) and n.id in local and local[n.id] is not node:
            names += call_names(local[n.id])
    return trainingish(*names)


FIT_CALLS = frozenset({"fit", "fit_generator", "backward", "train_model", "train_on_batch"})


# training through a library's own training API (each library's docs), resolved through the file's imports: a learning
# function (``xgboost.train(params, dtrain)``, ``lightgbm.train(params, train_set)``, ``catboost.train(pool, params)``), or
# ``.train()`` of an object a trainer class built: a ``...Trainer`` of Hugging Face ``transformers`` (``Trainer``,
# ``Seq2SeqTrainer``), TRL (``SFTTrainer``, ``DPOTrainer``), SetFit or sentence-transformers, an Ultralytics model
# (``YOLO("yolov8n.pt").train(data=...)``) or a TensorFlow estimator (``tf.estimator.DNNClassifier(...).train(input_fn)``).
# ``.train()`` on anything else is not training (PyTorch's ``model.train()`` only switches the module to training mode).
TRAIN_FUNCTIONS = frozenset({"xgboost.train", "lightgbm.train", "catboost.train"})
TRAINER_MODULES = ("transformers", "trl", "setfit", "sentence_transformers")
TRAINER_CLASS_MODULES = ("ultralytics", "tensorflow.estimator", "tensorflow.compat.v1.estimator")


def _trainer_class(name: str | None, local: set[str]) -> bool:
    """A class whose ``.train()`` runs a training loop (``transformers.Trainer``), or a class of the file deriving from one."""
    if not name:
        return False
    if name in local:
        return True
    mod, _, cls = name.rpartition(".")
    return (any(mod == m or mod.startswith(m + ".") for m in TRAINER_MODULES) and cls.endswith("Trainer")
            or any(mod == m or mod.startswith(m + ".") for m in TRAINER_CLASS_MODULES) and cls[:1].isupper())


def library_trains(node: ast.AST, al: dict[str, str] | None = None) -> bool:
    """Does a subtree train through a library's training API (``TRAIN_FUNCTIONS``, ``.train()`` of a trainer class's
    object), names resolved through ``al`` (the module's imports; the subtree's own when not given)?"""
    train_calls = [n for n in walk(node) if isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name))
                   and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) == "train"]
    if not train_calls:
        return False
    al = ops.aliases(node) if al is None else al
    if any(ops.qualname(c.func, al) in TRAIN_FUNCTIONS for c in train_calls):
        return True
    # classes of the file deriving from a trainer class (``class CustomTrainer(Trainer)``), then objects they build
    local: set[str] = set()
    for n in walk(node):
        if isinstance(n, ast.ClassDef) and any(_trainer_class(ops.qualname(b, al), local) for b in n.bases):
            local.add(n.name)
    made = {dotted(t) for n in walk(node) if isinstance(n, (ast.Assign, ast.AnnAssign)) and isinstance(n.value, ast.Call)
            and _trainer_class(ops.qualname(n.value.func, al) or dotted(n.value.func), local)
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])}
    made.discard("")
    for c in train_calls:
        obj = c.func.value if isinstance(c.func, ast.Attribute) else None
        if isinstance(obj, ast.Call) and _trainer_class(ops.qualname(obj.func, al) or dotted(obj.func), local):
            return True  # ``Trainer(...).train()``
        if obj is not None and dotted(obj) in made:
            return True
    return False


def fits_model(node: ast.AST, al: dict[str, str] | None = None) -> bool:
    """Does a subtree fit a model itself: ``model.fit(...)``, ``loss.backward()``, ``trainer.fit``, or through a library's
    training API (``library_trains``: ``xgb.train(...)``, ``Trainer(...).train()``; ``al``: the module's imports when the
    subtree is a function)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name))
               and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in FIT_CALLS for n in walk(node)) \
        or library_trains(node, al)


# a trained model loaded for use: a loader call (``mlflow.pyfunc.load_model``, ``from_pretrained``), a pickle-style
# module's ``load`` (``joblib.load``), or a call named for loading a model (``load_model``, ``load_production_model``)
_MODEL_LOADERS = frozenset({"load_model", "load_learner", "from_pretrained", "spark_udf", "load_from_checkpoint", "InferenceSession"})
# a serialised model read back by its library's module-level loader: one vocabulary for every fact that asks whether code
# loads a trained model (scoring-only flows here, inference-only entries in training_entries). These are *names* compared
# with the dotted names of calls in a scanned file's syntax tree; no module of mlscan imports or calls a deserialiser, and
# no model file is ever opened (tests/test_architecture.py::test_no_module_deserialises_scanned_files)
MODEL_FILE_LOADS = frozenset({"joblib.load", "pickle.load", "torch.load", "torch.jit.load", "dill.load", "cloudpickle.load",
                              "cPickle.load", "tf.saved_model.load", "tensorflow.saved_model.load", "tf.keras.models.load_model",
                              "tensorflow.keras.models.load_model", "keras.models.load_model"})
_PREDICT_WORDS = frozenset({"predict", "prediction", "predictions", "inference", "infer", "scoring", "forecast"})


def scores_only(node: ast.AST, funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None) -> bool:
    """Does a pipeline only score with a trained model: its steps (and the local functions they call, one level) load
    a model and ask it for predictions, and none fits one or is named for training (``training_code``)? A batch
    prediction flow reads input and writes predictions; it carries no data into a model's training (D3)."""
    bodies = [node, *(funcs[n.id] for n in walk(node) if funcs and isinstance(n, ast.Name) and n.id in funcs and funcs[n.id] is not node)]
    if any(fits_model(b) for b in bodies) or training_code(node, funcs):
        return False
    calls_ = [c for b in bodies for c in walk(b) if isinstance(c, ast.Call)]
    # what is called, and the callables and task ids tasks are given (``python_callable=load_model``, ``task_id="predict"``)
    called = [dotted(c.func) for c in calls_] + [k.value.id if isinstance(k.value, ast.Name) else k.value.value for c in calls_
                                                 for k in c.keywords if isinstance(k.value, ast.Name) or k.arg == "task_id"
                                                 and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
    loads = any(d in MODEL_FILE_LOADS or tail(d) in _MODEL_LOADERS or {"load", "model"} <= words(tail(d)) for d in called)
    return loads and any(words(tail(d)) & _PREDICT_WORDS for d in called)


def imports(tree: ast.AST, *modules: str) -> bool:
    return imports_any(tree, tuple(modules))


# ------------------------------------------------------------------ metric comparisons


def _side_words(node: ast.AST) -> set[str]:
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, ast.Name):
            out |= words(n.id) | {n.id.lower()}
        elif isinstance(n, ast.Attribute):
            out |= words(n.attr) | {n.attr.lower()}
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out |= words(n.value)
    return out


def metric_compare(test: ast.AST) -> ast.Compare | None:
    """An ordering comparison on a model metric (``acc < 0.8``, ``new_mse >= prod_mse``), not on drift,
    sizes or counters."""
    for n in walk(test):
        if not (isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE))):
            continue
        sides = [n.left, n.comparators[0]]
        ws = [_side_words(s) for s in sides]
        if any(w & DRIFT_WORDS for w in ws) or any(call_tail(s) in ("len", "count") for s in sides):
            continue
        metricish = [bool(w & METRIC_WORDS) and not (w & NOT_METRIC_WORDS) for w in ws]
        if any(metricish):
            return n
    return None


def metric_value(node: ast.AST) -> bool:
    """Is an expression a model metric's value: a name or attribute that names one (``accuracy``, ``eval_f1``), a metric
    function's result (``accuracy_score(y, p)``), possibly cast (``float(rmse)``, ``round(auc, 4)``)? Not drift, sizes or
    counters."""
    while isinstance(node, ast.Call) and call_tail(node) in ("float", "round", "int") and node.args:
        node = node.args[0]
    if isinstance(node, ast.Call):
        w = words(call_tail(node) or "")
    elif isinstance(node, (ast.Name, ast.Attribute)):
        w = _side_words(node)
    else:
        return False
    return bool(w & METRIC_WORDS) and not (w & NOT_METRIC_WORDS) and not (w & DRIFT_WORDS)


def drift_test(test: ast.AST) -> bool:
    return bool(_side_words(test) & DRIFT_WORDS)


# ------------------------------------------------------------------ YAML / config helpers


def all_strings(obj: Any, depth: int = 0) -> list[str]:
    if depth > 40:
        return []
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [*(str(k) for k in obj), *(s for v in obj.values() for s in all_strings(v, depth + 1))]
    if isinstance(obj, list):
        return [s for v in obj for s in all_strings(v, depth + 1)]
    return []


YAML_GLOBS = ("**/*.yml", "**/*.yaml")


def yaml_docs(index: FileIndex, needles: tuple[bytes, ...], globs: Iterable[str] = YAML_GLOBS, json: bool = False,
              also: tuple[bytes, ...] = (), keep: Callable[[FileEntry], bool] | None = None) -> Iterator[tuple[FileEntry, Any]]:
    """Parsed YAML (and optionally JSON) documents of files mentioning a needle (and one of ``also``, when given) that
    ``keep`` (when given: a file fact, so that a file is not loaded again to find it holds nothing) accepts; test trees
    skipped."""
    pats = tuple(globs) + (("**/*.json",) if json else ())
    for e in index.select(pats):
        if e.test or not index.contains(e.path, needles) or also and not index.contains(e.path, also) or keep is not None and not keep(e):
            continue
        if e.suffix == ".json":
            doc = index.json(e.path)
            if doc is not None:
                yield e, doc
        else:
            for doc in index.yaml(e.path):
                yield e, doc


def k8s_objects(index: FileIndex, api: str, kinds: tuple[str, ...]) -> Iterator[tuple[FileEntry, dict]]:
    """Kubernetes-style documents (``apiVersion`` starting with ``api``, ``kind`` in ``kinds``)."""
    needles = tuple(k.encode() for k in kinds)
    for e, doc in yaml_docs(index, needles, json=True):
        for d in doc.get("items", [doc]) if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]:
            if isinstance(d, dict) and d.get("kind") in kinds and str(d.get("apiVersion", "")).startswith(api):
                yield e, d


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]...`` through mappings only; {} when a level is missing or not a mapping."""
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj if obj is not None else {}


def line_of(obj: Any, key: Any = None) -> int | None:
    if key is not None and hasattr(obj, "line_of"):
        return obj.line_of(key) or None
    return getattr(obj, "line", None) or None


def config_refs(index: FileIndex, entry: FileEntry) -> list[tuple[FileEntry, dict]]:
    """YAML configs (jobs, pipelines, CI variables) holding a path to this file, with the mapping that
    names it (so its parameters can be read)."""
    stem = entry.name.rsplit(".", 1)[0]
    parent = entry.vpath.split("/")[-2] if "/" in entry.vpath else ""
    table = index.memo("orchestration-config-ref-table", lambda: _config_ref_table(index))
    candidates = table.get(entry.name, []) + table.get(stem, [])
    out: list[tuple[FileEntry, dict]] = []
    for _, y in sorted(dict.fromkeys(candidates)):  # in listing order
        if y.vpath == entry.vpath:
            continue
        for doc in index.yaml(y.path):
            for d in walk_dicts(doc):
                if any(isinstance(v, str) and _names_file(v, entry.name, stem, parent) for v in d.values()):
                    out.append((y, d))
    return out


_PATH_PART = lazy_re(r"[^\s/\\'\",\[\]{}]+")  # path components, as they stand in YAML text
_SUB_PART = lazy_re(r"[/\\]([^\s/\\'\",\[\]{}]+)")  # components after a directory ("src/train")


def _config_ref_table(index: FileIndex) -> dict[str, list[tuple[int, FileEntry]]]:
    """Which YAML files mention a Python file of the project: its name anywhere (``train.py``) or its
    stem after a directory (``src/train``), as ``_names_file`` accepts them. One pass over the YAML
    files instead of one per Python file asking ``config_refs``."""
    names: set[str] = set()
    stems: set[str] = set()
    for e in index.select(("**/*.py", "**/*.ipynb")):
        names.add(e.name)
        stems.add(e.name.rsplit(".", 1)[0])
    table: dict[str, list[tuple[int, FileEntry]]] = {}
    for i, y in enumerate(index.select(YAML_GLOBS)):
        text = index.text(y.path)
        if not text:
            continue
        # a file name ends in .py/.ipynb, a stem follows a directory: text without them is not split
        named = names.intersection(_PATH_PART.findall(text)) if ".py" in text or ".ipynb" in text else set()
        stemmed = stems.intersection(_SUB_PART.findall(text)) if "/" in text or "\\" in text else set()
        for part in named | stemmed:
            table.setdefault(part, []).append((i, y))
    return table


def _names_file(value: str, name: str, stem: str, parent: str) -> bool:
    v = value.strip().strip("'\"").replace("\\", "/")
    for word in v.split():
        parts = [p for p in word.split("/") if p not in ("", ".", "..")]
        if not parts or not (parts[-1] == name or parts[-1] == stem and len(parts) > 1):
            continue  # a bare word ("main", "train") is not a path to the file
        if len(parts) == 1 or not parent or parts[-2] == parent:
            return True
    return False


# ------------------------------------------------------------------ reach


def at(index: FileIndex, e: FileEntry, line: int) -> dict[str, Any]:
    """``found`` keyword arguments for a code line: notebooks map it back to the .ipynb line."""
    if e.suffix != ".ipynb":
        return {"line": line}
    from .ops import locate

    nb_line, snippet = locate(index, e, line)
    return {"line": nb_line, "snippet": snippet}


def at_argument(index: FileIndex, e: FileEntry, call: ast.Call, arg: ast.AST) -> dict[str, Any]:
    """``found`` keyword arguments citing a call written over lines through the argument that decides it: the range runs
    from the call's first line to the argument's last, the snippet shows the call's first line and the argument's first
    (``training_step = steps.TrainingStep("Training Job", estimator=xgb,`` / ``experiment_config={...},``). A call on
    one line, or an argument on its first line, is cited as ``at`` cites the line."""
    first, line = call.lineno, arg.lineno
    if line <= first:
        return at(index, e, first)
    if e.suffix == ".ipynb":
        from .ops import locate

        (start, head), (end, shown) = locate(index, e, first), locate(index, e, line)
        if start is None or end is None or not head or not shown:
            return at(index, e, line)
        return {"line": start, "end_line": end, "snippet": f"{head}\n    {shown}"}
    lines = index.lines(e.path)
    if not (0 < line <= len(lines)):
        return at(index, e, first)
    end = getattr(arg, "end_lineno", None) or line
    return {"line": first, "end_line": max(end, line), "snippet": f"{lines[first - 1].strip()}\n    {lines[line - 1].strip()}"}


def reach_strength(index: FileIndex, entry: FileEntry) -> tuple[Strength, str]:
    """STRONG when an automated path (CI, pipeline step, container, config) runs the file, MEDIUM for
    entry points, WEAK otherwise; plus a short description of the path."""
    r = wiring(index).of(entry.vpath)
    if r is not None and r.kind == AUTOMATED:
        return Strength.STRONG, r.describe()
    refs = config_refs(index, entry)
    if refs:
        y, d = refs[0]
        return Strength.STRONG, f"config {y.path}:{line_of(d) or ''}"
    if r is not None:
        return Strength.MEDIUM, r.describe()
    return Strength.WEAK, "not reached from CI, a pipeline or an entry point"


def assigned_call_names(tree: ast.AST, classes: tuple[str, ...]) -> dict[str, str]:
    """Variables bound to calls of the given classes: ``step_train = TrainingStep(...)`` -> {step_train: TrainingStep}."""
    return {name: call_tail(c) for name, c in assigned_calls(tree).items() if call_tail(c) in classes}


_DOC_GLOBS = ("**/*.md", "**/*.rst", "**/*.html", "**/*.txt", "**/*.ipynb")


def documented(index: FileIndex, needles: tuple[bytes, ...]) -> bool:
    """Does the repository's documentation (Markdown, reStructuredText, HTML pages, notebooks) give the command?"""
    return bool(index.memo(f"orchestration:documented:{needles!r}", lambda: any(
        index.contains(e.path, needles) for e in index.select(_DOC_GLOBS) if not e.test)))


_AUTOMATION_GLOBS = (".github/workflows/*", "**/*.sh", "**/Makefile", "**/*.mk", "**/*.yml", "**/*.yaml", "**/*.toml", "**/Jenkinsfile")


def automation_mentions(index: FileIndex, needles: tuple[bytes, ...]) -> bool:
    """Does a CI definition, script, Makefile or config run a command containing a needle (deploy/activate steps)?"""
    return any(index.contains(e.path, needles) for e in index.select(_AUTOMATION_GLOBS) if not e.vpath.lower().endswith(".md"))


# folders an activating script or CI file sits in below the project it serves (``projects/x/scripts/activate.sh`` serves
# ``projects/x``; a root workflow serves the whole repository)
_HELPER_DIRS = frozenset({"scripts", "script", "bin", "ci", "tools", "deploy", "workflows", ".github"})


def _activates(argv: list[str]) -> bool:
    """Does one command activate Flyte launch plans? ``pyflyte register --activate-launchplans`` and ``flytectl update
    launchplan <name> --version v1 --activate`` (Flyte's scheduling docs: the plan's name, project, domain and version
    come between; ``--archive`` deactivates)."""
    if any(a.startswith("--activate-launchplan") for a in argv):
        return True
    if "flytectl" not in argv or "--activate" not in argv:
        return False
    rest = [a for a in argv[argv.index("flytectl") + 1:] if not a.startswith("-")]
    return "update" in rest and any(a in ("launchplan", "launchplans") for a in rest[rest.index("update") + 1:])


def launch_plan_activations(index: FileIndex) -> tuple[str, ...]:
    """The project folders whose Flyte launch plans a CI definition, script, Makefile or config activates ('' for the
    whole repository): the activating file's folder less trailing helper folders (``scripts/``, ``.github/workflows``).
    A schedule on a launch plan runs only once the plan is activated; a monorepo's other projects are not activated by
    one project's script."""

    def build() -> tuple[str, ...]:
        out: set[str] = set()
        for e in index.select(_AUTOMATION_GLOBS):
            if e.vpath.lower().endswith(".md") or not index.contains(e.path, (b"--activate",)):
                continue
            text = index.text(e.path) or ""
            if any(_activates(c.split()) for c in split_commands(text)):
                parts = e.vpath.split("/")[:-1]
                while parts and parts[-1] in _HELPER_DIRS:
                    parts.pop()
                out.add("/".join(parts))
        return tuple(sorted(out))

    return tuple(index.memo("orchestration:launch-plan-activations", build))


def activated_at(path: str, folders: tuple[str, ...]) -> bool:
    """Is a file inside one of the folders ``launch_plan_activations`` returned?"""
    return any(not d or path.startswith(d + "/") for d in folders)


def spread_kwarg(call: ast.Call, name: str, bound: dict[str, list[ast.expr]]) -> ast.expr | None:
    """A keyword argument passed through ``**NAME``, NAME bound once to a dict literal that holds it (``KWARGS =
    {"schedule": CRON_SCHEDULE, "notifications": [...]}`` then ``LaunchPlan.get_or_create(workflow=wf, **KWARGS)``)."""
    for k in call.keywords:
        vals = bound.get(k.value.id, []) if k.arg is None and isinstance(k.value, ast.Name) else []
        if len(vals) == 1 and isinstance(vals[0], ast.Dict):
            for key, v in zip(vals[0].keys, vals[0].values):
                if isinstance(key, ast.Constant) and key.value == name:
                    return v
    return None


def edge_line(fn: ast.AST, step_names: set[str]) -> int:
    """The line a pipeline function is best cited at: the step call into a training step that consumes another step's
    result (``model = trainer(features=features)``), else the first step call that consumes one; 0 when there is none.
    Steps are the known step functions and, for pipelines that take their steps as parameters (ZenML's legacy
    ``@pipeline def p(importer, trainer)``), the parameters the body calls."""
    params = {a.arg for a in fn.args.args} if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else set()
    called = {n.func.id for n in walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    steps = step_names | (params & called)
    produced: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and tail(dotted(n.value.func)) in steps:
            for t in n.targets:
                produced |= {x.id for x in walk(t) if isinstance(x, ast.Name)}
    lines: list[tuple[bool, int]] = []
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in steps:
            args = [*n.args, *(k.value for k in n.keywords)]
            if any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and isinstance(x.func, ast.Name) and x.func.id in steps
                   for a in args for x in walk(a)):
                lines.append((not trainingish(n.func.id), n.lineno))
    return min(lines)[1] if lines else 0


def unfed_training(fn: ast.AST, step_names: set[str]) -> bool:
    """Does a pipeline function train only in steps that take nothing in: every call of a step named for training
    (``train_model()``) receives neither another step's result nor a pipeline parameter? Such a step loads its data
    itself, so the pipeline's edges (model file to deploy step) carry no lineage from raw data to the model's input.
    False when no step is named for training (nothing to tell)."""
    params = {a.arg for a in [*getattr(getattr(fn, "args", None), "args", []), *getattr(getattr(fn, "args", None), "kwonlyargs", [])]}
    produced: set[str] = set(params)
    for n in walk(fn):  # (ZenML's legacy API passes the steps in as the pipeline function's parameters)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and tail(dotted(n.value.func)) in step_names | params:
            for t in n.targets:
                produced |= {x.id for x in walk(t) if isinstance(x, ast.Name)}
    fed: list[bool] = []
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in step_names and trainingish(n.func.id):
            args = [*n.args, *(k.value for k in n.keywords)]
            fed.append(any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and isinstance(x.func, ast.Name)
                           and x.func.id in step_names for a in args for x in walk(a)))
    return bool(fed) and not any(fed)


def source_steps(fn: ast.AST, step_names: set[str]) -> list[str]:
    """The steps a pipeline function calls that take no other step's result (where data enters the pipeline)."""
    produced: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and tail(dotted(n.value.func)) in step_names:
            for t in n.targets:
                produced |= {x.id for x in walk(t) if isinstance(x, ast.Name)}
    out: list[str] = []
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in step_names:
            args = [*n.args, *(k.value for k in n.keywords)]
            if not any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and isinstance(x.func, ast.Name)
                       and x.func.id in step_names for a in args for x in walk(a)):
                out.append(n.func.id)
    return out


def dataflow(fn: ast.AST, step_names: set[str]) -> tuple[int, int]:
    """(step calls, data edges) in a pipeline function: calls of known steps, an edge whenever a step
    consumes another step's result (nested call or a variable it was assigned to)."""
    produced: set[str] = set()
    steps = edges = 0
    for n in walk(fn):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and tail(dotted(n.value.func)) in step_names:
            for t in n.targets:
                produced |= {x.id for x in walk(t) if isinstance(x, ast.Name)}
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in step_names:
            steps += 1
            args = [*n.args, *(k.value for k in n.keywords)]
            edges += any(isinstance(x, ast.Name) and x.id in produced or isinstance(x, ast.Call) and isinstance(x.func, ast.Name) and x.func.id in step_names
                         for a in args for x in walk(a))
    return steps, edges


# ------------------------------------------------------------------ orchestrator tasks nothing runs

_TASK_DECORATORS = ("task", "op", "step", "component")


def _innermost_def(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The innermost function definition whose body holds ``line``."""
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for n in walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno <= line <= (n.end_lineno or n.lineno):
            if best is None or n.lineno >= best.lineno:
                best = n
    return best


def referenced(index: FileIndex, name: str) -> bool:
    """Does any project Python file use this name (a call, a reference handed on, ``t.map(...)``, ``flow.add_task(t)``)
    other than by defining it?"""
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (name.encode(),)):
            continue
        tree = index.python(e.path)
        if tree is not None and any(isinstance(n, ast.Name) and n.id == name or isinstance(n, ast.Attribute) and n.attr == name for n in walk(tree)):
            return True
    return False


def uncalled_task(index: FileIndex, fn: ast.AST) -> bool:
    """An orchestrator task (``@task``, ``@op``, ``@step``, ``@component``) that no flow of the project calls or hands on:
    defined, never run (a Prefect ``data_validator`` task the flow body skips)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or decorator(fn, *_TASK_DECORATORS) is None:
        return False
    if fn.args.args and fn.args.args[0].arg in ("self", "cls"):
        return False  # a method step (Metaflow's ``start`` runs first without being named anywhere)
    return not referenced(index, fn.name)


_CONFIG_GLOBS = ("**/*.toml", "**/*.cfg", "**/*.yml", "**/*.yaml", "**/*.json")


def in_uncalled_function(index: FileIndex, tree: ast.AST, line: int) -> bool:
    """Is the code at ``line`` inside a function nothing calls: no project Python file or notebook names it (a call, a
    reference handed on) and no configuration names it (a wheel entry point, a job's ``entry_point:``)? A helper that
    creates a monitor, defined and never run. False at module level and for methods."""
    fn = _innermost_def(tree, line)
    if fn is None or fn.args.args and fn.args.args[0].arg in ("self", "cls"):
        return False
    word = (fn.name.encode(),)
    for e in index.select(("**/*.py", "**/*.ipynb")):
        if e.test or not index.contains(e.path, word):
            continue
        other = index.python(e.path)
        if other is not None and any(isinstance(n, ast.Name) and n.id == fn.name or isinstance(n, ast.Attribute) and n.attr == fn.name
                                     for n in walk(other)):
            return False
    return not any(not e.test and index.contains(e.path, word) for e in index.select(_CONFIG_GLOBS))


def only_in_uncalled_tasks(index: FileIndex, e: FileEntry, tree: ast.AST, line: int) -> bool:
    """Is the code at ``line`` reached only through orchestrator tasks nothing runs: it sits in such a task, or in a
    function (a method ``Cls.m``) every project call of which sits in one? False when nothing tells (module level, no
    call site found, a call from anywhere else)."""
    fn = _innermost_def(tree, line)
    if fn is None:
        return False
    if decorator(fn, *_TASK_DECORATORS) is not None:
        return uncalled_task(index, fn)
    owner = next((c.name for c in walk(tree) if isinstance(c, ast.ClassDef) and fn in c.body), None)
    sites = 0
    # a call names the function as a whole identifier (``validate``, not ``validated``/``_validate``), in the text as parsed
    # unless the index renders it first (templates)
    name = re.compile(r"(?<!\w)" + re.escape(fn.name) + r"(?!\w)")
    for f in index.select(("**/*.py",)):
        if f.test or not index.contains(f.path, (fn.name.encode(),)):
            continue
        if not (f.template or index.chart_dir(f.path) is not None or name.search(index.text(f.path) or "")):
            continue
        other = index.python(f.path)
        if other is None:
            continue
        for c in walk(other):
            if not isinstance(c, ast.Call):
                continue
            callee = dotted(c.func)
            if tail(callee) != fn.name or owner and callee not in (f"{owner}.{fn.name}", f"self.{fn.name}", f"cls.{fn.name}"):
                continue
            at = _innermost_def(other, c.lineno)
            if f.path == e.path and at is fn:
                continue  # recursion
            sites += 1
            if at is None or decorator(at, *_TASK_DECORATORS) is None or not uncalled_task(index, at):
                return False
    return sites > 0


# the channels of a training job fed prepared splits
_SPLIT_WORDS = frozenset({"train", "training", "validation", "val", "valid", "test", "eval", "evaluation", "holdout", "s3", "input",
                          "data", "uri", "path", "csv"})


def prepared_splits(data: ast.AST | None) -> bool:
    """Is a training job's data only prepared splits: channels named train/validation/test (``{"train": ...,
    "validation": ...}``, the Step Functions SDK's ``data=``) or one name/URI saying so (``s3_train_data``,
    ``f"s3://{bucket}/train"``)? Data split before the pipeline (in a notebook) is no raw input of it (D3)."""
    if isinstance(data, ast.Dict):
        keys = [literal(k, None) if k is not None else None for k in data.keys]
        return bool(keys) and all(isinstance(k, str) and words(k) and words(k) <= _SPLIT_WORDS for k in keys) \
            and any(words(k) & {"train", "training", "validation", "val", "valid", "test"} for k in keys if isinstance(k, str))
    text = ast.unparse(data) if data is not None else ""
    w = words(text)
    return bool(w & {"train", "training", "validation", "val"}) and not w & {"raw", "source", "landing", "ingest"}
