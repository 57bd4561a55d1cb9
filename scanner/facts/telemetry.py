"""Service telemetry configured outside code: Prometheus scrape configs, ServiceMonitors/PodMonitors, telemetry
containers (Prometheus, Grafana, Alertmanager, exporters, Jaeger, OpenTelemetry collectors, Loki) in Kubernetes or
compose files, configs carried in ConfigMaps, Azure App Insights switches. Infrastructure monitoring, not model
monitoring."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.facts.ops import YAML_GLOBS, embedded_docs, k8s_docs, walk_dicts
from mlscan.index import FileIndex

from ..lazyre import lazy_re

_TELEMETRY_IMAGES = lazy_re(r"(^|/)(prometheus|grafana|alertmanager|node-exporter|pushgateway|jaeger|otel[-\w]*|loki)(:|$)")
# what a file needs beside ``image:`` for _telemetry to find something in it: a telemetry image's name as written (the
# pattern above), or a ServiceMonitor/PodMonitor (kubeflow/pipelines: 295 files naming an image parsed for none)
_TELEMETRY_WORDS = (b"prometheus", b"grafana", b"alertmanager", b"node-exporter", b"pushgateway", b"jaeger", b"otel", b"loki",
                    b"ServiceMonitor", b"PodMonitor")


def telemetry_configs(index: FileIndex) -> Iterator[tuple[str, int, str]]:
    """One (path, line, tool) per file configuring service telemetry: Prometheus scrape configs,
    ServiceMonitors, telemetry containers in Kubernetes/compose, App Insights switches."""
    seen: set[str] = set()
    for e, doc in k8s_docs(index):
        docs = [(doc, 0)] + [(d, off) for _k, d, off in embedded_docs(doc)] if doc.get("kind") in ("ConfigMap", "Secret") else [(doc, 0)]
        for d, off in docs:
            hit = _telemetry(d)
            if hit and e.path not in seen:
                seen.add(e.path)
                yield e.path, hit[0] + off, hit[1]
    for e in index.select(YAML_GLOBS):
        # (a Helm chart's template is read as before: rendered without values it may not parse, and the report says so)
        if e.path in seen or not (index.contains(e.path, (b"scrape_configs", b"appInsightsEnabled")) or index.contains(e.path, (b"image:",))
                                  and (index.contains(e.path, _TELEMETRY_WORDS) or index.chart_dir(e.path) is not None)):
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
    for d in walk_dicts(doc):
        image = d.get("image")
        if isinstance(image, str) and _TELEMETRY_IMAGES.search(image.split("@")[0]):
            return d.line_of("image"), _TELEMETRY_IMAGES.search(image).group(2)
    return None


# a PromQL metric name, and the series a client library exports for one metric (a histogram's ``_bucket``/``_sum``/
# ``_count``, a counter's ``_total``)
_PROMQL_NAME = lazy_re(r"[A-Za-z_:][A-Za-z0-9_:]*")
_SERIES_SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")


def alerted_metrics(index: FileIndex) -> frozenset[str]:
    """Metric names an alert rule of the repository reads in its PromQL ``expr`` (Prometheus rule files, PrometheusRule
    resources, rules carried in ConfigMaps), with each exported series' suffix dropped too: a metric something watches."""
    return index.memo("telemetry.alerted_metrics", lambda: frozenset(_alerted(index)))


def _alerted(index: FileIndex) -> Iterator[str]:
    for e in index.select(YAML_GLOBS):
        if not (index.contains(e.path, (b"alert",)) and index.contains(e.path, (b"expr",))):
            continue
        for doc in index.yaml(e.path):
            docs = [doc] + [d for _k, d, _off in embedded_docs(doc)] if isinstance(doc, dict) else [doc]
            for d in (x for top in docs for x in walk_dicts(top)):
                expr = d.get("expr")
                if "alert" in d and isinstance(expr, str):
                    for name in _PROMQL_NAME.findall(expr):
                        yield name
                        yield from (name[: -len(s)] for s in _SERIES_SUFFIXES if name.endswith(s))


def alerted(index: FileIndex, metric: str) -> bool:
    """Does an alert rule of the repository read this exported metric (``model_predictions`` as ``model_predictions_total``)?"""
    names = alerted_metrics(index)
    return metric in names or any(metric + s in names for s in _SERIES_SUFFIXES)
