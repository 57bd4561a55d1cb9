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


# ---------------------------------------------------------------- D1: a raw-ingestion component's per-run output

_KFP = """\
    from kfp import compiler, dsl
    from kfp.dsl import Dataset, Input, Model, Output, component


    @component(packages_to_install=["requests==2.32.3"])
    def fetch_raw(day: str, raw: Output[Dataset]) -> None:
        import requests

        with open(raw.path, "w") as f:
            f.write(requests.get(f"https://api.example.org/pools?day={day}").text)


    @component(packages_to_install=["pandas==2.1.4", "scikit-learn==1.3.2", "joblib==1.3.2"])
    def train_model(dataset: Input[Dataset], model: Output[Model]) -> None:
        import joblib
        import pandas as pd
        from sklearn.ensemble import IsolationForest

        frame = pd.read_json(dataset.path, lines=True)
        joblib.dump(IsolationForest().fit(frame), model.path)


    @dsl.pipeline(name="pools", pipeline_root="gs://acme-pipelines/root")
    def pools_pipeline(day: str) -> None:
        fetched = fetch_raw(day=day).set_display_name("Fetch")
        train_model(dataset=fetched.outputs["raw"])


    if __name__ == "__main__":
        compiler.Compiler().compile(pipeline_func=pools_pipeline, package_path="pools.json")
    """


def test_an_ingested_dataset_that_training_reads_is_the_data_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pools.py": _KFP})
    assert qs["D1"]["answer"] == "yes"
    assert qs["D1"]["evidence"][0]["path"] == "pipelines/pools.py"


def test_an_ingested_dataset_nothing_trains_on_is_no_data_version(tmp_path: Path) -> None:
    # the pipeline only fetches; training queries its source live in a step of its own
    live = _KFP.replace('''        fetched = fetch_raw(day=day).set_display_name("Fetch")
        train_model(dataset=fetched.outputs["raw"])''', '''        fetch_raw(day=day).set_display_name("Fetch")''')
    qs = _scan(tmp_path, {"pipelines/pools.py": live})
    assert qs["D1"]["answer"] == "partial"


def test_a_dataset_that_reaches_training_through_a_step_is_the_data_version(tmp_path: Path) -> None:
    chained = _KFP.replace('''        train_model(dataset=fetched.outputs["raw"])''', '''        clean = clean_rows(rows=fetched.outputs["raw"])
        train_model(dataset=clean.output)''')
    qs = _scan(tmp_path, {"pipelines/pools.py": chained})
    assert qs["D1"]["answer"] == "yes"


# ---------------------------------------------------------------- D4: a target-column presence check

_FLOW = """\
    import pandas as pd
    from prefect import flow, task
    from sklearn.ensemble import RandomForestClassifier


    @task
    def validate_schema(df: pd.DataFrame, target: str) -> pd.DataFrame:
{check}
        return df


    @task
    def train(df: pd.DataFrame, target: str) -> RandomForestClassifier:
        return RandomForestClassifier().fit(df.drop(columns=[target]), df[target])


    @flow
    def training_flow(path: str = "data/train.csv", target: str = "label") -> None:
        df = validate_schema(pd.read_csv(path), target)
        train(df, target)


    if __name__ == "__main__":
        training_flow()
    """
_PRESENCE = """\
        if target not in df.columns:
            raise ValueError(f"target column {target} not found")"""


def test_a_target_column_presence_check_is_not_data_validation(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"flows/train.py": _FLOW.format(check=_PRESENCE)})
    assert qs["D4"]["answer"] == "no"


def test_required_columns_listed_by_presence_are_not_data_validation(tmp_path: Path) -> None:
    check = """\
        missing = [c for c in ("age", "income", target) if c not in df.columns]
        if missing:
            raise ValueError(f"missing columns: {missing}")"""
    qs = _scan(tmp_path, {"flows/train.py": _FLOW.format(check=check)})
    assert qs["D4"]["answer"] == "no"


def test_a_check_of_the_values_beside_the_presence_check_is_data_validation(tmp_path: Path) -> None:
    check = _PRESENCE + """
        if df[target].isnull().any():
            raise ValueError("missing labels")"""
    qs = _scan(tmp_path, {"flows/train.py": _FLOW.format(check=check)})
    assert qs["D4"]["answer"] == "yes"
    assert qs["D4"]["evidence"][0]["path"] == "flows/train.py"
