"""Model monitoring: Evidently, NannyML, whylogs, alibi-detect, SageMaker Model Monitor, Vertex model
monitoring, Databricks Lakehouse monitoring (code, bundles, Terraform), Azure ML monitors, Arize/WhyLabs/
Fiddler; data vs model drift kept apart; infrastructure telemetry and prediction logging reported as
such. Feeds O1, O2."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.place import place
from mlscan.facts.placeholders import synthetic_source
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength

D, M = "data", "model"  # drift kinds
# (qualified-name prefix, tool, {called name suffix: drift kind}); any call into the prefix is monitoring
_LIBS = (
    ("evidently.", "evidently", {
        **dict.fromkeys(("DataDriftPreset", "DataDriftTable", "DatasetDriftMetric", "DataDriftTab", "DataDriftTestPreset",
                         "DataDriftProfileSection", "TestNumberOfDriftedColumns", "TestShareOfDriftedColumns",
                         "DriftedColumnsCount", "EmbeddingsDriftMetric", "DataDriftMonitor"), D),
        **dict.fromkeys(("TargetDriftPreset", "ClassificationPreset", "RegressionPreset", "NumTargetDriftTab", "CatTargetDriftTab",
                         "ClassificationPerformanceTab", "RegressionPerformanceTab", "ProbClassificationPerformanceTab",
                         "TargetDriftProfileSection", "ClassificationQualityMetric", "RegressionQualityMetric",
                         "BinaryClassificationTestPreset", "MulticlassClassificationTestPreset", "RegressionTestPreset",
                         "NoTargetPerformanceTestPreset", "TestAccuracyScore", "TestF1Score", "TestRocAuc", "TestRMSE",
                         "CatTargetDriftMonitor", "NumTargetDriftMonitor", "RegressionPerformanceMonitor",
                         "ClassificationPerformanceMonitor", "ProbClassificationPerformanceMonitor"), M)}),
    ("nannyml.", "nannyml", {"CBPE": M, "DLE": M, "PerformanceCalculator": M, "UnivariateDriftCalculator": D,
                             "DataReconstructionDriftCalculator": D, "DomainClassifierCalculator": D}),
    ("alibi_detect.cd.", "alibi-detect", {"": D}),
    ("alibi_detect.od.", "alibi-detect", {}),
    ("whylogs.", "whylogs", {}),
    *((f"sagemaker.model_monitor.{n}", "sagemaker-model-monitor", {"DefaultModelMonitor": D, "ModelQualityMonitor": M})
      for n in ("DefaultModelMonitor", "ModelQualityMonitor", "ModelBiasMonitor", "ModelExplainabilityMonitor", "ModelMonitor")),
    ("google.cloud.aiplatform.ModelDeploymentMonitoringJob", "vertex-model-monitoring", {}),
    ("google.cloud.aiplatform.model_monitoring.", "vertex-model-monitoring", {"SkewDetectionConfig": D, "DriftDetectionConfig": D}),
    ("vertexai.resources.preview.ml_monitoring.", "vertex-model-monitoring", {}),
    ("databricks.lakehouse_monitoring.", "lakehouse-monitoring", {"InferenceLog": D + M, "TimeSeries": D, "Snapshot": D}),
    ("databricks.sdk.service.catalog.MonitorInferenceLog", "lakehouse-monitoring", {"": D + M}),
    ("arize.", "arize", {}),
    ("whylabs_client.", "whylabs", {}),
    ("fiddler.", "fiddler", {}),
)
_NOT_MONITORING = ("sagemaker.model_monitor.DataCaptureConfig", "whylogs.core.constraints")
_SCHEDULED = ("create_monitoring_schedule", "ModelDeploymentMonitoringJob", "create_monitor")
_ML_METRIC = re.compile(r"predict|drift|psi\b|_score|confidence|model_output|feature_", re.I)
_INFRA = ("prometheus_fastapi_instrumentator.", "prometheus_flask_exporter.", "starlette_exporter.", "opentelemetry.", "applicationinsights.")
# Python files worth parsing: those naming a monitoring or telemetry SDK that _classify resolves calls into (the
# modules of _LIBS, prometheus_client and the _INFRA exporters, the Fluentd sender) ...
NEEDLES = (b"evidently", b"nannyml", b"alibi_detect", b"whylogs", b"sagemaker.model_monitor", b"aiplatform", b"vertexai",
           b"lakehouse_monitoring", b"MonitorInferenceLog", b"arize", b"whylabs", b"fiddler", b"prometheus", b"opentelemetry",
           b"starlette_exporter", b"applicationinsights", b"FluentSender")
# ... the client calls recognised without an import (``w.quality_monitors.create``, boto3 ``create_monitoring_schedule``),
# made of common words, so confirmed as substrings ...
UNIMPORTED_CALLS = (b"quality_monitors", b"create_monitoring_schedule")
# ... and prediction logging: files that make predictions (makes_predictions) with logger/Fluentd calls (these words) where the
# text shows one carrying ``pred*`` values (_logs_predictions).
LOG_CALLS = (b"info", b"debug", b"warning", b"log", b"emit")
# (call pattern, is ``emit``) for each of those names: a pattern per name starts with a literal, which the regex engine
# finds far faster than an alternation (no two names overlap, so together they find what one alternation would);
# the word start is checked in code: faster than \b
_LOG_CALL_NAMES = tuple((re.compile(name + r"\s*\("), name == "emit") for name in ("info", "debug", "warning", "log", "emit"))
# string literals (any prefix, triple-quoted too), comments and brackets of a call's argument text
_ARG_TOKEN = re.compile(ops.PY_STRING + r"|#[^\n]*|[()\[\]{}]", re.S)
_DICT_KEY = re.compile(r"\s*:")
# Code that makes predictions (makes_predictions): it calls a model's prediction API or defines a prediction handler. Logging a ``pred*``
# value anywhere else (a library helper's ``predict_label`` variable, a training loop's batch predictions) is not
# prediction logging.
# (Two patterns, each starting with a literal the regex engine scans for: an alternation led by ``\b`` was tried at
# every character of every file.)
_PREDICT_CALL = re.compile(r"\.(?:predict|predict_proba|predict_log_proba|decision_function|invoke_endpoint|infer|inference)\s*\(")
_PREDICT_DEF = re.compile(r"def\s+(?:predict|predict_fn|inference|infer|handle)\s*\(")


def makes_predictions(text: str) -> bool:
    """The code calls a model's prediction API or defines a prediction handler."""
    if _PREDICT_CALL.search(text):
        return True
    return any(m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_") for m in _PREDICT_DEF.finditer(text))


class MonitoringPython(Detector):
    """Production model monitoring and drift detection in code and monitor configs; feeds O1, O2."""

    id = "monitoring.python"
    questions = ("O1", "O2")
    globs = ("**/*.py", "**/*.ipynb", *ops.YAML_GLOBS, "**/*.tf")
    signals = ("monitoring.model", "monitoring.data_drift", "monitoring.model_drift", "monitoring.infra", "monitoring.logging")

    def wants(self, index: FileIndex, e: FileEntry) -> bool:
        return _may_monitor(index, e)

    def visit(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        synthetic = bool(synthetic_source(tree, toy=True))  # drift on generated or bundled toy data monitors no deployed model
        for f in self._monitors(index, e, tree):
            yield replace(f, attrs={**f.attrs, "synthetic": synthetic})

    def _monitors(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        al, calls = ops.py_calls(index, e)
        where = place(index, e).kind
        scheduled = where not in ("notebook", "exploration", "test") and any(c.attr in _SCHEDULED or c.qual.endswith(_SCHEDULED) for c in calls)
        strength = Strength.STRONG if where == "automated" or scheduled else Strength.WEAK if where in ("notebook", "exploration", "test") else Strength.MEDIUM
        seen: set[tuple[str, str]] = set()
        predicts: list[bool] = []  # decided once, at the first logging call

        def makes() -> bool:
            if not predicts:
                predicts.append(makes_predictions(index.text(e.path) or ""))
            return predicts[0]

        for c in calls:
            for signal, tool in _classify(c, al, where, makes):
                if (signal, tool) in seen:
                    continue
                seen.add((signal, tool))
                line, snip = ops.locate(index, e, c.line)
                s = strength if signal not in ("monitoring.infra", "monitoring.logging") else Strength.MEDIUM
                yield self.found(signal, index, e.path, line, snippet=snip, strength=s,
                                 attrs={"tool": tool, "wired": strength is Strength.STRONG})
        for line, signal in _vertex_gapic_monitors(tree, al, calls) if index.mentions(e.path, (b"aiplatform",)) else ():
            if (signal, "vertex-model-monitoring") in seen:
                continue
            seen.add((signal, "vertex-model-monitoring"))
            at, snip = ops.locate(index, e, line)
            yield self.found(signal, index, e.path, at, snippet=snip, strength=strength,
                             attrs={"tool": "vertex-model-monitoring", "wired": strength is Strength.STRONG})
        # hand-written prediction drift next to library data drift: a two-sample statistic on predictions
        if any(signal == "monitoring.data_drift" for signal, _tool in seen) and not any(signal == "monitoring.model_drift" for signal, _t in seen):
            hit = next((c for c in calls if _prediction_drift(c)), None)
            if hit is not None:
                seen.add(("monitoring.model_drift", "custom"))
                at, snip = ops.locate(index, e, hit.line)
                yield self.found("monitoring.model_drift", index, e.path, at, snippet=snip, strength=strength,
                                 attrs={"tool": "custom", "wired": strength is Strength.STRONG, "statistic": hit.attr})
        # monitors passed around uncalled (``{"data_drift": DataDriftMonitor}``) in real monitoring code
        if not any(signal == "monitoring.model" for signal, _tool in seen):
            return
        for node in sorted((n for n in walk(tree) if isinstance(n, ast.Name) and n.id in al), key=lambda n: n.lineno):
            q = al[node.id]
            tool, kind = next(((t, kinds.get(q.rsplit(".", 1)[-1], "")) for p, t, kinds in _LIBS if q.startswith(p)), ("", ""))
            if ("monitoring.model", tool) not in seen:
                continue
            for signal in [sig for k, sig in ((D, "monitoring.data_drift"), (M, "monitoring.model_drift")) if k in kind]:
                if (signal, tool) not in seen:
                    seen.add((signal, tool))
                    line, snip = ops.locate(index, e, node.lineno)
                    yield self.found(signal, index, e.path, line, snippet=snip, strength=strength,
                                     attrs={"tool": tool, "wired": strength is Strength.STRONG})

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(ops.YAML_GLOBS):
            if not index.contains(e.path, (b"quality_monitors", b"create_monitor", b"MonitoringSchedule", b"JobDefinition")):
                continue
            for doc in index.yaml(e.path):
                for signal, tool, line, active in _config_monitors(doc):
                    yield self.found(signal, index, e.path, line, strength=Strength.STRONG if active else Strength.MEDIUM,
                                     attrs={"tool": tool, "wired": active})
        for path, line, tool in _infra_configs(index):
            yield self.found("monitoring.infra", index, path, line, strength=Strength.MEDIUM, attrs={"tool": tool, "wired": False})
        for e in index.select(("**/*.tf",)):
            for b in ops.tf_blocks(index, e):
                kinds = {"aws_sagemaker_monitoring_schedule": ("sagemaker-model-monitor", "DataQuality" in b.body, "ModelQuality" in b.body),
                         "databricks_quality_monitor": ("lakehouse-monitoring", True, ops.tf_has(b, "inference_log"))}.get(b.type)
                if kinds and b.kind == "resource":
                    tool, data, model = kinds
                    for signal, on in (("monitoring.model", True), ("monitoring.data_drift", data), ("monitoring.model_drift", model)):
                        if on:
                            yield self.found(signal, index, e.path, b.line, strength=Strength.STRONG, attrs={"tool": tool, "wired": True})


def _may_monitor(index: FileIndex, e: FileEntry) -> bool:
    """Can the file hold a call _classify reports? Decided on words and text, before any parse."""
    if index.mentions(e.path, NEEDLES):
        return True
    if index.mentions(e.path, UNIMPORTED_CALLS) and index.contains(e.path, UNIMPORTED_CALLS):
        return True
    if not index.mentions(e.path, LOG_CALLS):
        return False
    if place(index, e).kind in ("notebook", "test") and not index.mentions(e.path, (b"fluent",)):
        return False  # logged predictions count outside notebooks and tests only (Fluentd events anywhere)
    text = index.text(e.path) or ""
    if e.suffix != ".ipynb" and not e.template and not _logs_predictions(text):
        return False  # (notebook JSON and unrendered templates get no closer text check)
    return makes_predictions(text)


def _logs_predictions(text: str) -> bool:
    """Some ``info``/``debug``/``warning``/``log`` call has ``pred`` in a name, an f-string or a dict key among its
    arguments, an ``emit`` call in any string too (what _mentions_prediction looks for); comments never count."""
    low = _lower_same_length(text)  # "pred" in any case, found with str.find at the text's own offsets
    last = low.rfind("pred")
    if last < 0:
        return False
    for pattern, emit in _LOG_CALL_NAMES:
        # only calls ending at or before the last "pred" can have one among their arguments
        for m in pattern.finditer(text, 0, last):
            if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
                continue  # ``catalog(``, ``weblog(``
            if _call_has_pred(text, low, m.end(), emit):
                return True
    return False


def _lower_same_length(text: str) -> str:
    """``text.lower()`` with the same offsets as ``text``: U+0130 is the one character whose lower case is two
    characters (it is no letter of "pred", and neither is the "i" it becomes). ``"pred" in low[a:b]`` then holds
    exactly when ``re.search("pred", text[a:b], re.I)`` matches."""
    return (text if text.isascii() else text.replace("\u0130", "I")).lower()


def _call_has_pred(text: str, low: str, pos: int, emit: bool) -> bool:
    """The argument text of the call whose parenthesis ends at ``pos`` carries ``pred`` (see _logs_predictions)."""
    depth = 1
    for t in _ARG_TOKEN.finditer(text, pos):
        start = t.start()
        if low.find("pred", pos, start) >= 0:
            return True  # in the code between literals
        tok, pos = t.group(), t.end()
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth -= 1
            if depth == 0:
                return False
        elif tok[0] != "#" and low.find("pred", start, pos) >= 0 and (emit or "f" in t.group("prefix").lower() or _DICT_KEY.match(text, pos)):
            return True
    return low.find("pred", pos) >= 0


def _classify(c: ops.PyCall, al: dict[str, str], where: str, predicts: Callable[[], bool]) -> Iterator[tuple[str, str]]:
    q = c.qual
    # logged predictions count in code that makes predictions only (makes_predictions)
    if c.attr in ("info", "debug", "warning", "log") and where not in ("notebook", "test") and _mentions_prediction(c) and predicts() and (
            q.startswith(("logging.", "loguru.", "structlog.")) or not q and c.text.split(".")[0] in ("logger", "log", "LOGGER", "_logger")):
        yield "monitoring.logging", "logging"
        return
    if not q:
        if c.attr == "emit" and ops.imports_module(al, "fluent") and _mentions_prediction(c, strings=True) and predicts():
            yield "monitoring.logging", "fluentd"
        elif c.attr == "create_monitoring_schedule" and ops.imports_module(al, "boto3", "sagemaker"):
            yield "monitoring.model", "sagemaker-model-monitor"
        elif c.attr == "create" and "quality_monitors" in c.text:
            yield "monitoring.model", "lakehouse-monitoring"
        return
    if q.startswith(_NOT_MONITORING):
        if q.endswith("DataCaptureConfig"):
            yield "monitoring.logging", "sagemaker-data-capture"
        return
    if q.startswith(_INFRA):
        yield "monitoring.infra", q.split(".")[0]
        return
    if q.startswith("prometheus_client.") and c.attr in ("Gauge", "Histogram", "Summary", "Counter"):
        name = ops.literal(c.node.args[0] if c.node.args else ops.kwarg(c.node, "name"))
        if not isinstance(name, str):
            return  # names built at run time (pushed evaluation metrics) say nothing
        ml = bool(re.search(r"drift|psi\b|anomal|outlier", name, re.I) if c.attr == "Counter" else
                  _ML_METRIC.search(name) and not re.search(r"_total$|_count$|loaded|requests|errors|latency|duration", name))
        yield ("monitoring.model" if ml else "monitoring.infra"), "prometheus"
        if ml and "drift" in name.lower():
            yield "monitoring.data_drift", "prometheus"
        return
    for prefix, tool, kinds in _LIBS:
        if q.startswith(prefix):
            yield "monitoring.model", tool
            kind = next((k for suffix, k in kinds.items() if q.endswith("." + suffix) or suffix == ""), "") if kinds else ""
            kind = _column_kind(c) or kind if c.attr in ("ColumnDriftMetric", "ValueDrift", "ColumnValuePlot") else kind
            if D in kind:
                yield "monitoring.data_drift", tool
            if M in kind:
                yield "monitoring.model_drift", tool
            return


# Vertex AI model monitoring through the low-level clients (aiplatform_v1/v1beta1 types, or the request written as
# a dict/JSON message): a deployment monitoring job or a monitoring config on a batch prediction job, with its
# objectives: training-serving skew (input data) and prediction drift
_VERTEX_GAPIC = re.compile(r"^google\.cloud\.aiplatform_v1(?:beta1)?\.(?:types\.)?(?:\w+\.)*"
                           r"(ModelDeploymentMonitoringJob|ModelMonitoringConfig|ModelMonitoringObjectiveConfig|"
                           r"ModelDeploymentMonitoringObjectiveConfig)$")
_VERTEX_MONITOR_KEYS = {"modelMonitoringConfig", "model_monitoring_config", "modelDeploymentMonitoringObjectiveConfigs",
                        "model_deployment_monitoring_objective_configs", "objectiveConfigs", "objective_configs", "objectiveConfig",
                        "objective_config"}
_VERTEX_OBJECTIVES = {"trainingPredictionSkewDetectionConfig": "monitoring.data_drift", "training_prediction_skew_detection_config":
                      "monitoring.data_drift", "TrainingPredictionSkewDetectionConfig": "monitoring.data_drift",
                      "predictionDriftDetectionConfig": "monitoring.model_drift", "prediction_drift_detection_config": "monitoring.model_drift",
                      "PredictionDriftDetectionConfig": "monitoring.model_drift"}


def _vertex_gapic_monitors(tree: ast.Module, al: dict[str, str], calls: list[ops.PyCall]) -> Iterator[tuple[int, str]]:
    """(line, signal) of Vertex monitoring set up through the low-level API: the aiplatform_v1/v1beta1 monitoring types,
    or a request dict (``message["modelMonitoringConfig"] = {"objectiveConfigs": [...]}``) in code that imports
    google.cloud.aiplatform*. A monitoring config needs an objective (skew or drift): alert settings alone are no monitor."""
    if not ops.imports_module(al, "google.cloud.aiplatform", "google.cloud.aiplatform_v1", "google.cloud.aiplatform_v1beta1"):
        return
    keys: list[tuple[int, str]] = []
    for n in walk(tree):
        if isinstance(n, ast.Dict):
            keys += [(k.lineno, k.value) for k in n.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
            keys.append((n.lineno, n.slice.value))
        elif isinstance(n, ast.keyword) and n.arg:
            keys.append((n.value.lineno, n.arg))
    typed = [c for c in calls if _VERTEX_GAPIC.match(c.qual)]
    objectives = [(ln, _VERTEX_OBJECTIVES[k]) for ln, k in keys if k in _VERTEX_OBJECTIVES]
    objectives += [(c.line, _VERTEX_OBJECTIVES[c.attr]) for c in calls if c.attr in _VERTEX_OBJECTIVES and c.qual.startswith("google.cloud.aiplatform_v1")]
    configs = [ln for ln, k in keys if k in _VERTEX_MONITOR_KEYS] + [c.line for c in typed]
    if not (configs and objectives):
        return
    yield min(configs), "monitoring.model"
    yield from sorted(objectives)


_TWO_SAMPLE = frozenset({"ks_2samp", "kstest", "wasserstein_distance", "jensenshannon", "chisquare", "chi2_contingency", "mannwhitneyu",
                         "ttest_ind", "anderson_ksamp", "energy_distance", "entropy"})
_PSI = re.compile(r"(^|_)psi($|_)|population_stability", re.I)
_PREDICTION_WORDS = frozenset({"pred", "preds", "prediction", "predictions", "predicted", "score", "scores", "proba", "probability",
                               "probabilities", "output", "outputs", "yhat"})


def _prediction_drift(c: ops.PyCall) -> bool:
    """A two-sample statistic (KS, Wasserstein, Jensen-Shannon, PSI ...) whose arguments are predictions."""
    if not (c.attr in _TWO_SAMPLE or _PSI.search(c.attr)):
        return False
    args = [*c.node.args, *(k.value for k in c.node.keywords)]
    texts = " ".join(ast.unparse(a) for a in args)
    return bool(set(re.findall(r"[a-z]+", texts.lower())) & _PREDICTION_WORDS)


def _column_kind(c: ops.PyCall) -> str:
    col = ops.literal(ops.kwarg(c.node, "column_name") or ops.kwarg(c.node, "column") or (c.node.args[0] if c.node.args else None))
    return (M if re.search(r"predict|target|label|score", col, re.I) else D) if isinstance(col, str) else D


def _mentions_prediction(c: ops.PyCall, strings: bool = False) -> bool:
    """An argument carries prediction values (a ``pred*`` variable or a ``{"prediction": value}`` payload);
    with ``strings`` an event label such as ``"prediction"`` counts too."""
    for arg in [*c.node.args, *(k.value for k in c.node.keywords)]:
        for n in walk(arg):
            if isinstance(n, ast.Name) and re.search(r"pred", n.id, re.I) or isinstance(n, ast.Attribute) and re.search(r"pred", n.attr, re.I):
                return True
            if isinstance(n, ast.Dict) and any(isinstance(k, ast.Constant) and re.search(r"pred", str(k.value), re.I) for k in n.keys):
                return True
            if strings and isinstance(n, ast.Constant) and re.search(r"predict", str(n.value), re.I):
                return True
    return False


def _config_monitors(doc: object) -> Iterator[tuple[str, str, int, bool]]:
    """(signal, tool, line, active) for Databricks bundle monitors, Azure ML monitor schedules and CloudFormation."""
    if not isinstance(doc, dict):
        return
    res = doc.get("resources") if isinstance(doc.get("resources"), dict) else {}
    monitors = res.get("quality_monitors") if isinstance(res.get("quality_monitors"), dict) else {}
    for name, m in monitors.items():
        if not isinstance(m, dict):
            continue
        sched = m.get("schedule")
        active = isinstance(sched, dict) and str(sched.get("pause_status", "")).upper() != "PAUSED"
        line = monitors.line_of(name)
        if isinstance(m.get("inference_log"), dict):
            yield from (("monitoring.model", "lakehouse-monitoring", line, active), ("monitoring.data_drift", "lakehouse-monitoring", line, active),
                        ("monitoring.model_drift", "lakehouse-monitoring", line, active))
        elif m.get("time_series") is not None or m.get("snapshot") is not None:
            yield "monitoring.data_drift", "lakehouse-monitoring", line, active
    create = doc.get("create_monitor")
    signals = create.get("monitoring_signals") if isinstance(create, dict) else None
    if isinstance(signals, dict) and signals:
        types = {str(s.get("type", "")) for s in signals.values() if isinstance(s, dict)}
        line, active = doc.line_of("create_monitor"), isinstance(doc.get("trigger"), dict)
        yield "monitoring.model", "azureml-monitor", line, active
        if types & {"data_drift", "data_quality", "feature_attribution_drift"}:
            yield "monitoring.data_drift", "azureml-monitor", line, active
        if types & {"prediction_drift", "model_performance"}:
            yield "monitoring.model_drift", "azureml-monitor", line, active
    cfn = doc.get("Resources") if isinstance(doc.get("Resources"), dict) else {}
    for name, r in cfn.items():
        rtype = str(r.get("Type", "")) if isinstance(r, dict) else ""
        if rtype.startswith("AWS::SageMaker::") and ("MonitoringSchedule" in rtype or "QualityJobDefinition" in rtype):
            body = str(r.get("Properties", ""))
            yield "monitoring.model", "sagemaker-model-monitor", cfn.line_of(name), True
            if "DataQuality" in rtype + body:
                yield "monitoring.data_drift", "sagemaker-model-monitor", cfn.line_of(name), True
            if "ModelQuality" in rtype + body:
                yield "monitoring.model_drift", "sagemaker-model-monitor", cfn.line_of(name), True


_TELEMETRY_IMAGES = re.compile(r"(^|/)(prometheus|grafana|alertmanager|node-exporter|pushgateway|jaeger|otel[-\w]*|loki)(:|$)")


def _infra_configs(index: FileIndex) -> Iterator[tuple[str, int, str]]:
    """One (path, line, tool) per file configuring service telemetry: Prometheus scrape configs,
    ServiceMonitors, telemetry containers in Kubernetes/compose, App Insights switches."""
    seen: set[str] = set()
    for e, doc in ops.k8s_docs(index):
        docs = [(doc, 0)] + [(d, off) for _k, d, off in ops.embedded_docs(doc)] if doc.get("kind") in ("ConfigMap", "Secret") else [(doc, 0)]
        for d, off in docs:
            hit = _telemetry(d)
            if hit and e.path not in seen:
                seen.add(e.path)
                yield e.path, hit[0] + off, hit[1]
    for e in index.select(ops.YAML_GLOBS):
        if e.path in seen or not index.contains(e.path, (b"scrape_configs", b"image:", b"appInsightsEnabled")):
            continue
        for doc in index.yaml(e.path):
            hit = _telemetry(doc) if isinstance(doc, dict) else None
            if hit:
                seen.add(e.path)
                yield e.path, hit[0], hit[1]
                break


def _telemetry(doc: dict) -> tuple[int, str] | None:
    if doc.get("kind") in ("ServiceMonitor", "PodMonitor"):
        return doc.line_of("kind"), "prometheus-operator"
    if isinstance(doc.get("scrape_configs"), list):
        return doc.line_of("scrape_configs"), "prometheus"
    if doc.get("appInsightsEnabled") is True:
        return doc.line_of("appInsightsEnabled"), "app-insights"
    for d in ops.walk_dicts(doc):
        image = d.get("image")
        if isinstance(image, str) and _TELEMETRY_IMAGES.search(image.split("@")[0]):
            return d.line_of("image"), _TELEMETRY_IMAGES.search(image).group(2)
    return None
