"""The causes of the session-9 blind evidence audits (issue #17, session 10): a stricter question leads with its own
deciding fact, not its neighbour's line; the project's own environment leads before a saved model's generated one or an
auxiliary service's image; code that nothing runs ranks below code that something does. Each case scans a small
repository and checks the answer or its first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- E2: the metric a run logs, not E1's opener

_TRAIN_EVALUATE = """\
    import mlflow
    from sklearn.linear_model import LogisticRegression


    def evaluate(model, X, y):
        accuracy = model.score(X, y)
        mlflow.log_metric("accuracy", accuracy)
        return accuracy


    def main(X, y):
        mlflow.set_experiment("churn")
        with mlflow.start_run():
            mlflow.log_param("C", 1.0)
            model = LogisticRegression(C=1.0).fit(X, y)
            evaluate(model, X, y)


    if __name__ == "__main__":
        main(None, None)
    """


def test_e2_leads_with_the_metric_logged_in_a_helper_while_e1_leads_with_the_run(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN_EVALUATE})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("src/train.py", 7)
    assert 'log_metric("accuracy"' in qs["E2"]["evidence"][0]["snippet"]
    assert _lead(qs["E1"]) == ("src/train.py", 13)  # E1 still cites the run being opened


def test_e2_with_autolog_alone_still_leads_with_autolog(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": """\
        import mlflow
        from sklearn.linear_model import LogisticRegression

        def main(X, y):
            with mlflow.start_run():
                mlflow.autolog()
                LogisticRegression().fit(X, y)

        if __name__ == "__main__":
            main(None, None)
        """})
    assert qs["E2"]["answer"] == "yes"
    assert "autolog" in qs["E2"]["evidence"][0]["snippet"]


def test_e2_leads_with_the_module_logging_metrics_by_name_before_an_autolog_run_a_pipeline_reaches(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "dvc.yaml": "stages:\n  train:\n    cmd: python src/train_model.py\n    deps: [data/train.csv]\n    outs: [models/model.pkl]\n",
        "src/train_model.py": """\
            import mlflow
            from sklearn.ensemble import RandomForestClassifier

            mlflow.autolog()
            RandomForestClassifier().fit([[0]], [0])
            """,
        "src/train_forecaster.py": """\
            import mlflow
            from prophet import Prophet

            def train(df):
                with mlflow.start_run():
                    mlflow.autolog()
                    model = Prophet().fit(df)
                    mlflow.log_metrics({"rmse": 1.0, "mape": 0.1})

            if __name__ == "__main__":
                train(None)
            """,
    })
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("src/train_forecaster.py", 8)
    assert _lead(qs["E1"])[0] == "src/train_model.py"  # E1: the run a pipeline reaches


# ---------------------------------------------------------------- O2: the model's drift, not O1's monitor

_LAKEHOUSE = """\
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.catalog import MonitorInferenceLog, MonitorInferenceLogProblemType


    def create_monitor(workspace: WorkspaceClient, table: str, schema: str) -> None:
        workspace.quality_monitors.create(
            table_name=table,
            output_schema_name=schema,
            inference_log=MonitorInferenceLog(
                problem_type=MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION,
                prediction_col="prediction",
                timestamp_col="timestamp",
                granularities=["1 day"],
                label_col="label",
            ),
        )


    if __name__ == "__main__":
        create_monitor(WorkspaceClient(), "main.default.inference", "main.default")
    """


def test_o2_of_an_inference_table_monitor_leads_with_its_prediction_column(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/monitoring.py": _LAKEHOUSE})
    assert qs["O2"]["answer"] == "yes"
    assert _lead(qs["O2"]) == ("src/monitoring.py", 11)
    assert "prediction_col" in qs["O2"]["evidence"][0]["snippet"]
    assert _lead(qs["O1"]) != _lead(qs["O2"])


# ---------------------------------------------------------------- E4: the project's environment, not a side one

_MLMODEL = """\
    artifact_path: model
    flavors:
      python_function:
        env: {conda: conda.yaml, virtualenv: python_env.yaml}
        loader_module: mlflow.sklearn
        model_path: model.pkl
      sklearn: {pickled_model: model.pkl, sklearn_version: 1.3.0}
    mlflow_version: 2.10.0
    """
_MODEL_CONDA = """\
    channels: [conda-forge]
    dependencies:
    - python=3.11.4
    - pip:
      - mlflow==2.10.0
      - scikit-learn==1.3.0
    name: mlflow-env
    """
_PROJECT_REQS = "pandas==2.1.0\nscikit-learn==1.3.0\nmlflow==2.10.0\n"


def test_e4_leads_with_the_project_requirements_before_a_saved_models_environment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "models/best/MLmodel": _MLMODEL, "models/best/conda.yaml": _MODEL_CONDA,
        "models/best/requirements.txt": "mlflow==2.10.0\nscikit-learn==1.3.0\n",
        "requirements.txt": _PROJECT_REQS,
    })
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "requirements.txt"


def test_e4_reads_a_conda_file_without_a_saved_model_beside_it_as_the_projects(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"env/conda.yaml": _MODEL_CONDA, "models/best/MLmodel": _MLMODEL, "requirements.txt": _PROJECT_REQS})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "env/conda.yaml"  # a conda environment of the project, sorted first by path


_TRAIN_IMAGE = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\nCMD [\"python\", \"src/train.py\"]\n"


def test_e4_leads_with_the_training_image_before_the_tracking_ui_image(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "Dockerfile.mlflow": "FROM python:3.11\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\n"
                             "COPY entrypoint.sh /entrypoint.sh\nCMD [\"/entrypoint.sh\"]\n",
        "entrypoint.sh": "#!/bin/sh\nmlflow ui --backend-store-uri /mlflow --host 0.0.0.0 --port 8080\n",
        "Dockerfile.train": _TRAIN_IMAGE,
        "requirements.txt": "pandas\nscikit-learn\n",
        "src/train.py": "print('train')\n",
    })
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "Dockerfile.train"


def test_e4_leads_with_the_serving_image_before_a_monitoring_services(tmp_path: Path) -> None:
    service = "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY app.py .\n"
    qs = _scan(tmp_path, {
        "monitoring/evidently_service/Dockerfile": service + "CMD [\"python3\", \"-m\", \"flask\", \"run\"]\n",
        "monitoring/evidently_service/requirements.txt": "evidently==0.4.16\nflask==3.0.0\n",
        "serving/Dockerfile": service + "CMD [\"gunicorn\", \"app:app\"]\n",
        "serving/requirements.txt": "scikit-learn==1.3.0\nflask==3.0.0\ngunicorn==21.2.0\n",
    })
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "serving/Dockerfile"


def test_e4_with_only_an_auxiliary_image_still_answers_from_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"tracking/Dockerfile": "FROM ghcr.io/mlflow/mlflow:v2.10.0\nCMD [\"mlflow\", \"server\"]\n"})
    assert qs["E4"]["answer"] in ("yes", "partial")
    assert _lead(qs["E4"])[0] == "tracking/Dockerfile"
