"""Model monitoring: Evidently, NannyML, whylogs, alibi-detect, SageMaker Model Monitor, Vertex model
monitoring, Databricks Lakehouse monitoring (code, bundles, Terraform), Azure ML monitors, Arize/WhyLabs/
Fiddler/Superwise; data vs model drift kept apart; infrastructure telemetry and prediction logging reported as
such. Feeds O1, O2."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from types import MappingProxyType

from mlscan.ci import ci_model
from mlscan.detector import Detector
from mlscan.facts import ground_truth, ops
from mlscan.facts.ci_vocab import AUTOMATIC
from mlscan.facts.databricks_bundles import bundle_settings, refresh_jobs
from mlscan.facts.monitor_configs import data_quality_create, data_quality_profiles, data_quality_schedule
from mlscan.facts.orchestration import in_uncalled_function
from mlscan.facts.place import exploration_is_project, in_exploration_dir, place
from mlscan.facts.placeholders import (
    fixed_values,
    one_file_slices,
    placeholder_value,
    split_substitute,
    synthetic_source,
    training_sample,
    training_splits_only,
)
from mlscan.facts.prediction_logging import (
    makes_predictions,
    may_log_predictions,
    mentions_prediction,
    prediction_drift,
)
from mlscan.facts.pyast import walk
from mlscan.facts.split_handoff import split_fed_functions
from mlscan.facts.telemetry import alerted, telemetry_configs
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Evidence, Finding, Strength
from mlscan.valueclass import replace

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
    # Azure ML SDK v2 model monitoring (azure.ai.ml.entities): a MonitorSchedule whose MonitorDefinition runs signals
    *((f"azure.ai.ml.entities.{n}", "azureml-monitor", {n: k}) for n, k in (
        ("MonitorSchedule", ""), ("DataDriftSignal", D), ("DataQualitySignal", D), ("FeatureAttributionDriftSignal", D),
        ("PredictionDriftSignal", M), ("ModelPerformanceSignal", M), ("CustomMonitoringSignal", ""))),
    ("arize.", "arize", {}),
    ("whylabs_client.", "whylabs", {}),
    ("fiddler.", "fiddler", {}),
    ("superwise.Superwise", "superwise", {}),  # the client of a model-observability platform that serving logs predictions to
)
_INTERACTIVE_UI = ("streamlit", "gradio", "dash", "panel")
_LIB_TOOLS = frozenset(t for _p, t, _k in _LIBS)
# drift report libraries a script runs itself (managed monitors are scheduled on a deployed endpoint by definition)
_REPORT_LIBS = frozenset({"evidently", "nannyml", "alibi-detect", "whylogs"})
_SIMULATED_SIGNALS = frozenset({"monitoring.model", "monitoring.data_drift", "monitoring.model_drift"})
_NOT_MONITORING = ("sagemaker.model_monitor.DataCaptureConfig", "whylogs.core.constraints")
_SCHEDULED = ("create_monitoring_schedule", "ModelDeploymentMonitoringJob", "create_monitor", "MonitorSchedule")
# calls that create a managed, scheduled monitor on the platform (SageMaker Model Monitor schedules, Vertex AI model
# deployment monitoring jobs through the low-level client, monitors): the monitor runs on after the creating code ends
_MANAGED_CREATES = ("create_monitoring_schedule", "create_model_deployment_monitoring_job", "create_monitor")
_ML_METRIC = lazy_re(r"predict|drift|psi\b|_score|confidence|model_output|feature_", re.I)
_INFRA = ("prometheus_fastapi_instrumentator.", "prometheus_flask_exporter.", "starlette_exporter.", "opentelemetry.", "applicationinsights.")
# Python files worth parsing: those naming a monitoring or telemetry SDK that _classify resolves calls into (the
# modules of _LIBS, prometheus_client and the _INFRA exporters, the Fluentd sender) ...
NEEDLES = (b"evidently", b"nannyml", b"alibi_detect", b"whylogs", b"sagemaker.model_monitor", b"aiplatform", b"vertexai",
           b"lakehouse_monitoring", b"MonitorInferenceLog", b"arize", b"whylabs", b"fiddler", b"superwise", b"prometheus", b"opentelemetry",
           b"starlette_exporter", b"applicationinsights", b"FluentSender", b"MonitorSchedule", b"MonitorDefinition")
# ... the client calls recognised without an import (``w.quality_monitors.create``, ``w.data_quality.create_monitor``,
# boto3 ``create_monitoring_schedule``), made of common words, so confirmed as substrings ...
UNIMPORTED_CALLS = (b"quality_monitors", b"create_monitoring_schedule", b"data_quality.create_monitor")
# ... and prediction logging: files that make predictions with logger/Fluentd calls (LOG_CALLS) where the text shows one
# carrying ``pred*`` values (mlscan.facts.prediction_logging).


_READ_CALLS = frozenset({"list", "get", "describe", "search", "exists", "fetch", "read"})


def _reads(c: ops.PyCall) -> bool:
    """Does call ``c`` only read what exists (``.list(...)``, ``get_monitor``, ``describe_monitoring_schedule``)?"""
    return c.attr in _READ_CALLS or c.attr.startswith(("list_", "get_", "describe_", "search_"))


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
        placeholder = substitute = on_demand = splits = sampled = one_file = split_fed = None
        found = list(self._monitors(index, e, tree))
        # a library report of input drift alone (no prediction drift, quality or ground truth) that no schedule in the
        # module sets up: whether anything runs it unattended, or a model is deployed at all, is the pack's question
        kinds = {(f.signal, f.attrs.get("tool")) for f in found}
        input_only = {t for s_, t in kinds if s_ == "monitoring.data_drift" and t in _REPORT_LIBS and ("monitoring.model_drift", t) not in kinds}
        if input_only and _unattended(index, e):
            input_only = set()
        for f in found:
            if placeholder is None:
                placeholder = _placeholder_reads(tree)  # drift on ``s3://your-bucket/...`` reads nothing real yet
                substitute = bool(split_substitute(tree))  # a test-set sample as "current" data when none is there
                # a report computed by a page of an interactive app (Streamlit, Gradio, Dash, Panel) runs when someone
                # opens the page and picks the data: nothing watches the model unattended
                on_demand = ops.imports_module(ops.py_calls(index, e)[0], *_INTERACTIVE_UI)
                # a report between the training split files (X_train.csv against X_test.csv) profiles the training data
                splits = bool(training_splits_only(tree))
                # "current" data sampled from the training split (``unseen = ds["train"].sample(300)``): a simulation
                sampled = bool(training_sample(tree))
                # reference and current data both sliced from one read of one data file (the last day of the training CSV
                # against the rest of it): the file profiled against itself, no production data
                one_file = bool(one_file_slices(tree))
                # a step of the module handed both halves of one split of the training data by a pipeline
                # (``reference, current = drift_splitting(df)`` -> ``model_monitoring(reference_data=reference, ...)``)
                fed = split_fed_functions(index)
                split_fed = bool(fed) and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in fed for n in walk(tree))
            extra: dict[str, object] = {"placeholder": True} if placeholder else {}
            if splits and f.attrs.get("tool") in _LIB_TOOLS:
                extra["training_splits"] = True
            if sampled and f.signal in _SIMULATED_SIGNALS:
                extra["training_sample"] = True
            if one_file and f.attrs.get("tool") in _REPORT_LIBS and f.signal in _SIMULATED_SIGNALS:
                extra["one_file"] = True
            if split_fed and f.attrs.get("tool") in _REPORT_LIBS and f.signal in _SIMULATED_SIGNALS:
                extra["split_pair"] = True
            if f.signal == "monitoring.model" and f.attrs.get("tool") in input_only:
                extra["input_drift_by_hand"] = True
            if substitute:
                extra["split_substitute"] = True
            if on_demand and f.attrs.get("tool") in _LIB_TOOLS:  # a report library's run, not a metric exported and scraped
                extra["on_demand"] = True
            yield replace(f, attrs=MappingProxyType({**f.attrs, "synthetic": synthetic, **extra}))  # frozen like found()'s: the facts cache stores only those

    def _monitors(self, index: FileIndex, e: FileEntry, tree: ast.Module) -> Iterator[Finding]:
        al, calls = ops.py_calls(index, e)
        where = place(index, e).kind
        scheduled = where not in ("notebook", "exploration", "test") and any(c.attr in _SCHEDULED or c.qual.endswith(_SCHEDULED) for c in calls)
        strength = Strength.STRONG if where == "automated" or scheduled else Strength.WEAK if where in ("notebook", "exploration", "test") else Strength.MEDIUM
        if where == "notebook" and (not in_exploration_dir(e) or exploration_is_project(index)) \
                and (any(c.attr in _MANAGED_CREATES or c.qual.endswith("ModelDeploymentMonitoringJob.create") for c in calls)
                     or any(c.qual == "azure.ai.ml.entities.MonitorSchedule" for c in calls)
                     and any(c.attr == "begin_create_or_update" for c in calls)):
            strength = Strength.MEDIUM  # a workflow notebook that creates a managed monitor leaves it running on its schedule
        seen: set[tuple[str, str]] = set()
        predicts: list[bool] = []  # decided once, at the first logging call

        def makes() -> bool:
            if not predicts:
                predicts.append(makes_predictions(index.text(e.path) or ""))
            return predicts[0]

        # a SageMaker monitor object is made, then scheduled on the endpoint (``monitor.create_monitoring_schedule(...)``):
        # the schedule decides that it runs, the constructor follows it
        sched = next((c for c in calls if c.attr == "create_monitoring_schedule" and "." in c.text), None)
        # a monitor's creation (``ModelDeploymentMonitoringJob.create(``) is cited before the configs passed to it and before a
        # call that only reads monitors back (``.list(filter=...)`` checking whether one exists): the read finds a monitor,
        # the create makes it
        classified = sorted(((c, list(_classify(c, al, where, makes))) for c in calls),
                            key=lambda cf: (_reads(cf[0]), cf[0].attr not in ("create", "begin_create_or_update")))
        # a library monitor of the model is cited where it watches the model (a quality or prediction-drift metric), not at
        # a data-drift preset set up before it in the same report
        model_at = {}
        for c, found in classified:
            for signal, tool in found:
                if signal == "monitoring.model_drift":
                    model_at.setdefault(tool, c.line)
        # a Prometheus metric of the model's outputs (predicted classes, score buckets, confidence) exported for scraping is
        # a distribution nobody compares until an alert rule reads it: the watched one leads, an unwatched one is weak
        exported = {id(c) for c, found in classified if ("monitoring.model", "prometheus") in found and not _prom_watched(index, c)}
        # a gauge of the model only ever set to a literal (a simulated ``drift_detected = False``) measures nothing
        constant = {id(c) for c, found in classified if ("monitoring.model", "prometheus") in found and fixed_values(tree, _set_values(tree, c))}
        if any(("monitoring.model", "prometheus") in found and id(c) not in exported for c, found in classified):
            classified = [(c, [x for x in found if id(c) not in exported or x != ("monitoring.model", "prometheus")]) for c, found in classified]
        # a Lakehouse monitor is the create call (``w.quality_monitors.create(...)``, the data quality API's
        # ``w.data_quality.create_monitor(...)``), in operation when it is refreshed: by its own ``schedule=`` (not paused),
        # else by a scheduled job that runs a refresh
        lakehouse = next((c for c in calls if c.attr == "create" and "quality_monitors" in c.text
                          or c.qual.endswith("lakehouse_monitoring.create_monitor") or data_quality_create(c)), None)
        refresh = _lakehouse_refresh(index, lakehouse, calls) if lakehouse is not None else ""
        if lakehouse is not None and data_quality_create(lakehouse):
            # what the data quality monitor profiles: its ``DataProfilingConfig``'s inference log (inputs and predictions)
            # or time series/snapshot (the data)
            classified += [(c, [(signal, "lakehouse-monitoring") for signal in signals]) for c, signals in data_quality_profiles(calls)]
        # a monitor created inside a helper nothing calls (no module, notebook or job entry point names it): defined, never created
        uncreated = lakehouse is not None and in_uncalled_function(index, tree, lakehouse.line)
        for c, found in classified:
            for signal, tool in found:
                if (signal, tool) in seen:
                    continue
                seen.add((signal, tool))
                at_line = model_at.get(tool, c.line) if signal == "monitoring.model" else _model_column(c) if signal == "monitoring.model_drift" else c.line
                column = at_line
                if tool == "lakehouse-monitoring" and lakehouse is not None:
                    at_line = lakehouse.line  # the monitor's creation, not a bare ``prediction_col=`` argument inside it
                line, snip = ops.locate(index, e, at_line)
                s = strength if signal not in ("monitoring.infra", "monitoring.logging") else Strength.MEDIUM
                attrs: dict[str, object] = {"tool": tool, "wired": strength is Strength.STRONG}
                if tool == "lakehouse-monitoring" and refresh:
                    attrs["refresh"] = refresh
                    if refresh in ("paused", "none"):  # a monitor nothing refreshes watches nothing in operation
                        s = Strength.WEAK
                        attrs["wired"] = False
                if tool == "lakehouse-monitoring" and uncreated:
                    s = Strength.WEAK
                    attrs.update(wired=False, uncreated=True)
                if signal == "monitoring.model" and id(c) in exported:
                    s = Strength.WEAK
                    attrs["exported_only"] = True
                if id(c) in constant and signal != "monitoring.infra":
                    s = Strength.WEAK
                    attrs.update(wired=False, constant_value=True)
                extra: tuple[Evidence, ...] = ()
                if column != at_line:  # the profiled column the monitor watches, after its creation
                    col, col_snip = ops.locate(index, e, column)
                    if col is not None:
                        extra = (self.evidence(index, e.path, col, snippet=col_snip, strength=s),)
                if sched is not None and sched.line > c.line and c.attr[:1].isupper() and signal.startswith("monitoring.") \
                        and signal not in ("monitoring.infra", "monitoring.logging"):
                    at, at_snip = ops.locate(index, e, sched.line)
                    if at is not None:
                        extra = (self.evidence(index, e.path, line, snippet=snip, strength=s),)
                        line, snip = at, at_snip
                yield self.found(signal, index, e.path, line, snippet=snip, strength=s, extra=extra, attrs=attrs)
        gapic: Iterable[tuple[int, str]] = ()
        if index.mentions(e.path, (b"aiplatform",)):
            from mlscan.facts.monitor_configs import vertex_gapic_monitors  # imported where a file names Vertex AI

            gapic = vertex_gapic_monitors(tree, al, calls)
        if ("monitoring.model", "vertex-model-monitoring") in seen and any(c.attr == "TabularObjective" for c in calls):
            from mlscan.facts.monitor_configs import vertex_v2_objectives  # a v2 monitor's objectives, by keyword

            gapic = [*gapic, *vertex_v2_objectives(calls)]
        for line, signal in gapic:
            if (signal, "vertex-model-monitoring") in seen:
                continue
            seen.add((signal, "vertex-model-monitoring"))
            at, snip = ops.locate(index, e, line)
            yield self.found(signal, index, e.path, at, snippet=snip, strength=strength,
                             attrs={"tool": "vertex-model-monitoring", "wired": strength is Strength.STRONG})
        # hand-written prediction drift next to library data drift: a two-sample statistic on predictions
        if any(signal == "monitoring.data_drift" for signal, _tool in seen) and not any(signal == "monitoring.model_drift" for signal, _t in seen):
            hit = next((c for c in calls if prediction_drift(c)), None)
            if hit is not None:
                seen.add(("monitoring.model_drift", "custom"))
                at, snip = ops.locate(index, e, hit.line)
                yield self.found("monitoring.model_drift", index, e.path, at, snippet=snip, strength=strength,
                                 attrs={"tool": "custom", "wired": strength is Strength.STRONG, "statistic": hit.attr})
        # the model's performance measured on predictions joined with the ground truth recorded for them later
        if where not in ("test",) and index.contains(e.path, ground_truth.NEEDLES):
            perf = ground_truth.performance_on_ground_truth(tree)
            if perf is not None:
                at, snip = ops.locate(index, e, perf)
                yield self.found("monitoring.model", index, e.path, at, snippet=snip, strength=strength,
                                 attrs={"tool": "ground-truth", "basis": "ground_truth", "wired": strength is Strength.STRONG})
        # monitors passed around uncalled (``{"data_drift": DataDriftMonitor}``) in real monitoring code
        if not any(signal == "monitoring.model" for signal, _tool in seen):
            return
        unselected = _unselected_entries(index, e, tree)
        for node in sorted((n for n in walk(tree) if isinstance(n, ast.Name) and n.id in al), key=lambda n: n.lineno):
            if id(node) in unselected:
                continue
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
            from mlscan.facts.monitor_configs import config_monitors  # imported where a file names a monitor

            lakehouse = index.contains(e.path, (b"quality_monitors",))
            settings = bundle_settings(index, e) if lakehouse and index.contains(e.path, (b"${var.",)) else []
            refreshed = lakehouse and any(on for _p, _l, on in refresh_jobs(index))
            for doc in index.yaml(e.path):
                for signal, tool, line, active in config_monitors(doc, settings, refreshed):
                    # a Lakehouse monitor whose refresh is paused, or that nothing refreshes, watches nothing in operation
                    weak = tool == "lakehouse-monitoring" and not active
                    yield self.found(signal, index, e.path, line, strength=Strength.STRONG if active else Strength.WEAK if weak else Strength.MEDIUM,
                                     attrs={"tool": tool, "wired": active, **({"refresh": "off"} if weak else {})})
        for path, line, tool in telemetry_configs(index):
            yield self.found("monitoring.infra", index, path, line, strength=Strength.MEDIUM, attrs={"tool": tool, "wired": False})
        for e in index.select(("**/*.tf",)):
            from mlscan.facts.monitor_configs import tf_monitors  # imported where Terraform is

            for b in ops.tf_blocks(index, e):
                for signal, tool in tf_monitors(b):
                    yield self.found(signal, index, e.path, b.line, strength=Strength.STRONG, attrs={"tool": tool, "wired": True})


def _lakehouse_refresh(index: FileIndex, create: ops.PyCall, calls: list[ops.PyCall]) -> str:
    """How a Lakehouse monitor created in code is refreshed: "schedule" (its own, on: the create call's ``schedule=``, or
    the data quality API's ``DataProfilingConfig(schedule=...)``), "job" (a scheduled job runs a refresh), "paused" (its
    schedule, or every job refreshing it, is paused) or "none" (nothing refreshes it)."""
    sched = ops.kwarg(create.node, "schedule") or (data_quality_schedule(calls) if data_quality_create(create) else None)
    if sched is not None and not (isinstance(sched, ast.Constant) and sched.value is None):
        from mlscan.facts.monitor_configs import lakehouse_schedule_paused

        return "paused" if lakehouse_schedule_paused(sched) else "schedule"
    jobs = refresh_jobs(index)
    return "job" if any(on for _p, _l, on in jobs) else "paused" if jobs else "none"


def _unattended(index: FileIndex, e: FileEntry) -> bool:
    """Does something run the module without a person: a CI job with an automatic trigger (a schedule, a push, another
    workflow) reaches it, or it (or the pipeline definition that runs it) declares a schedule that is set and on
    (``cron=``, ``schedule_interval="@daily"``, ``IntervalSchedule(...)``; not ``schedule=None``, ``"@once"`` or a
    paused one: the shared schedule fact)?"""
    chain = place(index, e).chain
    links = chain.split(" -> ") if chain else []
    root = links[0] if links else ""
    if root.startswith("ci ") and ":" in root:
        path, _, line = root[3:].rpartition(":")
        for job in ci_model(index).active_jobs():
            if job.path == path and job.triggers & AUTOMATIC and any(str(st.line) == line for st in job.steps):
                return True
    # the module and the code on the way to it (a pipeline definition, an orchestrator's DAG file that imports it)
    files = {e.path} | {x.rsplit(" ", 1)[-1].split(":", 1)[0] for x in links if not x.startswith("ci ")}
    from mlscan.facts.schedules import schedules_on  # imported where a module is not reached by CI

    return any(index.entry(f) is not None and schedules_on(index, f) for f in sorted(files))


def _selected_monitors(index: FileIndex, base: str) -> set[str]:
    """Monitor names the YAML configs under ``base`` select (``monitors: [data_drift]`` of a monitoring service's
    datasets)."""
    out: set[str] = set()
    for y in index.select((f"{base}/**/*.yml", f"{base}/**/*.yaml") if base else ("**/*.yml", "**/*.yaml")):
        if y.test or not index.contains(y.path, (b"monitors",)):
            continue
        todo: list[object] = list(index.yaml(y.path))
        while todo:
            d = todo.pop()
            if isinstance(d, dict):
                for k, v in d.items():
                    if k == "monitors" and isinstance(v, list):
                        out |= {x for x in v if isinstance(x, str)}
                    elif isinstance(v, (dict, list)):
                        todo.append(v)
            elif isinstance(d, list):
                todo += [x for x in d if isinstance(x, (dict, list))]
    return out


def _unselected_entries(index: FileIndex, e: FileEntry, tree: ast.AST) -> set[int]:
    """Monitor classes named in a lookup table (``{"data_drift": DataDriftMonitor, "cat_target_drift": ...}``) that the
    project's config does not select: the table names every monitor the library has, the config picks the ones that
    run. Empty when no config beside the code selects monitors (the table's entries then count as passed around)."""
    tables = [d for d in walk(tree) if isinstance(d, ast.Dict) and len(d.keys) > 1
              and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in d.keys)
              and all(isinstance(v, ast.Name) for v in d.values)]
    if not tables:
        return set()
    selected = _selected_monitors(index, e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else "")
    if not selected:
        return set()
    return {id(v) for d in tables for k, v in zip(d.keys, d.values, strict=True)
            if isinstance(k, ast.Constant) and k.value not in selected}


def _may_monitor(index: FileIndex, e: FileEntry) -> bool:
    """Can the file hold a call _classify reports? Decided on words and text, before any parse."""
    if index.mentions(e.path, NEEDLES):
        return True
    if index.mentions(e.path, UNIMPORTED_CALLS) and index.contains(e.path, UNIMPORTED_CALLS):
        return True
    if index.contains(e.path, ground_truth.NEEDLES) and index.contains(e.path, (b"predict",)):
        return True  # performance measured on stored ground truth (mlscan.facts.ground_truth)
    return may_log_predictions(index, e)


def _classify(c: ops.PyCall, al: dict[str, str], where: str, predicts: Callable[[], bool]) -> Iterator[tuple[str, str]]:
    q = c.qual
    # logged predictions count in code that makes predictions only (makes_predictions)
    if c.attr in ("info", "debug", "warning", "log") and where not in ("notebook", "test") and mentions_prediction(c) and predicts() and (
            q.startswith(("logging.", "loguru.", "structlog.")) or not q and c.text.split(".")[0] in ("logger", "log", "LOGGER", "_logger")):
        yield "monitoring.logging", "logging"
        return
    if not q:
        if c.attr == "emit" and ops.imports_module(al, "fluent") and mentions_prediction(c, strings=True) and predicts():
            yield "monitoring.logging", "fluentd"
        elif c.attr == "create_monitoring_schedule" and ops.imports_module(al, "boto3", "sagemaker"):
            yield "monitoring.model", "sagemaker-model-monitor"
        elif c.attr == "create" and "quality_monitors" in c.text or data_quality_create(c):
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
    if q == "azure.ai.ml.entities.MonitorDefinition":
        yield "monitoring.model", "azureml-monitor"
        if not c.has_kw("monitoring_signals"):  # basic monitoring: the default data drift, prediction drift and
            yield "monitoring.data_drift", "azureml-monitor"  # data quality signals on the deployment's collected data
            yield "monitoring.model_drift", "azureml-monitor"
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


# a metric that itself compares (a drift statistic, an anomaly count) or measures performance (on ground truth)
_COMPARING_METRIC = lazy_re(r"drift|psi\b|anomal|outlier|accura|f1|precision|recall|auc\b|rmse|\bmae\b|mse\b|error_rate", re.I)


def _prom_watched(index: FileIndex, c: ops.PyCall) -> bool:
    """Is a Prometheus metric of the model more than an exported distribution? Its name compares or measures
    performance, or an alert rule of the repository reads it."""
    name = ops.literal(c.node.args[0] if c.node.args else ops.kwarg(c.node, "name"))
    return isinstance(name, str) and (bool(_COMPARING_METRIC.search(name)) or alerted(index, name))


def _set_values(tree: ast.AST, c: ops.PyCall) -> list[ast.AST]:
    """The values the module sets or observes on the metric a Prometheus constructor call makes (``DRIFT = Gauge(...)``
    then ``DRIFT.set(v)``, ``DRIFT.labels(...).set(v)``, ``self.drift.observe(v)``); empty when it is not bound to a name."""
    at = (c.node.lineno, c.node.col_offset)
    target = next((t for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                   and (n.value.lineno, n.value.col_offset) == at for t in n.targets), None)
    name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
    out: list[ast.AST] = []
    for n in walk(tree) if name else ():
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("set", "observe") and n.args:
            owner = n.func.value
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) and owner.func.attr == "labels":
                owner = owner.func.value
            if (owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else "") == name:
                out.append(n.args[0])
    return out


def _model_column(c: ops.PyCall) -> int:
    """Where a monitor of both kinds watches the model: its prediction, label or target column argument
    (``MonitorInferenceLog(..., prediction_col="prediction", label_col=...)``), else the call."""
    kw = next((k for k in getattr(c.node, "keywords", ()) if k.arg and _MODEL_COLUMN.search(k.arg)), None)
    return kw.value.lineno if kw is not None else c.line


_MODEL_COLUMN = lazy_re(r"(?i)predict|label|target")


def _column_kind(c: ops.PyCall) -> str:
    col = ops.literal(ops.kwarg(c.node, "column_name") or ops.kwarg(c.node, "column") or (c.node.args[0] if c.node.args else None))
    return (M if re.search(r"predict|target|label|score", col, re.I) else D) if isinstance(col, str) else D




_READERS = frozenset({"read_csv", "read_parquet", "read_json", "read_excel", "read_table", "read_feather", "read_orc", "read_pickle",
                      "load_dataset", "from_csv", "from_parquet"})


def _placeholder_reads(tree: ast.AST) -> bool:
    """Does the module read its data only from locations still to be filled in (``pd.read_csv("s3://your-bucket/x.csv")``,
    ``<bucket>``, ``TODO``)? A module with one real location reads real data."""
    found = []
    for n in walk(tree):
        if isinstance(n, ast.Call) and (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")) in _READERS \
                and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
            found.append(placeholder_value(n.args[0].value))
    return bool(found) and all(found)
