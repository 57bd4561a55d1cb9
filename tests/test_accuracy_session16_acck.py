"""Scanner errors found by reading platforms' own public samples (issue #13, session 16, branch accK), fixed generally.
Each case scans a small repository written the way the platform's docs write it; the near misses check the other way.

M1, Flyte: a launch plan's schedule runs only once the plan is activated. Flyte's scheduling docs activate it with
``flytectl update launchplan -p <project> -d <domain> <plan> --version <v> --activate`` (the plan's name and version
come between ``launchplan`` and ``--activate``), which the scanner missed; a schedule handed over through ``**KWARGS``
was not seen at all."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M1: Flyte launch plans activated by flytectl

_WORKFLOW = """\
import pandas as pd
from flytekit import CronSchedule, LaunchPlan, task, workflow
from sklearn.linear_model import LogisticRegression


@task
def get_data(url: str) -> pd.DataFrame:
    return pd.read_csv(url)


@task
def train_model(data: pd.DataFrame) -> LogisticRegression:
    model = LogisticRegression()
    model.fit(data.drop(columns=["target"]), data["target"])
    return model


@workflow
def training_workflow(url: str) -> LogisticRegression:
    data = get_data(url=url)
    return train_model(data=data)


{plan}
"""
_PLAN = """\
training_lp = LaunchPlan.get_or_create(
    workflow=training_workflow,
    name="training_lp",
    default_inputs={"url": "https://example.org/data.csv"},
    schedule=CronSchedule(schedule="0 3 * * *"),
)
"""
_SPREAD = """\
CRON = CronSchedule(schedule="0 * * * *", kickoff_time_input_arg="kickoff_time")
LP_KWARGS = {"schedule": CRON, "default_inputs": {"url": "https://example.org/data.csv"}}
for region in ("eu", "us"):
    LaunchPlan.get_or_create(workflow=training_workflow, name=f"{region}_training_lp", **LP_KWARGS)
"""
_ACTIVATE = """\
#!/bin/bash
version=$(git rev-parse HEAD)
flytectl -c .flyte/config.yaml \\
    update launchplan \\
    -p flytesnacks -d development \\
    training_lp --version "$version" {flag}
"""


def _flyte(plan: str, script: str | None, project: str = "", script_project: str = "") -> dict[str, str]:
    files = {"README.md": "# Training on Flyte\n", f"{project}requirements.txt": "flytekit\npandas\nscikit-learn\n",
             f"{project}workflows/training.py": _WORKFLOW.format(plan=plan)}
    if script is not None:
        files[f"{script_project}scripts/activate-launch-plans.sh"] = script
    return files


def test_m1_flyte_schedule_activated_by_flytectl_update_launchplan(tmp_path: Path) -> None:
    q = _scan(tmp_path, _flyte(_PLAN, _ACTIVATE.format(flag="--activate")))["M1"]
    assert q["answer"] == "yes"
    assert q["evidence"][0]["path"] == "workflows/training.py"


def test_m1_flyte_schedule_through_a_kwargs_dict(tmp_path: Path) -> None:
    q = _scan(tmp_path, _flyte(_SPREAD, _ACTIVATE.format(flag="--activate")))["M1"]
    assert q["answer"] == "yes"


def test_m1_flyte_activation_in_the_projects_own_scripts(tmp_path: Path) -> None:
    files = _flyte(_PLAN, _ACTIVATE.format(flag="--activate"), project="projects/forecast/", script_project="projects/forecast/")
    assert _scan(tmp_path, files)["M1"]["answer"] == "yes"


def test_m1_near_miss_flyte_schedule_never_activated(tmp_path: Path) -> None:
    assert _scan(tmp_path, _flyte(_PLAN, None))["M1"]["answer"] != "yes"


def test_m1_near_miss_flyte_launch_plan_archived(tmp_path: Path) -> None:
    assert _scan(tmp_path, _flyte(_PLAN, _ACTIVATE.format(flag="--archive")))["M1"]["answer"] != "yes"


def test_m1_near_miss_flyte_activation_of_another_project(tmp_path: Path) -> None:
    # a monorepo of projects: one project's script activates its own plans, not a sibling's schedule
    files = _flyte(_PLAN, _ACTIVATE.format(flag="--activate"), project="projects/forecast/", script_project="projects/music/")
    assert _scan(tmp_path, files)["M1"]["answer"] != "yes"


def test_m1_near_miss_flyte_schedule_none(tmp_path: Path) -> None:
    plan = _PLAN.replace('schedule=CronSchedule(schedule="0 3 * * *")', "schedule=None")
    assert _scan(tmp_path, _flyte(plan, _ACTIVATE.format(flag="--activate")))["M1"]["answer"] != "yes"


# ---------------------------------------------------------------- D1: Azure ML data assets registered by shared CI

# Azure ML's CLI v2 docs: a data asset defined in YAML, a pipeline job reading it at ``@latest``
_DATA_ASSET = """\
$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
type: uri_file
name: credit-data
description: credit card default data
path: ../../data/credit.csv
"""
_PIPELINE_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: credit-training
inputs:
  raw_data:
    type: uri_file
    path: azureml:credit-data@latest
jobs:
  train:
    type: command
    code: ../../src
    command: python train.py --data ${{inputs.data}} --model ${{outputs.model}}
    environment: azureml:credit-env@latest
    inputs:
      data: ${{parent.inputs.raw_data}}
    outputs:
      model:
"""
_TRAIN_PY = """\
import argparse
import mlflow
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--model")
args = parser.parse_args()
mlflow.start_run()
df = pd.read_csv(args.data)
model = RandomForestClassifier().fit(df.drop(columns=["default"]), df["default"])
mlflow.sklearn.save_model(model, args.model)
mlflow.end_run()
"""
_GHA = """\
name: train
on:
  workflow_dispatch:
jobs:
  register-data:
    uses: {workflow}
    with:
      data_file: mlops/train/data.yml
    secrets:
      creds: ${{{{ secrets.AZURE_CREDENTIALS }}}}
  run-pipeline:
    needs: register-data
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: az ml job create --file mlops/train/pipeline.yml --resource-group rg --workspace-name ws
"""
_ADO = """\
trigger: none
resources:
  repositories:
    - repository: mlops-templates
      name: Azure/mlops-templates
      endpoint: github-connection
      type: github
      ref: main
stages:
  - stage: Train
    jobs:
      - job: Train
        pool:
          vmImage: ubuntu-latest
        steps:
          - checkout: self
          - checkout: mlops-templates
          - template: templates/aml-cli-v2/{template}@mlops-templates
            parameters:
              data_type: uri_file
              data_name: credit-data
              data_file: mlops/train/data.yml
          - script: az ml job create --file mlops/train/pipeline.yml --resource-group rg --workspace-name ws
"""


def _aml(ci: dict[str, str]) -> dict[str, str]:
    return {"README.md": "# Credit model on Azure ML\n", "mlops/train/data.yml": _DATA_ASSET,
            "mlops/train/pipeline.yml": _PIPELINE_JOB, "src/train.py": _TRAIN_PY,
            "requirements.txt": "azure-ai-ml==1.12.0\nmlflow==2.9.2\nscikit-learn==1.3.2\npandas==2.1.4\n", **ci}


def test_d1_aml_data_asset_registered_by_a_shared_github_workflow(tmp_path: Path) -> None:
    wf = _GHA.format(workflow="Azure/mlops-templates/.github/workflows/register-dataset.yml@main")
    assert _scan(tmp_path, _aml({".github/workflows/train.yml": wf}))["D1"]["answer"] == "yes"


def test_d1_aml_data_asset_registered_by_a_shared_pipeline_template(tmp_path: Path) -> None:
    ado = _ADO.format(template="register-data.yml")
    assert _scan(tmp_path, _aml({".azuredevops/train.yml": ado}))["D1"]["answer"] == "yes"


def test_d1_near_miss_shared_workflow_registers_an_environment(tmp_path: Path) -> None:
    wf = _GHA.format(workflow="Azure/mlops-templates/.github/workflows/register-environment.yml@main")
    assert _scan(tmp_path, _aml({".github/workflows/train.yml": wf}))["D1"]["answer"] != "yes"


def test_d1_near_miss_shared_template_creates_compute(tmp_path: Path) -> None:
    ado = _ADO.format(template="create-compute.yml")
    assert _scan(tmp_path, _aml({".azuredevops/train.yml": ado}))["D1"]["answer"] != "yes"
