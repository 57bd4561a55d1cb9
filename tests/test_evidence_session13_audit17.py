"""The causes of audit17's leads not shown and wrong answers (issue #17, session 13), fixed generally. Each case scans a
small repository and checks the answer and its first evidence item; each near miss checks the other way.

- T1: a Makefile target named for running the tests (``pytest_run``) is no training target;
- T1: a cookiecutter hook's renames (``Path("tasks_uv.py").rename("tasks.py")``) give the generated project's names;
- T1: a README's pasted configuration block (``terraform {``) is no command, and its opener is a bare lead;
- T1/T3: a to-do list (``# TODO:``, "Roadmap") is neither set-up steps nor a runbook;
- T1: a README set-up section written as bullets of instructions is steps without numbers;
- D3: a Dagster graph is cited at the asset that calls the training (its upstream is the model's input);
- D3: a DAG that trains nothing and names no data declares no lineage;
- D2: an Azure ML ``env.register(ws)`` registers an environment, not the model a data version is linked to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.evidence import is_bare, leading_problem
from mlscan.index.template_hooks import hook_effects, removed_paths

from .test_evidence_deciding import _lead, _scan

_TRAIN = "from sklearn.linear_model import LogisticRegression\n\nLogisticRegression().fit([[0], [1]], [0, 1])\n"

# ---------------------------------------------------------------- T1: a test target named "..._run" runs tests

_MAKEFILE = """\
include .env

pytest_run:
\t@python -m pytest -v

launch_inference_api:
\t@bash bash/launch_inference_api.sh
"""


def test_t1_task_runner_is_cited_at_its_run_target_not_a_test_target_named_run(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Makefile": _MAKEFILE, "bash/launch_inference_api.sh": "python -m flask run\n", "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    path, line = _lead(qs["T1"])
    assert path == "Makefile" and line in (6, 7)  # ``launch_inference_api:`` or its recipe, never ``pytest_run``


@pytest.mark.parametrize("name,kinds", [("pytest_run", {"test"}), ("run_tests", {"test"}), ("test_all", {"test"}),
                                        ("train_all", {"train"}), ("run", {"train"}), ("run_pipeline", {"train"})])
def test_task_categories_of_generic_run_words(name: str, kinds: set[str]) -> None:
    from detectors.docs_taskrunner import _categories

    assert _categories(name) == kinds


def test_a_makefile_with_only_a_test_target_named_run_is_tests_only(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Makefile": "pytest_run:\n\t@python -m pytest -v\n", "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] != "yes"


# ---------------------------------------------------------------- T1: a template hook's renames

_CC_JSON = '{"repo_name": "repo_name", "deps_manager": ["uv", "pip"]}'
_CC_HOOK = """\
from pathlib import Path
import os
import shutil

deps_manager = "{{cookiecutter.deps_manager}}"
if deps_manager == "uv":
    Path("tasks_pip.py").unlink()
    Path("tasks_uv.py").rename("tasks.py")
    os.rename("README_uv.md", "README.md")
    shutil.move("docker/uv", "dockerfiles")
else:
    Path("tasks_uv.py").unlink()
    Path("tasks_pip.py").rename("tasks.py")
Path(some_variable).rename("x.py")
"""

_TASKS = """\
from invoke import Context, task

PROJECT_NAME = "{{ cookiecutter.repo_name }}"


@task
def preprocess_data(ctx: Context) -> None:
    ctx.run(f"uv run src/{PROJECT_NAME}/data.py data/raw data/processed")


@task
def train(ctx: Context) -> None:
    ctx.run(f"uv run src/{PROJECT_NAME}/train.py")
"""


def test_hook_effects_follow_the_default_options() -> None:
    removed, renamed = hook_effects(_CC_JSON, _CC_HOOK)
    assert removed == ("tasks_pip.py",) == removed_paths(_CC_JSON, _CC_HOOK)
    assert renamed == {"README_uv.md": "README.md", "docker/uv": "dockerfiles", "tasks_uv.py": "tasks.py"}
    # the other default chooses the other variant; an unknown path renames nothing
    removed, renamed = hook_effects(_CC_JSON.replace('["uv", "pip"]', '["pip", "uv"]'), _CC_HOOK)
    assert removed == ("tasks_uv.py",) and renamed == {"tasks_pip.py": "tasks.py"}


def _template(devcontainer: bool = True) -> dict[str, str]:
    root = "{{ cookiecutter.repo_name }}"
    files = {"cookiecutter.json": _CC_JSON, "hooks/post_gen_project.py": _CC_HOOK,
             f"{root}/tasks_uv.py": _TASKS, f"{root}/tasks_pip.py": _TASKS.replace("uv run", "python"),
             f"{root}/src/pkg/train.py": _TRAIN}
    if devcontainer:
        files[f"{root}/.devcontainer/devcontainer.json"] = '{"name": "x", "image": "mcr.microsoft.com/devcontainers/python:3.12"}\n'
    return files


def test_t1_of_a_template_leads_with_the_task_runner_its_hook_renames(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _template())
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "{{ cookiecutter.repo_name }}/tasks_uv.py"


def test_t1_of_a_template_without_the_rename_keeps_its_devcontainer(tmp_path: Path) -> None:
    files = _template()
    files["hooks/post_gen_project.py"] = _CC_HOOK.replace('Path("tasks_uv.py").rename("tasks.py")', "pass")
    qs = _scan(tmp_path, files)
    assert _lead(qs["T1"])[0].endswith("devcontainer.json")  # ``tasks_uv.py`` is no task runner's file name


# ---------------------------------------------------------------- T1: a pasted configuration block is no command

_README_TF = """\
# Infra

## Setup

Paste this into main.tf:

```
terraform {
  cloud {
    organization = "<your organization name>"
  }
}
```

Then provision it:

```
terraform init
terraform apply
```
"""


def test_t1_cites_the_commands_not_a_pasted_terraform_block(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_TF, "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    path, line = _lead(qs["T1"])
    assert path == "README.md" and line == 18


@pytest.mark.parametrize("text,shell", [("terraform {\n  x = 1\n}\n", False), ('resource "aws_s3_bucket" "b" {\n}\n', False),
                                        ('{\n  "a": 1\n}\n', False), ("locals = {\n}\n", False),
                                        ("deploy() {\n  terraform apply\n}\n", True), ("function deploy {\n  make\n}\n", True),
                                        ("terraform init\nterraform apply\n", True)])
def test_unlabelled_block_of_braces_is_configuration(tmp_path: Path, text: str, shell: bool) -> None:
    p = tmp_path / "README.md"
    p.write_text(f"# x\n\n```\n{text}```\n")
    from mlscan.facts.doc_blocks import parse

    blocks = [b for b in parse(p.read_text(), "README.md").blocks if b.kind == "code"]
    assert blocks[0].is_shell is shell


def test_a_brace_opener_in_a_readme_is_a_bare_lead() -> None:
    assert is_bare("terraform {", "README.md")
    assert leading_problem({"path": "README.md", "snippet": 'resource "aws_s3_bucket" "b" {'})
    assert not is_bare("terraform init", "README.md")
    assert not is_bare("Run the stack with docker compose {see below}.", "README.md")


# ---------------------------------------------------------------- T1/T3: a to-do list is no set-up guide nor runbook

_TODO_PAGE = """\
Azure ML SDK v2

# TODO:

1. Print csv and send column data via JSON
2. Accept these and write them out via csv
3. Consume ticker data path
4. Upload to Azure

2. Training pipeline - To train the model when new data is available / re-training is required : trigger=schedule
"""

_GUIDE_PAGE = """\
# Pipelines

## Steps

1. Create the workspace in the portal
2. Register the dataset from the data page
3. Submit the training pipeline from the studio
"""


_TODO_RUNBOOK = """\
# Churn model

## Roadmap

### Retraining

1. Trigger the training pipeline when new data arrives
2. Compare the new model with the live model
3. Deploy it when it is better

### Rollback

1. Roll back to the previous model version in the registry
2. Redeploy the endpoint
"""


def test_a_todo_page_is_no_setup_guide_nor_retraining_runbook(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Pipelines.md": _TODO_PAGE, "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "no"
    assert qs["T3"]["answer"] == "no" and not qs["T3"]["evidence"]


def test_a_roadmap_of_retraining_and_rollback_is_no_runbook(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"docs/operations.md": _TODO_RUNBOOK, "src/train.py": _TRAIN})
    assert qs["T3"]["answer"] == "no" and not qs["T3"]["evidence"]


def test_the_same_procedures_under_operations_headings_are_a_runbook(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"docs/operations.md": _TODO_RUNBOOK.replace("## Roadmap", "## Operations"), "src/train.py": _TRAIN})
    assert qs["T3"]["answer"] == "yes"
    assert _lead(qs["T3"])[0] == "docs/operations.md"


def test_a_guide_page_of_numbered_steps_still_counts(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Pipelines.md": _GUIDE_PAGE, "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("Pipelines.md", 5)


def test_planned_sections() -> None:
    from mlscan.facts.doc_blocks import planned

    assert planned(("Project", "TODO:")) and planned(("Roadmap",)) and planned(("Future work", "Monitoring"))
    assert planned(("Planned features",)) and planned(("WIP",))
    assert not planned(("Next steps",)) and not planned(("Setup",)) and not planned(("Todos app",))
    assert not planned(("Planned retraining",))  # a scheduled procedure, not a plan to build one


# ---------------------------------------------------------------- T1: a set-up section of bullets of instructions

_README_BULLETS = """\
# Stock prediction

## How to use the project

- Fork this repository
- Create an Azure ML workspace and a resource group
- Create a service principal and save its JSON as `AZURE_CREDENTIALS` in the repository secrets
- Update your workspace details in `cli/setup.sh`
"""

_README_FEATURES = """\
# Stock prediction

## Features

- Fork-friendly layout
- Weekly data refresh
- Online endpoint

## Usage

- Azure ML workspace
- A service principal
- The repository secrets
"""


def test_t1_readme_setup_section_of_instruction_bullets(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_BULLETS, "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 5)


def test_t1_bullets_that_are_features_or_nouns_are_no_steps(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_FEATURES, "src/train.py": _TRAIN})
    assert qs["T1"]["answer"] == "no"


# ---------------------------------------------------------------- D3: the Dagster asset that calls the training

_DAGSTER = {
    "assets/best_run.py": """\
        import mlflow
        from dagster import asset


        @asset(deps=["experiment"], group_name="Training")
        def best_run():
            return mlflow.search_runs("1")
        """,
    "assets/dataset.py": """\
        import pandas as pd
        from dagster import asset


        @asset(group_name="Data")
        def dataset():
            return pd.read_csv("s3://bucket/raw/measurements.csv")
        """,
    "assets/experiment.py": """\
        from dagster import asset

        from model.fit_model import fit_model


        def run(data):
            return fit_model(data)


        @asset(deps=["dataset"], group_name="Training")
        def experiment():
            return run(None)
        """,
    "model/fit_model.py": "def fit_model(data):\n    return data\n",
}


def test_d3_dagster_leads_with_the_asset_that_trains(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _DAGSTER)
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"])[0] == "assets/experiment.py"


def test_d3_dagster_without_a_training_call_keeps_the_first_training_edge(tmp_path: Path) -> None:
    files = dict(_DAGSTER)
    files["assets/experiment.py"] = files["assets/experiment.py"].replace("fit_model(data)", "data")
    qs = _scan(tmp_path, files)
    assert _lead(qs["D3"])[0] == "assets/best_run.py"  # both only name training: the first by path, as before


# ---------------------------------------------------------------- D3: a DAG that trains nothing and names no data

_INGEST = """\
    from airflow import DAG
    from airflow.operators.python_operator import PythonOperator
    from airflow.utils.dates import days_ago

    dag = DAG("ingest_bracelet", schedule_interval="*/20 * * * *", start_date=days_ago(1))


    def consume(**kwargs):
        return kafka_consumer("kafka:9092", "{topic}")


    def insert(**kwargs):
        for m in kwargs["ti"].xcom_pull(task_ids="consume"):
            store(m)


    a = PythonOperator(task_id="consume", python_callable=consume, dag=dag)
    b = PythonOperator(task_id="insert", python_callable=insert, dag=dag)
    a >> b
    """

_MODEL = "import joblib\nfrom sklearn.svm import SVC\n\njoblib.dump(SVC().fit([[0], [1]], [0, 1]), 'models/model.pkl')\n"


def test_d3_an_ingest_dag_naming_no_data_is_no_lineage(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/ingest.py": _INGEST.replace("{topic}", "bracelet-feed"), "src/train.py": _MODEL})
    assert qs["D3"]["answer"] == "no"


def test_d3_a_data_dag_naming_its_data_still_counts_beside_a_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/ingest.py": _INGEST.replace("{topic}", "s3://bucket/raw/bracelet.csv"), "src/train.py": _MODEL})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"])[0] == "dags/ingest.py"


# ---------------------------------------------------------------- D2: an environment registered is no model

_AML = """\
    from azureml.core import Dataset, Environment, Model, Workspace

    ws = Workspace.from_config()
    env = Environment.from_pip_requirements("env", "requirements.txt")
    env.register(ws)
    data = Dataset.get_by_name(ws, "customers", version=3)
    {model}
    """
_CI = """\
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python src/train.py
    """


def test_d2_an_environment_registration_is_no_model_link(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _AML.replace("{model}", "print(data)"), ".github/workflows/train.yml": _CI})
    assert qs["D1"]["answer"] == "yes"
    assert qs["D2"]["answer"] != "yes"
    assert all("env.register" not in e["snippet"] for e in qs["D2"]["evidence"])


def test_d2_a_model_registration_beside_the_data_version_still_links(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _AML.replace("{model}", 'Model.register(ws, model_path="outputs/model.pkl", model_name="churn")'),
                          ".github/workflows/train.yml": _CI})
    assert qs["D2"]["answer"] == "yes"
    assert any("Model.register" in e["snippet"] for e in qs["D2"]["evidence"])


# ---------------------------------------------------------------- M2: a workflow whose every trigger is commented out

_DEPLOY_WF = """\
    name: model deployment
    on:
    {trigger}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: deployment-step
            run: az ml online-deployment update -f deploy.yml
            working-directory: jobs
    """

_NO_TRIGGER = "  # schedule:\n  #   - cron: \"1 3 * * 1\"\n  # push:\n  #   branches: [main]\n"


def test_m2_a_deploy_in_a_workflow_without_trigger_says_it_never_runs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _DEPLOY_WF.replace("{trigger}", _NO_TRIGGER), "src/train.py": _TRAIN})
    assert qs["M2"]["answer"] == "partial"
    assert any(c.startswith("never runs: its workflow has no trigger") for c in qs["M2"]["evidence"][0]["caveats"])


def test_m2_a_deploy_dispatched_by_hand_has_no_such_caveat(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _DEPLOY_WF.replace("{trigger}", "  workflow_dispatch:\n"), "src/train.py": _TRAIN})
    assert qs["M2"]["answer"] == "yes"
    assert not any(c.startswith("never runs") for c in qs["M2"]["evidence"][0]["caveats"])


# ---------------------------------------------------------------- M2: a stub step is cited at what it does: its echo

_STUB_WF = """\
    name: deploy
    on: {workflow_dispatch: {}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          # Print a message
          - name: Print a message
            run: |
              echo "Deploying the model to development"
              {more}
    """


def test_m2_a_stub_deploy_step_is_cited_at_its_echo(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _STUB_WF.replace("{more}", 'echo "Model version: 3"'), "src/train.py": _TRAIN})
    assert qs["M2"]["answer"] == "partial"
    lead = qs["M2"]["evidence"][0]
    assert lead["snippet"].startswith('echo "Deploying the model')
    assert any(c.startswith("stub") for c in lead["caveats"]) and not leading_problem(lead)


def test_a_step_that_echoes_then_deploys_is_cited_at_its_command(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/deploy.yml": _STUB_WF.replace("{more}", "az ml online-deployment update -f deploy.yml"),
                          "src/train.py": _TRAIN})
    assert qs["M2"]["answer"] == "yes"
    assert qs["M2"]["evidence"][0]["snippet"].strip().startswith("az ml online-deployment update")


def test_an_echo_lead_without_a_stub_caveat_is_still_bare() -> None:
    assert leading_problem({"path": ".github/workflows/x.yml", "snippet": 'echo "deploying"', "caveats": []})
    assert not leading_problem({"path": ".github/workflows/x.yml", "snippet": 'echo "deploying"',
                                "caveats": ["stub: the step does nothing yet"]})
