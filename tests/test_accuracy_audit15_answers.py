"""Wrong answers of a blind evidence audit (issue #13, session 11), fixed generally: a Prometheus distribution of the
model's outputs exported for scraping is not monitoring until an alert rule reads it; a raw-ingestion component's
per-run output is the data version only when training reads it; one column's presence is no data validation. Each case
scans a small repository; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- O1: a prediction histogram exported for scraping

_SERVE = """\
    from fastapi import FastAPI
    from prometheus_client import Counter, Histogram, make_asgi_app

    app = FastAPI()
    app.mount("/metrics", make_asgi_app())
    REQUESTS = Counter("http_requests_total", "Requests")
    PREDICTED = Histogram("model_prediction_buckets", "Distribution of predicted buckets", buckets=[1, 2, 3, 4, 5])


    @app.post("/predict")
    def predict(x: list[float]) -> dict:
        REQUESTS.inc()
        bucket = 3
        PREDICTED.observe(bucket)
        return {"bucket": bucket}
    """
_DOCKERFILE = """\
    FROM python:3.11-slim
    COPY app app
    RUN pip install fastapi==0.110.0 uvicorn==0.29.0 prometheus-client==0.20.0
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
    """
_RULES = """\
    groups:
      - name: model
        rules:
          - alert: PredictionShift
            expr: histogram_quantile(0.5, rate({metric}_bucket[1h])) > 4
            for: 30m
            labels: {{severity: warning}}
            annotations: {{summary: "median predicted bucket moved"}}
    """
_DEPLOY = """\
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t ghcr.io/acme/api:${{ github.sha }} . && docker push ghcr.io/acme/api:${{ github.sha }}
          - run: kubectl set image deployment/api api=ghcr.io/acme/api:${{ github.sha }}
    """


def test_a_prediction_histogram_only_exported_is_not_model_monitoring(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/main.py": _SERVE, ".github/workflows/deploy.yml": _DEPLOY, "Dockerfile": _DOCKERFILE})
    assert qs["O1"]["answer"] == "partial"


def test_a_prediction_histogram_an_alert_rule_reads_is_model_monitoring(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/main.py": _SERVE, ".github/workflows/deploy.yml": _DEPLOY, "Dockerfile": _DOCKERFILE,
                          "prometheus/rules.yml": _RULES.format(metric="model_prediction_buckets")})
    assert qs["O1"]["answer"] == "yes"
    assert qs["O1"]["evidence"][0]["path"] == "app/main.py"


def test_an_alert_rule_on_another_metric_does_not_watch_the_histogram(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/main.py": _SERVE, ".github/workflows/deploy.yml": _DEPLOY, "Dockerfile": _DOCKERFILE,
                          "prometheus/rules.yml": _RULES.format(metric="model_prediction_latency_seconds")})
    assert qs["O1"]["answer"] == "partial"


def test_a_drift_gauge_compares_by_itself(tmp_path: Path) -> None:
    serve = _SERVE.replace('Histogram("model_prediction_buckets", "Distribution of predicted buckets", buckets=[1, 2, 3, 4, 5])',
                           'Histogram("prediction_drift_psi", "PSI of predictions against the training baseline")')
    qs = _scan(tmp_path, {"app/main.py": serve, ".github/workflows/deploy.yml": _DEPLOY, "Dockerfile": _DOCKERFILE})
    assert qs["O1"]["answer"] == "yes"
