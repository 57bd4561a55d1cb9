"""The causes of audit19's leads not shown and its wrong answer (issue #17, session 15), fixed generally. Each case scans a
small repository and checks the answer and its first evidence item; each near miss checks the other way.

- D2: a model call far from the logged data version no longer leads (the data line does; beside it, the model call leads);
- D1: a ``.dvc`` file versioning a configuration (``configs/model.yaml``) follows the one versioning data;
- D3: a monitoring DAG that only triggers retraining when a branch decides follows a DAG whose own tasks train, and of
  two findings of the same rank the one citing its edge (``a >> b``) leads the one citing only its ``with DAG(`` opener;
- M2: ``databricks bundle deploy`` of a bundle that declares no resources deploys nothing.
"""

from __future__ import annotations

from pathlib import Path

from mlscan.detectors.dvc_data import _tracks

from .test_evidence_deciding import _lead, _scan

_README = "# Spam\n\nRun `python src/train.py`.\n"

# ---------------------------------------------------------------- D2: the data line, unless the model call is beside it

_FAR = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def train(path):
        df = pd.read_csv(path)
        with mlflow.start_run():
            mlflow.log_input(mlflow.data.from_pandas(df, source=path), context="training")
            X, y = df[["a", "b"]], df["label"]
            model = LogisticRegression(max_iter=200)
            model.fit(X, y)
            accuracy = model.score(X, y)
            print("accuracy", accuracy)
            mlflow.log_metric("accuracy", accuracy)
            mlflow.log_param("rows", len(df))
            mlflow.log_param("columns", 2)
            mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="spam-detector")


    if __name__ == "__main__":
        train("data/train.csv")
    """


def test_d2_a_model_call_far_from_the_logged_data_follows_the_data_line(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _FAR, "README.md": _README})
    assert qs["D2"]["answer"] == "yes"
    assert _lead(qs["D2"]) == ("src/train.py", 9)  # mlflow.log_input(...): the version on the run, shown on its own
    assert ("src/train.py", 18) in [(e["path"], e["line"]) for e in qs["D2"]["evidence"]]  # the model call second


def test_d2_a_model_call_beside_the_logged_data_still_leads(tmp_path: Path) -> None:
    near = _FAR.replace('            mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="spam-detector")\n', "")
    near = near.replace('            X, y = df[["a", "b"]], df["label"]\n',
                        '            mlflow.sklearn.log_model(None, artifact_path="model", registered_model_name="spam-detector")\n'
                        '            X, y = df[["a", "b"]], df["label"]\n')
    qs = _scan(tmp_path, {"src/train.py": near, "README.md": _README})
    assert qs["D2"]["answer"] == "yes"
    # the model call with the logged data one line above it, both in the item (session 17: the item spans them)
    assert _lead(qs["D2"]) == ("src/train.py", 9) and qs["D2"]["evidence"][0]["end_line"] == 10
    assert "registered_model_name" in qs["D2"]["evidence"][0]["snippet"] and "log_input" in qs["D2"]["evidence"][0]["snippet"]


# ---------------------------------------------------------------- D1: data before a versioned configuration


def _dvc(path: str, md5: str) -> str:
    return f"outs:\n- md5: {md5}\n  size: 120\n  hash: md5\n  path: {path}\n"


_TRAIN_PY = """\
    import pandas as pd
    import yaml

    cfg = yaml.safe_load(open("configs/training.yaml"))
    df = pd.read_csv("data/train.csv")
    """


def test_d1_a_versioned_config_follows_versioned_data(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"configs/training.yaml.dvc": _dvc("training.yaml", "1" * 32), "data/train.csv.dvc": _dvc("train.csv", "2" * 32),
                          "src/train.py": _TRAIN_PY, "README.md": _README})
    assert qs["D1"]["answer"] == "yes"
    assert _lead(qs["D1"])[0] == "data/train.csv.dvc"  # was configs/training.yaml.dvc (path order)


def test_d1_a_json_data_set_is_data_not_config(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"configs/training.yaml.dvc": _dvc("training.yaml", "1" * 32), "data/records.json.dvc": _dvc("records.json", "2" * 32),
                          "src/train.py": _TRAIN_PY.replace("data/train.csv", "data/records.json"), "README.md": _README})
    assert _lead(qs["D1"])[0] == "data/records.json.dvc"
    assert _tracks([{"configs", "model", "yaml"}], ["configs/model.yaml"]) == "config"
    assert _tracks([{"data", "records", "json"}], ["data/records.json"]) == ""  # a JSON file is a config only by its name
    assert _tracks([{"configs", "config", "json"}], ["configs/config.json"]) == "config"
    assert _tracks([{"data", "train", "csv"}, {"configs", "model", "yaml"}], ["data/train.csv", "configs/model.yaml"]) == ""


# ---------------------------------------------------------------- D3: the DAG that trains, cited at its edge

_TRAIN_DAG = """\
    from datetime import datetime

    from airflow import DAG
    from airflow.operators.python import PythonOperator
    from sklearn.linear_model import LogisticRegression


    def load_data():
        return [[0], [1]], [0, 1]


    def train_model():
        X, y = load_data()
        LogisticRegression().fit(X, y)


    with DAG("train_model_dag", start_date=datetime(2024, 1, 1), schedule_interval=None, catchup=False) as dag:
        load_task = PythonOperator(task_id="load_data", python_callable=load_data)
        train_task = PythonOperator(task_id="train_model", python_callable=train_model)
        load_task >> train_task
    """

_MONITOR_DAG = """\
    from datetime import datetime

    import pandas as pd
    from airflow import DAG
    from airflow.operators.python import BranchPythonOperator, PythonOperator
    from airflow.operators.trigger_dagrun import TriggerDagRunOperator


    def check_thresholds():
        current = pd.read_csv("data/current.csv")
        return "trigger_retraining" if current["error"].mean() > 0.2 else "skip_retraining"


    def skip():
        return None


    with DAG("model_monitoring_dag", start_date=datetime(2024, 1, 1), schedule_interval="@weekly", catchup=False) as dag:
        check = BranchPythonOperator(task_id="check_thresholds", python_callable=check_thresholds)
        skip_retraining = PythonOperator(task_id="skip_retraining", python_callable=skip)
        trigger_retraining = TriggerDagRunOperator(task_id="trigger_retraining", trigger_dag_id="train_model_dag")
        check >> [skip_retraining, trigger_retraining]
    """


def test_d3_a_dag_whose_tasks_train_leads_a_monitoring_dag_that_triggers_retraining(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/train_dag.py": _TRAIN_DAG, "dags/monitor_dag.py": _MONITOR_DAG})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("dags/train_dag.py", 20)  # load_task >> train_task (was the monitoring DAG's branch edge)


def test_d3_a_monitoring_dag_alone_still_answers_and_leads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/monitor_dag.py": _MONITOR_DAG})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("dags/monitor_dag.py", 22)


def test_d3_of_two_training_dags_the_one_cited_at_its_edge_leads(tmp_path: Path) -> None:
    # a DAG cited only at its ``with DAG(`` opener (its tasks chained by ``chain()``, no edge line) sorts first by path
    opener_only = _TRAIN_DAG.replace("        load_task >> train_task\n", "        chain(load_task, train_task)\n").replace(
        "train_model_dag", "a_bias_mitigation_dag")
    qs = _scan(tmp_path, {"dags/a_bias_dag.py": opener_only, "dags/train_dag.py": _TRAIN_DAG})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("dags/train_dag.py", 20)


# ---------------------------------------------------------------- M2: a bundle that declares nothing deploys nothing

_CD = """\
    name: cd
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: databricks/setup-cli@v0.246.0
          - name: Deploy to Databricks
            run: databricks bundle deploy --target prd --var="git_sha=${{ github.sha }}"
    """

_EMPTY_BUNDLE = """\
    bundle:
      name: course-project

    targets:
      dev:
        mode: development
        default: true
        workspace:
          host: https://example.cloud.databricks.com
    """

_TRAINING_JOB = """\
    resources:
      jobs:
        training:
          name: training
          schedule:
            quartz_cron_expression: "0 0 6 ? * MON"
            timezone_id: UTC
          tasks:
            - task_key: train
              spark_python_task:
                python_file: ../src/train.py
    """


def test_m2_deploying_a_bundle_that_declares_nothing_is_no_deployment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/cd.yml": _CD, "databricks.yml": _EMPTY_BUNDLE, "src/train.py": "print(1)\n"})
    assert qs["M2"]["answer"] == "no"


def test_m2_deploying_a_bundle_with_resources_still_counts(tmp_path: Path) -> None:
    with_jobs = _EMPTY_BUNDLE + "\n    include:\n      - resources/*.yml\n"
    qs = _scan(tmp_path, {".github/workflows/cd.yml": _CD, "databricks.yml": with_jobs, "resources/training.yml": _TRAINING_JOB,
                          "src/train.py": "print(1)\n"})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == (".github/workflows/cd.yml", 12)
    target_resources = _EMPTY_BUNDLE.rstrip(" ") + "        resources:\n          jobs:\n            training:\n              name: training\n"
    qs = _scan(tmp_path / "b", {".github/workflows/cd.yml": _CD, "databricks.yml": target_resources, "src/train.py": "print(1)\n"})
    assert qs["M2"]["answer"] == "yes"


# ---------------------------------------------------------------- M4: a DAG edge is no comparison


def test_m4_deciding_line_is_a_comparison_not_a_dag_edge() -> None:
    import re

    from mlscan.scoring.rulepack import load_packs

    m4 = next(q for q in load_packs()["checklist20"].questions if q.id == "M4")
    rx = re.compile(str(m4.decisive[0]["line"]))
    assert rx.search("if new_r2 > current_r2:") and rx.search("if auc >= 0.8:") and rx.search("raise ValueError('below threshold')")
    assert not rx.search("load_data_task >> validate_task >> train_task >> decide_task")  # an Airflow edge
    assert not rx.search("train_task << load_task")


# ---------------------------------------------------------------- M2: the SDK call a CI-run program deploys with

_DEPLOY_WF = """\
    name: deploy
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Install
            run: pip install google-cloud-aiplatform
          - name: Deploy
            run: |
              echo "$KEY" > key.json
              python pipeline.py
    """

_VERTEX_DEPLOY = """\
    from google.cloud import aiplatform


    def main():
        aiplatform.init(project="demo", location="us-central1")
        model = aiplatform.Model.upload(display_name="m", artifact_uri="gs://bucket/models/m/",
                                        serving_container_image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest")
        endpoint = aiplatform.Endpoint.create(display_name="m-endpoint")
        model.deploy(endpoint=endpoint, machine_type="n1-standard-2")


    if __name__ == "__main__":
        main()
    """


def test_m2_a_ci_run_program_is_cited_at_its_deploying_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _DEPLOY_WF, "pipeline.py": _VERTEX_DEPLOY})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("pipeline.py", 9) and "model.deploy(" in lead["snippet"]  # was the CI line
    assert lead["chain"] and "deploy.yml" in lead["chain"][-1]  # how it is reached
    assert (".github/workflows/deploy.yml", 15) in [(e["path"], e["line"]) for e in qs["M2"]["evidence"]]  # the CI step second


def test_m2_a_ci_run_program_that_only_uploads_a_model_deploys_nothing(tmp_path: Path) -> None:
    upload_only = _VERTEX_DEPLOY.replace('        endpoint = aiplatform.Endpoint.create(display_name="m-endpoint")\n', "").replace(
        '        model.deploy(endpoint=endpoint, machine_type="n1-standard-2")\n', "")
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _DEPLOY_WF, "pipeline.py": upload_only})
    assert qs["M2"]["answer"] != "yes"


# ---------------------------------------------------------------- E4: a tracking server started beside a cron job

_SERVER_IMAGE = """\
    FROM python:3.11
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    CMD touch /var/log/cron.log && cron && tail -f /var/log/cron.log & mlflow server --host 0.0.0.0
    """


def test_e4_an_image_whose_shell_cmd_starts_a_tracking_server_in_the_background_is_the_server(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"mlflow-server/Dockerfile": _SERVER_IMAGE, "mlflow-server/requirements.txt": "mlflow\nboto3\n",
                          "src/train.py": "import mlflow\n"})
    assert qs["E4"]["answer"] != "yes"  # the tracking server's image, not the project's environment


def test_e4_an_image_that_only_echoes_the_words_is_the_project_environment(tmp_path: Path) -> None:
    echo = _SERVER_IMAGE.replace("& mlflow server --host 0.0.0.0", "&& python src/train.py && echo mlflow server is external")
    qs = _scan(tmp_path, {"Dockerfile": echo, "requirements.txt": "mlflow\nboto3\n", "src/train.py": "import mlflow\n"})
    assert qs["E4"]["answer"] == "yes"


# ---------------------------------------------------------------- a notebook's keyword argument, in the call it configures


def _notebook(*cells: str) -> str:
    import json

    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


_IMAGE_CELL = """\
import sagemaker

image_uri = sagemaker.image_uris.retrieve(
    framework="xgboost",
    region="us-east-1",
    version="1.0-1",
    py_version="py3",
    instance_type="ml.m5.xlarge",
)
"""


def test_a_notebook_keyword_argument_lead_reads_in_its_call(tmp_path: Path) -> None:
    from mlscan.evidence import leading_problem

    qs = _scan(tmp_path, {"pipeline.ipynb": _notebook(_IMAGE_CELL, "print(image_uri)\n")})
    assert qs["E4"]["answer"] == "yes"
    lead = qs["E4"]["evidence"][0]
    assert lead["snippet"] == 'version="1.0-1",'  # the deciding line stays cited
    assert lead["context"].startswith("in image_uri = sagemaker.image_uris.retrieve(")  # was '': a setting of what?
    assert leading_problem(lead) == ""


def test_a_notebook_statement_lead_gets_no_call_context(tmp_path: Path) -> None:
    one_line = 'import sagemaker\n\nimage_uri = sagemaker.image_uris.retrieve("xgboost", "us-east-1", "1.0-1")\n'
    qs = _scan(tmp_path, {"pipeline.ipynb": _notebook(one_line)})
    assert qs["E4"]["answer"] == "yes"
    assert not qs["E4"]["evidence"][0]["context"]


# ---------------------------------------------------------------- M1: why a Dagster schedule is off

_DAGSTER_DEFS = """\
    from dagster import AssetSelection, Definitions, ScheduleDefinition, asset, define_asset_job
    from sklearn.linear_model import LogisticRegression


    @asset(group_name="TrainingPhase")
    def training_data():
        return [[0], [1]], [0, 1]


    @asset(group_name="TrainingPhase")
    def trained_model(training_data):
        X, y = training_data
        return LogisticRegression().fit(X, y)


    training_job = define_asset_job("training_job", AssetSelection.groups("TrainingPhase"))
    train_schedule = ScheduleDefinition(job=training_job, cron_schedule="0 8 * * *")

    defs = Definitions(assets=[training_data, trained_model], schedules=[train_schedule])
    """


def test_m1_a_dagster_schedule_left_at_its_default_says_it_starts_stopped(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline/definitions.py": _DAGSTER_DEFS})
    assert qs["M1"]["answer"] == "partial"
    caveats = qs["M1"]["evidence"][0]["caveats"]
    assert any(c.startswith("stopped by default") for c in caveats)
    assert not any(c.startswith("not active") for c in caveats)  # the generic caveat gives way to the precise one


def test_m1_a_dagster_schedule_stopped_on_purpose_keeps_the_generic_caveat(tmp_path: Path) -> None:
    stopped = _DAGSTER_DEFS.replace('cron_schedule="0 8 * * *")', 'cron_schedule="0 8 * * *", default_status="STOPPED")')
    qs = _scan(tmp_path, {"pipeline/definitions.py": stopped})
    assert qs["M1"]["answer"] == "partial"
    caveats = qs["M1"]["evidence"][0]["caveats"]
    assert any(c.startswith("not active") for c in caveats) and not any(c.startswith("stopped by default") for c in caveats)


def test_e4_partial_leads_with_the_projects_floating_image_not_the_tracking_server(tmp_path: Path) -> None:
    project = "FROM python:latest\nWORKDIR /app\nRUN pip install pandas scikit-learn\nCMD [\"python\", \"src/train.py\"]\n"
    qs = _scan(tmp_path, {"mlflow-server/Dockerfile": _SERVER_IMAGE, "mlflow-server/requirements.txt": "mlflow\nboto3\n",
                          "project/Dockerfile": project, "src/train.py": "import mlflow\n"})
    assert qs["E4"]["answer"] == "partial"
    assert _lead(qs["E4"])[0] == "project/Dockerfile"  # was the tracking server's image (path order)
    from mlscan.ci import started_commands

    assert started_commands("cron && tail -f /var/log/cron.log & mlflow server --host 0.0.0.0 2>&1") == [
        "cron", "tail -f /var/log/cron.log", "mlflow server --host 0.0.0.0 2>&1"]
    assert started_commands("python serve.py &> /tmp/log || exit 1") == ["python serve.py &> /tmp/log", "exit 1"]


def test_a_question_accepting_the_generic_not_active_caveat_accepts_the_precise_one() -> None:
    from mlscan.evidence import caveats_of

    attrs = {"active": False, "stopped_by_default": True}
    assert caveats_of(attrs) and caveats_of(attrs)[0].startswith("stopped by default")
    assert caveats_of(attrs, capping=True, accepted=("active",)) == ()
    assert caveats_of({"active": False}, capping=True) == ("not active: disabled, commented out or a placeholder",)


# ---------------------------------------------------------------- a SageMaker pipeline in a notebook, cited at its own lines

_SM_CELLS = (
    "import sagemaker\n"
    "from sagemaker.inputs import TrainingInput\n"
    "from sagemaker.processing import ProcessingInput, ProcessingOutput\n"
    "from sagemaker.workflow.condition_step import ConditionStep\n"
    "from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo\n"
    "from sagemaker.workflow.fail_step import FailStep\n"
    "from sagemaker.workflow.functions import JsonGet\n"
    "from sagemaker.workflow.parameters import ParameterString\n"
    "from sagemaker.workflow.pipeline import Pipeline\n"
    "from sagemaker.workflow.steps import ProcessingStep, TrainingStep\n",
    'input_data = ParameterString(name="InputData", default_value="s3://bucket/raw/abalone.csv")\n'
    'step_process = ProcessingStep(\n'
    '    name="Preprocess",\n'
    '    processor=processor,\n'
    '    inputs=[ProcessingInput(source=input_data, destination="/opt/ml/processing/input")],\n'
    '    outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train")],\n'
    ')\n',
    'step_train = TrainingStep(\n'
    '    name="Train",\n'
    '    estimator=xgb_train,\n'
    '    inputs={"train": TrainingInput(\n'
    '        s3_data=step_process.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri,\n'
    '    )},\n'
    ')\n',
    'cond_lte = ConditionLessThanOrEqualTo(\n'
    '    left=JsonGet(step_name="Evaluate", property_file=evaluation_report, json_path="regression_metrics.mse.value"),\n'
    '    right=6.0,\n'
    ')\n'
    'step_cond = ConditionStep(name="CheckMSE", conditions=[cond_lte], if_steps=[step_register],\n'
    '                          else_steps=[FailStep(name="MSETooHigh")])\n'
    'pipeline = Pipeline(name="Abalone", parameters=[input_data], steps=[step_process, step_train, step_cond])\n'
    'pipeline.upsert(role_arn=role)\n',
)


def test_a_notebook_sagemaker_pipeline_is_cited_at_the_notebooks_own_lines(tmp_path: Path) -> None:
    nb = _notebook(*_SM_CELLS)
    qs = _scan(tmp_path, {"pipeline.ipynb": nb})
    lines = nb.splitlines()
    for qid, code in (("D3", "s3_data=step_process.properties"), ("M4", "cond_lte = ConditionLessThanOrEqualTo(")):
        assert qs[qid]["answer"] == "yes"
        lead = qs[qid]["evidence"][0]
        assert lead["path"] == "pipeline.ipynb" and code in lines[lead["line"] - 1]  # the JSON line holding that code
        assert code in lead["snippet"]


def test_a_script_sagemaker_pipeline_keeps_its_lines(tmp_path: Path) -> None:
    import textwrap

    src = "".join(_SM_CELLS)
    qs = _scan(tmp_path, {"pipeline.py": textwrap.indent(src, "    ")})
    lead = qs["M4"]["evidence"][0]
    assert (lead["path"], src.splitlines()[lead["line"] - 1]) == ("pipeline.py", "cond_lte = ConditionLessThanOrEqualTo(")
