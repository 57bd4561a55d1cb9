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
    qs = _scan(tmp_path, {"src/train.py": _TRAIN_EVALUATE, "README.md": "# Churn\n\nRun `python src/train.py`.\n"})
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
        """, "README.md": "# Churn\n\nTrain with `python src/train.py`.\n"})
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
    from databricks.sdk.service.catalog import MonitorCronSchedule, MonitorInferenceLog, MonitorInferenceLogProblemType


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
            # (refreshed on its own schedule: a monitor nothing refreshes watches nothing in operation, session 14 accD)
            schedule=MonitorCronSchedule(quartz_cron_expression="0 0 6 * * ?", timezone_id="UTC"),
        )


    if __name__ == "__main__":
        create_monitor(WorkspaceClient(), "main.default.inference", "main.default")
    """


def test_o2_of_an_inference_table_monitor_leads_with_its_prediction_column(tmp_path: Path) -> None:
    # (session 14: a Lakehouse monitor counts only when something refreshes it: here its own schedule; without one it is
    # not monitoring in operation)
    qs = _scan(tmp_path, {"src/monitoring.py": _LAKEHOUSE, "README.md": "# Monitoring\n\n`python src/monitoring.py`\n"})
    assert qs["O2"]["answer"] == "yes"
    assert _lead(qs["O2"]) == ("src/monitoring.py", 11)
    assert "prediction_col" in qs["O2"]["evidence"][0]["snippet"]
    assert _lead(qs["O1"]) != _lead(qs["O2"])
    unscheduled = _LAKEHOUSE.replace('            schedule=MonitorCronSchedule(quartz_cron_expression="0 0 6 * * ?", timezone_id="UTC"),\n', "")
    qs = _scan(tmp_path / "unscheduled", {"src/monitoring.py": unscheduled, "README.md": "# Monitoring\n\n`python src/monitoring.py`\n"})
    assert qs["O2"]["answer"] != "yes"


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


# ---------------------------------------------------------------- code nothing runs, imports or names

_RUN = """\
    import argparse

    import sagemaker
    from sagemaker.estimator import Estimator


    def main(role, bucket):
        image = sagemaker.image_uris.retrieve(framework="xgboost", region="eu-west-1", version="1.7-1")
        xgb = Estimator(image_uri=image, role=role, instance_count=1, instance_type="ml.m5.xlarge",
                        output_path=f"s3://{bucket}/models")
        xgb.fit({"train": f"s3://{bucket}/train"})


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--role")
        parser.add_argument("--bucket")
        main(**vars(parser.parse_args()))
    """


def test_a_script_nothing_runs_imports_or_names_is_caveated(tmp_path: Path) -> None:
    # shown, not capping: a script may be run by hand (E4 and T2 do not ask that something runs it)
    qs = _scan(tmp_path, {"model/run.py": _RUN, "README.md": "# Churn model\n\nTrains the churn model on SageMaker.\n"})
    for q in ("E4", "T2"):
        assert qs[q]["answer"] == "yes", q
        assert any(c.startswith("unreached") for c in qs[q]["evidence"][0]["caveats"])


def test_a_script_a_build_spec_or_the_readme_runs_is_reached(tmp_path: Path) -> None:
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - python model/run.py --role $ROLE --bucket $BUCKET\n"
    built = _scan(tmp_path / "spec", {"model/run.py": _RUN, "buildspec.yml": spec})
    documented = _scan(tmp_path / "doc", {"model/run.py": _RUN,
                                          "README.md": "# Churn\n\n```bash\npython model/run.py --role R --bucket B\n```\n"})
    for qs in (built, documented):
        assert qs["T2"]["answer"] == "yes"
        assert not qs["T2"]["evidence"][0]["caveats"]


def test_a_monitor_named_only_by_a_disabled_template_answers_o1_partial(tmp_path: Path) -> None:
    handler = """\
        import boto3

        def lambda_handler(event, context):
            sm = boto3.client("sagemaker")
            return sm.create_monitoring_schedule(MonitoringScheduleName=event["name"], MonitoringScheduleConfig=event["config"])
        """
    template = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: monitoring_schedule.lambda_handler\n"
    off = _scan(tmp_path / "off", {"custom_resource/monitoring_schedule.py": handler, "custom_resource/template.yml.txt": template})
    on = _scan(tmp_path / "on", {"custom_resource/monitoring_schedule.py": handler, "custom_resource/template.yml": template})
    assert off["O1"]["answer"] == "partial"  # O1 asks for a monitor of the deployed model: code nothing runs watches none
    assert any(c.startswith("unreached") for c in off["O1"]["evidence"][0]["caveats"])
    assert on["O1"]["answer"] == "yes"


def test_code_something_runs_leads_before_a_copy_nothing_runs(tmp_path: Path) -> None:
    train = """\
        import mlflow
        from sklearn.linear_model import LogisticRegression

        def main(X, y):
            with mlflow.start_run():
                model = LogisticRegression().fit(X, y)
                mlflow.log_metric("accuracy", model.score(X, y))

        if __name__ == "__main__":
            main(None, None)
        """
    qs = _scan(tmp_path, {
        "a_old/train_copy.py": train,
        "src/train.py": train,
        ".github/workflows/train.yml": "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                        "      - uses: actions/checkout@v4\n      - run: python src/train.py\n",
    })
    assert qs["E1"]["answer"] == "yes" and qs["E2"]["answer"] == "yes"
    assert _lead(qs["E1"])[0] == "src/train.py"
    assert _lead(qs["E2"])[0] == "src/train.py"


# ---------------------------------------------------------------- T1: a README step that cannot run

_README_DOCKER = """\
    # Churn

    ## Getting started

    1. Build the image:

    ```
    docker build -t churn .
    ```

    2. Create a volume and run it:

    ```
    docker volume create mlflow_data
    docker run -v mlflow_data:/mlflow -p 5000:5000 churn
    ```

    ## CI/CD workflow

    ```
    name: Deploy
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        steps:
          - run: |
              pip install -r requirements.txt
    ```

    ## Running the scripts

    ```
    python src/train.py
    ```
    """


def test_t1_skips_a_docker_build_whose_context_has_no_dockerfile_and_a_pasted_workflow(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_DOCKER, "Dockerfile.train": _TRAIN_IMAGE, "src/train.py": "print('train')\n",
                          "requirements.txt": "pandas==2.1.0\n"})
    assert qs["T1"]["evidence"][0]["path"] == "README.md"
    assert "python src/train.py" in qs["T1"]["evidence"][0]["snippet"]


def test_t1_cites_a_docker_build_whose_dockerfile_is_there(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_DOCKER, "Dockerfile": _TRAIN_IMAGE, "src/train.py": "print('train')\n",
                          "requirements.txt": "pandas==2.1.0\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 8)
    assert "docker build -t churn ." in qs["T1"]["evidence"][0]["snippet"]


# ---------------------------------------------------------------- M3: a CI test step naming a test that does not exist

_UNIT = ("import unittest\n\nfrom src.train import score\n\n\nclass TestForecaster(unittest.TestCase):\n"
         "    def test_fit(self):\n        self.assertGreater(score([1.0, 2.0]), 0.5)\n")


def _ci(command: str) -> str:
    return ("on: {push: {branches: [main]}}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: actions/checkout@v4\n      - run: {command}\n")


def test_m3_is_partial_when_the_unittest_target_names_no_test_of_the_repository(tmp_path: Path) -> None:
    files = {"tests/__init__.py": "", "tests/test_train_model.py": _UNIT, "src/__init__.py": "",
             "src/train.py": "def score(xs):\n    return sum(xs) / len(xs)\n"}
    missing = _scan(tmp_path / "missing", {**files, ".github/workflows/ci.yml": _ci("python -m unittest tests.TestModel.test_train_model")})
    present = _scan(tmp_path / "present", {**files, ".github/workflows/ci.yml": _ci("python -m unittest tests.test_train_model.TestForecaster")})
    assert missing["M3"]["answer"] == "partial"
    assert any(c.startswith("missing script") for c in missing["M3"]["evidence"][0]["caveats"])
    assert present["M3"]["answer"] == "yes"


# ---------------------------------------------------------------- the audit counts stricter questions led by their base


def test_evidence_audit_counts_a_stricter_question_led_by_its_base_questions_item() -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("evidence_audit", Path(__file__).resolve().parent.parent / "scripts" / "evidence_audit.py")
    assert spec is not None and spec.loader is not None
    audit = importlib.util.module_from_spec(spec)
    sys.modules["evidence_audit"] = audit  # its dataclasses look their module up
    try:
        spec.loader.exec_module(audit)
    finally:
        del sys.modules["evidence_audit"]

    def item(q: str, path: str, line: int) -> object:
        return audit.Item("repo", Path("."), q, "?", {"path": path, "line": line}, "", False, [])

    items = [item("E1", "src/train.py", 12), item("E2", "src/train.py", 12), item("O1", "mon.py", 4), item("O2", "mon.py", 9)]
    assert [(i.question, base) for i, base in audit.borrowed_leads(items)] == [("E2", "E1")]
