"""Data versions pinned or logged by code: MLflow log_input and autolog(log_datasets=True), W&B dataset artifacts, pinned HF dataset
revisions, DVC API revisions, lakeFS refs, Delta time travel, S3 VersionId, Azure ML data assets with
versions (and models registered with their datasets), ClearML datasets, dataset hashes logged to a
tracker, the training data files themselves logged as run artifacts (``mlflow.log_artifact("data/train.csv")``: the
run keeps the exact data it used); versioned data stores used with mutable refs. Feeds D1, D2."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from typing import Any

from mlscan.ci import ci_model
from mlscan.detector import Detector
from mlscan.facts import ops, tracking
from mlscan.facts.commands import job_commands
from mlscan.facts.commands import words as argv_words
from mlscan.facts.orchestration import words
from mlscan.facts.place import derive_facts, place
from mlscan.facts.pyast import string_template, walk
from mlscan.facts.wiring import file_imports
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Evidence, Finding, Strength, clean_snippet
from mlscan.valueclass import replace

_MODEL_CALLS = frozenset({"log_model", "register_model", "register", "create_model_version", "save_model", "link_model", "push_to_hub",
                          "set_registered_model_alias", "upload_model"})
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "train", "training", "input", "inputs", "table", "snapshot"})
_VERSION_WORDS = frozenset({"hash", "md5", "sha", "sha256", "digest", "version", "id", "checksum", "rev", "revision", "commit", "etag"})
_TAG_WORDS = frozenset({"tag", "tags", "release", "label"})
# a dataset name that carries its version: a date, a ``v3``, a ``:tag``/``@tag`` or a trailing number
_VERSIONED_VALUE = lazy_re(r"(?i)\bv\d+|\d{4}-?\d{2}(-?\d{2})?|[:@][\w.-]+$|[-_.]\d+$")
_LAKEFS_REF = lazy_re(r"lakefs://[^/\s]+/([^/\s]+)/")
# Google Cloud Pipeline Components that create a Vertex managed dataset (a registered data asset) as a pipeline step
_GCPC_DATASET_OPS = frozenset({"TabularDatasetCreateOp", "ImageDatasetCreateOp", "TextDatasetCreateOp", "VideoDatasetCreateOp",
                               "TimeSeriesDatasetCreateOp"})
_AML_REF = lazy_re(r"azureml:([\w.-]+)(:(\d+)|@latest)")
# Python files worth a parse (word pre-filter: every word of a needle must occur), one needle per branch of _python:
# the library (as imported) with the API it calls, Delta time-travel option names and SQL, lakeFS URIs
NEEDLES = (b"mlflow.log_input", b"mlflow.log_datasets", b"mlflow.log_artifact", b"mlflow.data.load_delta", b"versionAsOf", b"timestampAsOf", b"startingVersion", b"deltalake.DeltaTable",
           b"wandb.use_artifact", b"datasets.load_dataset", b"dvc.api", b"dvc.fs", b"lakefs", b"clearml.Dataset", b"clearml.datasets",
           b"boto3.VersionId", b"azureml", b"azure.ai.ml", b"google.cloud.aiplatform", b"VERSION AS OF", b"TIMESTAMP AS OF",
           *(op.encode() for op in sorted(_GCPC_DATASET_OPS)))
# data-version tags/params logged to a tracker (last branch of _python): a tagging/logging call ...
TAG_CALLS = (b"log", b"tag", b"tags")
# ... in a file with tracker calls (see tracking.tracker_calls): the imports its tracker constructors, integrations
# and tracker call prefixes resolve to, HF TrainingArguments(report_to=...) and a bare SummaryWriter(...)
TRACKERS = tuple(sorted({b"mlflow", b"wandb", b"tensorflow.summary", b"google.cloud.aiplatform", b"azureml", b"transformers", b"trl",
                         b"SummaryWriter", *(p.rstrip(".").encode() for p in tracking._AUTO_PREFIXES),
                         *(q.encode() for q in tracking._CTORS)}))


class DataLineage(Detector):
    """Dataset versions pinned or logged with runs and models, and versioned data stores; feeds D1, D2."""

    id = "data.lineage_logged"
    questions = ("D1", "D2")
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS)
    signals = ("data.version_logged", "data.versioned_store")

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return index.mentions(e.path, NEEDLES) or index.mentions(e.path, TAG_CALLS) and index.mentions(e.path, TRACKERS)

    visit_reads_tree = False  # its tree work is the file fact HITS (the tree is parsed again only where HITS says so)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        if e.test:
            return  # reported nowhere (place: a test file)
        fact = index.fact(e.path, HITS)
        if fact == _ACROSS:  # a logged dict built by another module's function: read with that module
            tree = index.python(e.path)
            if tree is None:
                return
            al, calls = ops.py_calls(index, e)
            hits = _located(index, e, sorted(_python(index, e, tree, al, calls), key=lambda h: h[1]))
            linked = _linked(index, e, calls)
        elif fact:
            hits, linked = fact
        else:
            return
        if not hits:
            return
        where = place(index, e)
        if where.test:
            return
        strength = where.strength()
        done: set[str] = set()
        for signal, (at, snip), tool, extra in hits:
            if signal in done:
                continue
            done.add(signal)
            attrs = {"tool": tool, **extra}
            more = ()
            if signal == "data.version_logged":
                attrs["linked_to_model"] = bool(extra.get("linked_to_model")) or bool(linked)
                if linked:  # the model call the version is linked to: what D2 asks beyond D1's logged version
                    ln, model_snip = ops.locate(index, e, _nearest(linked, at))
                    if ln != at:
                        # it leads D2 (fact model_link) only beside the logged data, which its context then shows; a model
                        # call further away follows the data line, which alone shows the version on the run
                        item = self.evidence(index, e.path, ln, snippet=model_snip, strength=strength)
                        # beside the data line, the item spans both (``mlflow.log_input(...)`` ... ``log_model(``): the link
                        # D2 asks for is the two together, not the model call with its data line out of the item
                        more = (replace(_spanning(index, e, item, at) or item, fact=MODEL_LINK) if _beside(ln, at) else item,)
            # a data version logged through a tracker that a default install never gets is opt-in
            gated = tracking.install_gated(index, tool)
            # registering a data asset versions data only when an automated path registers it (CI, a pipeline): a
            # registration script nothing runs any more is a one-off, not a data version of the runs (importing a
            # pipeline SDK makes a file its own pipeline definition: that alone runs nothing)
            one_off = bool(extra.get("registers")) and (where.wired != "automated" or where.chain == f"pipeline definition {e.path}"
                                                        and not _submitted(index, e))
            if one_off:
                attrs["one_off"] = True
            weak = Strength.WEAK if gated or one_off else strength
            yield self.found(signal, index, e.path, at, snippet=snip, strength=weak,
                             extra=tuple(replace(m, strength=weak) for m in more), attrs={**attrs, "install_gated": gated} if gated else attrs)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(ops.YAML_GLOBS):
            if e.test or not index.contains(e.path, (b"azureml:", b"data.schema.json")):
                continue
            hit: tuple[str, int | None] | None = None
            for doc in index.yaml(e.path):
                for d in ops.walk_dicts(doc):
                    if "data.schema.json" in str(d.get("$schema", "")) and hit is None:
                        hit = ("data.versioned_store", d.line_of("$schema"))
                    for k in ("path", "data", "dataset", "input_data", "training_data"):
                        m = _AML_REF.search(str(d.get(k, ""))) if isinstance(d.get(k), str) else None
                        if m and m.group(3) and (hit is None or hit[0] != "data.version_logged"):
                            hit = ("data.version_logged", d.line_of(k))
                        elif m and hit is None:
                            hit = ("data.versioned_store", d.line_of(k))
            if hit and hit[0] == "data.version_logged":
                yield self.found(hit[0], index, e.path, hit[1], strength=Strength.STRONG,
                                 attrs={"tool": "azureml", "linked_to_model": False, "pinned": True})
            elif hit and _ci_registers_data(index):
                yield self.found(hit[0], index, e.path, hit[1], strength=Strength.MEDIUM, attrs={"tool": "azureml"})
            elif hit:
                # a data asset registered by hand (a setup script, the studio) and read at ``@latest``: which version a
                # run used is not pinned by the repository, as for a registration script nothing runs (one-off)
                yield self.found(hit[0], index, e.path, hit[1], strength=Strength.WEAK, attrs={"tool": "azureml", "one_off": True})


def _linked(index: FileIndex, e: FileEntry, calls: list[ops.PyCall]) -> list[int]:
    """The lines where the file also logs or registers a model (a data version logged there is linked to it); empty
    when it does neither."""
    lines = {c.line for c in calls if c.attr in _MODEL_CALLS and not re.search(r"data|\bds\b", c.text, re.I) and (
        c.attr != "register" or _registers_model(c))}
    lines |= {t.line for t in tracking.tracker_calls(index, e) if t.role == "run" and t.text.endswith("log_model")}
    # MLflow autologging logs the fitted model into the run (``log_models`` defaults to on): the run's model
    # (``runs:/<run_id>/model``, what a registration takes) carries the run's logged dataset
    lines |= {c.line for c in calls if c.attr == "autolog" and c.qual.startswith("mlflow.")
              and ops.literal(ops.kwarg(c.node, "log_models")) is not False}
    return sorted(lines)


def _registers_model(c: ops.PyCall) -> bool:
    """A bare ``.register(...)`` that registers a model (``Model.register(ws, model_path=..., model_name=...)``,
    ``model.register(...)``), not an Azure ML environment, datastore or compute (``env.register(ws)``)."""
    return bool(re.search(r"model", c.text, re.I)) or any("model" in (k.arg or "").lower() for k in c.node.keywords)


MODEL_LINK = "model_link"  # Evidence.fact of the item citing the model call a logged data version is linked to (D2)


BESIDE = 3  # lines around a cited line that a report shows with it (``evidence_audit.py --context``)


def _beside(ln: int | None, at: int | None) -> bool:
    """The model call at ``ln`` is shown with the data version cited at ``at`` (within the lines around it)."""
    return ln is not None and at is not None and abs(ln - at) <= BESIDE


def _spanning(index: FileIndex, e: FileEntry, item: Evidence, at: int | None) -> Evidence | None:
    """``item`` (the model call) widened to the data line at ``at`` beside it: from the first of the two lines to the
    model call's line, the lines between shown when the three lines a snippet holds take them; None for a notebook (its cells' lines are not
    the file's) or when there is nothing to widen."""
    if e.suffix != ".py" or at is None or item.line is None or at == item.line:
        return None
    lines = index.lines(e.path)
    lo, hi = min(at, item.line), max(at, item.line)
    if not (0 < lo and hi <= len(lines)):
        return None
    shown = [t for t in lines[lo - 1 : hi] if t.strip()]
    if len(shown) > 3:  # a snippet shows three lines: the data line and the model call's
        shown = [lines[lo - 1], lines[hi - 1]]
    return replace(item, line=lo, end_line=hi, snippet=clean_snippet(textwrap.dedent("\n".join(shown))))


def _nearest(lines: list[int], at: int | None) -> int:
    """The model call a reader follows from the data version at ``at``: the nearest one above or below it."""
    return min(lines, key=lambda n: (abs(n - at) if at is not None else n, n))


class _Across(Exception):
    """Reading the file alone cannot tell: a logged dict is built by a function of another module."""


_ACROSS = "across-files"


def _hits(index: FileIndex, path: str) -> Any:
    """``[hits, linked]`` of a file from its tree alone (hits ``[signal, [line, snippet], tool, extra]`` by line, what
    ``visit`` finishes with the file's place; line and snippet as evidence cites them, ``ops.locate``); ``_ACROSS`` when a logged dict comes from another module's function (the visit
    reads both); None when the file does not parse."""
    e = index.entry(path)
    tree = index.python(path)
    if e is None or tree is None:
        return None
    al, calls = ops.py_calls(index, e)
    try:
        hits = _located(index, e, sorted(_python(index, e, tree, al, calls, alone=True), key=lambda h: h[1]))
    except _Across:
        return _ACROSS
    if not hits:
        return [hits, False]
    derive_facts(index, path)  # the visit asks the file's place
    return [hits, _linked(index, e, calls)]


def _located(index: FileIndex, e: FileEntry, hits: list[tuple[str, int, str, dict]]) -> list[list[Any]]:
    """The first hit of each signal (the ones the visit reports), with its line and snippet as evidence cites them."""
    out: list[list[Any]] = []
    for signal, line, tool, extra in hits:
        if all(h[0] != signal for h in out):
            out.append([signal, list(ops.locate(index, e, line)), tool, extra])
    return out


def _wanted(index: FileIndex, path: str) -> bool:
    """``DataLineage.wants`` for an eager fact (words may be unsure); test files are never visited for it."""
    e = index.entry(path)
    return e is not None and not e.test and (
        index.may_mention(path, NEEDLES) or index.may_mention(path, TAG_CALLS) and index.may_mention(path, TRACKERS))


# derived at the file's first parse (whichever process parses it): the Python pass parses no file for this detector
HITS = register_fact("data.lineage.hits", _hits, eager=_wanted)


def _submitted(index: FileIndex, e: FileEntry) -> bool:
    """Is a pipeline definition submitted by an automated path: a module that imports it (``from pipelines.train_pipeline
    import build``) is reached by CI, a container or another automated root other than being a definition itself?"""
    stem = e.name.rsplit(".", 1)[0]
    key = e.vpath.rsplit(".", 1)[0].split("/")
    # a module importing it names the stem verbatim; ``may_mention`` leaves the words check out when a word of the stem is not
    # in the scan's vocabulary (asking would split every file again: Azure/azureml-examples, 1,965 splits for four stems)
    needle = (stem.encode(),)
    for f in index.select(("**/*.py",)):
        if f.path == e.path or f.test or not index.may_mention(f.path, needle) or not index.contains(f.path, needle):
            continue
        if not any(key[-len(d.split(".")):] == d.split(".") for d in file_imports(index, f) or ()):
            continue
        where = place(index, f)
        if where.wired == "automated" and not where.chain.startswith("pipeline definition"):
            return True
    return False


# a call of a shared registration workflow or template kept in another repository, named for what it does: Azure ML's
# MLOps v2 projects register their data asset with ``uses: Azure/mlops-templates/.github/workflows/register-dataset.yml@main``
# (GitHub) or ``- template: templates/aml-cli-v2/register-data.yml@mlops-templates`` (Azure Pipelines), both running
# ``az ml data create`` on the data file they are given
_REMOTE_DATA_REGISTRATION = lazy_re(r"(?:^template:|/)register[-_]?(?:data|dataset|data[-_]?asset)s?\.ya?ml@", re.I)


def _ci_registers_data(index: FileIndex) -> bool:
    """Does an active CI job register Azure ML data asset versions (``az ml data create``, also through the scripts
    and task runners it calls, or a call of another repository's data-registration workflow or template)?"""

    def build() -> bool:
        for job in ci_model(index).active_jobs():
            if any(s.active and _REMOTE_DATA_REGISTRATION.search(s.uses) for s in job.steps):
                return True
            for c in job_commands(index, job):
                w = argv_words(c.text)
                if c.active and w[:4] == ["az", "ml", "data", "create"]:
                    return True
        return False

    return bool(index.memo("data-lineage:ci-registers-data", build))


_AML_PINNED = lazy_re(r"^azureml:(?:[\w.-]+|\{\}):(?:\d+|\{\})$")
_JOB_INPUT = lazy_re(r"\binputs\.[\w-]+\.path=$")


def _pattern(node: ast.AST | None) -> str:
    """A string expression with each formatted value as ``{}`` (``f"azureml:{name}:{version}"`` -> ``azureml:{}:{}``)."""
    return string_template(node) or ""


def _aml_job_inputs(tree: ast.AST) -> list[int]:
    """Lines where a job's input is an Azure ML data asset at an explicit version (``azureml:<name>:<version>``, the
    version written or worked out before the job is submitted; not ``@latest``): ``Input(path=ref)`` or the CLI's
    ``az ml job create --set inputs.<name>.path=ref``. The job then records which registered data version it trained
    on (Azure ML v2 data assets are versioned; a job input names one)."""
    refs: set[str] = set()
    for n in walk(tree):
        if isinstance(n, ast.Assign) and _AML_PINNED.match(_pattern(n.value)):
            refs |= {t.id for t in n.targets if isinstance(t, ast.Name)}

    def pinned(v: ast.AST | None) -> bool:
        return bool(_AML_PINNED.match(_pattern(v))) or isinstance(v, ast.Name) and v.id in refs

    out: list[int] = []
    for n in walk(tree):
        if isinstance(n, ast.Call) and (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")) == "Input":
            if any(k.arg == "path" and pinned(k.value) for k in n.keywords):
                out.append(n.lineno)
        elif isinstance(n, ast.JoinedStr):
            for i, v in enumerate(n.values[1:], start=1):
                before = n.values[i - 1]
                if isinstance(v, ast.FormattedValue) and isinstance(before, ast.Constant) and isinstance(before.value, str) \
                        and _JOB_INPUT.search(before.value) and pinned(v.value):
                    out.append(n.lineno)
    return out


def _python(index: FileIndex, e: ops.FileEntry, tree: ast.AST, al: dict[str, str], calls: list[ops.PyCall],
            alone: bool = False) -> Iterator[tuple[str, int, str, dict]]:
    """(signal, line, tool, extra attrs) for every data-version pin, log or versioned store in a file (``alone``: raise
    _Across rather than read another file)."""
    V, S = "data.version_logged", "data.versioned_store"
    aml = ops.imports_module(al, "azureml", "azure.ai.ml")
    for c in calls:
        q, a = c.qual, c.attr
        kw = {k.arg: k.value for k in c.node.keywords if k.arg}
        if q.startswith("mlflow.") and a == "log_input":
            yield V, c.line, "mlflow", {"pinned": True}
        elif q.startswith("mlflow.") and a == "autolog" and ops.literal(kw.get("log_datasets")) is True:
            # autologging told to log the training datasets: each run records the dataset's digest and source as its input
            yield V, c.line, "mlflow", {"pinned": True, "how": "autolog"}
        elif q.startswith("mlflow.data.load_delta") and "version" in kw:
            yield V, c.line, "delta", {"pinned": True}
        elif a == "option" and c.node.args and ops.literal(c.node.args[0]) in ("versionAsOf", "timestampAsOf", "startingVersion"):
            yield V, c.line, "delta", {"pinned": True}
        elif q.startswith("deltalake.DeltaTable") and ("version" in kw or len(c.node.args) > 1):
            yield V, c.line, "delta", {"pinned": True}
        elif a == "use_artifact" and (q.startswith("wandb.") or ops.imports_module(al, "wandb")):
            ref = ops.literal(c.node.args[0]) if c.node.args else None
            yield V, c.line, "wandb", {"pinned": isinstance(ref, str) and bool(re.search(r":(v\d+|[0-9a-f]{16,})$", ref))}
        elif a == "load_dataset" and q.startswith("datasets.") and isinstance(ops.literal(kw.get("revision")), str):
            yield V, c.line, "huggingface", {"pinned": True}
        elif q.startswith("dvc.api.") or q.startswith("dvc.fs."):
            yield (V, c.line, "dvc", {"pinned": True}) if "rev" in kw else (S, c.line, "dvc", {})
        elif q.startswith(("lakefs", "lakefs_client", "lakefs_sdk", "lakefs_spec")):
            yield S, c.line, "lakefs", {}
        elif q.startswith(("clearml.Dataset", "clearml.datasets")):
            yield (V, c.line, "clearml", {"pinned": True}) if a == "get" and (set(kw) & {"dataset_id", "dataset_version"}) else (S, c.line, "clearml", {})
        elif "VersionId" in kw and ops.imports_module(al, "boto3"):
            yield V, c.line, "s3", {"pinned": True}
        elif aml and a == "get_by_name" and (len(c.node.args) > 2 or "version" in kw):
            yield V, c.line, "azureml", {"pinned": True}
        elif aml and a == "register" and "datasets" in kw:
            yield V, c.line, "azureml", {"pinned": True, "linked_to_model": True}
        elif aml and (a == "register" and "create_new_version" in kw or c.text.endswith("data.create_or_update")):
            yield S, c.line, "azureml", {"registers": True}
        elif aml and isinstance(ops.literal(kw.get("path")), str) and (m := _AML_REF.search(ops.literal(kw["path"]))) and m.group(3):
            yield V, c.line, "azureml", {"pinned": True}
        elif aml and c.text.endswith("data.get") and "version" in kw:
            yield V, c.line, "azureml", {"pinned": True}
        elif q.startswith("mlflow.") and a in ("log_artifact", "log_artifacts") and c.node.args and _data_artifact(tree, c.node.args[0]):
            yield V, c.line, "mlflow", {"pinned": True, "how": "artifact"}
        elif q.startswith("google.cloud.aiplatform.") and a == "create" and "Dataset" in q \
                or a in _GCPC_DATASET_OPS and ops.imports_module(al, "google_cloud_pipeline_components"):
            yield S, c.line, "vertex", {"registers": True}
        elif a in ("set_tag", "log_param", "tag", "set_tags", "log_params", "log") and c.node.args:
            key = ops.literal(c.node.args[0])
            w = words(key) if isinstance(key, str) else set()
            if not w and a in ("set_tags", "log_params", "log"):  # a dict of tags, maybe built elsewhere in the project
                w = {x for k in _dict_keys(index, e, tree, al, c.node.args[0], alone) for x in words(k)
                     if words(k) & _DATA_WORDS and words(k) & _VERSION_WORDS}
            if w & _DATA_WORDS and not w & _VERSION_WORDS and w <= _DATA_WORDS | _TAG_WORDS | {"name"} and len(c.node.args) > 1:
                # a dataset tag on the run: ``log_param("dataset", "customers-2024-05")``, ``set_tag("data_tag", TAG)``
                value = tracking.python_value(c.node.args[1], tree, c.line)
                if w & _TAG_WORDS or (value is not None and _VERSIONED_VALUE.search(value)):
                    w = w | {"version"}
            if w & _DATA_WORDS and w & _VERSION_WORDS and tracking.tracker_calls(index, e):
                yield V, c.line, next((t.tool for t in tracking.tracker_calls(index, e)), "tracker"), {"pinned": True}
    for n in walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            m = _LAKEFS_REF.search(n.value)
            if m:
                ref = m.group(1)
                pinned = bool(re.fullmatch(r"[0-9a-f]{12,64}|v?\d+(\.\d+)*", ref))
                yield (V if pinned else S), n.lineno, "lakefs", ({"pinned": True} if pinned else {})
            elif re.search(r"\b(VERSION|TIMESTAMP)\s+AS\s+OF\b", n.value) and re.search(r"\bSELECT\b", n.value, re.I):
                yield V, n.lineno, "delta", {"pinned": True}
    if index.contains(e.path, (b"azureml:",)):
        for line in _aml_job_inputs(tree):
            yield V, line, "azureml", {"pinned": True, "how": "job-input"}


_DATA_FILE = lazy_re(r"(?i)\.(csv|tsv|parquet|feather|arrow|jsonl|avro|orc)$")
_NOT_DATA_WORDS = frozenset({"model", "models", "metric", "metrics", "report", "reports", "plot", "plots", "figure", "fig", "png",
                             "html", "config", "params", "log", "logs", "checkpoint", "predictions", "prediction", "eval", "evaluation",
                             # evaluation tables written as CSV: a confusion matrix (``cm_path``), ROC/PR curves, feature
                             # importances, per-class scores, result tables
                             "confusion", "cm", "roc", "auc", "curve", "curves", "importance", "importances", "score", "scores",
                             "results", "residuals", "leaderboard",
                             # a fitted preprocessing object saved beside the data (``data/feature_engineer.joblib``,
                             # ``artifacts/scaler.pkl``): part of the model, not the data it was trained on
                             "scaler", "scalers", "encoder", "encoders", "vectorizer", "vectorizers", "tokenizer", "preprocessor",
                             "preprocessors", "transformer", "transformers", "imputer", "featurizer", "normalizer", "engineer"})


def _data_artifact(tree: ast.AST, arg: ast.AST) -> bool:
    """An artifact path that is training data: a data file (``data/train.csv``), or a name for one (``X_train_path``,
    ``train_data``), also the loop variable of ``for key, path in data_paths.items()``. Models, metrics, plots and
    reports logged as artifacts are not data, nor are evaluation tables written as CSV (``confusion_matrix.csv``,
    ``feature_importance.csv``) or the held-out test split alone (``data/processed/test_data.pkl``)."""
    texts = [tracking.python_value(arg, tree) or "", ast.unparse(arg)]
    if isinstance(arg, ast.Name):
        texts += [ast.unparse(n.iter) for n in walk(tree) if isinstance(n, (ast.For, ast.comprehension))
                  and any(isinstance(t, ast.Name) and t.id == arg.id for t in walk(n.target))]
    w = {x for t in texts for x in words(t)}
    if w & _NOT_DATA_WORDS:
        return False
    if w & {"test", "holdout"} and not w & {"train", "training"}:
        return False  # the held-out split the model is evaluated on, not the data it was trained on
    return any(_DATA_FILE.search(t) for t in texts) or bool(w & {"data", "dataset", "datasets", "train", "training"})


def _literal_keys(fn: ast.AST, node: ast.AST) -> set[str]:
    """String keys of a dict expression, or of the dict a name is bound to in ``fn`` (literal plus ``d[k] = ...``)."""
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if not isinstance(node, ast.Name):
        return set()
    out: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name) and t.id == node.id and isinstance(n.value, ast.Dict):
                    out |= _literal_keys(fn, n.value)
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == node.id \
                        and isinstance(t.slice, ast.Constant) and isinstance(t.slice.value, str):
                    out.add(t.slice.value)
    return out


def _returned_keys(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {k for r in walk(fn) if isinstance(r, ast.Return) and r.value is not None for k in _literal_keys(fn, r.value)}


def _dict_keys(index: FileIndex, e: ops.FileEntry, tree: ast.AST, al: dict[str, str], arg: ast.AST, alone: bool = False) -> set[str]:
    """Keys of the dict a tracker call logs: a literal, a name bound to one, or the dict a project function returns
    (defined in this file or in the project module it is imported from: ``log_params(data_info(df))``,
    ``info = dataset_fingerprint(path); mlflow.set_tags(info)``)."""
    keys = _literal_keys(tree, arg)
    call = arg if isinstance(arg, ast.Call) else next((n.value for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                                                      and isinstance(arg, ast.Name) and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets)), None)
    if call is None or not isinstance(call.func, ast.Name):
        return keys
    name = call.func.id
    local = next((f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == name), None)
    if local is not None:
        return keys | _returned_keys(local)
    qual = al.get(name, "")
    if "." not in qual:
        return keys
    if alone:
        raise _Across
    module, _, func = qual.rpartition(".")
    rel = module.replace(".", "/")
    for cand in (f"{rel}.py", f"{rel}/__init__.py", f"src/{rel}.py"):
        hit = next((x for x in index.select((cand,)) if x.vpath == cand), None)
        other = index.python(hit.path) if hit is not None else None
        if other is not None:
            fn = next((f for f in walk(other) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == func), None)
            return keys | (_returned_keys(fn) if fn is not None else set())
    return keys
