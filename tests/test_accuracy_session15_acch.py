"""Scanner errors found by reading platforms' own public samples (issue #13, session 15, branch accH), fixed generally:
a workshop whose notebooks are the whole project creates a SageMaker Model Monitor schedule on the endpoint it deploys
(O1), and a reusable GitHub workflow (``on: workflow_call``) that no workflow of the repository calls deploys nothing from
it (M2). Each case scans a small repository written the way the platforms' docs and samples write it; the near miss checks
the other way."""

from __future__ import annotations

import json
from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- O1: a workshop's monitoring notebook

# the SageMaker Model Monitor sequence of AWS's introductory notebook: deploy with data capture, baseline, hourly schedule
_DEPLOY = """\
from sagemaker.model_monitor import DataCaptureConfig
from sagemaker.tensorflow.model import TensorFlowModel
model = TensorFlowModel(model_data=model_path, role=role, framework_version="2.12")
predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=endpoint_name,
                         data_capture_config=DataCaptureConfig(enable_capture=True, sampling_percentage=100,
                                                               destination_s3_uri=s3_capture_upload_path))
"""
_BASELINE = """\
from sagemaker.model_monitor import DefaultModelMonitor
from sagemaker.model_monitor.dataset_format import DatasetFormat
my_default_monitor = DefaultModelMonitor(role=role, instance_count=1, instance_type="ml.m5.xlarge",
                                         volume_size_in_gb=20, max_runtime_in_seconds=3600)
my_default_monitor.suggest_baseline(baseline_dataset=baseline_data_uri + "/training-dataset-with-header.csv",
                                    dataset_format=DatasetFormat.csv(header=True), output_s3_uri=baseline_results_uri,
                                    wait=True)
"""
_SCHEDULE = """\
from sagemaker.model_monitor import CronExpressionGenerator
my_default_monitor.create_monitoring_schedule(monitor_schedule_name=mon_schedule_name, endpoint_input=predictor.endpoint,
                                              output_s3_uri=s3_report_path,
                                              statistics=my_default_monitor.baseline_statistics(),
                                              constraints=my_default_monitor.suggested_constraints(),
                                              schedule_cron_expression=CronExpressionGenerator.hourly(),
                                              enable_cloudwatch_metrics=True)
"""
_TRAIN = """\
from sagemaker.tensorflow import TensorFlow
estimator = TensorFlow(entry_point="train.py", source_dir="code", role=role, instance_count=1,
                       instance_type="ml.c5.2xlarge", framework_version="2.12", py_version="py310",
                       output_path=f"s3://{bucket}/models")
estimator.fit({"train": train_s3, "test": test_s3})
"""


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _workshop(monitor: str, **extra: str) -> dict[str, str]:
    return {"README.md": "# MLOps workshop\n\nRun the labs in order.\n",
            "labs/01_train/01_train.ipynb": _notebook(_TRAIN),
            "labs/01_train/code/train.py": "import tensorflow as tf\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
            "labs/02_model_monitor/02_model_monitor.ipynb": monitor, **extra}


def test_o1_workshop_notebook_schedules_model_monitor_on_its_endpoint(tmp_path: Path) -> None:
    q = _scan(tmp_path, _workshop(_notebook(_DEPLOY, _BASELINE, _SCHEDULE)))["O1"]
    assert q["answer"] == "yes"
    assert q["evidence"][0]["path"] == "labs/02_model_monitor/02_model_monitor.ipynb"
    assert "create_monitoring_schedule" in q["evidence"][0]["snippet"]


def test_o1_near_miss_labs_beside_the_project_package(tmp_path: Path) -> None:
    # the same notebook in a labs folder beside a package that does the project's work: exploration, not the workflow
    files = _workshop(_notebook(_DEPLOY, _BASELINE, _SCHEDULE),
                      **{"churn/__init__.py": "", "churn/train.py": "from sklearn.linear_model import LogisticRegression\n"
                         "model = LogisticRegression().fit(X, y)\n"})
    assert _scan(tmp_path, files)["O1"]["answer"] != "yes"


def test_o1_near_miss_workshop_baseline_without_schedule(tmp_path: Path) -> None:
    # a baseline suggested and never scheduled on the endpoint: nothing watches the deployed model
    assert _scan(tmp_path, _workshop(_notebook(_DEPLOY, _BASELINE)))["O1"]["answer"] != "yes"


# ---------------------------------------------------------------- M2: a reusable workflow nothing here calls

# the Azure ML online deployment step as the platform's GitHub Actions samples write it, in a reusable workflow
_REUSABLE = """\
name: deploy-online-endpoint
on:
  workflow_call:
    inputs:
      endpoint_name:
        required: true
        type: string
      deployment_file:
        required: true
        type: string
{extra}jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: azure/login@v2
        with:
          creds: ${{{{ secrets.AZURE_CREDENTIALS }}}}
      - run: az extension add -n ml -y
      - name: create online deployment
        run: az ml online-deployment create --name blue --endpoint-name ${{{{ inputs.endpoint_name }}}} -f ${{{{ inputs.deployment_file }}}} --all-traffic
"""
_CALLER = """\
name: deploy-model
on:
  push:
    branches: [main]
jobs:
  deploy:
    uses: ./.github/workflows/deploy-online-endpoint.yml
    with:
      endpoint_name: taxi-fare
      deployment_file: deploy/blue-deployment.yml
    secrets: inherit
"""
_DEPLOYMENT_YML = """\
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: taxi-fare
model: azureml:taxi-model@latest
instance_type: Standard_DS3_v2
instance_count: 1
"""


def _m2(tmp_path: Path, files: dict[str, str]) -> dict:
    return _scan(tmp_path, {"README.md": "# taxi\n", "deploy/blue-deployment.yml": _DEPLOYMENT_YML, **files})["M2"]


def test_m2_reusable_workflow_called_from_a_push_workflow(tmp_path: Path) -> None:
    q = _m2(tmp_path, {".github/workflows/deploy-online-endpoint.yml": _REUSABLE.format(extra=""),
                       ".github/workflows/deploy-model.yml": _CALLER})
    assert q["answer"] == "yes"
    assert not any("never runs from this repository" in c for e in q["evidence"] for c in e["caveats"])


def test_m2_reusable_workflow_also_dispatched_by_hand(tmp_path: Path) -> None:
    # a fully scripted deploy dispatched by hand counts (conventions); workflow_call beside it changes nothing
    q = _m2(tmp_path, {".github/workflows/deploy-online-endpoint.yml": _REUSABLE.format(extra="  workflow_dispatch:\n")})
    assert q["answer"] == "yes"


def test_m2_near_miss_reusable_workflow_nothing_calls(tmp_path: Path) -> None:
    # a template library of reusable workflows that other repositories call: nothing deploys from this one
    q = _m2(tmp_path, {".github/workflows/deploy-online-endpoint.yml": _REUSABLE.format(extra="")})
    assert q["answer"] != "yes"
    assert any("never runs from this repository" in c for e in q["evidence"] for c in e["caveats"])


# ---------------------------------------------------------------- M4: a KFP condition on a component's returned metric

# a KFP v2 training component returning its accuracy (its single output, ``task.output`` / ``task.outputs["Output"]``),
# and a pipeline uploading the model to the Vertex AI Model Registry only above a threshold, as Vertex AI's pipeline
# samples write it
_TRAIN_COMPONENT = """\
from kfp.dsl import Dataset, Input, Model, Output, component


@component(packages_to_install=["pandas", "scikit-learn", "xgboost"])
def train_xgboost(dataset: Input[Dataset], model: Output[Model]) -> float:
    import pandas as pd
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split
    from xgboost import XGBClassifier
    df = pd.read_csv(dataset.path)
    x_train, x_test, y_train, y_test = train_test_split(df.drop(columns=["label"]), df["label"])
    clf = XGBClassifier().fit(x_train, y_train)
    {ret}
    clf.save_model(model.path + ".bst")
    return {value}
"""
_UPLOAD_COMPONENT = """\
from kfp.dsl import Input, Model, component


@component(packages_to_install=["google-cloud-aiplatform"])
def upload_model(project: str, location: str, model: Input[Model]):
    from google.cloud import aiplatform
    aiplatform.init(project=project, location=location)
    aiplatform.Model.upload(display_name="churn", artifact_uri=model.uri.rsplit("/", 1)[0],
                            serving_container_image_uri="europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest")
"""
_DATA_COMPONENT = """\
from kfp.dsl import Dataset, Output, component


@component(packages_to_install=["pandas", "google-cloud-bigquery"])
def load_data(table: str, dataset: Output[Dataset]):
    from google.cloud import bigquery
    bigquery.Client().query(f"SELECT * FROM `{table}`").to_dataframe().to_csv(dataset.path, index=False)
"""
_PIPELINE = """\
from kfp import dsl

from components.data import load_data
from components.train import train_xgboost
from components.upload import upload_model


@dsl.pipeline(name="churn-training", pipeline_root="gs://my-bucket/pipeline-root")
def pipeline(project: str, location: str, table: str = "my_project.churn.customers"):
    data = load_data(table=table)
    train = train_xgboost(dataset=data.outputs["dataset"])
    with dsl.Condition({test}, name="upload-if-good-enough"):
        upload_model(project=project, location=location, model=train.outputs["model"])
"""


def _kfp(tmp_path: Path, test: str, value: str = "accuracy", ret: str = "accuracy = accuracy_score(y_test, clf.predict(x_test))") -> dict:
    return _scan(tmp_path, {
        "README.md": "# churn\n",
        "components/__init__.py": "",
        "components/data.py": _DATA_COMPONENT,
        "components/train.py": _TRAIN_COMPONENT.replace("{ret}", ret).replace("{value}", value),
        "components/upload.py": _UPLOAD_COMPONENT,
        "pipeline.py": _PIPELINE.replace("{test}", test),
    })["M4"]


def test_m4_kfp_condition_on_a_component_returning_its_accuracy(tmp_path: Path) -> None:
    q = _kfp(tmp_path, 'train.outputs["Output"] >= 0.7')
    assert q["answer"] == "yes"
    assert (q["evidence"][0]["path"], "0.7" in q["evidence"][0]["snippet"]) == ("pipeline.py", True)
    assert any(e["path"] == "components/train.py" and "return accuracy" in e["snippet"] for e in q["evidence"])


def test_m4_kfp_condition_on_task_output_of_a_metric_call(tmp_path: Path) -> None:
    q = _kfp(tmp_path, "train.output > 0.8", value="float(accuracy_score(y_test, clf.predict(x_test)))", ret="pass")
    assert q["answer"] == "yes"


def test_m4_near_miss_kfp_condition_on_a_returned_row_count(tmp_path: Path) -> None:
    # the component returns how many rows it trained on: a size, not a metric
    q = _kfp(tmp_path, 'train.outputs["Output"] >= 1000', value="n_rows", ret="n_rows = len(x_train)")
    assert q["answer"] != "yes"


def test_m4_near_miss_kfp_condition_equality_on_a_returned_metric(tmp_path: Path) -> None:
    # an equality on the metric decides nothing by threshold
    assert _kfp(tmp_path, 'train.outputs["Output"] == 0.7')["answer"] != "yes"
