"""Pipeline-native run tracking and per-run data artifacts: KFP v2 components that log to an ``Output[Metrics]``
artifact (recorded per run in the pipeline's metadata store, e.g. Vertex ML Metadata) and write ``Output[Dataset]``
artifacts; SageMaker Pipelines model metrics attached to the registered model version; ZenML metadata logged from a
step, and a ZenML step comparing two model versions' metrics (tracking.comparison). Feeds E1, E2 (tracking.run) and D1 (data.version_logged); where training jobs and pipelines keep their models
(artifact.store: a SageMaker estimator's ``output_path``, or the session's default bucket when the repository reads the
model back from there; a KFP/Vertex ``pipeline_root``) feeds T2."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector, Need
from mlscan.facts import ops, tracking
from mlscan.facts.orchestration import (
    METRIC_WORDS,
    call_tail,
    decorator,
    dotted,
    fits_model,
    kwarg,
    training_code,
    trainingish,
    words,
)
from mlscan.facts.place import derive_facts, place
from mlscan.facts.placeholders import fabricated_data, synthetic_source
from mlscan.facts.pyast import walk
from mlscan.facts.served import MODEL_EXT
from mlscan.facts.step_edges import feeds_training
from mlscan.index import FileEntry, FileIndex, register_fact
from mlscan.lazyre import lazy_re
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_COMPONENT_DECOS = ("component", "container_component")
_METRIC_TYPES = ("Metrics", "ClassificationMetrics", "SlicedClassificationMetrics")
_METRIC_CALLS = ("log_metric", "log_confusion_matrix", "log_confusion_matrix_cell", "log_roc_curve", "log_roc_data_point")
_FRAMEWORK_ESTIMATORS = frozenset({"XGBoost", "SKLearn", "PyTorch", "TensorFlow", "HuggingFace", "MXNet", "Chainer", "RLEstimator"})
_ZENML_CALLS = ("log_metadata", "log_model_metadata", "log_artifact_metadata", "log_step_metadata")
NEEDLES = (b"kfp", b"ModelMetrics", b"zenml", b"metaflow", b"mlpipeline", b"S3OutputPath", b"sagemaker")
# Identifiers the visit looks for as such (a keyword ``output_path=``/``pipeline_root=``, a boto3 SageMaker Experiments
# call). As words they are two common ones each (``create`` ... ``experiment`` is in most files of a large ML code
# base), so a file they admit is parsed only when its bytes hold one of the identifiers the visit can act on.
LOOSE_NEEDLES = (b"output_path", b"create_experiment", b"create_trial", b"pipeline_root", b"metric_definitions")
_IDENTIFIERS = (b"output_path", b"pipeline_root", b"create_experiment", b"create_trial", b"associate_trial_component",
               b"metric_definitions")
# a training script that writes the training data's location next to the model it saves (json/yaml into the model dir)
LINK_NEEDLES = (b"json.dump", b"yaml.dump", b"yaml.safe_dump")
_SAVES = frozenset({"dump", "save", "save_model", "save_pretrained", "write_model", "torch.save"})
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "train", "training", "input", "inputs"})
# SageMaker Experiments through the boto3 client: each training job joins a trial of the experiment (params, metrics)
_SM_EXPERIMENT_CALLS = frozenset({"create_experiment", "create_trial", "create_trial_component", "associate_trial_component"})
# reads whose result, kept on ``self`` in a Metaflow step, is a per-run data artifact in the Metaflow datastore
_DATA_READS = frozenset({"read_csv", "read_parquet", "read_json", "read_table", "read_excel", "read_feather", "read_orc", "read_sql",
                         "read_sql_query", "read_sql_table", "read_delta", "read_ipc", "load_dataset", "read_gbq", "read_pickle"})


# Dagster I/O managers that pickle what an asset or op returns into a cloud bucket (dagster-aws, dagster-gcp, dagster-azure:
# the classes, their 1.3-1.5 names ``ConfigurablePickledObject...`` and the legacy resource definitions)
_DAGSTER_CLOUD_IO = {"S3PickleIOManager": "s3", "ConfigurablePickledObjectS3IOManager": "s3", "s3_pickle_io_manager": "s3",
                     "s3_pickle_asset_io_manager": "s3", "GCSPickleIOManager": "gcs", "ConfigurablePickledObjectGCSIOManager": "gcs",
                     "gcs_pickle_io_manager": "gcs", "gcs_pickle_asset_io_manager": "gcs", "ADLS2PickleIOManager": "azure-blob",
                     "ConfigurablePickledObjectADLS2IOManager": "azure-blob", "adls2_pickle_io_manager": "azure-blob",
                     "adls2_pickle_asset_io_manager": "azure-blob"}
_DAGSTER_IO_NEEDLES = (b"PickleIOManager", b"PickledObject", b"pickle_io_manager", b"pickle_asset_io_manager")
_DAGSTER_STEPS = ("asset", "multi_asset", "graph_asset", "op", "solid")
# what a Metaflow ``S3`` client puts: a model file (by its name or format) or a table of data
_MODEL_KEY_WORDS = frozenset({"model", "models", "checkpoint", "checkpoints", "weights", "ckpt", "estimator", "classifier", "regressor"})
_DATA_KEY_WORDS = frozenset({"data", "dataset", "datasets", "features", "train", "training", "processed", "csv", "parquet", "df", "table"})

_TABLE_TYPES = frozenset({"DataFrame", "Series", "Dataset", "DatasetDict", "ndarray", "Table"})
_INGEST_WORDS = frozenset({"ingest", "ingestion", "load", "loader", "read", "fetch", "extract", "import", "importer", "download", "query"})
_INFERENCE_WORDS = frozenset({"inference", "predict", "prediction", "predictions", "batch", "single", "serving", "scoring", "score"})
_READ_VERBS = frozenset({"read", "query", "load", "fetch", "download", "extract", "get"})
_TABLE_WORDS = frozenset({"data", "dataset", "df", "table", "frame", "dataframe", "features", "rows", "pandas", "parquet", "csv"})


def _data_read(name: str, targets: list[ast.expr]) -> bool:
    """Does a call read a data table: a pandas/datasets reader, or a project helper named for reading data
    (``query_pandas_from_athena``, ``load_training_data``) or whose result is kept under a data name
    (``self.training_df = fetch_rows(...)``)? Loading a model or a config is not a data read."""
    if name in _DATA_READS:
        return True
    verbs = words(name)
    kept = {w for t in targets if isinstance(t, ast.Attribute) for w in words(t.attr)}
    if (verbs | kept) & {"model", "config", "params"}:
        return False
    # (a table built in the step and kept as the run's dataset: ``self.dataset = build_features(raw)``)
    return bool(verbs & _READ_VERBS) and bool((verbs | kept) & _TABLE_WORDS) or bool(kept & {"dataset", "datasets"})


def _durable_root(index: FileIndex) -> bool:
    """Does the repository run its pipelines with a declared artifact root (``pipeline_root=`` on the pipeline, a Vertex
    ``PipelineJob`` or a KFP client run)? Run artifacts then persist in that store with the run's metadata; without one
    they stay in the cluster's default store and a Dataset output is a hand-off between steps, not a kept version."""

    def build() -> bool:
        for _e, tree in index.python_files((b"pipeline_root",), ("**/*.py", "**/*.ipynb")):
            if any(isinstance(n, ast.keyword) and n.arg == "pipeline_root" for n in walk(tree)):
                return True
        # a run submitted to Vertex AI Pipelines (``aiplatform.PipelineJob``) keeps its artifacts in Cloud Storage even
        # without a root: the staging bucket of ``aiplatform.init``, else a pipeline-specific artifacts bucket (the SDK's
        # ``pipeline_root`` default), with the run's metadata in Vertex ML Metadata
        for _e, tree in index.python_files((b"PipelineJob",), ("**/*.py", "**/*.ipynb")):
            if any(isinstance(n, ast.Call) and dotted(n.func) in ("aiplatform.PipelineJob", "PipelineJob", "aip.PipelineJob")
                   and _imports_aiplatform(tree) for n in walk(tree)):
                return True
        return False

    return bool(index.memo("pipeline-tracking:durable-root", build))


def _imports_aiplatform(tree: ast.AST) -> bool:
    """The module imports the Vertex AI SDK (``from google.cloud import aiplatform``, ``import google.cloud.aiplatform``)."""
    for n in walk(tree):
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("google.cloud") and \
                ((n.module or "").startswith("google.cloud.aiplatform") or any(a.name == "aiplatform" for a in n.names)):
            return True
        if isinstance(n, ast.Import) and any(a.name.startswith("google.cloud.aiplatform") for a in n.names):
            return True
    return False


def _s3_output(config: ast.AST | None) -> int | None:
    """The line of ``"S3OutputPath"`` in ``OutputDataConfig={"S3OutputPath": ...}`` of a boto3 SageMaker training job
    (written inline), None without one."""
    if not isinstance(config, ast.Dict):
        return None
    return next((k.lineno for k in config.keys if k is not None and ops.literal(k) == "S3OutputPath"), None)


# a component parameter declaring its dataset output (``dataset: Output[Dataset]``, ``out: dsl.OutputPath("Dataset")``)
_DATASET_PARAM = lazy_re(r"""\w+\s*:\s*(?:\w+\.)*Output(?:Path)?\s*[\[(][^\])]{0,80}Dataset[^\])]{0,20}[\])]""")


def _output_params(fn: ast.FunctionDef | ast.AsyncFunctionDef, types: tuple[str, ...]) -> set[str]:
    """Parameters annotated ``Output[T]`` (``dsl.Output[dsl.Metrics]``) for T in ``types``."""
    out: set[str] = set()
    for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        ann = a.annotation
        if isinstance(ann, ast.Subscript) and dotted(ann.value).rsplit(".", 1)[-1] == "Output" and dotted(ann.slice).rsplit(".", 1)[-1] in types:
            out.add(a.arg)
    return out


def _output_paths(fn: ast.FunctionDef | ast.AsyncFunctionDef, type_name: str) -> set[str]:
    """Parameters annotated ``OutputPath("T")`` (``dsl.OutputPath("Dataset")``): KFP hands the component a local path
    whose content it uploads as the run's artifact of type T."""
    out: set[str] = set()
    for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        ann = a.annotation
        if isinstance(ann, ast.Call) and dotted(ann.func).rsplit(".", 1)[-1] == "OutputPath" and ann.args \
                and ops.literal(ann.args[0]) == type_name:
            out.add(a.arg)
    return out


def _loads(fn: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> ast.AST | None:
    """The first read of a parameter in the function body (``df.to_csv(output_data)``)."""
    for s in fn.body:
        for n in walk(s):
            if isinstance(n, ast.Name) and n.id == param and isinstance(n.ctx, ast.Load):
                return n
    return None


def _referenced(expr: ast.AST) -> list[str]:
    """The names an expression reads, each by its last part: ``args.train_data`` -> ``train_data``, ``data_uri`` ->
    ``data_uri``; the object of an attribute read is not itself a reference (``dataset.Y_mean`` is a statistic of the
    data, ``Y_mean``, not where the data is)."""
    nodes = list(walk(expr))
    inner = {id(x.value) for x in nodes if isinstance(x, ast.Attribute)}
    return [x.attr if isinstance(x, ast.Attribute) else x.id for x in nodes
            if isinstance(x, (ast.Attribute, ast.Name)) and id(x) not in inner]


def _uses(fn: ast.AST, param: str, attrs: tuple[str, ...]) -> ast.AST | None:
    """The first ``param.<attr>`` use (a call of it, or an attribute read) in the function body, by line (a walk
    reaches an assignment's value before a call's argument on the line above it)."""
    uses = [n for n in walk(fn) if isinstance(n, ast.Attribute) and n.attr in attrs and isinstance(n.value, ast.Name) and n.value.id == param]
    return min(uses, key=lambda n: (n.lineno, n.col_offset), default=None)


class PipelineTracking(Detector):
    """Pipeline-native tracking: KFP v2 logged metrics and Dataset artifacts, SageMaker Pipelines model metrics, ZenML
    metadata; feeds E1, E2, D1."""

    id = "pipeline.tracking"
    questions = ("E1", "E2", "D1", "D2", "T2")
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("tracking.run", "tracking.comparison", "data.version_logged", "data.model_link", "artifact.store")
    needs_any = (Need(("**/*.py", "**/*.ipynb"), words=(*NEEDLES, *LINK_NEEDLES, b"dagster", *LOOSE_NEEDLES)),)  # wants' first words
    visit_reads_tree = False  # its tree work is the file fact HITS

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        if e.test:
            return False
        if index.mentions(e.path, NEEDLES) or index.mentions(e.path, LINK_NEEDLES):
            return True
        if index.mentions(e.path, (b"dagster",)) and index.contains(e.path, (b"run_id",) + _DAGSTER_IO_NEEDLES):
            return True  # a Dagster asset keeping its run's training data (_dagster_snapshot), a cloud I/O manager (_dagster_io)
        return index.mentions(e.path, LOOSE_NEEDLES) and index.contains(e.path, _IDENTIFIERS)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module | None) -> Iterator[Finding]:
        hits = index.fact(e.path, HITS)
        if not hits:
            return
        where = place(index, e)
        if where.test:
            return
        reached = where.wired != "none"
        strength = Strength.STRONG if where.wired == "automated" else Strength.MEDIUM if reached else Strength.WEAK
        loose = Strength.MEDIUM if reached or where.training_script else Strength.WEAK  # estimator outputs, pipeline roots
        for kind, line, *more in hits:
            if kind == "kfp":  # metrics logged by a component the pipeline runs: every run records them with its inputs
                yield self._track(index, e, line, "kfp", reached or more[0], strength, where.wired, loop=more[1] if len(more) > 1 else None)
            elif kind == "kfp-dataset":  # where the component writes the run's dataset artifact
                at, snip = ops.locate(index, e, line)
                durable = _durable_root(index)
                # the path assigned, then the call that writes it (``np.savez(npz_path, ...)``)
                end = more[0] if more and more[0] and snip is None else None
                attrs = {"tool": "kfp", "kind": "run-artifact", "linked_to_model": False, "wired": where.wired, "durable_root": durable}
                # the run's data version is the artifact training reads: a step's output that no step of a pipeline
                # passes on into training (raw data fetched while training queries its source live) versions nothing
                fed = len(more) < 2 or trainingish(more[1]) or feeds_training(index, more[1])
                if not fed:
                    attrs["feeds_training"] = False
                # a component that makes its data up each run (``np.random`` arrays pickled as the Dataset output)
                # versions no data: every run invents other data
                made_up = more[2] if len(more) > 2 else ""
                if made_up:
                    attrs["synthetic"] = True  # the capping caveat "synthetic input", and the generator it uses
                    attrs["generator"] = made_up
                # the parameter that makes it the run's artifact (``dataset: Output[Dataset]``), above the write: D1 leads with it
                param = more[3] if len(more) > 3 else None
                lines = index.lines(e.path) if param else []
                decl = _DATASET_PARAM.search(lines[param - 1]) if param and 0 < param <= len(lines) and param != at else None
                extra = [replace(self.evidence(index, e.path, param, snippet=decl.group(0)), fact="dataset_output")] if decl else []
                yield self.found("data.version_logged", index, e.path, at, snippet=snip, end_line=end, extra=extra,
                                 strength=strength if durable and fed and not made_up else Strength.WEAK, attrs=attrs)
            elif kind == "kfp-v1":
                if index.mentions(e.path, (b"mlpipeline",)):
                    yield self._track(index, e, line, "kfp", reached or where.training_script or more[0], strength, where.wired)
            elif kind in ("sagemaker-training-metrics", "sagemaker-pipelines"):
                yield self._track(index, e, line, kind, reached or where.training_script, strength, where.wired)
            elif kind in ("estimator-output", "pipeline-root"):
                # an estimator without output_path keeps its model in the session's default bucket: a store once the
                # deploy code (or a CI request) reads the model back from there
                default = more[1:] == ["default-bucket"]
                if default:
                    from mlscan.facts import sagemaker_artifacts  # imported where an estimator keeps its default bucket

                    if not sagemaker_artifacts.model_read_back(index):
                        continue
                at, snip = ops.locate(index, e, line)
                yield self.found("artifact.store", index, e.path, at, snippet=snip,
                                 strength=Strength.STRONG if where.wired == "automated" else loose,
                                 attrs={"how": kind, "kind": more[0], "wired": where.wired == "automated",
                                        **({"default_bucket": True} if default else {})})
            elif kind == "sagemaker-experiments":
                yield self._track(index, e, line, kind, reached or where.training_script, strength, where.wired)
            elif kind == "zenml":
                # a step's lineage or environment record, not metrics (metadata: other): E1 leads with a step logging metrics
                yield self._track(index, e, line, "zenml", reached or more[0], strength, where.wired, fits=more[1],
                                  metadata="other" if more[2:3] == [False] else None)
            elif kind == "zenml-comparison":  # two model versions' metrics compared in a step: the runs compared by a metric
                at, snip = ops.locate(index, e, line)
                yield self.found("tracking.comparison", index, e.path, at, snippet=snip, strength=Strength.MEDIUM, attrs={"tool": "zenml"})
            elif kind in ("zenml-data", "metaflow", "dagster"):
                at, snip = ops.locate(index, e, line)
                end = None
                if kind == "zenml-data" and at and e.suffix == ".py":
                    # the step's decorator and its typed outputs (``-> Tuple[pd.DataFrame, pd.Series]``) are what ZenML
                    # versions per run, not the read in its body
                    at, end, snip = _step_head(index.lines(e.path), at)

                attrs: dict[str, object] = {"tool": kind.split("-")[0], "kind": "run-snapshot" if kind == "dagster" else "run-artifact",
                                            "linked_to_model": False, "wired": "entrypoint"}
                if kind == "zenml-data":
                    attrs["synthetic"] = more[0]  # a step that makes its table up (``df = mock_data(n)``) versions no real data
                    if more[1:2] == [True]:
                        attrs["inference_data"] = True  # data to predict on (``load_inference_data``): D1 leads with training data
                    if e.suffix == ".py" and at and not _names_output(index.lines(e.path), at, end):
                        # an output ZenML files as ``output`` (``-> pd.DataFrame``), where a named one (``Annotated[pd.DataFrame,
                        # "raw_data"]``) is the artifact a reviewer looks up by name: D1 leads with the named one
                        attrs["unnamed_output"] = True
                f = self.found("data.version_logged", index, e.path, at, snippet=snip, strength=Strength.MEDIUM, attrs=attrs, end_line=end)
                if kind == "metaflow" and more and more[0]:
                    # the table a step keeps on ``self`` is the run's artifact, versioned in the datastore, whatever the read
                    # itself pins (``self.data = load_dataset("imdb")``): said beside it
                    f = replace(f, evidence=(replace(f.evidence[0], context=more[0]), *f.evidence[1:]))
                # a ZenML step's typed outputs are the versioned artifacts themselves (fact: dataset_output, what D1 prefers
                # over a line of its body such as ``mlflow.log_param("dataset", "iris")``)
                yield replace(f, evidence=(replace(f.evidence[0], fact="dataset_output"), *f.evidence[1:])) if kind == "zenml-data" else f
            elif kind == "dagster-io":  # a cloud I/O manager that the repository's training asset returns its model through
                model_asset = _dagster_model_assets(index).get(more[1])
                if model_asset is None:
                    continue
                at, snip = ops.locate(index, e, line)
                yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=Strength.STRONG if where.wired == "automated"
                                 else Strength.MEDIUM, extra=(self.evidence(index, model_asset[0], model_asset[1], strength=Strength.MEDIUM),),
                                 attrs={"how": "io-manager", "kind": more[0], "tool": "dagster", "io_manager_key": more[1],
                                        "wired": where.wired == "automated"})
            elif kind == "metaflow-store":  # a model put into S3 by Metaflow's client (the run's datastore prefix or a root)
                at, snip = ops.locate(index, e, line)
                yield self.found("artifact.store", index, e.path, at, snippet=snip, strength=Strength.STRONG if where.wired == "automated"
                                 else Strength.MEDIUM, attrs={"how": "metaflow-s3", "kind": "s3", "tool": "metaflow", "run_scoped": more[0],
                                                              "wired": where.wired == "automated"})
            elif kind == "zenml-model-data" and (where.training_script or reached):
                # the run's data artifacts linked to the model version by ZenML's Model Control Plane (D2), cited at the
                # model the pipeline runs under (or the artifact config naming it), with the data step beside it
                at, snip = ops.locate(index, e, line)
                data_at, data_snip = ops.locate(index, e, more[0])
                extra = (self.evidence(index, e.path, data_at, snippet=data_snip),) if data_at and data_at != at else ()
                yield self.found("data.model_link", index, e.path, at, snippet=snip, strength=strength, extra=extra,
                                 attrs={"how": f"zenml-model-{more[1]}", "tool": "zenml"})
            elif kind == "link" and (where.training_script or reached):
                at, snip = ops.locate(index, e, line)
                yield self.found("data.model_link", index, e.path, at, snippet=snip, strength=strength,
                                 attrs={"how": "data-uri-in-model-dir", "tool": "file"})

    def _track(self, index: FileIndex, e: FileEntry, line: int, tool: str, in_training: bool, strength: Strength, reach: str,
               fits: bool | None = None, metadata: str | None = None, loop: int | None = None) -> Finding:
        """``fits``: whether the step that logs fits the model itself (a training step's metrics, not a data-analysis
        step's statistics); None where the detector does not tell. ``metadata``: ``other`` when what it logs names no metric.
        ``loop``: the line of a ``for k, v in mapping.items():`` loop the logging call sits in (cited from there)."""
        at, snip = ops.locate(index, e, line)
        span = tracking.loop_span(index, e.path, loop, at)
        end = None
        if span is not None:
            at, end, snip = loop, at, span
        attrs = {"tool": tool, "tools": tool, "params": True, "metrics": True, "in_training": in_training,
                 "optional": not in_training, "tuning_only": False, "wired": reach, "pipeline_native": True}
        if fits is not None:
            attrs["fits"] = fits
        if metadata:
            attrs["metadata"] = metadata
        return self.found("tracking.run", index, e.path, at, snippet=snip, end_line=end,
                          strength=strength if in_training else Strength.WEAK, attrs=attrs)


Hit = list[Any]  # [kind, line, *details]: what the visit finishes with the file's place (JSON, a file fact)


def _hits(index: FileIndex, path: str) -> list[Hit] | None:
    """What ``visit`` reports of a file, found in its tree alone, in the order of the findings: each hit's place and
    reach (graph facts) are applied by ``visit``. None when the file does not parse."""
    e = index.entry(path)
    tree = index.python(path)
    if e is None or tree is None:
        return None
    al, calls = ops.py_calls(index, e)
    out: list[Hit] = []
    if ops.imports_module(al, "kfp"):
        out += _kfp(tree)
    text = index.notebook(path).source if path.endswith(".ipynb") else index.text(path)  # type: ignore[union-attr]
    if text and "mlpipeline" in text:  # the visit reports these when the file mentions the word
        out += _kfp_v1(tree)
    if ops.imports_module(al, "sagemaker"):
        out += _sagemaker(tree, calls)
    if ops.imports_module(al, "sagemaker", "boto3"):
        out += _estimator_output(tree, calls)
    if ops.imports_module(al, "kfp", "google.cloud.aiplatform"):
        out += _pipeline_root(tree)
    if ops.imports_module(al, "boto3", "sagemaker"):
        hit = next((c for c in calls if c.attr in _SM_EXPERIMENT_CALLS and not c.qual.startswith(("mlflow", "wandb"))), None)
        if hit is not None:
            out.append(["sagemaker-experiments", hit.line])
    if ops.imports_module(al, "zenml"):
        out += _zenml(tree, al)
        out += _zenml_data(tree)
        out += _version_comparison(tree)
        from mlscan.facts.zenml import model_data_links  # imported where a module imports zenml

        out += [["zenml-model-data", link, data, how] for link, data, how in model_data_links(tree, al)]
    if ops.imports_module(al, "metaflow"):
        out += _metaflow(tree)
        out += _metaflow_s3(tree, al)
    if ops.imports_module(al, "dagster"):
        out += _dagster_snapshot(tree)
    if ops.imports_module(al, "dagster_aws", "dagster_gcp", "dagster_azure"):
        out += _dagster_io(tree, al)
    if ops.imports_module(al, "json", "yaml"):
        out += _data_link(tree)  # reported for a training script or a reached file only
    if out:
        derive_facts(index, path)  # the visit asks the file's place
    return out


def _wanted(index: FileIndex, path: str) -> bool:
    """``PipelineTracking.wants`` for an eager fact: words may be unsure (``may_mention``)."""
    e = index.entry(path)
    if e is None or e.test:
        return False
    if index.may_mention(path, NEEDLES) or index.may_mention(path, LINK_NEEDLES):
        return True
    if index.may_mention(path, (b"dagster",)) and index.contains(path, (b"run_id",) + _DAGSTER_IO_NEEDLES):
        return True
    return index.may_mention(path, LOOSE_NEEDLES) and index.contains(path, _IDENTIFIERS)


# derived at the file's first parse (the wiring graph's, in whichever process parses it), so the Python pass parses no
# file for this detector again
HITS = register_fact("pipeline.tracking.hits", _hits, eager=_wanted)


def _kfp(tree: ast.Module) -> list[Hit]:
    out: list[Hit] = []
    tracked = False
    par: dict[ast.AST, ast.AST] | None = None
    for fn in walk(tree):
        # a decorated component, or a function whose KFP artifact annotations make it one: a component built from
        # a spec file whose container runs the function through the KFP executor (``Output[Metrics]`` parameters)
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                decorator(fn, *_COMPONENT_DECOS) or _output_params(fn, (*_METRIC_TYPES, "Dataset")))):
            continue
        for p in sorted(_output_params(fn, _METRIC_TYPES)):
            use = _uses(fn, p, _METRIC_CALLS)
            if use is not None and not tracked:
                tracked = True  # one tracking.run per file, as for the trackers
                par = par or tracking.parents(tree)
                # (a ``for k, v in scores.items():`` loop around ``metrics.log_metric(k, v)``: cited from the loop)
                out.append(["kfp", use.lineno, trainingish(fn.name), tracking.loop_line(par.get(use), par)])
        datasets = [(p, _uses(fn, p, ("path", "uri"))) for p in sorted(_output_params(fn, ("Dataset",)))]
        datasets += [(p, _loads(fn, p)) for p in sorted(_output_paths(fn, "Dataset"))]
        declared = {a.arg: a.lineno for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        for p, use in datasets:
            if use is not None:
                out.append(["kfp-dataset", use.lineno, _write_of(fn, use), fn.name, fabricated_data(fn), declared.get(p)])
                break
    return out


def _write_of(fn: ast.FunctionDef | ast.AsyncFunctionDef, use: ast.AST) -> int:
    """The line that writes the artifact a use of its path names: the use's own line when a call takes it there
    (``df.to_csv(output_data.path)``), else the first call below that takes the name it was assigned to
    (``npz_path = f"{output_data.path}.npz"`` ... ``np.savez(npz_path, ...)``), within a few lines; 0 when there is none."""
    line = getattr(use, "lineno", 0)
    stmt = min((s for s in walk(fn) if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.lineno <= line <= (s.end_lineno or s.lineno)),
               key=lambda s: (s.end_lineno or s.lineno) - s.lineno, default=None)
    if stmt is None:
        return 0
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    if not names:
        return 0
    end = stmt.end_lineno or stmt.lineno
    calls = sorted((n for n in walk(fn) if isinstance(n, ast.Call) and end < n.lineno <= end + 5), key=lambda n: n.lineno)
    for c in calls:
        if any(isinstance(a, ast.Name) and a.id in names for a in [*c.args, *(k.value for k in c.keywords)]):
            return c.lineno
    return 0


def _kfp_v1(tree: ast.Module) -> list[Hit]:
    """KFP v1 run metrics: a component step writes ``/mlpipeline-metrics.json`` or returns/declares the
    ``mlpipeline_metrics`` output (``OutputPath("Metrics")``); the run page lists them for every run."""
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a for a in [*fn.args.args, *fn.args.kwonlyargs] if a.arg.startswith("mlpipeline_metrics")]
        hit: ast.AST | None = next((n for n in walk(fn) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                                    and n.value.rstrip("/").endswith(("mlpipeline-metrics.json", "mlpipeline_metrics"))), None)
        if hit is None and params:
            hit = next((n for n in walk(fn) if isinstance(n, ast.Name) and n.id == params[0].arg and isinstance(n.ctx, ast.Load)), None)
        if hit is not None:
            return [["kfp-v1", hit.lineno, trainingish(fn.name)]]
    return []


def _metaflow(tree: ast.Module) -> list[Hit]:
    """A training flow whose data is a run artifact: an ``IncludeFile`` parameter (the file's content is snapshotted
    into the datastore with every run) or a step that keeps the loaded table on ``self``. Flows are run from
    their file (``python flow.py run``), an entry point."""
    for cls in walk(tree):
        if not (isinstance(cls, ast.ClassDef) and any(dotted(b).rsplit(".", 1)[-1] == "FlowSpec" for b in cls.bases)):
            continue
        if not training_code(cls):
            continue
        hit: ast.AST | None = next((s for s in cls.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
                                    and call_tail(s.value) == "IncludeFile"), None)
        for fn in cls.body if hit is None else ():
            if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "step")):
                continue
            hit = next((n for n in walk(fn) if isinstance(n, ast.Assign) and any(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self" for t in n.targets)
                and any(isinstance(c, ast.Call) and _data_read(call_tail(c), n.targets) for c in walk(n.value))), None)
            if hit is not None:
                break
        if hit is not None:
            # (with the step's ``def`` line when the table is kept in a step: the assignment to ``self`` is the run's
            # artifact, versioned in the datastore, whatever the read itself pins)
            step = next((fn.name for fn in cls.body if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and fn.lineno < hit.lineno <= (fn.end_lineno or fn.lineno)), None)
            kept = next((t.attr for t in getattr(hit, "targets", ()) if isinstance(t, ast.Attribute)), None)
            return [["metaflow", hit.lineno, f"in @step {step}(), kept with the run as self.{kept}" if step and kept else None]]
    return []


def _dagster_snapshot(tree: ast.Module) -> list[Hit]:
    """A Dagster asset that writes the training data to a location keyed by the run (an f-string or join holding
    ``context.run_id`` or a ``run_id`` read from the upstream materialization, named for training data) and returns it: every materialization keeps that run's data and
    records where (the asset's materialization metadata), a per-run data version like a Metaflow artifact."""
    for fn in walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "asset", "multi_asset")):
            continue
        for n in walk(fn):
            if not (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)):
                continue
            keyed = any(isinstance(x, ast.Attribute) and x.attr == "run_id" or isinstance(x, ast.Name) and x.id == "run_id"
                        for x in walk(n.value))
            named = words(n.targets[0].id) | {w for x in walk(n.value) if isinstance(x, ast.Constant) and isinstance(x.value, str)
                                              for w in words(x.value)}
            if keyed and isinstance(n.value, ast.JoinedStr) and {"train", "training"} & named and {"data", "dataset"} & named:
                returned = any(isinstance(r, ast.Return) and r.value is not None and any(
                    isinstance(x, ast.Name) and x.id == n.targets[0].id for x in walk(r.value)) for r in walk(fn))
                if returned:
                    return [["dagster", n.lineno]]
    return []


def _dagster_io(tree: ast.Module, al: dict[str, str]) -> list[Hit]:
    """Cloud pickle I/O managers bound to a resource key (``Definitions(resources={"io_manager": S3PickleIOManager(...)})``,
    ``resource_defs={"model_io": s3_pickle_io_manager.configured({...})}``, also through a module-level name): every output
    of an asset or op under that key is pickled into the bucket. [["dagster-io", line, kind, key], ...]"""
    named = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}

    def manager(v: ast.AST | None) -> str | None:
        if isinstance(v, ast.Name) and v.id in named and not (ops.qualname(v, al) or "").startswith("dagster"):
            v = named[v.id]
        ref = v.func if isinstance(v, ast.Call) else v
        if isinstance(ref, ast.Attribute) and ref.attr in ("configured", "configure_at_launch"):
            ref = ref.value  # ``s3_pickle_io_manager.configured({...})``, ``S3PickleIOManager.configure_at_launch()``
        qual = ops.qualname(ref, al) if isinstance(ref, (ast.Name, ast.Attribute)) else None
        if not qual or not qual.startswith(("dagster_aws", "dagster_gcp", "dagster_azure")):
            return None
        return _DAGSTER_CLOUD_IO.get(qual.rsplit(".", 1)[-1])

    out: list[Hit] = []
    for d in walk(tree):
        if not isinstance(d, ast.Dict):
            continue
        for k, v in zip(d.keys, d.values, strict=True):
            key = ops.literal(k) if k is not None else None
            kind = manager(v) if isinstance(key, str) else None
            if kind:
                out.append(["dagster-io", v.lineno, kind, key])
    return out


def _dagster_model_assets(index: FileIndex) -> dict[str, tuple[str, int]]:
    """I/O manager key -> (path, line) of the first asset or op of the repository that fits a model and returns it through
    the manager bound to that key (its ``io_manager_key``, in the decorator or an ``Out``/``AssetOut``; else Dagster's
    default ``io_manager``)."""

    def build() -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        for e, tree in index.python_files((b"dagster",), ("**/*.py",)):
            if e.test:
                continue
            al, _calls = ops.py_calls(index, e)
            if not ops.imports_module(al, "dagster"):
                continue
            funcs = {n.name: n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for fn in funcs.values():
                d = decorator(fn, *_DAGSTER_STEPS)
                # it fits the model itself or through a local function it calls (an upstream asset's name, often
                # ``training_data``, says nothing)
                if d is None or not (fits_model(fn, al) or any(
                        isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in funcs and funcs[c.func.id] is not fn
                        and fits_model(funcs[c.func.id], al) for c in walk(fn))):
                    continue
                if not any(isinstance(r, ast.Return) and r.value is not None for r in walk(fn)) and not decorator(fn, "multi_asset"):
                    continue  # an asset that returns nothing hands no model to its I/O manager
                keys = [ops.literal(n.value) for n in walk(d) if isinstance(n, ast.keyword) and n.arg == "io_manager_key"]
                for key in [k for k in keys if isinstance(k, str)] or ["io_manager"]:
                    found.setdefault(key, (e.path, min([x.lineno for x in fn.decorator_list] + [fn.lineno])))
        return found

    return index.memo("pipeline-tracking:dagster-model-assets", build)  # type: ignore[no-any-return]


def _metaflow_s3(tree: ast.Module, al: dict[str, str]) -> list[Hit]:
    """Metaflow's ``S3`` client putting a file (``with S3(run=self) as s3: s3.put("model.tar.gz", data)``): a model put
    there is kept in S3 (T2: ``["metaflow-store", line, run_scoped]``); data put under the run's own prefix
    (``S3(run=self)``) is that run's version of the data (D1: ``["metaflow", line]``)."""
    scopes: list[tuple[str, bool, list[ast.stmt]]] = []  # (client name, run-scoped, the statements it is used in)
    for n in walk(tree):
        if isinstance(n, (ast.With, ast.AsyncWith)):
            for item in n.items:
                if isinstance(item.optional_vars, ast.Name) and _metaflow_client(item.context_expr, al):
                    scopes.append((item.optional_vars.id, _run_scoped(item.context_expr), n.body))
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for a in walk(n):
                if isinstance(a, ast.Assign) and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name) \
                        and _metaflow_client(a.value, al):
                    scopes.append((a.targets[0].id, _run_scoped(a.value), n.body))
    if not scopes:
        return []
    strings_of = {n.targets[0].id: v for n in walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
                  and isinstance(n.targets[0], ast.Name) and isinstance(v := ops.literal(n.value), str)}
    model: Hit | None = None
    data: Hit | None = None
    for name, run_scoped, body in scopes:
        for c in (x for stmt in body for x in walk(stmt)):
            if not (isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in ("put", "put_files", "put_many")
                    and isinstance(c.func.value, ast.Name) and c.func.value.id == name and c.args):
                continue
            texts: list[str] = []
            for x in walk(c.args[0]):
                if isinstance(x, ast.Constant) and isinstance(x.value, str):
                    texts.append(x.value)
                elif isinstance(x, ast.Name):
                    texts += [x.id, strings_of.get(x.id, "")]
                elif isinstance(x, ast.Attribute):
                    texts.append(x.attr)
            named = {w for t in texts for w in words(t)}
            if model is None and (named & _MODEL_KEY_WORDS or any(t.lower().endswith(MODEL_EXT) for t in texts)):
                model = ["metaflow-store", c.lineno, run_scoped]
            elif data is None and run_scoped and named & _DATA_KEY_WORDS:
                data = ["metaflow", c.lineno]
    return [h for h in (model, data) if h is not None]


def _metaflow_client(value: ast.AST, al: dict[str, str]) -> bool:
    return isinstance(value, ast.Call) and (ops.qualname(value.func, al) or "") == "metaflow.S3"


def _run_scoped(value: ast.AST) -> bool:
    """``S3(run=self)``: keys under the run's own prefix of the datastore (``S3(s3root=...)`` is one fixed location)."""
    return isinstance(value, ast.Call) and any(k.arg == "run" for k in value.keywords)


def _data_link(tree: ast.Module) -> list[Hit]:
    """The training data's URI/path written into the directory the model is saved to (``json.dump({"uris":
    [args.train_data]}, open(args.model / "training_dataset.json", "w"))`` beside ``joblib.dump(model, args.model /
    "model.joblib")``): the model artifact carries its data version."""
    values: dict[str, ast.expr] = {}
    for n in walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            values[n.targets[0].id] = n.value

    def roots(expr: ast.AST | None, depth: int = 2) -> set[str]:
        """Names and attribute chains a path expression is built from (through one assignment)."""
        out: set[str] = set()
        nodes = list(walk(expr)) if expr is not None else []
        inner = {id(x.value) for x in nodes if isinstance(x, ast.Attribute)}  # the ``args`` of ``args.model``
        for x in nodes:
            if isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name):
                out.add(dotted(x))
            elif isinstance(x, ast.Name) and id(x) not in inner:
                out.add(x.id)
                if depth and x.id in values:
                    out |= roots(values[x.id], depth - 1)
        return out

    calls_ = [c for c in walk(tree) if isinstance(c, ast.Call)]
    model_dirs: set[str] = set()
    for c in calls_:
        name = call_tail(c)
        if dotted(c.func) in ("joblib.dump", "pickle.dump", "torch.save") and len(c.args) > 1:
            model_dirs |= roots(c.args[1])
        elif name in ("save_model", "save_pretrained") and c.args:
            model_dirs |= roots(c.args[-1])
    model_dirs -= {"os", "path", "str", "os.path", "Path", "self"}
    if not model_dirs:
        return []
    opened = {t.id if isinstance(t, ast.Name) else "": w.context_expr for w in walk(tree) if isinstance(w, ast.withitem)
              for t in [w.optional_vars] if isinstance(w.context_expr, ast.Call) and call_tail(w.context_expr) == "open"}
    for c in calls_:
        if dotted(c.func) not in ("json.dump", "yaml.dump", "yaml.safe_dump") or len(c.args) < 2:
            continue
        target = c.args[1]
        where_to = opened.get(target.id) if isinstance(target, ast.Name) else target
        path_expr = where_to.args[0] if isinstance(where_to, ast.Call) and call_tail(where_to) == "open" and where_to.args else None
        if path_expr is None or not roots(path_expr) & model_dirs:
            continue
        content = values.get(c.args[0].id, c.args[0]) if isinstance(c.args[0], ast.Name) else c.args[0]
        if isinstance(content, ast.Dict) and any(words(r) & _DATA_WORDS for r in _referenced(content)):
            return [["link", c.lineno]]
    return []


def _estimator_output(tree: ast.Module, calls: list[ops.PyCall]) -> list[Hit]:
    """A SageMaker estimator with ``output_path``, or a boto3 ``create_training_job`` with ``OutputDataConfig``'s
    ``S3OutputPath``: every training job writes its model artifact to that bucket. Else an estimator without one whose
    job runs here (``estimator.fit(...)``, handed to a ``TrainingStep`` or a tuner): SageMaker writes the model to the
    session's default bucket (``[..., "default-bucket"]``; the visit counts it when the repository reads it back)."""
    estimators = [c for c in calls if c.qual.startswith("sagemaker.") and (c.attr.endswith("Estimator") or c.attr in _FRAMEWORK_ESTIMATORS)]
    for c in calls:
        # cited at the argument that decides where the model goes (``output_path=``, ``'S3OutputPath': ...``), lines below
        # the call's opener, which the evidence shows as its context
        out = kwarg(c.node, "output_path") if c in estimators else None
        at = out.lineno if out is not None else _s3_output(kwarg(c.node, "OutputDataConfig")) if c.attr == "create_training_job" else None
        if at is not None:
            return [["estimator-output", at, "s3"]]
    made = {id(c.node) for c in estimators}
    names = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and id(n.value) in made for t in n.targets if isinstance(t, ast.Name)}
    for c in calls:
        handed = [a for a in [*c.node.args, *(k.value for k in c.node.keywords)] if isinstance(a, ast.Name) and a.id in names]
        if c.attr == "fit" and c.recv in names or handed and c.attr in ("TrainingStep", "HyperparameterTuner", "TuningStep"):
            return [["estimator-output", estimators[0].line, "s3", "default-bucket"]]
    return []


def _pipeline_root(tree: ast.Module) -> list[Hit]:
    """A KFP/Vertex pipeline run with its artifact root in a cloud bucket (``pipeline_root="gs://..."`` on the
    pipeline, ``PipelineJob`` or ``create_run_from_job_spec``): every run writes its datasets and models there."""
    consts = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    for n in walk(tree):
        if not (isinstance(n, ast.keyword) and n.arg == "pipeline_root"):
            continue
        value = consts.get(n.value.id, n.value) if isinstance(n.value, ast.Name) else n.value
        head = value.values[0] if isinstance(value, ast.JoinedStr) and value.values else value
        text = head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else ""
        kind = "gcs" if text.startswith("gs://") else "s3" if text.startswith("s3://") else ""
        if kind:
            return [["pipeline-root", n.value.lineno, kind]]
    return []


def _sagemaker(tree: ast.Module, calls: list[ops.PyCall]) -> list[Hit]:
    """``ModelMetrics(model_statistics=MetricsSource(...))`` passed to the registration of a pipeline's model, or
    an estimator with ``metric_definitions`` (regexes over the training log): every training job records those
    metrics with its hyperparameters, comparable across jobs and pipeline executions."""
    out = _metric_definitions(calls)
    metrics = {c.node for c in calls if c.qual.startswith("sagemaker.") and c.attr == "ModelMetrics"}
    if not metrics:
        return out
    names: set[str] = set()
    for n in walk(tree):
        if isinstance(n, ast.Assign) and n.value in metrics:
            names |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    for c in calls:
        mm = kwarg(c.node, "model_metrics")
        if mm is None or not (c.attr in ("RegisterModel", "register") or call_tail(c.node) == "register"):
            continue
        if mm in metrics or isinstance(mm, ast.Name) and mm.id in names:
            return [*out, ["sagemaker-pipelines", c.line]]
    return out


def _metric_definitions(calls: list[ops.PyCall]) -> list[Hit]:
    """A SageMaker estimator declaring ``metric_definitions=[{"Name": ..., "Regex": ...}]`` (a literal list of at least
    one definition): the training job parses its log into metrics that SageMaker records per job."""
    for c in calls:
        if not (c.qual.startswith("sagemaker.") and (c.attr.endswith("Estimator") or c.attr in _FRAMEWORK_ESTIMATORS)):
            continue
        defs = kwarg(c.node, "metric_definitions")
        if isinstance(defs, ast.List) and any(isinstance(d, ast.Dict) and any(ops.literal(k) == "Regex" for k in d.keys if k is not None)
                                              for d in defs.elts):
            return [["sagemaker-training-metrics", defs.lineno]]
    return []


def _step_head(lines: list[str], line: int) -> tuple[int, int | None, str | None]:
    """A step function cited from its decorators that carry settings on one line (``@step(enable_cache=False)``; a bare
    ``@step`` stays in the context) to the end of its signature, where its output types are declared: (first line, last
    line, snippet: those decorators, the ``def`` line and up to two lines declaring outputs, ``-> ...``/``Annotated[...]``)."""
    if not (0 < line <= len(lines)):
        return line, None, None
    start = line
    while start > 1 and lines[start - 2].lstrip().startswith("@"):
        start -= 1
    decorators = [ln.strip() for ln in lines[start - 1 : line - 1]]
    if not any("(" in d for d in decorators):
        start, decorators = line, []
    end = line
    while end < len(lines) and end - line < 8 and not lines[end - 1].split("#", 1)[0].rstrip().endswith(":"):
        end += 1
    sig = [ln.strip() for ln in lines[line - 1 : end]]
    outputs = [ln for ln in sig[1:] if "->" in ln or "Annotated[" in ln or "Output[" in ln]
    if not outputs and "->" not in sig[0] and len(sig) > 1:
        outputs = sig[-1:]
    snippet = "\n".join([*decorators, sig[0], *outputs[:2]])
    return start, end if end > start else None, snippet


def _names_output(lines: list[str], start: int, end: int | None) -> bool:
    """Does the step signature cited from ``start`` to ``end`` name its output artifact (``Annotated[...]``)?"""
    return any("Annotated[" in t for t in lines[start - 1 : (end or start) + 2])


def _zenml_data(tree: ast.Module) -> list[Hit]:
    """A ZenML step that brings data into the pipeline (an ingest/load step returning a table): ZenML keeps every
    step output as a versioned artifact of the run in the stack's artifact store, so each run's input data is
    kept (labelling conventions D1: per-run data artifacts of ZenML)."""
    ingest = []
    for fn in walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "step")) or fn.returns is None:
            continue
        returned = {dotted(n).rsplit(".", 1)[-1] for n in walk(fn.returns) if isinstance(n, (ast.Name, ast.Attribute))}
        if returned & _TABLE_TYPES and words(fn.name) & _INGEST_WORDS:
            ingest.append(fn)
    # the step that fetches the training data before one that fetches data to predict on (``fetch_batch_inference_data``)
    ingest.sort(key=lambda fn: (not words(fn.name) & {"train", "training"}, bool(words(fn.name) & _INFERENCE_WORDS)))
    return [["zenml-data", fn.lineno, bool(synthetic_source(fn)), bool(words(fn.name) & _INFERENCE_WORDS)] for fn in ingest[:1]]


_EVAL_WORDS = frozenset({"eval", "evaluate", "evaluation", "evaluator", "validate", "validation", "test", "metrics", "score", "scoring"})


def _zenml(tree: ast.Module, al: dict[str, str]) -> list[Hit]:
    """The first ZenML metadata call of a step, one logging its run's metrics first (``log_metadata(metadata=metrics)`` in
    a step that trains or evaluates): the last field says whether it does; a step's lineage or environment record
    (``{"source": ...}``) does not."""
    found: list[Hit] = []
    for fn in walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "step")):
            continue
        for c in walk(fn):
            if isinstance(c, ast.Call) and call_tail(c) in _ZENML_CALLS and (ops.qualname(c.func, al) or "").startswith("zenml"):
                # metrics of the step's own run: a step that trains, fits or evaluates (not a copy of another run's
                # metrics in a model-import step, ``log_cross_workspace_metadata``)
                metric = _metric_metadata(fn, c) and (trainingish(fn.name) or fits_model(fn, al) or bool(words(fn.name) & _EVAL_WORDS))
                hit = ["zenml", c.lineno, trainingish(fn.name), fits_model(fn, al) or trainingish(fn.name), metric]
                if metric:
                    return [hit]
                found = found or [hit]
    return found


def _metric_operand(node: ast.AST) -> str:
    """The name a metric value is read from (``latest_metrics`` of ``latest_metrics[metric_to_compare]``,
    ``current_metric``), '' when the operand names no metric (a threshold, a constant)."""
    root, named = node, False
    while isinstance(root, (ast.Subscript, ast.Attribute)):
        named = named or (isinstance(root, ast.Attribute) and bool(words(root.attr) & METRIC_WORDS))
        root = root.value
    if not isinstance(root, ast.Name):
        return ""
    return root.id if named or words(root.id) & METRIC_WORDS else ""


def _version_comparison(tree: ast.Module) -> list[Hit]:
    """A ZenML step comparing the metrics of two model versions to pick one (``if latest_metrics[metric] >
    current_metrics[metric]:`` in a promotion step, the metrics read from each version's metadata): the runs compared by
    a metric, E2's deciding line. A metric against a threshold or a constant compares no runs."""
    for fn in walk(tree):
        if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and decorator(fn, "step")):
            continue
        for n in walk(fn):
            if isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.Gt, ast.GtE, ast.Lt, ast.LtE)):
                left, right = _metric_operand(n.left), _metric_operand(n.comparators[0])
                if left and right and left != right:
                    return [["zenml-comparison", n.lineno]]
    return []


def _metric_metadata(fn: ast.AST, call: ast.Call) -> bool:
    """Does a ZenML metadata call log metrics: its ``metadata`` is named for metrics (``metrics``, ``eval_scores``) or is a
    dict (written in the call, or assigned to the name it passes in the step) with a metric among its keys?"""
    arg = kwarg(call, "metadata") or (call.args[0] if call.args else None)
    if isinstance(arg, ast.Name):
        if words(arg.id) & (METRIC_WORDS | {"eval", "evaluation", "performance"}):
            return True
        given = [n.value for n in walk(fn) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets)]
        arg = given[-1] if given else None
    if isinstance(arg, ast.Dict):
        return any(isinstance(k, ast.Constant) and isinstance(k.value, str) and words(k.value) & METRIC_WORDS for k in arg.keys)
    return arg is None or not isinstance(arg, ast.Dict)  # a value read elsewhere: not known to be something else
