"""What keeps a recognised practice from proving itself: a step whose body is a placeholder (``stub``) and a model
trained, evaluated or monitored on generated input (``synthetic``).

Detectors that recognise a practice set the finding attributes ``stub`` / ``synthetic`` from these facts; the
scorer shows them beside the evidence and caps a yes at ``partial`` (``scanner/evidence.py``, ``CAVEAT_ATTRS``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from ..ci import split_commands
from ..lazyre import lazy_re
from .orchestration import fits_model
from .pyast import walk
from .pycalls import aliases_of, dotted, qualified

_LOG_CALLS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "secho"})


def _call_name(node: ast.AST) -> str:
    f = node.func if isinstance(node, ast.Call) else None
    if isinstance(f, ast.Attribute):
        return f.attr
    return f.id if isinstance(f, ast.Name) else ""


def _placeholder_statement(st: ast.stmt) -> bool:
    """``pass``, ``...``, a docstring or bare constant, ``raise NotImplementedError``, ``return <constant>``,
    a print/log call, or ``time.sleep``: a statement that does no work."""
    if isinstance(st, ast.Pass):
        return True
    if isinstance(st, ast.Expr):
        v = st.value
        if isinstance(v, ast.Constant):
            return True
        return isinstance(v, ast.Call) and (_call_name(v) in _LOG_CALLS or _call_name(v) == "sleep")
    if isinstance(st, ast.Raise):
        exc = st.exc.func if isinstance(st.exc, ast.Call) else st.exc
        name = exc.attr if isinstance(exc, ast.Attribute) else exc.id if isinstance(exc, ast.Name) else ""
        return name == "NotImplementedError"
    if isinstance(st, ast.Return):
        return st.value is None or _constant(st.value)
    return False


def _constant(node: ast.AST) -> bool:
    """A literal, or a list/tuple/set/dict built from literals only (``{"status": "ok"}``)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_constant(x) for x in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) for k in node.keys) and all(_constant(v) for v in node.values)
    return False


def stub_function(fn: ast.AST) -> bool:
    """A function whose body is a placeholder: only ``pass``/``...``/a docstring, ``raise NotImplementedError``,
    prints or log lines, and at most a constant return (``return {"status": "ok"}``)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(_placeholder_statement(st) for st in fn.body)


# HTTP verbs and routing decorators of web frameworks (FastAPI/Starlette/Flask/Sanic/Litestar: ``@app.post("/predict")``,
# ``@bp.route(...)``) and the API decorators of model servers (BentoML ``@bentoml.api``/``@svc.api``, LitServe/Ray Serve
# handlers are methods of a decorated class and are read the same way)
_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "route", "api", "websocket", "api_route"})
# endpoints whose constant answer is the point: liveness, readiness and metadata pages
_HEALTH = lazy_re(r"(?i)health|ready|readiness|live|liveness|ping|status|version|metadata|info|docs|root|index|home|metrics|^/$")


def _route(fn: ast.AST) -> str | None:
    """The route a handler serves (its path, or its function name when the decorator names none), or None when no
    routing decorator marks it."""
    for d in getattr(fn, "decorator_list", ()):
        call = d if isinstance(d, ast.Call) else None
        f = call.func if call is not None else d
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name not in _ROUTES or (name == "api" and not isinstance(f, ast.Attribute)):
            continue
        path = call.args[0] if call is not None and call.args and isinstance(call.args[0], ast.Constant) else None
        route = path.value if path is not None and isinstance(path.value, str) else getattr(fn, "name", "")
        return str(route)
    return None


def route_of(fn: ast.AST) -> str | None:
    """The route a web or model-server handler serves (its path, else its function name); None for other functions."""
    return _route(fn)


def stub_endpoints(tree: ast.AST) -> bool:
    """A serving module whose every model endpoint is a placeholder: it declares at least one routed handler
    (``@app.post("/predict")``, ``@bentoml.api``) that is not a health/readiness/metadata page, and each such handler
    only returns a constant, prints or passes (``return {"prediction": 0}``). Health checks answering ``{"status":
    "ok"}`` are what they should be and are left out."""
    handlers = [fn for fn in walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                and (r := _route(fn)) is not None and not _HEALTH.search(r) and not _HEALTH.search(fn.name)]
    return bool(handlers) and all(stub_function(fn) for fn in handlers)


# ------------------------------------------------------------------ synthetic input

# generators of data: sklearn's ``make_*`` samples, random arrays/tensors, fake/dummy dataset classes
_SKLEARN_MAKE = frozenset({"make_classification", "make_regression", "make_blobs", "make_moons", "make_circles", "make_friedman1",
                           "make_friedman2", "make_friedman3", "make_multilabel_classification", "make_hastie_10_2", "make_s_curve",
                           "make_swiss_roll", "make_gaussian_quantiles", "make_sparse_uncorrelated", "make_low_rank_matrix"})
_RANDOM_ARRAYS = frozenset({"rand", "randn", "randint", "normal", "uniform", "random", "random_sample", "standard_normal", "binomial",
                            "poisson", "exponential", "integers", "multivariate_normal", "lognormal", "beta", "gamma"})
_TORCH_RANDOM = frozenset({"randn", "rand", "randint", "randn_like", "rand_like", "normal"})
# datasets bundled with a library: a drift report between two halves of iris monitors no deployed model
_TOY_DATA = frozenset({"load_iris", "load_wine", "load_digits", "load_breast_cancer", "load_diabetes", "load_linnerud"})
_FAKE_DATA = frozenset({"FakeData", "DummyDataset", "SyntheticDataset", "RandomDataset", "FakeDataset"})
# reading real data: files, tables, object stores, dataset hubs, registered data assets, feature stores
_READS = frozenset({"read_csv", "read_parquet", "read_json", "read_excel", "read_sql", "read_sql_query", "read_sql_table", "read_table",
                    "read_feather", "read_orc", "read_pickle", "read_fwf", "read_hdf", "scan_csv", "scan_parquet", "load_dataset",
                    "load_from_disk", "from_csv", "from_parquet", "open", "load", "loadtxt", "genfromtxt", "fromfile", "read", "get_object",
                    "download_file", "download_fileobj", "query", "sql", "table", "get_historical_features", "get_online_features",
                    "read_text", "read_bytes", "ImageFolder", "DatasetFolder", "get_dataset", "get_data_asset", "from_delimited_files",
                    "from_uri", "TabularDatasetFactory", "Input", "fetch_openml", "image_dataset_from_directory",
                    "text_dataset_from_directory", "flow_from_directory", "MNIST", "CIFAR10", "CIFAR100", "FashionMNIST",
                    "ImageNet", "read_files", "load_data"})


_DATA_NAME = lazy_re(r"(?i)^(?:x|y|xs|ys|x_\w+|y_\w+|\w*_x|\w*_y|data|df|\w*_df|df_\w+|\w*frame\w*|\w*data\w*|\w*dataset\w*|features?|inputs?|"
                        r"targets?|labels?|reference|current|ref|cur|samples?|train\w*|test\w*|val\w*|batch\w*)$")


_NAME_WORDS = lazy_re(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_MOCK_WORDS = frozenset({"mock", "fake", "synthetic", "dummy"})
_TABLE_WORDS = frozenset({"data", "dataset", "df", "frame", "dataframe", "samples", "records", "rows", "table", "transactions"})


def _mock_helper(name: str) -> bool:
    """A project helper named for making up data (``mock_data``, ``generate_synthetic_data``, ``fake_transactions``); a
    test double (``MagicMock``) names no data."""
    ws = {w.lower() for w in _NAME_WORDS.findall(name)}
    return bool(ws & _MOCK_WORDS) and bool(ws & _TABLE_WORDS)


def _generator(n: ast.Call, toy: bool) -> str:
    f = n.func
    name = _call_name(n)
    owner = f.value if isinstance(f, ast.Attribute) else None
    if name in _SKLEARN_MAKE or name in _FAKE_DATA or (toy and name in _TOY_DATA) or _mock_helper(name):
        return name
    if isinstance(owner, ast.Attribute) and owner.attr == "random" and name in _RANDOM_ARRAYS:
        return f"random.{name}"  # np.random.rand, numpy.random.normal
    if isinstance(owner, ast.Name) and owner.id in ("rng", "generator") and name in _RANDOM_ARRAYS:
        return f"{owner.id}.{name}"
    if isinstance(owner, ast.Call) and _call_name(owner) == "default_rng" and name in _RANDOM_ARRAYS:
        return f"default_rng().{name}"
    if isinstance(owner, ast.Name) and owner.id in ("torch", "tf", "jnp") and name in _TORCH_RANDOM:
        return f"{owner.id}.{name}"
    return ""


def _targets(st: ast.AST) -> list[str]:
    out: list[str] = []
    for t in st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, (ast.AnnAssign, ast.AugAssign)) else []:
        for x in walk(t):
            if isinstance(x, ast.Name):
                out.append(x.id)
            elif isinstance(x, ast.Attribute):
                out.append(x.attr)
    return out


def _opens_for_writing(n: ast.Call) -> bool:
    """``open(path, "wb")``, ``Path(p).open(mode="w")``: a file opened to write the data, which reads none."""
    if _call_name(n) != "open":
        return False
    modes = [k.value for k in n.keywords if k.arg == "mode"] or n.args[1:2] or n.args[:1]
    return any(isinstance(m, ast.Constant) and isinstance(m.value, str) and 0 < len(m.value) <= 3
               and set(m.value) <= set("rwxabt+") and bool(set(m.value) & set("wxa")) for m in modes)


def fabricated_data(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The generator a pipeline step makes its data up with when it reads none (''): a first stage that writes
    ``np.random`` arrays or ``make_classification`` tables as its dataset output brings no raw data into the pipeline.
    A step that takes an input artifact (``Input[Dataset]``, ``InputPath(...)``) starts from data handed to it."""
    for a in [*fn.args.args, *fn.args.kwonlyargs]:
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if "Input" in ann:
            return ""
    return synthetic_source(fn)


def synthetic_source(tree: ast.AST, toy: bool = False) -> str:
    """The generator a module builds its data from when it reads no real data ('' otherwise): ``X, y =
    make_classification(...)``, ``data = np.random.rand(...)``, ``torch.randn`` batches, ``FakeData``. Only a
    generator whose result is assigned to data (``X``, ``df``, ``reference``, ``train_data``...) counts; seeding,
    shuffling and sampling from real data do not. With ``toy``, a dataset bundled with a library (``load_iris``) counts too."""
    found = ""
    for n in walk(tree):
        if isinstance(n, ast.Call) and _call_name(n) in _READS and not _opens_for_writing(n):
            return ""
        if not found and isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            names = _targets(n)
            if names and any(_DATA_NAME.match(x) for x in names):
                found = next((g for c in walk(n.value) if isinstance(c, ast.Call) and (g := _generator(c, toy))), "")
    return found


# ---------------------------------------------------------------- made-up metrics

_RANDOM_MODULES = ("random.", "numpy.random.")
_TORCH_RANDOM_Q = frozenset({"torch.rand", "torch.randn", "torch.randint", "torch.normal", "torch.rand_like", "torch.randn_like"})
_USES_MODEL = frozenset({"predict", "predict_proba", "evaluate", "score", "forward", "generate", "transform", "inference", "infer"})
_VALUE_KWARGS = frozenset({"value", "scalar_value", "metrics", "data", "row", "scalars"})


def _random_call(n: ast.AST, al: dict[str, str]) -> str:
    """The random generator a call draws from (``random.random``, ``numpy.random.rand``, ``torch.randn``), else ''."""
    if not isinstance(n, ast.Call):
        return ""
    text = dotted(n.func)
    q = qualified(text, al) or ""
    if q.startswith(_RANDOM_MODULES) or q in _TORCH_RANDOM_Q:
        return q
    owner = n.func.value if isinstance(n.func, ast.Attribute) else None  # np.random.default_rng().normal(), rng.normal()
    if isinstance(owner, ast.Call) and (qualified(dotted(owner.func), al) or "").startswith("numpy.random."):
        return f"{qualified(dotted(owner.func), al)}().{n.func.attr}"  # type: ignore[union-attr]
    return ""


def _assignments(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Name -> the values bound to it anywhere in the module (``x = ...``, ``x += ...``, ``x: T = ...``), and a function
    name -> what its ``return`` statements give (``acc, loss = train_one_epoch(...)`` draws what the function returns)."""
    out: dict[str, list[ast.AST]] = {}
    for n in walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(f"{n.name}()", []).extend(r.value for r in walk(n) if isinstance(r, ast.Return) and r.value is not None)
        value = getattr(n, "value", None) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) else None
        if value is None:
            continue
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]  # type: ignore[attr-defined]
        for t in targets:
            for x in walk(t):
                if isinstance(x, ast.Name):
                    out.setdefault(x.id, []).append(value)
    return out


def _drawn(node: ast.AST, al: dict[str, str], bound: dict[str, list[ast.AST]], seen: set[int], depth: int = 0) -> str:
    """The random generator a value is computed from, directly or through names bound to such values and the module's
    functions returning them (three levels; each bound value is looked at once per logged value). A value that another
    function computes (``acc = train_and_eval(lr)``, even with a random ``lr``) is measured, not drawn: only random draws,
    arithmetic and the module's own functions may make it up."""
    calls = [n for n in walk(node) if isinstance(n, ast.Call)]
    drawn = ""
    for c in calls:
        g = _random_call(c, al)
        if not g and not _arithmetic(c, al) and not (isinstance(c.func, ast.Name) and f"{c.func.id}()" in bound):
            return ""
        drawn = drawn or g
    if drawn:
        return drawn
    if depth >= 3:
        return ""
    for n in walk(node):
        key = n.id if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) else \
            f"{n.func.id}()" if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) else ""
        for v in bound.get(key, ()) if key else ():
            if id(v) not in seen:
                seen.add(id(v))
                if g := _drawn(v, al, bound, seen, depth + 1):
                    return g
    return ""


_ARITHMETIC = frozenset({"float", "int", "round", "abs", "min", "max", "pow", "sum", "exp", "log", "log2", "log10", "sqrt", "sin", "cos",
                         "tanh", "clip", "floor", "ceil"})


def _arithmetic(c: ast.Call, al: dict[str, str]) -> bool:
    """A builtin or math/numpy function of numbers (``round(x, 3)``, ``math.exp(-epoch)``, ``np.clip(v, 0, 1)``)."""
    name = dotted(c.func)
    q = qualified(name, al) or name
    return name.rsplit(".", 1)[-1] in _ARITHMETIC and (q == name.rsplit(".", 1)[-1] or q.startswith(("math.", "numpy.")))


def _logged_values(call: ast.AST) -> list[ast.AST]:
    """What a metric-logging call records: the value after a name (``log_metric("acc", v)``, ``add_scalar("loss", v,
    step)``), else its first argument (``wandb.log({...})``, ``log_metrics(metrics)``), and value keywords."""
    if not isinstance(call, ast.Call):
        return []
    args = call.args
    named = bool(args) and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
    out: list[ast.AST] = list(args[1:2] if named else args[:1])
    return out + [k.value for k in call.keywords if k.arg in _VALUE_KWARGS]


def made_up_metrics(tree: ast.Module, metric_calls: list[ast.AST]) -> str:
    """The random generator every metric a module logs is drawn from, when the module trains no model: the trackers'
    quickstart samples (``log_metric("foo", random())``, W&B's ``acc = 1 - 2 ** -epoch - random.random() / epoch``
    then ``wandb.log({"acc": acc})``) show the tracker working, they track no training run. '' when a logged metric is
    computed otherwise, or the module fits a model (a real training loop logging its loss), reads data or runs a model."""
    if not metric_calls or fits_model(tree):
        return ""
    # a module that reads data or runs a model measures something (a random sample of real rows is still real data)
    if any(isinstance(n, ast.Call) and (_call_name(n) in _READS and not _opens_for_writing(n) or _call_name(n) in _USES_MODEL)
           for n in walk(tree)):
        return ""
    return drawn_metrics(tree, metric_calls)


def drawn_metrics(tree: ast.Module, metric_calls: list[ast.AST]) -> str:
    """The random generator every metric call logs its values from (``mlflow.log_metric("score", random())  # dummy
    score``), whatever else the module does: a made-up value, not a measurement; '' when a logged value is computed otherwise."""
    if not metric_calls:
        return ""
    al = aliases_of([n for n in walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))])
    bound = _assignments(tree)
    found = ""
    for call in metric_calls:
        values = _logged_values(call)
        drawn = [_drawn(v, al, bound, {id(v)}) for v in values]
        if not values or not all(drawn):
            return ""
        found = found or drawn[0]
    return found


def _fixed(node: ast.AST, bound: dict[str, list[ast.AST]], params: set[str], depth: int = 0) -> bool:
    """A value written as a literal or computed from literals only (``False``, ``int(False)``, ``1 - 0.0``), directly or
    through names bound to nothing else (``drift_detected = False`` then ``set(int(drift_detected))``; a function's
    parameter is given by its callers: not fixed)."""
    if depth > 3:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _fixed(node.operand, bound, params, depth)
    if isinstance(node, ast.BinOp):
        return _fixed(node.left, bound, params, depth) and _fixed(node.right, bound, params, depth)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_fixed(x, bound, params, depth) for x in node.elts)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in {"int", "float", "bool", "round"} and not node.keywords \
            and all(_fixed(a, bound, params, depth) for a in node.args)
    if isinstance(node, ast.Name):
        values = bound.get(node.id)
        return node.id not in params and bool(values) and all(_fixed(v, bound, params, depth + 1) for v in values)  # type: ignore[arg-type]
    return False


def fixed_values(tree: ast.AST, values: list[ast.AST]) -> bool:
    """Is every value a literal or computed from literals only (a simulated ``drift_detected = False`` a gauge is set
    to): a setting, not a measurement? False when there are none."""
    if not values:
        return False
    bound = _assignments(tree)
    params = {a.arg for fn in walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
              for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    return all(_fixed(v, bound, params) for v in values)


# the split files a project's training makes (``X_train.csv``, ``data/test.parquet``, ``validation_set.csv``), and the words
# that name data arriving after deployment (``current.csv``, ``production_batch.parquet``, ``inference_log.csv``)
_SPLIT_WORDS = frozenset({"train", "training", "test", "testing", "val", "valid", "validation", "holdout", "dev"})
_LIVE_WORDS = frozenset({"prod", "production", "current", "live", "inference", "serving", "requests", "request", "predictions",
                         "prediction", "logs", "log", "new", "latest", "recent", "incoming", "stream", "captured", "capture"})


def training_splits_only(tree: ast.AST) -> int:
    """The line of the first data read when a module reads data only from the training split files (``X_train.csv`` and
    ``X_test.csv``, two or more reads, each a literal path naming a split and nothing arriving after deployment); 0
    otherwise. A drift report between those compares the model's own training data, not production data."""
    first = 0
    reads = 0
    for n in walk(tree):
        if not (isinstance(n, ast.Call) and _call_name(n) in _READS and _call_name(n) not in ("open", "load", "read", "query", "sql", "table")):
            continue
        arg = n.args[0] if n.args else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return 0  # a computed location: it may be anything
        stem = arg.value.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        words = {w.lower() for w in _NAME_WORDS.findall(stem.replace("_", " ").replace("-", " "))}
        if not words & _SPLIT_WORDS or words & _LIVE_WORDS:
            return 0
        reads += 1
        first = first or n.lineno
    return first if reads >= 2 else 0


# the names a drift job gives the data it compares against the reference: data arriving after deployment
_CURRENT_WORDS = frozenset({"current", "cur", "unseen", "new", "prod", "production", "live", "incoming", "recent", "inference",
                            "serving", "latest", "fresh"})
_REFERENCE_WORDS = frozenset({"reference", "ref", "baseline", "base"})
_TRAIN_WORDS = frozenset({"train", "training", "trainset"})


def _words_of(name: str) -> set[str]:
    return {w.lower() for w in _NAME_WORDS.findall(name.replace("_", " ").replace("-", " "))}


def _from_training(node: ast.AST) -> bool:
    """An expression whose receiver chain takes the training split: ``dataset["train"]``, ``train_df``, ``X_train``,
    ``self.training_data``."""
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() in _TRAIN_WORDS:
                return True
        if isinstance(node, ast.Attribute) and _words_of(node.attr) & _TRAIN_WORDS:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and bool(_words_of(node.id) & _TRAIN_WORDS)


def training_sample(tree: ast.AST) -> int:
    """The line where a module makes its "current" data by sampling rows of the training split (``unseen_df =
    dataset["train"].sample(300)``, ``current = train_df.sample(frac=0.2)``, or a function named for such data,
    ``get_unseen_data``/``simulate_production_batch``, returning that sample); 0 otherwise. A drift report on it
    simulates production: it compares the training data with itself. A sample of the training split taken as the
    reference (``reference = train_df.sample(5000)``) is the usual reference and does not count."""
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            continue
        owner = _words_of(fn.name) if not isinstance(fn, ast.Module) else set()
        for st in (fn.body if isinstance(fn, ast.Module) else walk(fn)):
            value = st.value if isinstance(st, (ast.Assign, ast.AnnAssign, ast.Return)) else None
            if value is None or not any(isinstance(c, ast.Call) and _call_name(c) == "sample" and _from_training(c.func)
                                        for c in walk(value)):
                continue
            target = set().union(*(_words_of(t) for t in _targets(st)))
            if (target | owner) & _CURRENT_WORDS and not target & _REFERENCE_WORDS:
                return st.lineno
    return 0


# a drift report's two frames (Evidently ``run(reference_data=..., current_data=...)``, its 0.7 ``run(current, reference)``,
# the legacy ``Dashboard``/``Profile.calculate(reference, current)``) and the reads of a file that may be their source
_FRAME_KWARGS = ("reference_data", "current_data")
_FILE_READS = frozenset({"read_csv", "read_parquet", "read_json", "read_excel", "read_feather", "read_pickle", "read_table", "read_fwf",
                         "read_hdf", "read_orc", "scan_csv", "scan_parquet", "from_csv", "from_parquet", "loadtxt", "genfromtxt"})
# calls that wrap a frame without changing where it comes from (``Dataset.from_pandas(df, ...)``, ``pd.DataFrame(df)``)
_WRAPS = frozenset({"from_pandas", "DataFrame", "copy", "deepcopy"})
_UNKNOWN = -1


def _frame_pair(c: ast.Call) -> tuple[ast.AST, ast.AST] | None:
    kws = {k.arg: k.value for k in c.keywords if k.arg}
    if all(k in kws for k in _FRAME_KWARGS):
        return kws["reference_data"], kws["current_data"]
    if _call_name(c) in ("run", "calculate"):
        pos = [*c.args, *(kws[k] for k in _FRAME_KWARGS if k in kws)]
        if len(pos) >= 2:
            return pos[0], pos[1]
    return None


class _Sources:
    """Where a data frame comes from: the file read calls (their ids) an expression's values are sliced from, following
    names through their assignments, slices (``df[mask]``, ``df.iloc[:n]``, ``df.loc[...]``), methods of the frame
    (``df.tail(24)``, ``df.query(...)``), a loader function of the module to what it returns, and a function's parameters
    to the arguments its calls in the module pass."""

    def __init__(self, tree: ast.AST) -> None:
        self.bound = _assignments(tree)
        self.params: dict[str, tuple[str, int]] = {}  # parameter -> (function, position)
        self.calls: dict[str, list[ast.Call]] = {}
        for n in walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for i, a in enumerate([*n.args.posonlyargs, *n.args.args]):
                    self.params.setdefault(a.arg, (n.name, i))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                self.calls.setdefault(n.func.id, []).append(n)
        self.reads: dict[int, ast.Call] = {}

    def of(self, node: ast.AST, seen: frozenset[str] = frozenset(), depth: int = 0) -> set[int]:
        if depth > 12:
            return {_UNKNOWN}
        while True:
            if isinstance(node, ast.Call) and _call_name(node) in _FILE_READS:
                self.reads[id(node)] = node
                return {id(node)}
            if isinstance(node, ast.Call) and _call_name(node) in _WRAPS and node.args:
                node = node.args[0]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                node = node.func.value
            elif isinstance(node, (ast.Subscript, ast.Attribute)):
                node = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and self.bound.get(f"{node.func.id}()"):
                # a loader of the module (``df = load_data()``): where what it returns comes from
                out: set[int] = set()
                for v in self.bound[f"{node.func.id}()"]:
                    out |= self.of(v, seen | {f"{node.func.id}()"}, depth + 1) if f"{node.func.id}()" not in seen else set()
                return out
            else:
                break
        if not isinstance(node, ast.Name):
            return {_UNKNOWN}
        if node.id in seen:
            return set()  # ``df = df.dropna()``: the other bindings say where it comes from
        values = self.bound.get(node.id)
        if values:
            out: set[int] = set()
            for v in values:
                out |= self.of(v, seen | {node.id}, depth + 1)
            return out
        fn_pos = self.params.get(node.id)
        if fn_pos is None or not self.calls.get(fn_pos[0]):
            return {_UNKNOWN}
        out = set()
        for call in self.calls[fn_pos[0]]:
            arg = call.args[fn_pos[1]] if fn_pos[1] < len(call.args) else next(
                (k.value for k in call.keywords if k.arg == node.id), None)
            out |= self.of(arg, seen | {node.id}, depth + 1) if arg is not None else {_UNKNOWN}
        return out


def _path_words(read: ast.Call, bound: dict[str, list[ast.AST]]) -> set[str]:
    """The words of what a read call is given: its literals, names and attributes, names followed to the literals bound to
    them (``DATA_PATH = "data/sales.csv"``)."""
    words: set[str] = set()
    todo: list[ast.AST] = [*read.args, *(k.value for k in read.keywords)]
    seen: set[str] = set()
    while todo:
        for x in walk(todo.pop()):
            if isinstance(x, ast.Constant) and isinstance(x.value, str):
                words |= _words_of(x.value.replace("/", " ").replace(".", " "))
            elif isinstance(x, ast.Name) and x.id not in seen:
                seen.add(x.id)
                words |= _words_of(x.id)
                todo += bound.get(x.id, [])[:4]
            elif isinstance(x, ast.Attribute):
                words |= _words_of(x.attr)
    return words


def one_file_slices(tree: ast.AST) -> int:
    """The line of a drift report whose reference and current data are both slices of one read of one data file
    (``df = pd.read_csv(PATH)``; ``reference = df[df.date < last_day]``, ``current = df[df.date == last_day]``) that names
    nothing arriving after deployment (requests, predictions, inference logs, production: ``_LIVE_WORDS``); 0 otherwise.
    Such a report profiles a dataset against itself (the last day of the training file against the rest of it): no
    production data reaches it. A read of a live source (a query, a table, a prediction log) or frames of two reads do
    not count."""
    src: _Sources | None = None
    for n in walk(tree):
        pair = _frame_pair(n) if isinstance(n, ast.Call) else None
        if pair is None:
            continue
        src = src or _Sources(tree)
        ref, cur = src.of(pair[0]), src.of(pair[1])
        if len(ref) != 1 or ref != cur or _UNKNOWN in ref:
            continue
        read = src.reads[next(iter(ref))]
        if not _path_words(read, src.bound) & _LIVE_WORDS:
            return n.lineno
    return 0


# ------------------------------------------------------------------ steps run as a command (container components)

# what a placeholder step's command does: print, make its output folder, write or copy a token into it
_NOOP_SHELL = frozenset({"echo", "printf", "mkdir", "touch", "true", ":", "sleep", "cat", "exit"})
# a script that only parses its arguments, reads and writes files and logs: the standard library's argument, path, file,
# JSON and logging modules, and only these calls
_PLAIN_MODULES = frozenset({"__future__", "argparse", "os", "sys", "json", "pathlib", "logging", "time", "datetime", "typing", "shutil"})
_PLAIN_CALLS = _LOG_CALLS | frozenset({
    "open", "read", "write", "writelines", "readlines", "read_text", "write_text", "makedirs", "mkdir", "dirname", "basename",
    "join", "exists", "isdir", "isfile", "Path", "ArgumentParser", "add_argument", "parse_args", "parse_known_args",
    "getLogger", "basicConfig", "dump", "dumps", "load", "loads", "get", "getenv", "format", "str", "int", "float", "len",
    "exit", "now", "strftime", "sleep", "copy", "copyfile", "strip", "split", "isoformat", "touch",
})


def placeholder_shell(script: str) -> bool:
    """A shell command that only prints, makes folders and writes a token (``mkdir -p $(dirname "$1") && echo "hello" > "$1"``,
    the hello-world of a container step)."""
    cmds = [c.strip() for c in split_commands(script) if c.strip()]
    return bool(cmds) and all(c.split()[0] in _NOOP_SHELL for c in cmds)


def placeholder_script(tree: ast.Module) -> bool:
    """A Python script that does no work of its own: it imports only argument parsing, paths, files, JSON and logging
    from the standard library and calls nothing but those and its own functions (a training step that writes
    ``f"Trained model with {data}"`` where the model should be)."""
    own = {n.name for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    seen_call = False
    for n in walk(tree):
        if isinstance(n, ast.Import) and any(a.name.split(".")[0] not in _PLAIN_MODULES for a in n.names):
            return False
        if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").split(".")[0] not in _PLAIN_MODULES):
            return False
        if isinstance(n, ast.Call):
            seen_call = True
            name = _call_name(n)
            if name not in _PLAIN_CALLS and name not in own:
                return False
    return seen_call


# ------------------------------------------------------------------ values left for the reader to fill in

# a value a template or tutorial leaves for the reader: ``<bucket>``, ``<folder-id>``, ``your-bucket``, ``YOUR_PROJECT``,
# ``TODO``, ``CHANGEME``, ``xxxx``, ``my-bucket``/``bucket-name``, an unexpanded ``${BUCKET}``, ``github.com/USERNAME/repo``
_PLACEHOLDER_VALUE = lazy_re(
    r"<[^<>/\s][^<>]*>|\byour[-_ ]\w+|\buser[-_]?name\b|\byour(bucket|project|account|storage|container|folder|org|name|id)\w*|\b(todo|tbd|fixme|changeme|change[-_]me|replace[-_]?me|fill[-_]?me|placeholder)\b|"
    r"\bx{3,}\b|\b(my|some|the)[-_]bucket\b|\bbucket[-_]name\b|\$\{?[A-Z][A-Z0-9_]*\}?",
    re.IGNORECASE,
)


def placeholder_value(value: str) -> bool:
    """A setting the reader still has to fill in (a store URL ``gdrive://<folder-id>``, ``s3://your-bucket/dvc``): it
    names no real place, so nothing is stored there yet."""
    return bool(_PLACEHOLDER_VALUE.search(value))


# a starter workflow's value to replace (GitHub's "Deploy to Amazon ECS": ``ECS_SERVICE: MY_ECS_SERVICE``)
_STARTER_VALUE = lazy_re(r"^MY_[A-Z0-9_]+$")
# a CI variable a deploy's setting or command refers to: ``${{ env.ECS_SERVICE }}``, ``$AZURE_WEBAPP_NAME``, ``${SERVICE}``
_ENV_REF = lazy_re(r"\$\{\{\s*env\.(\w+)\s*\}\}|\$\{?([A-Za-z_]\w*)\}?")


def unfilled_settings(texts: Iterable[str], env: Iterable[tuple[str, str]]) -> list[str]:
    """The CI variables a deploy's settings or command use whose values a starter workflow leaves for the reader to fill
    in (``service: ${{ env.ECS_SERVICE }}`` with ``ECS_SERVICE: MY_ECS_SERVICE``, ``app-name: ${{ env.AZURE_WEBAPP_NAME }}``
    with ``your-app-name``, ``<cluster-name>``): the deploy names no real service, so it deploys nothing. Values the
    CI fills at run time (``${{ secrets.X }}``, ``gcr.io/$PROJECT/app``) are not placeholders."""
    values = dict(env)
    out: list[str] = []
    for text in texts:
        for m in _ENV_REF.finditer(text):
            name = m.group(1) or m.group(2)
            v = values.get(name, "").strip().strip("'\"")
            if v and "$" not in v and (_STARTER_VALUE.match(v) or placeholder_value(v)) and name not in out:
                out.append(name)
    return out


# ---------------------------------------------------------------- test-set substitutes

# a path or a name of one data split (``data/processed/test.csv``, ``X_val``, ``holdout_df``)
# (the evaluation splits: a script falling back to them measures held-out data in place of the data it names)
_SPLIT_PATH = lazy_re(r"(?i)(?:^|[/\\_.-])(?:test|testing|val|valid|validation|holdout)(?:$|[/\\_.-])")
_SPLIT_NAME = lazy_re(r"(?i)^(?:\w+_)?(?:test|val|valid|validation|holdout)(?:_\w+)?$")
_EXISTS = frozenset({"exists", "isfile", "is_file", "isdir", "is_dir"})
_NOT_FOUND = frozenset({"FileNotFoundError", "OSError", "IOError", "NoSuchKey"})


def _absent(test: ast.AST) -> bool:
    """A test that holds when an input is missing: ``not p.exists()``, ``not os.path.isfile(p)``, ``x is None``."""
    if isinstance(test, ast.BoolOp):
        return any(_absent(v) for v in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Call) and _call_name(test.operand) in _EXISTS
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None)


def _split_read(body: list[ast.stmt], missing: frozenset[str] = frozenset()) -> int:
    """The line of the first read of a named split in ``body`` other than the ``missing`` input itself: a path
    literal naming one (``"test.csv"``, ``"data/val"``), a read call or an assignment taking a split variable
    (``current = test_df.sample(...)``)."""
    for st in body:
        for x in walk(st):
            if isinstance(x, ast.Constant) and isinstance(x.value, str) and ("/" in x.value or "." in x.value) \
                    and len(x.value) < 200 and " " not in x.value and _SPLIT_PATH.search(x.value) and x.value not in missing:
                return x.lineno
            if isinstance(x, ast.Call) and _call_name(x) in _READS \
                    and any(isinstance(a, ast.Name) and _SPLIT_NAME.match(a.id) and a.id not in missing for a in x.args):
                return x.lineno
            if isinstance(x, ast.Assign):
                root = x.value
                while isinstance(root, (ast.Call, ast.Attribute, ast.Subscript)):
                    root = root.func if isinstance(root, ast.Call) else root.value
                if isinstance(root, ast.Name) and _SPLIT_NAME.match(root.id) and root.id not in missing \
                        and not any(isinstance(t, ast.Name) and _SPLIT_NAME.match(t.id) for t in x.targets):
                    return x.lineno
    return 0


def _named(node: ast.AST) -> frozenset[str]:
    """The names and string literals in ``node`` (the input a missing-input test checks)."""
    return frozenset(x.id if isinstance(x, ast.Name) else x.value for x in walk(node)
                     if isinstance(x, ast.Name) or isinstance(x, ast.Constant) and isinstance(x.value, str))


def split_substitute(tree: ast.AST) -> int:
    """The line where a script, finding its input missing (``if not current.exists():``, ``except
    FileNotFoundError:``, ``if path is None:``), reads another data split in its place (a sample of the test set as
    "current" data, the validation set for the test set); 0 when it never does. A metric or a drift report then
    measures that split, not the data it names."""
    for n in walk(tree):
        if isinstance(n, ast.If) and _absent(n.test):
            line = _split_read(n.body, _named(n.test))
        elif isinstance(n, ast.Try):
            line = next((ln for h in n.handlers if h.type is not None
                         and any(isinstance(t, ast.Name) and t.id in _NOT_FOUND for t in walk(h.type))
                         for ln in [_split_read(h.body)] if ln), 0)
        else:
            continue
        if line:
            return line
    return 0
