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
