"""Model monitors declared as configuration or low-level requests rather than monitoring SDK calls: Databricks
bundle quality monitors, Azure ML monitor schedules, SageMaker monitoring in CloudFormation, and Vertex AI model
monitoring written against the aiplatform_v1 clients (typed messages or request dicts). Each yields the monitoring
signals it supports (the model is monitored; input data drift; prediction/model drift)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.facts.databricks_bundles import pause_status
from mlscan.facts.ops import PyCall, TfBlock, imports_module, kwarg, tf_has
from mlscan.facts.pyast import walk

from ..lazyre import lazy_re

# Vertex AI model monitoring through the low-level clients (aiplatform_v1/v1beta1 types, or the request written as
# a dict/JSON message): a deployment monitoring job or a monitoring config on a batch prediction job, with its
# objectives. Both v1 objectives watch the features of the prediction *requests* (Google's API reference: skew is "the
# feature distribution of prediction requests against the training data", prediction drift "feature distribution distance
# between different time windows" of those requests, with attribution-score thresholds of the same features): input-data
# drift, neither of them the model's outputs or performance
_VERTEX_GAPIC = lazy_re(r"^google\.cloud\.aiplatform_v1(?:beta1)?\.(?:types\.)?(?:\w+\.)*"
                           r"(ModelDeploymentMonitoringJob|ModelMonitoringConfig|ModelMonitoringObjectiveConfig|"
                           r"ModelDeploymentMonitoringObjectiveConfig)$")
_VERTEX_MONITOR_KEYS = {"modelMonitoringConfig", "model_monitoring_config", "modelDeploymentMonitoringObjectiveConfigs",
                        "model_deployment_monitoring_objective_configs", "objectiveConfigs", "objective_configs", "objectiveConfig",
                        "objective_config"}
_VERTEX_OBJECTIVES = {"trainingPredictionSkewDetectionConfig": "monitoring.data_drift", "training_prediction_skew_detection_config":
                      "monitoring.data_drift", "TrainingPredictionSkewDetectionConfig": "monitoring.data_drift",
                      "predictionDriftDetectionConfig": "monitoring.data_drift", "prediction_drift_detection_config": "monitoring.data_drift",
                      "PredictionDriftDetectionConfig": "monitoring.data_drift"}
# Vertex AI Model Monitoring v2 (``vertexai.resources.preview.ml_monitoring``): a ``spec.TabularObjective`` names its
# objectives by keyword: input features (``feature_drift_spec``, ``feature_attribution_spec``: attributions of the same
# input features) and the model's outputs (``prediction_output_drift_spec``, "data drift in the prediction outputs")
_VERTEX_V2_OBJECTIVES = {"feature_drift_spec": "monitoring.data_drift", "feature_attribution_spec": "monitoring.data_drift",
                         "prediction_output_drift_spec": "monitoring.model_drift"}


def vertex_v2_objectives(calls: list[PyCall]) -> Iterator[tuple[int, str]]:
    """(line, signal) of the objectives a Vertex AI Model Monitoring v2 ``TabularObjective(...)`` sets (a keyword set to
    ``None`` sets none)."""
    for c in calls:
        if c.attr != "TabularObjective" or not c.qual.startswith("vertexai."):
            continue
        for kw in getattr(c.node, "keywords", ()):
            signal = _VERTEX_V2_OBJECTIVES.get(kw.arg or "")
            if signal and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                yield kw.value.lineno, signal


def vertex_gapic_monitors(tree: ast.Module, al: dict[str, str], calls: list[PyCall]) -> Iterator[tuple[int, str]]:
    """(line, signal) of Vertex monitoring set up through the low-level API: the aiplatform_v1/v1beta1 monitoring types,
    or a request dict (``message["modelMonitoringConfig"] = {"objectiveConfigs": [...]}``) in code that imports
    google.cloud.aiplatform*. A monitoring config needs an objective (skew or drift): alert settings alone are no monitor."""
    if not imports_module(al, "google.cloud.aiplatform", "google.cloud.aiplatform_v1", "google.cloud.aiplatform_v1beta1"):
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



def config_monitors(doc: object, settings: list[dict] | None = None, refreshed: bool = False) -> Iterator[tuple[str, str, int, bool]]:
    """(signal, tool, line, active) for Databricks bundle monitors, Azure ML monitor schedules and CloudFormation. A bundle
    monitor is active when its ``schedule`` is on (a ``pause_status`` read through a bundle variable resolved from
    ``settings``, the bundle's documents) or, with no schedule of its own, when a scheduled job refreshes it
    (``refreshed``)."""
    if not isinstance(doc, dict):
        return
    res = doc.get("resources") if isinstance(doc.get("resources"), dict) else {}
    monitors = res.get("quality_monitors") if isinstance(res.get("quality_monitors"), dict) else {}
    for name, m in monitors.items():
        if not isinstance(m, dict):
            continue
        sched = m.get("schedule")
        active = (str(pause_status(sched.get("pause_status", ""), settings or [])).upper() != "PAUSED" if isinstance(sched, dict)
                  else refreshed)
        line = monitors.line_of(name)
        if isinstance(log := m.get("inference_log"), dict):
            # what the monitor profiles in its ``inference_log``, not the monitor's name or its output folder (``assets_dir:
            # .../databricks_lakehouse_monitoring``): the ground-truth column the model's performance is measured on
            # (``label_col:``), the predictions whose drift it tracks (``prediction_col:``)
            at = {k: (log.line_of(k) if hasattr(log, "line_of") else 0) or line for k in ("label_col", "prediction_col") if k in log}
            yield from (("monitoring.model", "lakehouse-monitoring", at.get("label_col") or at.get("prediction_col") or line, active),
                        ("monitoring.data_drift", "lakehouse-monitoring", line, active),
                        ("monitoring.model_drift", "lakehouse-monitoring", at.get("prediction_col") or line, active))
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


def tf_monitors(b: TfBlock) -> Iterator[tuple[str, str]]:
    """(signal, tool) of a Terraform monitoring resource: a SageMaker monitoring schedule, a Databricks quality monitor."""
    kinds = {"aws_sagemaker_monitoring_schedule": ("sagemaker-model-monitor", "DataQuality" in b.body, "ModelQuality" in b.body),
             "databricks_quality_monitor": ("lakehouse-monitoring", True, tf_has(b, "inference_log")),
             # the data quality API's resource: a table's data profile (a schema's anomaly detection watches freshness)
             "databricks_data_quality_monitor": ("lakehouse-monitoring", tf_has(b, "data_profiling_config"), tf_has(b, "inference_log"))}.get(b.type)
    if kinds and b.kind == "resource":
        tool, data, model = kinds
        profiled = data or model or b.type != "databricks_data_quality_monitor"
        for signal, on in (("monitoring.model", profiled), ("monitoring.data_drift", data), ("monitoring.model_drift", model)):
            if on:
                yield signal, tool


# Databricks data quality monitoring (databricks-sdk >= 0.68, ``w.data_quality.create_monitor(monitor=Monitor(...,
# data_profiling_config=DataProfilingConfig(...)))``, the successor of ``w.quality_monitors.create``): the profile type
# a table monitor's ``DataProfilingConfig`` sets says what it profiles: an inference log (the model's inputs and its
# predictions, with the label column its quality is measured on), a time series or snapshot (the table's data)
_DQ_PROFILES = {"InferenceLogConfig": ("monitoring.data_drift", "monitoring.model_drift"), "TimeSeriesConfig": ("monitoring.data_drift",),
                "SnapshotConfig": ("monitoring.data_drift",)}
_DQ_MODULE = "databricks.sdk.service.dataquality."


def data_quality_create(c: PyCall) -> bool:
    """Is the call the data quality API's monitor creation (``w.data_quality.create_monitor(...)``, on any client
    name)? Listing, reading or refreshing a monitor creates none."""
    return c.attr == "create_monitor" and ".data_quality." in f".{c.text}"


def data_quality_profiles(calls: list[PyCall]) -> Iterator[tuple[PyCall, tuple[str, ...]]]:
    """(call, signals) of the profile types the module's data quality configs set: ``InferenceLogConfig(...)`` input and
    prediction drift (its prediction and label columns), ``TimeSeriesConfig``/``SnapshotConfig`` the data's drift."""
    for c in calls:
        signals = _DQ_PROFILES.get(c.attr) if c.qual.startswith(_DQ_MODULE) else None
        if signals:
            yield c, signals


def data_quality_schedule(calls: list[PyCall]) -> ast.expr | None:
    """The ``schedule=`` a data quality monitor's ``DataProfilingConfig(...)`` gives it (None when none sets one)."""
    for c in calls:
        if c.attr == "DataProfilingConfig" and (c.qual.startswith(_DQ_MODULE) or not c.qual):
            sched = kwarg(c.node, "schedule")
            if sched is not None and not (isinstance(sched, ast.Constant) and sched.value is None):
                return sched
    return None


def lakehouse_schedule_paused(schedule: ast.AST) -> bool:
    """Does a Lakehouse monitor's ``schedule=MonitorCronSchedule(..., pause_status=...PAUSED)`` keep it paused?"""
    for n in walk(schedule):
        if isinstance(n, ast.keyword) and n.arg == "pause_status":
            v = n.value
            text = v.value if isinstance(v, ast.Constant) else v.attr if isinstance(v, ast.Attribute) else ""
            return str(text).upper() == "PAUSED"
    return False
