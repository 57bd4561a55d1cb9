"""The leads session 13's final blind samples judged not shown or not informative (issue #17, session 14, branch evidD).
Each cause is rebuilt from how the platforms write these files (GitHub's deploy actions, the Databricks SDK's Lakehouse
Monitoring ``quality_monitors.create``, Databricks asset bundle job tasks), never from the blind repositories; each has
a near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mlscan.evidence import deciding_line, leading_problem, with_dependent
from mlscan.model import Evidence

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M2: a step condition is not what the step does

_SERVE = """\
    import joblib
    from fastapi import FastAPI

    app = FastAPI()
    model = joblib.load("model.pkl")


    @app.post("/predict")
    def predict(x: dict) -> dict:
        return {"y": model.predict([list(x.values())]).tolist()}
    """

# Azure's "Deploy a container to an Azure Web App" starter, with the deploy skipped on pull requests
_WEBAPP_DEPLOY = """\
    name: build-and-deploy
    on:
      push:
        branches: [main]
      pull_request:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Deploy to Azure Web App
            id: deploy-to-webapp
            if: github.event_name != 'pull_request'
            uses: azure/webapps-deploy@v2
            with:
              app-name: churn-api
              publish-profile: ${{ secrets.AZURE_WEBAPP_PUBLISH_PROFILE }}
              images: myregistry.azurecr.io/churn-api:${{ github.sha }}
    """


def test_m2_leads_with_the_deploy_action_not_the_step_condition(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {".github/workflows/deploy.yml": _WEBAPP_DEPLOY, "src/serve.py": _SERVE})
    m2 = qs["M2"]
    assert m2["answer"] == "yes"
    lead = m2["evidence"][0]
    assert (lead["path"], lead["line"]) == (".github/workflows/deploy.yml", 15)
    assert lead["snippet"].startswith("uses: azure/webapps-deploy@v2")
    assert not leading_problem(lead)


def test_a_condition_cited_on_purpose_stays() -> None:
    """Near miss: an item a detector cites at the ``if:`` itself (the flag a gated deploy job runs on) is that line."""
    lines = ["- name: Deploy", "  if: needs.evaluate.outputs.is_better == 'true'", "  run: ./deploy.sh"]
    assert deciding_line(lines, 2, ".github/workflows/cd.yml") == 2
    assert deciding_line(lines, 1, ".github/workflows/cd.yml") == 3  # from the step's name: past the condition


def test_leading_problem_names_a_step_condition() -> None:
    assert leading_problem({"path": ".github/workflows/cd.yml", "snippet": "if: github.event_name != 'pull_request'\nwith:"})
    assert leading_problem({"path": "azure-pipelines.yml", "snippet": "condition: eq(variables['Build.SourceBranch'], 'refs/heads/main')"})
    # near misses: a Python comparison, a GitLab rule item, a Markdown sentence
    assert not leading_problem({"path": "src/evaluate.py", "snippet": "if auc < MIN_AUC:"})
    assert not leading_problem({"path": ".gitlab-ci.yml", "snippet": '- if: $CI_COMMIT_BRANCH == "main"'})
    assert not leading_problem({"path": "README.md", "snippet": "if: you want to deploy, run make deploy"})


# ---------------------------------------------------------------- O2: a keyword argument is cited with its call

# the Databricks SDK's Lakehouse Monitoring quick start (``w.quality_monitors.create`` with ``MonitorInferenceLog``)
_MONITOR = """\
    \"\"\"Create a Lakehouse Monitoring inference-log monitor on the model's inference table.\"\"\"
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.catalog import MonitorCronSchedule, MonitorInferenceLog, MonitorInferenceLogProblemType


    def main(catalog: str, schema: str) -> None:
        w = WorkspaceClient()
        w.quality_monitors.create(
            table_name=f"{catalog}.{schema}.churn_inference",
            assets_dir=f"/Workspace/Shared/lakehouse_monitoring/{catalog}.{schema}.churn_inference",
            output_schema_name=f"{catalog}.{schema}",
            inference_log=MonitorInferenceLog(
                problem_type=MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION,
                prediction_col="prediction",
                timestamp_col="timestamp",
                granularities=["1 day"],
                model_id_col="model_version",
                label_col="churned",
            ),
            schedule=MonitorCronSchedule(quartz_cron_expression="0 0 6 * * ?", timezone_id="UTC"),
        )


    if __name__ == "__main__":
        main("ml", "churn")
    """

_MONITOR_CI = """\
    name: monitoring
    on:
      push:
        branches: [main]
    jobs:
      monitor:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install databricks-sdk==0.20.0
          - run: python monitoring/create_monitor.py
    """


def test_o2_cites_the_monitor_create_call_with_its_prediction_column(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"monitoring/create_monitor.py": _MONITOR, ".github/workflows/monitor.yml": _MONITOR_CI})
    o2 = qs["O2"]
    assert o2["answer"] == "yes"
    lead = o2["evidence"][0]
    # the deciding line (the predictions the monitor profiles) in the call it configures (O2's line hint), the monitor's
    # creation beside it (O1 leads with that)
    assert (lead["path"], lead["line"]) == ("monitoring/create_monitor.py", 14)
    assert lead["snippet"].splitlines()[0].strip() == 'prediction_col="prediction",'
    assert lead["context"].startswith("in w.quality_monitors.create(")
    assert not leading_problem(lead)
    assert leading_problem({**lead, "snippet": 'prediction_col="prediction",', "context": ""})
    assert any(e["line"] == 8 and e["snippet"].startswith("w.quality_monitors.create(") for e in o2["evidence"][1:])
    assert _lead(qs["O1"]) != _lead(o2)


def test_keyword_argument_check_and_near_misses() -> None:
    assert leading_problem({"path": "m.py", "snippet": 'prediction_col="prediction",'})
    # near misses: an assignment (spaces around ``=``), a call on one line, an argument shown with its call
    assert not leading_problem({"path": "m.py", "snippet": "predictor = model.deploy(instance_type='ml.c5.xlarge',"})
    assert not leading_problem({"path": "m.py", "snippet": "explainer = shap.TreeExplainer(model=regressor)"})
    assert not leading_problem({"path": "m.py", "snippet": 'w.quality_monitors.create(\n    prediction_col="prediction",'})
    assert not leading_problem({"path": "m.py", "snippet": 'prediction_col="prediction",', "context": "in w.quality_monitors.create(...)"})


def test_a_keyword_argument_is_read_in_its_call() -> None:
    """``_focus_one``'s context for a keyword argument line: the statement's call and the nested one holding it; near
    misses: an assignment, a call opened on a line with other arguments (no opener of its own)."""
    from mlscan.evidence import _keyword_item

    lines = textwrap.dedent(_MONITOR).splitlines()
    e = Evidence("m.py", 14, lines[13], "monitoring.python")
    assert _keyword_item(lines, e, 14).context == "in w.quality_monitors.create(inference_log=MonitorInferenceLog(...))"
    assert _keyword_item(lines, e, 7) is None  # ``w = WorkspaceClient()``: a statement
    one_line = [ln.replace("create(", "create(table_name=t,") if ln.strip() == "w.quality_monitors.create(" else ln for ln in lines]
    one_line = [ln for ln in one_line if not ln.strip().startswith("table_name=")]
    at = next(i for i, ln in enumerate(one_line, 1) if "prediction_col" in ln)
    assert _keyword_item(one_line, Evidence("m.py", at, one_line[at - 1], "t"), at) is None


# ---------------------------------------------------------------- D3: a task's dependency, with the task that waits

# a Databricks asset bundle job as `databricks bundle init` templates write them (resources/*.yml)
_BUNDLE = """\
    bundle:
      name: churn

    include:
      - resources/*.yml

    targets:
      dev:
        default: true
        workspace:
          host: https://adb-1234567890.12.azuredatabricks.net
    """

_JOB = """\
    resources:
      jobs:
        model_training_job:
          name: churn-model-training
          job_clusters:
            - job_cluster_key: train_cluster
              new_cluster:
                spark_version: 15.3.x-cpu-ml-scala2.12
                node_type_id: i3.xlarge
                num_workers: 2
          tasks:
            - task_key: "preprocessing"
              job_cluster_key: train_cluster
              notebook_task:
                notebook_path: ../notebooks/Preprocess.py
            - task_key: "train"
              job_cluster_key: train_cluster
              depends_on:
                - task_key: "preprocessing"
              notebook_task:
                notebook_path: ../notebooks/Train.py
                base_parameters:
                  experiment_name: /Shared/churn-experiment
    """

_PREPROCESS = """\
    # Databricks notebook source
    df = spark.read.table("raw.churn_events")
    features = df.groupBy("customer_id").count()
    features.write.mode("overwrite").saveAsTable("ml.churn_features")
    """

_TRAIN = """\
    # Databricks notebook source
    import mlflow
    from sklearn.ensemble import RandomForestClassifier

    df = spark.read.table("ml.churn_features").toPandas()
    with mlflow.start_run():
        model = RandomForestClassifier().fit(df.drop(columns=["churn"]), df["churn"])
        mlflow.log_metric("acc", model.score(df.drop(columns=["churn"]), df["churn"]))
        mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    """


def test_d3_cites_the_dependency_with_the_task_that_waits(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"databricks.yml": _BUNDLE, "resources/model-workflow.yml": _JOB,
                                "notebooks/Preprocess.py": _PREPROCESS, "notebooks/Train.py": _TRAIN})
    d3 = qs["D3"]
    assert d3["answer"] == "yes"
    lead = d3["evidence"][0]
    assert _lead(d3) == ("resources/model-workflow.yml", 16)
    assert lead["end_line"] == 19
    assert lead["snippet"].splitlines() == ['- task_key: "train"', "  depends_on:", '    - task_key: "preprocessing"']
    assert lead["context"] == "resources.jobs.model_training_job.tasks[train].depends_on: preprocessing"
    assert not leading_problem(lead)


@pytest.mark.parametrize(("text", "line"), [
    # the task itself under ``tasks:`` is no reference to another one
    ("tasks:\n  - task_key: \"train\"\n    notebook_task:\n      notebook_path: t.py\n", 2),
    # a list of mappings under another key (a job's clusters)
    ("job_clusters:\n  - job_cluster_key: c\n", 2),
])
def test_a_task_or_other_list_item_is_no_dependency(text: str, line: int) -> None:
    lines = text.splitlines()
    e = Evidence("resources/job.yml", line, lines[line - 1].strip(), "databricks.job")
    assert with_dependent(lines, e, line) is None


def test_leading_problem_names_a_bare_step_reference() -> None:
    assert leading_problem({"path": "resources/job.yml", "snippet": '- task_key: "preprocessing"'})
    assert not leading_problem({"path": "resources/job.yml", "snippet": '- task_key: "train"\n  depends_on:\n    - task_key: "preprocessing"'})
    assert not leading_problem({"path": "azure-pipelines.yml", "snippet": "- task: AzureCLI@2"})  # an Azure step is a step


# ---------------------------------------------------------------- E4: an image lookup cited at the version it pins

# the SageMaker Python SDK's built-in algorithm image (``sagemaker.image_uris.retrieve``), as its abalone pipeline sample does
_SM_PIPELINE = """\
    \"\"\"SageMaker pipeline: train an XGBoost model.\"\"\"
    import sagemaker
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import TrainingStep


    def get_pipeline(region: str, role: str, bucket: str) -> Pipeline:
        session = sagemaker.session.Session()
        image_uri = image_uris.retrieve(
            framework="xgboost",
            region=region,
            version="1.0-1",
            py_version="py3",
            instance_type="ml.m5.xlarge",
        )
        xgb_train = Estimator(image_uri=image_uri, instance_type="ml.m5.xlarge", instance_count=1,
                              output_path=f"s3://{bucket}/model", sagemaker_session=session, role=role)
        step_train = TrainingStep(name="Train", estimator=xgb_train,
                                  inputs={"train": TrainingInput(s3_data=f"s3://{bucket}/train", content_type="text/csv")})
        return Pipeline(name="abalone", steps=[step_train], sagemaker_session=session)
    """

_SM_RUN = """\
    from pipelines.pipeline import get_pipeline

    if __name__ == "__main__":
        p = get_pipeline("eu-west-1", "arn:aws:iam::123456789012:role/sm", "my-bucket")
        p.upsert(role_arn="arn:aws:iam::123456789012:role/sm")
        p.start()
    """


def test_e4_cites_the_version_an_image_lookup_pins(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"pipelines/pipeline.py": _SM_PIPELINE, "pipelines/run_pipeline.py": _SM_RUN})
    e4 = qs["E4"]
    assert e4["answer"] == "yes"
    lead = e4["evidence"][0]
    assert _lead(e4) == ("pipelines/pipeline.py", 15)
    assert lead["snippet"].strip() == 'version="1.0-1",'
    assert lead["context"] == "in image_uri = image_uris.retrieve(...)"
    assert not leading_problem(lead)


def test_e4_an_image_lookup_without_a_version_is_cited_at_the_call(tmp_path: Path) -> None:
    """Near miss: no version asked for (the latest image): nothing pins it, the lookup itself is cited, not yes."""
    latest = _SM_PIPELINE.replace('            version="1.0-1",\n', "")
    qs = _scan(tmp_path / "r", {"pipelines/pipeline.py": latest, "pipelines/run_pipeline.py": _SM_RUN})
    e4 = qs["E4"]
    assert e4["answer"] != "yes"
    assert _lead(e4) == ("pipelines/pipeline.py", 12)


# ---------------------------------------------------------------- M3: the step that runs the suite, not its preparation

_UTIL_TEST = """\
    import argparse
    import json

    from src.models import build

    MODELS = ["resnet18", "vit_b_16"]


    def check_model(name):
        model = build(name)
        assert model.num_classes == 10, name


    if __name__ == "__main__":
        ap = argparse.ArgumentParser()
        ap.add_argument("--save_model_list", action="store_true")
        args = ap.parse_args()
        if args.save_model_list:
            json.dump(MODELS, open("tests/models.json", "w"))
    """

_TESTS = """\
    import json

    from src.models import build


    def test_build_every_model():
        for name in json.load(open("tests/models.json")):
            assert build(name).num_classes == 10
    """

_MODELS = """\
    class Model:
        def __init__(self, name):
            self.name = name
            self.num_classes = 10


    def build(name):
        return Model(name)
    """

_CI = """\
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - name: Save model list
            run: python tests/util_test.py --save_model_list
          - name: Test
            run: pytest
    """


def _m3_repo(ci: str) -> dict[str, str]:
    return {".github/workflows/ci.yml": ci, "tests/util_test.py": _UTIL_TEST, "tests/test_models.py": _TESTS,
            "src/models.py": _MODELS, "requirements.txt": "torch==2.1.0\n"}


def test_m3_leads_with_the_test_runner_not_the_test_data_preparation(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", _m3_repo(_CI))
    m3 = qs["M3"]
    assert m3["answer"] == "yes"
    assert _lead(m3) == (".github/workflows/ci.yml", 12)
    assert m3["evidence"][0]["snippet"].strip() == "run: pytest"


def test_m3_a_test_file_run_directly_still_leads_alone(tmp_path: Path) -> None:
    """Near miss: with no test runner in CI, the test file CI runs directly is the evidence (and still a yes)."""
    qs = _scan(tmp_path / "r", _m3_repo(_CI.replace("          - name: Test\n            run: pytest\n", "")))
    m3 = qs["M3"]
    assert m3["answer"] == "yes"
    assert _lead(m3) == (".github/workflows/ci.yml", 10)


# ---------------------------------------------------------------- M4: the comparison before the registration it gates

# MLflow's champion/challenger idiom: the production version's metric read from the registry, the new run registered
# only when a predicate says it is better
_CHALLENGER = """\
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score

    MODEL_NAME = "churn"


    def production_f1(client: MlflowClient) -> float:
        versions = client.get_latest_versions(MODEL_NAME, stages=["Production"])
        if not versions:
            return 0.0
        return client.get_run(versions[0].run_id).data.metrics["f1"]


    def is_better(new_f1: float, old_f1: float) -> bool:
        return new_f1 > old_f1


    def main() -> None:
        train = pd.read_csv("data/train.csv")
        test = pd.read_csv("data/test.csv")
        client = MlflowClient()
        with mlflow.start_run() as run:
            model = RandomForestClassifier().fit(train.drop(columns=["y"]), train["y"])
            f1 = f1_score(test["y"], model.predict(test.drop(columns=["y"])))
            mlflow.log_metric("f1", f1)
            mlflow.sklearn.log_model(model, "model")
            model_improved = is_better(f1, production_f1(client))
            if model_improved:
                mlflow.register_model(
                    f"runs:/{run.info.run_id}/model",
                    MODEL_NAME,
                )


    if __name__ == "__main__":
        main()
    """

_TRAIN_CI = """\
    name: train
    on:
      push:
        branches: [main]
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: python src/train.py
    """


def test_m4_leads_with_the_verdict_not_the_registration_it_gates(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"src/train.py": _CHALLENGER, ".github/workflows/train.yml": _TRAIN_CI, "requirements.txt": "mlflow==2.9.2\n"})
    m4 = qs["M4"]
    assert m4["answer"] == "yes"
    assert _lead(m4) == ("src/train.py", 30)
    assert m4["evidence"][0]["snippet"].strip() == "model_improved = is_better(f1, production_f1(client))"
    assert any("register_model" in e["snippet"] for e in m4["evidence"][1:])  # the registration it gates, beside it


def test_m4_a_predicate_called_in_the_if_is_cited_there(tmp_path: Path) -> None:
    """Near miss: the verdict asked in the ``if`` itself: that line decides (no assignment above to move to)."""
    inline = _CHALLENGER.replace("            model_improved = is_better(f1, production_f1(client))\n", "").replace(
        "if model_improved:", "if is_better(f1, production_f1(client)):")
    qs = _scan(tmp_path / "r", {"src/train.py": inline, ".github/workflows/train.yml": _TRAIN_CI, "requirements.txt": "mlflow==2.9.2\n"})
    m4 = qs["M4"]
    assert m4["answer"] == "yes"
    assert _lead(m4) == ("src/train.py", 30)
    assert m4["evidence"][0]["snippet"].strip() == "if is_better(f1, production_f1(client)):"


# ---------------------------------------------------------------- M2: a bundle deploy of jobs vs the model's promotion

# a Databricks asset bundle whose jobs train and promote the model (MLflow's stage transition), a serving app that loads
# ``models:/churn/Production`` on reload, and CI that runs ``databricks bundle deploy`` (Databricks' bundle CI/CD docs)
_BUNDLE_DEPLOY = {
    "databricks.yml": """\
        bundle:
          name: churn
        include:
          - resources/*.yml
        targets:
          prod:
            workspace:
              host: https://adb-1234567890.12.azuredatabricks.net
        """,
    "resources/jobs.yml": """\
        resources:
          jobs:
            training_job:
              name: churn-training
              tasks:
                - task_key: train
                  spark_python_task:
                    python_file: ../src/train.py
                - task_key: promote
                  depends_on:
                    - task_key: train
                  spark_python_task:
                    python_file: ../src/promote.py
              schedule:
                quartz_cron_expression: "0 0 5 * * ?"
                timezone_id: UTC
        """,
    "src/train.py": """\
        import mlflow
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        df = pd.read_parquet("/dbfs/data/churn.parquet")
        with mlflow.start_run():
            model = LogisticRegression().fit(df.drop(columns=["y"]), df["y"])
            mlflow.log_metric("acc", model.score(df.drop(columns=["y"]), df["y"]))
            mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
        """,
    "src/promote.py": """\
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        latest = client.get_latest_versions("churn", stages=["None"])[0]
        client.transition_model_version_stage("churn", latest.version, "Production", archive_existing_versions=True)
        """,
    "app/serve.py": """\
        import mlflow
        import pandas as pd
        from fastapi import FastAPI

        app = FastAPI()
        state = {}


        @app.post("/reload")
        def reload() -> dict:
            state["model"] = mlflow.pyfunc.load_model("models:/churn/Production")
            return {"ok": True}


        @app.post("/predict")
        def predict(rows: list[dict]) -> list[float]:
            return state["model"].predict(pd.DataFrame(rows)).tolist()
        """,
    ".github/workflows/deploy.yml": """\
        name: deploy bundle
        on:
          push:
            branches: [main]
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: databricks/setup-cli@main
              - name: Deploy bundle
                run: databricks bundle deploy -t prod
                env:
                  DATABRICKS_TOKEN: ${{ secrets.DATABRICKS_TOKEN }}
        """,
}


def test_m2_leads_with_the_promotion_serving_loads_not_the_bundle_deploy_of_jobs(tmp_path: Path) -> None:
    m2 = _scan(tmp_path / "r", _BUNDLE_DEPLOY)["M2"]
    assert m2["answer"] == "yes"
    assert _lead(m2) == ("src/promote.py", 5)
    assert any("bundle deploy" in e["snippet"] for e in m2["evidence"][1:])


def test_m2_a_bundle_that_declares_a_serving_endpoint_leads_with_its_deploy(tmp_path: Path) -> None:
    """Near misses: a bundle with a model serving endpoint ships the model itself; a bundle deploy alone still answers."""
    endpoint = """\
        resources:
          model_serving_endpoints:
            churn_endpoint:
              name: churn
              config:
                served_entities:
                  - entity_name: ml.churn.churn_model
                    entity_version: "3"
                    workload_size: Small
                    scale_to_zero_enabled: true
        """
    m2 = _scan(tmp_path / "a", {**_BUNDLE_DEPLOY, "resources/serving.yml": endpoint})["M2"]
    assert m2["answer"] == "yes"
    assert _lead(m2) == (".github/workflows/deploy.yml", 12)
    alone = {k: v for k, v in _BUNDLE_DEPLOY.items() if k not in ("src/promote.py", "app/serve.py")}
    m2 = _scan(tmp_path / "b", alone)["M2"]
    assert m2["answer"] == "yes"
    assert _lead(m2) == (".github/workflows/deploy.yml", 12)


# ---------------------------------------------------------------- T1: the page's quick start before another set-up step

_T1_README = """\
    # churn-bot

    A bot that retrains the churn model and comments on pull requests.

    ## Setup

    ### 1. Build the Lambda layer

    The GitHub client runs in a Lambda layer; build it with:

    ```bash
    pip install pygithub -t layer/python
    ```

    ## Quick start

    ```bash
    bash scripts/setup.sh
    python src/train.py --config configs/train.yaml
    ```
    """

_T1_FILES = {"scripts/setup.sh": "#!/bin/sh\npip install -r requirements.txt\n", "src/train.py": "import sklearn\nprint('train')\n",
             "requirements.txt": "scikit-learn==1.4.0\n"}


def test_t1_leads_with_the_quick_start_not_a_lambda_layer_install(tmp_path: Path) -> None:
    t1 = _scan(tmp_path / "r", {"README.md": _T1_README, **_T1_FILES})["T1"]
    assert t1["answer"] == "yes"
    assert _lead(t1) == ("README.md", 18)
    assert t1["evidence"][0]["snippet"].strip() == "bash scripts/setup.sh"


def test_t1_a_topic_s_own_setup_subsection_does_not_lead(tmp_path: Path) -> None:
    """Near miss: a "Setup" nested under a topic ("IaC > Setup", third heading level) is not the page's quick start: the
    page's first set-up step (building the image) keeps the lead."""
    readme = """\
        ## Code snippets

        ### Building and running Docker images

        ```bash
        docker build -t churn-model:v2 .
        docker run -it --rm -p 8080:8080 churn-model:v2
        ```

        ### IaC

        #### Setup

        ```shell
        aws configure
        terraform init
        ```
        """
    t1 = _scan(tmp_path / "r", {"README.md": readme, "Dockerfile": "FROM python:3.11-slim\nCOPY . .\n", **_T1_FILES})["T1"]
    assert t1["answer"] == "yes"
    assert _lead(t1) == ("README.md", 6)


# ---------------------------------------------------------------- D3: the project's flow before a playground flow

_FLOW = """\
    import pandas as pd
    from prefect import flow, task
    from sklearn.linear_model import LogisticRegression


    @task
    def load(path: str) -> pd.DataFrame:
        return pd.read_csv(path)


    @task
    def featurize(df: pd.DataFrame) -> pd.DataFrame:
        return df.dropna()


    @task
    def train(df: pd.DataFrame) -> LogisticRegression:
        return LogisticRegression().fit(df.drop(columns=["y"]), df["y"])


    @flow
    def training_flow(path: str = "data/raw/churn.csv") -> None:
        raw = load(path)
        features = featurize(raw)
        train(features)


    if __name__ == "__main__":
        training_flow()
    """

_PLAYGROUND = """\
    import numpy as np
    import pandas as pd
    from prefect import flow, task
    from sklearn.linear_model import LogisticRegression


    @task
    def make_data(n: int) -> pd.DataFrame:
        x = np.random.rand(n, 3)
        return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 2] > 0.5).astype(int)})


    @task
    def train(df: pd.DataFrame) -> LogisticRegression:
        return LogisticRegression().fit(df.drop(columns=["y"]), df["y"])


    @flow
    def playground(n: int = 100) -> None:
        df = make_data(n)
        train(df)


    if __name__ == "__main__":
        playground()
    """


@pytest.mark.parametrize("name", ["flows/flow_playground.py", "flows/demo_flow.py"])
def test_d3_leads_with_the_project_flow_not_a_playground(tmp_path: Path, name: str) -> None:
    d3 = _scan(tmp_path / "r", {"flows/training_flow.py": _FLOW, name: _PLAYGROUND})["D3"]
    assert d3["answer"] == "yes"
    assert d3["evidence"][0]["path"] == "flows/training_flow.py"


def test_d3_a_flow_named_for_its_stage_is_product(tmp_path: Path) -> None:
    """Near miss: names that merely contain the letters (``demographics_flow.py``) are the project's flows: path order."""
    d3 = _scan(tmp_path / "r", {"flows/training_flow.py": _FLOW, "flows/demographics_flow.py": _PLAYGROUND})["D3"]
    assert d3["evidence"][0]["path"] == "flows/demographics_flow.py"


# ---------------------------------------------------------------- E1: a tracker behind a switch nobody sets

_GUARDED = """\
    import sys

    import pandas as pd
    import yaml
    from sklearn.linear_model import LogisticRegression
    from torch.utils.tensorboard import SummaryWriter


    class Config:
        def __init__(self, values: dict) -> None:
            self.__dict__.update(values)


    def load_config(path: str) -> Config:
        with open(path) as f:
            return Config(yaml.safe_load(f))


    def main(cfg: Config) -> None:
        df = pd.read_csv(cfg.train_csv)
        model = LogisticRegression(C=cfg.c).fit(df.drop(columns=["y"]), df["y"])
        acc = model.score(df.drop(columns=["y"]), df["y"])
        if cfg.tensorboard:
            writer = SummaryWriter(cfg.log_dir)
            writer.add_hparams({"C": cfg.c}, {"accuracy": acc})
            writer.add_scalar("train/accuracy", acc)


    if __name__ == "__main__":
        main(load_config(sys.argv[1]))
    """

_CONFIG = "train_csv: data/train.csv\nc: 1.0\nlog_dir: runs\n"


def test_e1_a_tracker_behind_an_unset_switch_is_partial_with_the_guard_shown(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"src/train.py": _GUARDED, "train.yaml": _CONFIG})
    e1 = qs["E1"]
    assert e1["answer"] == "partial"
    caveat = next(c for c in e1["evidence"][0]["caveats"] if c.startswith("optional"))
    assert "cfg.tensorboard" in caveat
    assert qs["E2"]["answer"] == "yes"  # runs are comparable once someone switches it on (E2 accepts opt-in trackers)


@pytest.mark.parametrize("variant", ["configured", "unconditional", "rank"])
def test_e1_a_switch_the_project_sets_or_no_switch_stays_yes(tmp_path: Path, variant: str) -> None:
    """Near misses: the project's config switches it on (wired), the writer runs always, or the ``if`` picks the process
    that logs (``rank == 0``), not whether anything is logged."""
    code, config = _GUARDED, _CONFIG
    if variant == "configured":
        config += "tensorboard: true\n"
    elif variant == "unconditional":
        code = code.replace("        if cfg.tensorboard:\n", "        if True:\n")
    else:
        code = code.replace("if cfg.tensorboard:", "if cfg.rank == 0:")
    e1 = _scan(tmp_path / "r", {"src/train.py": code, "train.yaml": config})["E1"]
    assert e1["answer"] == "yes"
    assert not any(c.startswith("optional") for c in e1["evidence"][0]["caveats"])


# ---------------------------------------------------------------- E2: autolog set up just above E1's run

# MLflow's autolog quick start: autolog switched on, then the run opened around the fit
_AUTOLOG = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LinearRegression


    def train(df: pd.DataFrame) -> None:
        mlflow.autolog()
        # fit in a tracked run
        with mlflow.start_run() as run:
            model = LinearRegression().fit(df.drop(columns=["y"]), df["y"])
            print(run.info.run_id, model.score(df.drop(columns=["y"]), df["y"]))


    if __name__ == "__main__":
        train(pd.read_csv("data/train.csv"))
    """


def test_e2_cites_autolog_above_the_run_e1_cites(tmp_path: Path) -> None:
    qs = _scan(tmp_path / "r", {"src/train.py": _AUTOLOG, ".github/workflows/train.yml": _TRAIN_CI})
    assert qs["E1"]["answer"] == "yes" and qs["E2"]["answer"] == "yes"
    assert _lead(qs["E1"]) == ("src/train.py", 9)
    assert _lead(qs["E2"]) == ("src/train.py", 7)  # what logs the metrics the runs are compared by


def test_e2_autolog_further_up_is_not_the_run_s_set_up(tmp_path: Path) -> None:
    """Near miss: a statement between them: only the statement right above a ``with`` is read as its set-up."""
    code = _AUTOLOG.replace("        # fit in a tracked run\n", "        df = df.dropna()\n")
    qs = _scan(tmp_path / "r", {"src/train.py": code, ".github/workflows/train.yml": _TRAIN_CI})
    assert _lead(qs["E2"]) == _lead(qs["E1"]) == ("src/train.py", 9)
