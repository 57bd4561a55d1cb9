"""The model that is served: what the repository's serving code loads. A serving module (one that imports a web or
model-serving framework, or is named for serving and loads a model) is read for the model it loads:

* a registry reference, ``models:/<name>/<stage>``, ``models:/<name>@<alias>`` or ``models:/<name>/<version>``
  (MLflow and the SDKs that take its URIs), or a run's artifact, ``runs:/<id>/<path>``;
* a file: the string path in a call that the scanned source makes to a model loader (calls named ``load``,
  ``load_model``, ``from_pretrained``, ``InferenceSession``...: ``_LOADERS``), written directly or through a
  module-level name;
* a model of BentoML's local model store by its tag, ``bentoml.<framework>.get("name:version")`` /
  ``bentoml.models.get(...)`` (kind ``store``): it travels in an image only when the image is a Bento that the
  repository's automation builds (``bentoml build``/``bentoml containerize``); any other image lacks it.

Everything here is read from the syntax tree of the scanned source. mlscan never calls a loader, never opens the
model file and never imports the scanned code: a pickled model in a scanned repository stays bytes on disk
(tests/test_hostile_repos.py scans one whose unpickling would run a command).

Data-version, code-version and deploy links are about this artifact (labelling conventions D2, E3, M2): a dvc.lock
that hashes ``models/model.pkl`` links the served model only when serving loads that file, not when serving takes
the model from a registry stage; an image tagged with the commit carries the model's code version only when the
model is in the image, not when the server fetches it from a registry at start-up. ``served_models(index)``
answers once per scan; ``links_file(...)`` and ``from_registry_only(...)`` are the questions detectors ask."""

from __future__ import annotations

import ast
import re

from mlscan.facts import ops
from mlscan.facts.orchestration import words
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex, register_fact

from ..lazyre import lazy_re
from ..valueclass import Value, setfield

SERVING_LIBS = ("fastapi", "flask", "bentoml", "starlette", "gradio", "streamlit", "litserve", "ray.serve", "kserve", "sanic",
                "tornado", "aiohttp", "falcon", "seldon_core", "mlserver")
_SERVING_WORDS = frozenset({"serve", "serving", "server", "app", "api", "predict", "predictor", "prediction", "inference", "score",
                            "scoring", "service", "handler"})
_LOADERS = frozenset({"load", "load_model", "load_learner", "from_pretrained", "read_pickle", "InferenceSession", "load_state_dict",
                      "Booster", "load_weights", "load_checkpoint", "restore"})
# formats that hold a model; other files (``.json``, ``.bin``, ``.txt``) count only when their path names a model
MODEL_EXT = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".h5", ".keras", ".onnx", ".safetensors", ".cbm", ".sav", ".pb", ".ckpt",
              ".ubj", ".tflite")
_NOT_MODEL_READERS = ("json", "yaml", "toml", "tomllib", "configparser", "np", "numpy")
_URI = lazy_re(r"^(?P<scheme>models|runs):/(?P<rest>[^\s'\"]+)$")
_BENTO_TAG = lazy_re(r"^[a-z0-9][\w.-]*(:[\w.-]+)?$", re.IGNORECASE)  # name[:version], never a path
_LIB_NEEDLES = tuple(m.split(".")[0].encode() for m in SERVING_LIBS)
# what a load _loads reports needs in the text: a loader's name (or ``bentoml``) as a whole name, or a model/run URI
_MAY_LOAD = lazy_re(r"(?<!\w)(?:" + "|".join(sorted(_LOADERS | {"bentoml"})) + r")(?!\w)|models:/|runs:/")
NEEDLES = _LIB_NEEDLES + (b"models:/", b"runs:/", b"load", b"load_model", b"from_pretrained")


class ServedLoad(Value, frozen=True):
    """One model load in serving code: ``kind`` is ``registry`` (``ref`` the model name, ``stage`` its stage, alias
    or version), ``run`` (a run's artifact), ``store`` (a BentoML model store tag: ``ref`` the name, ``stage`` the
    version) or ``file`` (``ref`` the path as written, without leading ``./``)."""

    path: str
    line: int
    kind: str
    ref: str
    stage: str

    _fields = ("path", "line", "kind", "ref", "stage")

    def __init__(self, path: str, line: int, kind: str, ref: str, stage: str = "") -> None:
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "kind", kind)
        setfield(self, "ref", ref)
        setfield(self, "stage", stage)


def _serving_name(path: str) -> bool:
    """Is the file named for serving (``serve.py``, ``inference_api.py``)?"""
    return bool(words(path.rsplit("/", 1)[-1]) & _SERVING_WORDS)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound once to a string (``MODEL_PATH = "models/model.pkl"``, also through
    ``os.getenv("X", "default")`` / ``Path("...")``)."""
    out: dict[str, str] = {}
    for n in tree.body:
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            v = _string(n.value, {})
            if v is not None:
                out.update({t.id: v for t in targets if isinstance(t, ast.Name)})
    return out


def _string(node: ast.AST | None, names: dict[str, str]) -> str | None:
    """The string a path/URI expression stands for, when it is written out (literal, named constant, default of an
    environment lookup, ``Path(...)``/``os.path.join`` of literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
        return "".join(str(p) for p in parts)
    if isinstance(node, ast.Call):
        tail = ops.dotted(node.func).rsplit(".", 1)[-1]
        if tail in ("getenv", "get") and len(node.args) >= 2:
            return _string(node.args[1], names)
        if tail in ("Path", "join", "PurePath") and node.args:
            parts = [_string(a, names) for a in node.args]
            return "/".join(p for p in parts if p) if all(p is not None for p in parts) else None
        if tail == "open" and node.args:
            return _string(node.args[0], names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = _string(node.left, names), _string(node.right, names)
        return f"{left}/{right}" if left is not None and right is not None else None
    return None


Load = list  # [line, kind, ref, stage] of a ServedLoad, in a file fact


def _from_uri(line: int, text: str) -> Load | None:
    m = _URI.match(text.strip())
    if not m:
        return None
    rest = m.group("rest")
    if m.group("scheme") == "runs":
        return [line, "run", rest, ""]
    name, sep, stage = rest.partition("@") if "@" in rest else rest.partition("/")
    return [line, "registry", name, stage.strip("/") if sep else ""]


# W&B: ``wandb.Api().artifact("entity/project/model:latest")``, ``run.use_artifact("model:prod")``, ``run.use_model(name=...)``
# fetch a version of a logged or registry-linked model artifact by its alias or version (W&B's "consume models" docs)
_WANDB_FETCH = frozenset({"artifact", "use_artifact", "use_model"})
_ARTIFACT_REF = lazy_re(r"^(?:[^\s:]*/)?(?P<name>[^\s/:]+):(?P<alias>[\w.{}-]+)$")


def _bound_once(tree: ast.Module, names: dict[str, str]) -> dict[str, str]:
    """Names bound once anywhere in the module (a function's ``artifact_name = f"{ENTITY}/{PROJECT}/model:latest"``) to
    a string that can be written out."""
    seen: dict[str, int] = {}
    values: dict[str, str] = {}
    for n in walk(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    seen[t.id] = seen.get(t.id, 0) + 1
                    v = _string(n.value, names)
                    if v is not None:
                        values[t.id] = v
    return {k: v for k, v in values.items() if seen[k] == 1}


def _wandb_fetch(n: ast.Call, names: dict[str, str]) -> Load | None:
    """A W&B model artifact fetched by alias or version: [line, "registry", name, alias]."""
    arg = n.args[0] if n.args else ops.kwarg(n, "name") or ops.kwarg(n, "artifact_or_name")
    m = _ARTIFACT_REF.match(_string(arg, names) or "")
    if not m or not (words(m.group("name")) & {"model", "models", "classifier", "regressor", "checkpoint", "weights"}
                     or ops.dotted(n.func).endswith("use_model")):
        return None
    return [n.lineno, "registry", m.group("name"), m.group("alias")]


def _loads(tree: ast.Module) -> list[Load]:
    names = _constants(tree)
    out: list[Load] = []
    wandb = ops.imports_module(ops.aliases(tree), "wandb")
    bound = {**_bound_once(tree, names), **names} if wandb else names
    for n in walk(tree):
        if wandb and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WANDB_FETCH:
            hit = _wandb_fetch(n, bound)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith(("models:/", "runs:/")):
            hit = _from_uri(n.lineno, n.value)
        elif isinstance(n, ast.JoinedStr):
            text = _string(n, names) or ""
            hit = _from_uri(n.lineno, text) if text.startswith(("models:/", "runs:/")) else None
        elif isinstance(n, ast.Call) and ops.dotted(n.func).startswith("bentoml.") and ops.dotted(n.func).rsplit(".", 1)[-1] in ("get", "load_model") \
                and isinstance(tag := _string(n.args[0] if n.args else None, names), str) and _BENTO_TAG.match(tag):
            name, _, version = tag.partition(":")
            hit = [n.lineno, "store", name, version]
        elif isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] in _LOADERS \
                and ops.dotted(n.func).split(".")[0] not in _NOT_MODEL_READERS:
            arg = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg in ("path", "f", "model_uri", "filename", "fname",
                                                                                              "path_or_buf", "pretrained_model_name_or_path")), None)
            text = _string(arg, names)
            if text is None or text.startswith(("models:/", "runs:/")):
                continue  # a URI literal is its own constant node
            path = text.removeprefix("./")
            hit = [n.lineno, "file", path, ""] if path.endswith(MODEL_EXT) or "model" in path.lower() else None
        else:
            hit = None
        if hit is not None:
            out.append(hit)
    return out


def _file_loads(index: FileIndex, path: str) -> list[object] | None:
    """What ``served_models`` reads of one Python file: [it imports a serving library, its model loads]; None when it
    does not parse. Derived as the file is parsed (by the wiring graph, usually), so no second parse is needed."""
    tree = index.python(path)
    if tree is None:
        return None
    return [ops.imports_module(ops.aliases(tree), *SERVING_LIBS), _loads(tree)]


def _asked(index: FileIndex, path: str) -> bool:
    """Will ``served_models`` ask this file's loads? Its own conditions on one file (a test file, one with no load to
    find, is never asked): derived eagerly for every Python file naming a load, the fact cost PrefectHQ/prefect 0.28 s
    of CPU for 126 files nobody asked about."""
    if not path.endswith(".py") or not index.may_mention(path, NEEDLES):
        return False
    e = index.entry(path)
    if e is not None and e.test:
        return False
    if not _serving_name(path) and not index.may_mention(path, _LIB_NEEDLES):
        return False
    return (e is not None and e.template) or _MAY_LOAD.search(index.text(path) or "") is not None


LOADS = register_fact("served.loads", _file_loads, eager=_asked)


def served_models(index: FileIndex) -> tuple[ServedLoad, ...]:
    """Every model load in the repository's serving code (tests, vendored and template trees left out): the loads of
    a serving module, one that imports a serving library or is named for serving."""

    def build() -> tuple[ServedLoad, ...]:
        out: list[ServedLoad] = []
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, NEEDLES):
                continue
            if not _serving_name(e.vpath) and not index.mentions(e.path, _LIB_NEEDLES):
                continue
            if not e.template and not _MAY_LOAD.search(index.text(e.path) or ""):
                continue  # no load to find (``load`` the word is in most files: ``load_data``, "load the config")
            fact = index.fact(e.path, LOADS)
            if fact is not None and (fact[0] or _serving_name(e.vpath)):
                out += [ServedLoad(e.vpath, *load) for load in fact[1]]
        # the project modules a service imports load for it (``from prediction_server.model_loader import load_model``
        # in the FastAPI app), whatever their names
        # (the services are parsed for their imports only when another module may load a model)
        done = {ld.path for ld in out}
        # (modules the pass above read are left out; words first, the text only of a module a service imports)
        candidates = [e for e in index.select(("**/*.py",)) if not e.test and e.vpath not in done and index.mentions(e.path, NEEDLES)
                      and not _serving_name(e.vpath) and not index.mentions(e.path, _LIB_NEEDLES)]
        imported = services(index)[1] if candidates else frozenset()
        for e in candidates:
            if not _imported_module(e.vpath, imported) or not (e.template or _MAY_LOAD.search(index.text(e.path) or "")):
                continue
            fact = index.fact(e.path, LOADS)
            if fact is not None:
                out += [ServedLoad(e.vpath, *load) for load in fact[1]]
        return tuple(out)

    return index.memo("served:models", build)


# a module that imports a serving library, told from its text before it is parsed (``array`` holds ``ray``)
_SERVICE_IMPORT = lazy_re(r"^\s*(?:from|import)\s+(?:" + "|".join(re.escape(m) for m in SERVING_LIBS if "." not in m)
                          + r")\b|\bray\.serve\b|^\s*from\s+ray\s+import\s+serve\b", re.M)


def services(index: FileIndex) -> tuple[frozenset[str], frozenset[str]]:
    """(the modules that import a web or model-serving library, the dotted module names they import and every dotted
    prefix of those: ``a.b.c`` gives ``a.b.c``, ``a.b``, ``a``): a service, and the project modules that do its work."""

    def build() -> tuple[frozenset[str], frozenset[str]]:
        found: set[str] = set()
        imported: set[str] = set()
        for e in index.select(("**/*.py",)):
            if e.test or not index.mentions(e.path, _LIB_NEEDLES) or not _SERVICE_IMPORT.search(index.text(e.path) or ""):
                continue
            fact = index.fact(e.path, SERVICE)
            if fact is not None and fact[0]:
                found.add(e.vpath)
                for name in fact[1]:
                    parts = name.split(".")
                    imported.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
        return frozenset(found), frozenset(imported)

    return index.memo("served:services", build)  # type: ignore[no-any-return]


def _service_fact(index: FileIndex, path: str) -> list[object] | None:
    """What ``services`` reads of one Python file: [it imports a serving library, the module names it imports
    (``_imported``, sorted; only when it does)]; None when it does not parse. Derived as the file is parsed (by the
    wiring graph, usually): asking LOADS and then the tree for the imports parsed PrefectHQ/prefect's and feast's
    services a second time (~50 and ~30 files), their trees gone from the parse cache by then."""
    tree = index.python(path)
    if tree is None:
        return None
    serves = ops.imports_module(ops.aliases(tree), *SERVING_LIBS)
    return [serves, sorted(_imported(tree)) if serves else []]


def _service_asked(index: FileIndex, path: str) -> bool:
    """Will ``services`` ask this file? Its own conditions on one file: a Python file, not a test, whose text imports a
    serving library (``_SERVICE_IMPORT``)."""
    if not path.endswith(".py") or not index.may_mention(path, _LIB_NEEDLES):
        return False
    e = index.entry(path)
    return not (e is not None and e.test) and _SERVICE_IMPORT.search(index.text(path) or "") is not None


SERVICE = register_fact("served.service", _service_fact, eager=_service_asked)


def _imported_module(vpath: str, imported: frozenset[str]) -> bool:
    """Does a service import this module (by one of its dotted names, or something inside it)? ``imported`` holds the
    dotted prefixes of every name the services import (``services``)."""
    return any(n in imported for n in _module_names(vpath))


def _same_file(load: str, out: str) -> bool:
    """Does a path serving loads name a tracked output (``models/model.pkl`` under ``/app/models/model.pkl``, or a
    file inside a tracked ``models`` directory)?"""
    load, out = load.strip("/"), out.strip("/").removeprefix("./")
    return bool(out) and (load == out or load.endswith("/" + out) or load.startswith(out + "/") or f"/{out}/" in f"/{load}")


def links_file(index: FileIndex, outs: list[str]) -> bool | None:
    """Is one of these tracked outputs (dvc.lock model outs) the model serving loads? True when serving loads one of
    them; False when serving loads its model(s) only from a registry or a run (the tracked file is not what is
    served); None when the repository has no serving code that loads a model (nothing to tell)."""
    loads = served_models(index)
    if not loads:
        return None
    if any(ld.kind == "file" and any(_same_file(ld.ref, o) for o in outs) for ld in loads):
        return True
    return False if from_registry_only(index) else None


def from_registry_only(index: FileIndex) -> bool:
    """Does serving take every model it loads from a registry or a run (nothing from a file it ships)? A BentoML
    store model counts as shipped only when the repository's automation builds Bentos (their images carry it). A file
    load in a serving module that itself fetches a registry model is the fetched copy (``artifact.download()``, then
    ``joblib.load("model.joblib")``) when the repository holds no such file (nor a DVC pointer to it)."""
    loads = served_models(index)
    if not loads:
        return False
    builds_bentos = any(ld.kind == "store" for ld in loads) and any(
        _BENTO_BUILD.search(c.text) for c in ops.automated_commands(index))
    fetching = {ld.path for ld in loads if ld.kind in ("registry", "run")}
    return all(ld.kind in ("registry", "run") or ld.kind == "store" and not builds_bentos
               or ld.kind == "file" and ld.path in fetching and not _repository_file(index, ld.ref) for ld in loads)


def _repository_file(index: FileIndex, ref: str) -> bool:
    """Does the repository hold the file a load names (or a ``.dvc`` pointer to it), matched by its trailing path?"""
    ref = ref.strip("/")
    name = ref.rsplit("/", 1)[-1]
    if not name or "{" in name:
        return True  # a name built at run time: not known, kept as a file
    return any(not e.test and _same_file(ref, e.vpath.removesuffix(".dvc")) or e.vpath.removesuffix(".dvc").endswith("/" + ref)
               for e in index.select((f"**/{name}", f"**/{name}.dvc")))


_BENTO_BUILD = lazy_re(r"\bbentoml\s+(build|containerize)\b")


# model files a repository may ship, and the libraries whose import makes Python code model code (train, save, load)
_MODEL_FILES = ("**/*.pkl", "**/*.pickle", "**/*.joblib", "**/*.pt", "**/*.pth", "**/*.h5", "**/*.keras", "**/*.onnx",
                "**/*.safetensors", "**/*.ckpt", "**/*.sav", "**/*.model", "**/*.cbm", "**/*.tflite", "**/saved_model.pb",
                "**/*.dvc", "**/dvc.yaml", "**/MLmodel", "**/*.bentomodel", "**/*.rds", "**/*.RData", "**/*.mojo")
_ML_IMPORTS = (b"sklearn", b"torch", b"tensorflow", b"keras", b"xgboost", b"lightgbm", b"catboost", b"transformers", b"mlflow",
               b"onnxruntime", b"joblib", b"statsmodels", b"prophet", b"jax", b"sagemaker", b"aiplatform", b"azureml", b"bentoml",
               b"ultralytics", b"fastai", b"spacy", b"pycaret", b"autogluon", b"h2o", b"sentence_transformers", b"diffusers",
               b"gensim", b"pytorch_lightning", b"lightning", b"onnx", b"tfx", b"kfp", b"wandb")


def holds_model(index: FileIndex) -> bool:
    """Does the repository hold a model at all: a model file (or a DVC-tracked one), or Python code importing a
    machine-learning, serving or model-registry library? An image of a project without one (a data workflow, a web
    app) carries no model, whatever its tag, and its data pipelines lead to no model input."""

    def build() -> bool:
        if any(not e.test for e in index.select(_MODEL_FILES)):
            return True
        return any(not e.test and index.mentions(e.path, _ML_IMPORTS) for e in index.select(("**/*.py", "**/*.ipynb")))

    return bool(index.memo("served:holds-model", build))


def _module_names(vpath: str) -> tuple[str, ...]:
    """The dotted names a module may be imported by: ``src/app/predictor.py`` -> src.app.predictor, app.predictor,
    predictor (a package's ``__init__.py`` is the package)."""
    parts = vpath[:-3].split("/")
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return tuple(".".join(parts[i:]) for i in range(len(parts)) if parts[i:])


def service_loads(index: FileIndex) -> tuple[ServedLoad, ...]:
    """The loads of a running service: those in a module that imports a web or model-serving library, or in a project
    module such a module imports (``from predictor import Predictor`` in the FastAPI app). A prediction script run from
    the command line, named for predicting but imported by no service, serves no request: what it loads is a batch
    job's input."""
    found, imported = services(index)
    return tuple(ld for ld in served_models(index) if ld.path in found or _imported_module(ld.path, imported))


def _imported(tree: ast.Module) -> set[str]:
    """Module names a file imports (absolute; a relative import by its module name only)."""
    out: set[str] = set()
    for n in walk(tree):
        if isinstance(n, ast.Import):
            out.update(a.name for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.module:
            out.add(n.module)
            out.update(f"{n.module}.{a.name}" for a in n.names if a.name != "*")
        elif isinstance(n, ast.ImportFrom):
            out.update(a.name for a in n.names)
    return out


def serves_stage(index: FileIndex, stages: set[str]) -> bool:
    """Does a service load a registry model by one of these stages/aliases (compared case-blind; MLflow writes its stages
    ``Production``/``Staging``)? A stage the service builds at run time (``models:/{name}/{stage}``) may be any of them;
    an empty ``stages`` (a promotion whose target is not written out) is met by any stage or alias a service loads. A
    load by version number (``models:/churn/3``) follows no promotion."""
    wanted = {s.lower() for s in stages}
    for ld in service_loads(index):
        if ld.kind != "registry" or not ld.stage or ld.stage.isdigit() or ld.stage == "latest":
            continue
        if not wanted or "{" in ld.stage or ld.stage.lower() in wanted:
            return True
    return False


# clients of models hosted by a provider and reached through its API (a chat or completion endpoint): OpenAI, Anthropic,
# LiteLLM's router, LangChain's provider chat models, Google's Gemini SDKs, Mistral, Cohere, Groq, Together, AWS Bedrock
HOSTED_MODEL_MODULES = ("openai", "anthropic", "litellm", "langchain_openai", "langchain_anthropic", "langchain_google_genai",
                        "langchain_google_vertexai", "langchain_aws", "langchain_mistralai", "langchain_groq", "google.generativeai",
                        "google.genai", "mistralai", "cohere", "groq", "together")
_HOSTED_NEEDLES = tuple({m.split(".")[-1].encode() for m in HOSTED_MODEL_MODULES} | {b"bedrock"})


def hosted_model_only(index: FileIndex) -> bool:
    """Does the repository serve a model hosted elsewhere and none of its own? It has a service (a module importing a web or
    model-serving library); that service, or a project module it imports, calls a hosted model's API (``OpenAI()``,
    ``ChatAnthropic``, ``litellm.completion``, a ``bedrock-runtime`` client); serving loads no model (``served_models``)
    and the repository holds no model file. An image of that service carries the server's code, not a model."""

    def build() -> bool:
        found, imported = services(index)
        if not found or served_models(index) or any(not e.test and not e.vpath.endswith(("dvc.yaml", ".dvc")) for e in index.select(_MODEL_FILES)):
            return False
        for e in index.select(("**/*.py",)):
            if e.test or not (e.vpath in found or _imported_module(e.vpath, imported)) or not index.mentions(e.path, _HOSTED_NEEDLES):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            al = ops.aliases(tree)
            if ops.imports_module(al, *HOSTED_MODEL_MODULES) or any(
                    isinstance(n, ast.Constant) and n.value == "bedrock-runtime" for n in walk(tree)):
                return True
        return False

    return bool(index.memo("served:hosted-model-only", build))
