"""Model artifacts in shared storage: model uploads/syncs to S3/GCS/Azure Blob in CI and scripts, cloud
SDK uploads and remote model loads in code, remote MLflow artifact roots (server flags, env, MinIO
endpoints), and models the training code logs to a remote MLflow tracking server (the server keeps them for everyone
who can reach it: a tracking URI set to a server in the code, or given to the run by CI, compose or a container
environment; a local ``mlruns``/SQLite store, a localhost server or the compose file's own MLflow server with a local
SQLite/file store is no central store), and the outputs an Azure ML
training job writes to a named datastore path (``path: azureml://datastores/<store>/paths/...``), and the released models a
model zoo file lists for the library's model manager to download (``mlscan.facts.model_zoo``), and the released models the
library's own code fetches as versioned release assets or from the Hugging Face Hub (``mlscan.facts.released_models``);
feeds T2."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import Any

from mlscan.detector import Detector, Need, needs_of
from mlscan.facts import ops, tracking
from mlscan.facts.model_zoo import model_zoos
from mlscan.facts.orchestration import trainingish, words
from mlscan.facts.place import place
from mlscan.facts.placeholders import placeholder_value
from mlscan.facts.pyast import walk
from mlscan.facts.released_models import NEEDLES as RELEASE_NEEDLES
from mlscan.facts.released_models import released_models
from mlscan.facts.served import MODEL_EXT
from mlscan.facts.wiring import only_tests_import
from mlscan.index import FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength

_COPY = ((lazy_re(r"\baws\s+s3\s+(cp|sync|mv)\b|\baws\s+s3api\s+put-object\b"), "s3"),
         (lazy_re(r"\bgsutil\s+(-\S+\s+)*(cp|rsync|mv)\b|\bgcloud\s+storage\s+(cp|rsync)\b"), "gcs"),
         (lazy_re(r"\baz\s+storage\s+blob\s+(upload|upload-batch|sync|download|download-batch)\b|\bazcopy\s+(copy|cp|sync)\b"), "azure-blob"),
         (lazy_re(r"\bmc\s+(cp|mirror)\b"), "minio"))
_REMOTE = lazy_re(r"^(s3|s3a|gs|gcs|az|abfss?|wasbs?|dbfs|hdfs|minio|oss)://|\.blob\.core\.windows\.net", re.I)
_MODEL_WORDS = frozenset({"model", "models", "mlflow", "artifact", "artifacts", "checkpoint", "checkpoints", "ckpt", "weights", "registry",
                          "pkl", "joblib", "pt", "pth", "onnx", "h5", "keras", "safetensors", "bentoml", "mlruns"})
_SDK = {"upload_file": "up", "upload_fileobj": "up", "put_object": "up", "upload_from_filename": "up", "upload_from_file": "up",
        "upload_blob": "up", "put": "up", "download_file": "down", "download_fileobj": "down", "download_to_filename": "down",
        "download_blob": "down",
        # the MinIO Python SDK (``Minio(...)``): ``fput_object`` uploads a file, ``get_object``/``fget_object`` read an object
        # (boto3's client has ``get_object`` too)
        "fput_object": "up", "get_object": "down", "fget_object": "down"}
_LOADS = frozenset({"load_model", "load", "save_model", "log_model", "save", "dump", "from_pretrained", "download_artifacts",
                    "load_from_checkpoint", "read_pickle"})
_ROOT_ENV = ("DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT", "MLFLOW_ARTIFACT_ROOT", "ARTIFACT_ROOT",
             "MLFLOW_ARTIFACTS_DESTINATION", "MLFLOW_S3_ENDPOINT_URL")
_ROOT_FLAG = lazy_re(r"--(default-artifact-root|artifacts-destination)[=\s]+[\"']?([^\s\"']+)")
# Python files worth a parse (word pre-filter): a cloud storage SDK import (boto3, google.cloud.storage, azure.storage,
# s3fs, gcsfs, minio), the MLflow S3 endpoint variable, or a remote storage URI for a remote model load: a scheme or
# the Azure blob host of _REMOTE (which ignores case: lower, upper and capitalised spellings)
_REMOTE_WORDS = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "wasb", "wasbs", "dbfs", "hdfs", "minio", "oss", "blob.core.windows.net")
NEEDLES = (b"boto3", b"google.cloud.storage", b"azure.storage", b"s3fs", b"gcsfs", b"minio", b"MLFLOW_S3_ENDPOINT_URL",
           *sorted({v.encode() for w in _REMOTE_WORDS for v in (w, w.upper(), w.capitalize())}))


def _modelish(text: str) -> bool:
    return bool(words(text) & _MODEL_WORDS)


def _kind(uri: str) -> str:
    u = uri.lower()
    return "s3" if u.startswith(("s3", "minio")) else "gcs" if u.startswith("g") else "azure-blob" if "blob" in u or u.startswith(("az", "abfs", "wasb")) else u.split(":", 1)[0]


class ArtifactStore(Detector):
    """Model artifacts kept in shared cloud storage (CI/script copies, SDK uploads, remote loads, MLflow artifact roots); feeds T2."""

    id = "artifact.store"
    questions = ("T2",)
    globs = ("**/*.py", "**/*.ipynb", "**/*.json", *ops.YAML_GLOBS, *tracking.ENV_TEXT_GLOBS, *tracking.DOCKERFILES)
    signals = ("artifact.store",)
    # What ``detect`` reads first: commands (CI, DVC, scripts, Makefiles), Python and notebooks mentioning a storage SDK
    # or remote scheme (NEEDLES), ``log_model`` (models logged to a server) or a release store (released_models), YAML
    # (Azure ML outputs, env settings, artifact-root flags), Dockerfiles and env files (env settings), JSON (model zoos)
    needs_any = (*needs_of(ops.COMMAND_LINE_NEEDS), Need(("**/makefile", "**/*.mk")),
                 Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, b"log_model", *RELEASE_NEEDLES)),
                 Need((*ops.YAML_GLOBS, *tracking.DOCKERFILES, *tracking.ENV_TEXT_GLOBS, "**/*.json")))

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()

        def once(path: str, how: str) -> bool:
            if (path, how) in seen:
                return False
            seen.add((path, how))
            return True

        automated = {(c.path, c.line, c.text) for c in ops.automated_commands(index)}
        cmds = [(c.path, c.line, c.text, True) for c in ops.automated_commands(index)]
        for e in index.select(("**/*.sh", "**/Makefile", "**/makefile", "**/*.mk")):
            if not e.test:
                cmds += [(e.path, i, t, False) for i, t in ops.logical_lines(index.lines(e.path)) if (e.path, i, t) not in automated]
        kinds: dict[str, str | None] = {}  # by command text: the same texts recur across jobs and callers
        for path, line, text, auto in cmds:
            if text.lstrip().startswith("#"):
                continue
            kind = kinds[text] if text in kinds else kinds.setdefault(text, next((k for rx, k in _COPY if rx.search(text)), None))
            if not kind:
                continue
            env = _env_of(index, path)
            expanded = " ".join(tracking.expand(text, env))
            remote = [w for w in _args(expanded) if _REMOTE.search(w)]
            if not remote or not _modelish(text + " " + expanded) or not once(path, "copy"):
                continue
            plain = _args(text)
            direction = "upload" if plain and (_REMOTE.search(plain[-1]) or "$" in plain[-1] and len(remote) > 1) else "download"
            if direction == "upload" and _uploads_no_model(plain):
                continue  # ``gsutil cp pipeline.yaml gs://<artifacts bucket>/pipelines/``: a spec, not a model
            yield self.found("artifact.store", index, path, line, strength=Strength.STRONG if auto else Strength.MEDIUM,
                             attrs={"kind": kind, "how": "copy", "direction": direction, "wired": auto})
        yield from self._sagemaker_cli(index, cmds, once)
        for e in index.select(("**/*.py", "**/*.ipynb")):
            hit = index.fact(e.path, FILE_FACTS) if index.mentions(e.path, NEEDLES) else None
            if not hit:
                continue
            where = place(index, e)
            if not where.test and once(e.path, "code"):
                line, kind, how = hit
                strength = where.strength(e.suffix != ".ipynb")
                at, snip = ops.locate(index, e, line)
                attrs: dict[str, Any] = {"kind": kind, "how": how, "wired": where.wired == "automated"}
                if where.wired == "none" and where.kind == "code" and not where.training_script and only_tests_import(index, e):
                    attrs["tests_only"] = True  # only the tests call it (a pipeline builder nothing submits): it leads no answer
                yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=strength, attrs=attrs)
        yield from self._helper_uploads(index, once)
        yield from self._server_models(index, once)
        yield from self._azureml_outputs(index, once)
        for zoo in model_zoos(index):  # released models downloaded from where the zoo file lists them, by the model manager
            if once(zoo.path, "model-zoo"):
                yield self.found("artifact.store", index, zoo.path, zoo.line, strength=Strength.MEDIUM,
                                 extra=(self.evidence(index, zoo.loader[0], zoo.loader[1]),),
                                 attrs={"kind": "release-urls", "how": "model-zoo", "models": zoo.entries, "wired": False})
        for e, rel in released_models(index):  # released models the library's own code fetches from a release store or the Hub
            if once(e.path, rel.how):
                at, snip = ops.locate(index, e, rel.line)
                yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=Strength.MEDIUM,
                                 attrs={"kind": rel.kind, "how": rel.how, "wired": False})
        for e, line, name, value in tracking.env_settings(index, _ROOT_ENV):
            uri = value.strip("'\"")
            ok = tracking.remote_uri(uri) if name == "MLFLOW_S3_ENDPOINT_URL" else (_REMOTE.search(uri) and uri)
            if ok and once(e.path, "mlflow-artifact-root"):
                yield self.found("artifact.store", index, e.path, line, strength=Strength.MEDIUM,
                                 attrs={"kind": "s3" if name == "MLFLOW_S3_ENDPOINT_URL" else _kind(uri), "how": "mlflow-artifact-root"})
        for e in index.select((*ops.YAML_GLOBS, *tracking.DOCKERFILES, "**/*.sh")):
            if not index.contains(e.path, (b"--default-artifact-root", b"--artifacts-destination")):
                continue
            for i, ln in enumerate(index.lines(e.path), start=1):
                m = _ROOT_FLAG.search(ln)
                if m and not ln.lstrip().startswith("#") and _REMOTE.search(m.group(2)) and once(e.path, "mlflow-artifact-root"):
                    yield self.found("artifact.store", index, e.path, i, strength=Strength.MEDIUM,
                                     attrs={"kind": _kind(m.group(2)), "how": "mlflow-artifact-root"})


    def _sagemaker_cli(self, index: FileIndex, cmds: list[tuple[str, int, str, bool]],
                       once: Callable[[str, str], bool]) -> Iterator[Finding]:
        """``aws sagemaker create-model`` whose container takes the model from S3 (``ModelDataUrl``), or ``aws sagemaker
        create-training-job`` writing it there (``S3OutputPath``), in inline JSON, shorthand or a ``file://`` request
        file: the model artifact lives in the bucket the deploy reads it from."""
        for path, line, text, auto in cmds:
            if "sagemaker" not in text or text.lstrip().startswith("#"):
                continue
            from mlscan.facts import sagemaker_artifacts  # imported where a command names sagemaker

            hit = sagemaker_artifacts.cli_model_location(index, path, text)
            # (a variable is the location read at run time, e.g. from describe-training-job; a literal may be a template's)
            if hit is None or not hit[1].startswith("$") and placeholder_value(hit[1]) or not once(path, "sagemaker-cli"):
                continue
            op, _where, source = hit
            extra = ()
            if source is not None and (at := sagemaker_artifacts.key_line(index, source)) is not None:
                extra = (self.evidence(index, source, at, strength=Strength.MEDIUM),)
            yield self.found("artifact.store", index, path, line, strength=Strength.STRONG if auto else Strength.MEDIUM, extra=extra,
                             attrs={"kind": "s3", "how": "sagemaker-cli", "direction": "download" if op == "create-model" else "upload",
                                    "wired": auto})

    def _azureml_outputs(self, index: FileIndex, once: Callable[[str, str], bool]) -> Iterator[Finding]:
        """An Azure ML command or pipeline job (CLI v2 YAML) whose training step writes an output to a named datastore
        path: the trained model lands in the workspace's shared storage, where every run of the job keeps it."""
        for e in index.select(ops.YAML_GLOBS):
            if e.test or not index.contains(e.path, (b"azureml://datastores/",)):
                continue
            for doc in index.yaml(e.path):
                if not isinstance(doc, dict) or "azuremlschemas" not in str(doc.get("$schema", "")):
                    continue
                jobs = [j for j in (doc.get("jobs") or {}).values() if isinstance(j, dict)] if isinstance(doc.get("jobs"), dict) else [doc]
                if not any(trainingish(str(j.get("command", "")), str(j.get("display_name", "")), str(j.get("code", ""))) for j in jobs):
                    continue
                outs = doc.get("outputs")
                items = sorted(outs.items(), key=lambda kv: bool(words(str(kv[0])) & {"data", "dataset", "datasets"})) if isinstance(outs, dict) else []
                for name, out in items:  # a model/output folder before a data folder
                    path = out.get("path") if isinstance(out, dict) else None
                    used = any(f"outputs.{name}" in str(j.get("command", "")) or f"parent.outputs.{name}" in str(j.get("outputs", ""))
                               for j in jobs if trainingish(str(j.get("command", "")), str(j.get("display_name", "")), str(j.get("code", ""))))
                    if isinstance(path, str) and path.startswith("azureml://datastores/") and used and once(e.path, "azureml-output"):
                        yield self.found("artifact.store", index, e.path, out.line_of("path") if hasattr(out, "line_of") else None,
                                         strength=Strength.MEDIUM, attrs={"kind": "azureml-datastore", "how": "job-output", "wired": False})
                        break

    def _server_models(self, index: FileIndex, once: Callable[[str, str], bool]) -> Iterator[Finding]:
        """``mlflow.<flavor>.log_model`` in project code whose runs go to a remote tracking server: the file sets a
        remote tracking URI (``mlflow.set_tracking_uri("http://mlflow-server:5000")``), or the environment the project
        gives its runs does (``MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}`` in CI, a compose or container
        env pointing at a server) and the file sets none of its own."""
        env_remote = any(("${{" in v or v.strip().startswith(("$", "${")) or tracking.remote_uri(v)) and not e.test
                         for e, _ln, _n, v in tracking.env_settings(index, ("MLFLOW_TRACKING_URI",)) if v.strip())
        for e in index.select(("**/*.py", "**/*.ipynb")):
            # the words ``log`` and ``model`` are in most files of an ML code base: parsed only where the name is
            if not index.mentions(e.path, (b"log_model",)) or not ops.names_any(index, e, ("log_model",)):
                continue
            # where it sits first (the path and the wiring graph): a notebook or exploration code is not parsed for this
            where = place(index, e)
            if where.test or where.kind in ("notebook", "exploration"):
                continue
            logged = index.fact(e.path, SERVER_LOGS)
            if logged is None:
                continue
            line, uris, names = (*logged, [])[:3]
            remote = any(u and tracking.remote_uri(u) and not tracking.compose_local_server(index, u) for u in uris) \
                or bool(names) and _env_remote(index, tuple(names)) if uris else env_remote
            if not remote or not once(e.path, "code"):
                continue
            strength = where.strength()
            at, snip = ops.locate(index, e, line)
            yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=strength,
                             attrs={"kind": "mlflow-server", "how": "log_model", "wired": where.wired == "automated"})

    def _helper_uploads(self, index: FileIndex, once: Callable[[str, str], bool]) -> Iterator[Finding]:
        """A project helper that uploads whatever path it is given (``def upload_to_s3(bucket, key, file_path)`` around
        ``upload_file``), called with the model's file or key (``upload_to_s3(key=model_info.s3_key,
        file_path=model_info.path)``): the call site puts the model in the store."""
        helpers: dict[str, str] = {}
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if index.mentions(e.path, NEEDLES) and not e.test:  # Place.test is the entry's
                helpers.update(index.fact(e.path, HELPER_FACTS) or {})
        if not helpers:
            return
        names = tuple(h.encode() for h in sorted(helpers))
        for e in index.select(("**/*.py", "**/*.ipynb")):
            # a call names the helper verbatim: the word check alone lets ``_write_registry`` through on two common words.
            # ``may_mention``: a helper name with a word outside the scan's vocabulary is not asked about (it would split
            # every file again: feast, 1,076 splits for ``_write_registry``)
            if not index.may_mention(e.path, names) or not (e.template or index.chart_dir(e.path) is not None or index.contains(e.path, names)):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            where = place(index, e)
            if where.test:
                continue
            for c in walk(tree):
                if not (isinstance(c, ast.Call) and ops.dotted(c.func).rsplit(".", 1)[-1] in helpers):
                    continue
                texts = [ops.dotted(a) or str(ops.literal(a) or "") for a in [*c.args, *(k.value for k in c.keywords if k.arg != "upstream_tasks")]]
                kind, _, cls = helpers[ops.dotted(c.func).rsplit(".", 1)[-1]].partition(":")
                if cls and not _constructed(index, cls):
                    continue
                if _modelish(" ".join(texts)) and once(e.path, "code"):
                    strength = where.strength()
                    at, snip = ops.locate(index, e, c.lineno)
                    yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=strength,
                                     attrs={"kind": kind, "how": "upload",
                                            "wired": where.wired == "automated", "via": "helper"})
                    break


def _upload_helpers(index: FileIndex, path: str) -> dict[str, str] | None:
    """Functions (name -> storage kind) whose cloud SDK upload takes the file to upload from one of their parameters
    (a file fact, derived when the file is parsed; None when it does not parse). Walks the module's function
    definitions: which parameter reaches an upload call is not a fact of the calls alone."""
    e = index.entry(path)
    tree = index.python(path) if e is not None else None
    if e is None or tree is None:
        return None
    al, _calls = ops.py_calls(index, e)
    if not ops.imports_module(al, "boto3", "google.cloud.storage", "azure.storage", "s3fs", "gcsfs", "minio"):
        return {}
    kind = "gcs" if ops.imports_module(al, "google.cloud.storage", "gcsfs") else "azure-blob" if ops.imports_module(al, "azure.storage") else "s3"
    out: dict[str, str] = {}
    owner = {id(f): cls.name for cls in walk(tree) if isinstance(cls, ast.ClassDef) for f in cls.body}
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = {a.arg for a in [*fn.args.args, *fn.args.kwonlyargs]}
        for c in walk(fn):
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and _SDK.get(c.func.attr) == "up" and any(
                    isinstance(x, ast.Name) and x.id in params for a in [*c.args, *(k.value for k in c.keywords)] for x in walk(a)):
                # a method records its class (``kind:Class``): the call site's store is that class only when the project
                # constructs it
                out[fn.name] = f"{kind}:{owner[id(fn)]}" if id(fn) in owner else kind
                break
    return out


def _uploads_no_model(plain: list[str]) -> bool:
    """An upload whose local sources are all named files that are no model: a file with a suffix that is not a model
    format and no model word in its path (``pipeline.yaml``, ``reports/metrics.json``). A folder, a variable, a glob or a
    model file may hold a model."""
    verb = next((i for i, w in enumerate(plain[:4]) if w in ("cp", "mv", "rsync", "sync")), None)
    sources = [w for w in plain[verb + 1:-1] if not _REMOTE.search(w)] if verb is not None else []
    if not sources:
        return False
    for src in sources:
        name = src.rstrip("/").rsplit("/", 1)[-1]
        if any(ch in src for ch in "$*{") or "." not in name.strip(".") or src.endswith("/"):
            return False
        if name.lower().endswith(MODEL_EXT) or _modelish(src.rsplit(".", 1)[0].replace("/", " ")):
            return False
    return True


def _constructed(index: FileIndex, cls: str) -> bool:
    """Does non-test project code construct ``cls`` (``S3ModelStore(bucket_name=...)``)? A store class that is defined
    but never built (the project wires a local-directory store of the same interface) stores nothing."""
    def build() -> bool:
        for e in index.select(("**/*.py", "**/*.ipynb")):
            if e.test or not index.mentions(e.path, (cls.encode(),)):
                continue
            tree = index.python(e.path)
            if tree is not None and any(isinstance(c, ast.Call) and ops.dotted(c.func).rsplit(".", 1)[-1] == cls for c in walk(tree)):
                return True
        return False

    return bool(index.memo(f"artifact-store:constructed:{cls}", build))


def _args(text: str) -> list[str]:
    """Non-option words of a command, ``${{ expr }}`` kept in one piece, quotes dropped."""
    text = tracking.gh_compact(text)
    return [w.strip("'\"") for w in text.split() if not w.startswith("-")]


def _env_of(index: FileIndex, path: str) -> dict[str, list[str]]:
    def build() -> dict[str, list[str]]:
        text = index.text(path) or ""
        docs = index.yaml(path) if path.endswith((".yml", ".yaml")) else []
        return tracking.variables([text], docs)

    return index.memo(f"artifact-env:{path}", build)  # type: ignore[no-any-return]


def _file_hit(index: FileIndex, path: str) -> list[Any] | None:
    """``_python`` of one file as a file fact (derived when the file is parsed, kept between scans); None when it does
    not parse or holds nothing."""
    e = index.entry(path)
    tree = index.python(path) if e is not None else None
    hit = _python(index, e, tree) if e is not None and tree is not None else None
    return list(hit) if hit else None


def _server_logs(index: FileIndex, path: str) -> list[Any] | None:
    """[the line of the file's first ``mlflow.<flavor>.log_model`` call, the tracking URIs it sets (each evaluated from
    literals, None when not written out), the environment variables it reads them from]; None when the file does not parse or logs no model with MLflow. A file fact,
    derived as the file is parsed: the remote-server check needs no second parse of the training code."""
    e = index.entry(path)
    tree = index.python(path) if e is not None else None
    if e is None or tree is None:
        return None
    _al, calls = ops.py_calls(index, e)
    logs = [c for c in calls if c.attr == "log_model" and c.qual.startswith("mlflow")]
    if not logs:
        return None
    setters = [c for c in calls if c.qual in ("mlflow.set_tracking_uri", "mlflow.tracking.set_tracking_uri")]
    args = [c.node.args[0] if c.node.args else ops.kwarg(c.node, "uri") or ops.kwarg(c.node, "tracking_uri") for c in setters]
    uris = [tracking.python_value(a, tree, c.line) for a, c in zip(args, setters, strict=True)]
    return [logs[0].line, uris, sorted({n for a in args if (n := _env_name(a, tree))})]


def _env_name(node: ast.AST | None, tree: ast.AST) -> str | None:
    """The environment variable a value is read from: ``os.getenv("X")``, ``os.environ.get("X")``, ``os.environ["X"]``,
    also through a name assigned from one earlier in the file (``uri = os.getenv("X")``)."""
    if isinstance(node, ast.Name):
        prior = [n for n in walk(tree) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
        return _env_name(prior[-1].value, tree) if len(prior) == 1 else None
    if isinstance(node, ast.Call) and ops.dotted(node.func).endswith(("getenv", "environ.get")) and node.args:
        name = ops.literal(node.args[0])
        return name if isinstance(name, str) else None
    if isinstance(node, ast.Subscript) and ops.dotted(node.value).endswith("environ"):
        name = ops.literal(node.slice)
        return name if isinstance(name, str) else None
    return None


def _env_remote(index: FileIndex, names: tuple[str, ...]) -> bool:
    """Does the environment the project gives its runs (CI env, compose, a container) set one of these variables (the
    tracking URI a training file reads, e.g. ``mlflow.set_tracking_uri(os.getenv("MLFLOW_EXPERIMENT_TRACKING_URI"))``) to a
    server: a CI secret or variable, or a remote URI? A localhost or file URI is no shared store."""
    return any(not e.test and v.strip() and ("${{" in v or v.strip().startswith(("$", "${")) or tracking.remote_uri(v))
               for e, _ln, _n, v in tracking.env_settings(index, names))


def _logs_asked(index: FileIndex, path: str) -> bool:
    """Will ``_server_models`` ask this file's server logs? Its conditions on one file (not a test, the name
    ``log_model`` written out): ``log`` and ``model`` as words are in most files of an ML code base."""
    if not index.may_mention(path, (b"log_model",)):
        return False
    e = index.entry(path)
    return e is None or not e.test and ops.names_any(index, e, ("log_model",))


SERVER_LOGS = register_fact("artifact.store.server_logs", _server_logs, eager=_logs_asked)
FILE_FACTS = register_fact("artifact.store.file", _file_hit, eager=lambda index, path: index.may_mention(path, NEEDLES))
HELPER_FACTS = register_fact("artifact.store.helpers", _upload_helpers, eager=lambda index, path: index.may_mention(path, NEEDLES))


def _python(index: FileIndex, e: ops.FileEntry, tree: ast.AST) -> tuple[int, str, str] | None:
    """(line, kind, how) of the first model upload/download to cloud storage, remote model load or MinIO endpoint."""
    al, calls = ops.py_calls(index, e)
    sdk = ops.imports_module(al, "boto3", "google.cloud.storage", "azure.storage", "s3fs", "gcsfs", "minio")
    loads = any(c.attr in _LOADS or c.attr in _SDK for c in calls)
    for c in calls:
        if sdk and c.attr in _SDK:
            # (an attribute argument by its dotted name: ``upload_from_filename(trained_model.path)``)
            texts = [c.text] + [tracking.python_value(a, tree, c.line) or (a.id if isinstance(a, ast.Name) else ops.dotted(a)
                                                                           if isinstance(a, ast.Attribute) else "")
                                for a in [*c.node.args, *(k.value for k in c.node.keywords)]]
            if _modelish(" ".join(t for t in texts if t)):
                kind = "gcs" if ops.imports_module(al, "google.cloud.storage", "gcsfs") else "azure-blob" if ops.imports_module(al, "azure.storage") else "s3"
                return c.line, kind, "upload" if _SDK[c.attr] == "up" else "download"
    for n in walk(tree):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Subscript) and ops.literal(t.slice) == "MLFLOW_S3_ENDPOINT_URL" for t in n.targets):
            return n.lineno, "s3", "mlflow-artifact-root"
        if loads and isinstance(n, (ast.Constant, ast.JoinedStr)) and not isinstance(getattr(n, "value", None), (bytes, int, float)):
            text = tracking.python_value(n, tree) or ""
            if _REMOTE.search(text) and _modelish(text):
                return n.lineno, _kind(text), "remote-model-uri"
    return None
