"""The causes of a blind evidence audit (issue #17, session 9): the product's file or step of the right kind leads,
the deciding line is cited, and two wrong answers are no longer yes. Each case scans a small repository and checks
the answer or its first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- E3: an image that carries no model

_DEPLOY = """\
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: docker/build-push-action@v6
            with:
              context: .
              file: docker/api.dockerfile
              push: true
              tags: registry.example.com/team/api:${{ github.sha }}
          - run: gcloud run deploy api --image registry.example.com/team/api:${{ github.sha }}
    """
_API = """\
    import os
    import torch
    from fastapi import FastAPI

    app = FastAPI()
    model = torch.load(os.environ["MODEL_PATH"])
    """


def test_sha_tag_on_an_image_that_copies_only_source_is_no_code_version_of_the_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY pyproject.toml ./\nCOPY src/ src/\nRUN pip install .\n"
                                 "CMD [\"uvicorn\", \"api:app\"]\n",
        "src/api.py": _API,
    })
    assert qs["E3"]["answer"] == "no"


def test_sha_tag_on_an_image_that_copies_the_model_is_a_code_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY src/ src/\nCOPY models/model.pt models/\nRUN pip install .\n",
        "src/api.py": _API,
    })
    assert qs["E3"]["answer"] == "yes"
    assert _lead(qs["E3"])[0] == ".github/workflows/deploy.yml"


def test_sha_tag_on_an_image_that_fetches_at_build_time_or_copies_everything_stays_a_code_version(tmp_path: Path) -> None:
    fetch = _scan(tmp_path / "fetch", {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY src/ src/\nRUN pip install . && dvc pull models/model.pt.dvc\n",
        "src/api.py": _API,
    })
    assert fetch["E3"]["answer"] == "yes"
    whole = _scan(tmp_path / "whole", {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY . .\nRUN pip install .\n",
        "src/api.py": _API,
    })
    assert whole["E3"]["answer"] == "yes"


# ---------------------------------------------------------------- O1: a drift report on a page someone opens

_DRIFT = """\
    {ui}
    import pandas as pd
    from evidently.report import Report
    from evidently.metric_preset import DataDriftPreset

    current = pd.read_parquet("s3://prod-bucket/predictions/current.parquet")
    reference = pd.read_parquet("s3://prod-bucket/training/reference.parquet")
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=reference, current_data=current)
    report.save_html("drift.html")
    """


def test_a_drift_report_on_an_interactive_page_is_on_demand_not_monitoring(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"app/pages/drift.py": _DRIFT.format(ui="import streamlit as st")})
    assert qs["O1"]["answer"] == "partial"
    assert any("on demand" in c for c in qs["O1"]["evidence"][0]["caveats"])


def test_the_same_report_in_a_monitoring_job_is_monitoring(tmp_path: Path) -> None:
    # (a job something runs: code nothing runs, imports or names is no monitor of the deployed model, session 10)
    # (an input-drift report nothing runs unattended is run by hand, session 11: the nightly job is a scheduled workflow)
    qs = _scan(tmp_path, {"monitoring/drift.py": _DRIFT.format(ui="import logging"),
                          "README.md": "# Monitoring\n\nThe nightly job runs `python monitoring/drift.py`.\n",
                          ".github/workflows/drift.yml": "on:\n  schedule:\n    - cron: '0 2 * * *'\njobs:\n  drift:\n"
                                                         "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                                                         "      - run: python monitoring/drift.py\n"})
    assert qs["O1"]["answer"] == "yes"
    assert not qs["O1"]["evidence"][0]["caveats"]


# ---------------------------------------------------------------- the file or line of the right kind leads


def test_d1_leads_with_training_data_before_monitoring_samples_and_a_runs_traces(tmp_path: Path) -> None:
    dvc = "outs:\n- md5: {h}.dir\n  size: 10\n  nfiles: 3\n  hash: md5\n  path: {p}\n"
    qs = _scan(tmp_path, {
        ".dvc/config": "[core]\n    remote = store\n['remote \"store\"']\n    url = gs://team-bucket/dvc\n",
        "artifacts/profiling.dvc": dvc.format(h="1" * 32, p="profiling"),
        "data/drift.dvc": dvc.format(h="2" * 32, p="drift"),
        "data/raw.dvc": dvc.format(h="3" * 32, p="raw"),
    })
    assert qs["D1"]["answer"] == "yes"
    assert [e["path"] for e in qs["D1"]["evidence"][:3]] == ["data/raw.dvc", "data/drift.dvc", "artifacts/profiling.dvc"]


def test_e4_leads_with_the_lock_or_image_before_a_devcontainer(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".devcontainer/devcontainer.json": '{\n  "name": "dev",\n  "image": "mcr.microsoft.com/devcontainers/python:3.12-bullseye"\n}\n',
        "Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY src/ src/\n",
        "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n",
        "src/train.py": "import pandas as pd\n",
    })
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"] != ".devcontainer/devcontainer.json"
    alone = _scan(tmp_path / "alone", {
        ".devcontainer/devcontainer.json": '{\n  "name": "dev",\n  "image": "mcr.microsoft.com/devcontainers/python:3.12-bullseye"\n}\n',
        "src/train.py": "import pandas as pd\n",
    })
    assert alone["E4"]["answer"] == "yes"  # a devcontainer alone still declares the environment (corpus convention E4)
    assert alone["E4"]["evidence"][0]["path"] == ".devcontainer/devcontainer.json"


_WANDB_TRAIN = """\
    import wandb
    from sklearn.linear_model import LogisticRegression

    def main(X, y, out):
        run = wandb.init(project="churn", config={"C": 1.0})
        model = LogisticRegression().fit(X, y)
        run.summary["model_path"] = out
        run.summary["val_accuracy"] = model.score(X, y)

    if __name__ == "__main__":
        main(None, None, "model.pkl")
    """


def test_e2_cites_a_logged_metric_not_a_path_recorded_in_the_run_summary(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _WANDB_TRAIN})
    assert qs["E2"]["answer"] == "yes"
    assert "val_accuracy" in qs["E2"]["evidence"][0]["snippet"]
    only_path = _scan(tmp_path / "path", {"src/train.py": _WANDB_TRAIN.replace('        run.summary["val_accuracy"] = model.score(X, y)\n', "")})
    assert "model_path" not in only_path["E2"]["evidence"][0]["snippet"]


def test_e2_cites_autolog_before_an_artifact_copy(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": """\
        import os
        import mlflow
        from sklearn.linear_model import LogisticRegression

        def main(X, y):
            mlflow.set_tracking_uri("http://mlflow:5000")
            with mlflow.start_run():
                mlflow.sklearn.autolog()
                LogisticRegression().fit(X, y)
                artifact_path = mlflow.get_artifact_uri()
                os.system(f"cp config.yaml {artifact_path}")

        if __name__ == "__main__":
            main(None, None)
        """})
    assert qs["E2"]["answer"] == "yes"
    assert "autolog" in qs["E2"]["evidence"][0]["snippet"]


# ---------------------------------------------------------------- T1: the steps that set up and run the project


def test_t1_cites_the_makefile_target_that_runs_the_project_not_install(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "Makefile": ".PHONY: install test pipeline-run\n\ninstall:\n\tpip install -e .\n\ntest:\n\tpytest tests/\n\n"
                    "pipeline-run:\n\tpython pipeline/pipeline.py --execute\n",
        "pipeline/pipeline.py": "print('run')\n",
    })
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("Makefile", 10)
    only_setup = _scan(tmp_path / "setup", {"Makefile": "install:\n\tpip install -e .\n\ntest:\n\tpytest tests/\n"})
    assert _lead(only_setup["T1"]) == ("Makefile", 2)


def test_t1_readme_that_builds_and_starts_the_stack_leads_over_a_sub_library_readme(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "README.md": "# Project\n\n## Getting started\n\nOne command to spin up everything\n\n```\ndocker-compose up --build airflow\n```\n\n"
                     "Then trigger the DAG:\n\n```\nairflow dags trigger ml_pipeline\n```\n",
        "docker-compose.yml": "services:\n  airflow:\n    build: .\n",
        "lib/README.md": "# Library\n\n## Installation\n\n```\npoetry install\npoetry run pytest\n```\n",
    })
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "README.md"


_REFERENCE_README = """\
    # Project

    ## Quick Reference Commands

    All commands use invoke. Run `invoke --list` to see all available commands.

    ### Environment

    ```bash
    invoke bootstrap          # Create new venv and install deps
    invoke train              # Train
    ```
    """
_GET_STARTED = """\
    # Getting Started

    | Tool | Installation |
    |------|--------------|
    | **uv** | `curl -LsSf https://astral.sh/uv/install.sh \\| sh` |

    ## Step 1: Set Up Environment

    ```bash
    uv sync --all-groups
    ```

    ## Step 2: Pull the data and train

    ```bash
    dvc pull
    invoke train
    ```
    """


def test_t1_a_getting_started_page_leads_over_a_readme_command_reference(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _REFERENCE_README, "docs/GetStarted.md": _GET_STARTED,
                          **{f"docs/A{i}_notes.md": f"# Notes {i}\n\n## Running\n\n```\npython run{i}.py\n```\n" for i in range(8)}})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("docs/GetStarted.md", 10)


def test_t1_a_command_reference_alone_is_cited_at_its_first_command_not_its_list_preamble(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _REFERENCE_README})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 10)


# ---------------------------------------------------------------- T3: a model's rollback, not a code migration's

_RETRAIN_DOC = "# Operations\n\n## Retraining the model\n\n1. Pull the new data: `dvc pull`\n2. Retrain: `python src/train.py`\n"


def test_t3_leads_with_the_serving_rollback_runbook_not_a_code_migrations_rollback_plan(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "docs/MIGRATION_NEW_PIPELINE.md": "# Migration Guide: new pipeline\n\n## Rollback Plan\n\nIf you need to revert to the old system:\n\n"
                                          "```bash\ngit checkout v1.0\ninvoke train model=cnn\n```\n",
        "infrastructure/docs/RUNBOOK.md": "# Operations Runbook\n\n## Quick Reference\n\n```bash\n# Emergency rollback\nterraform apply -target=module.api\n```\n\n"
                                          "## Emergency Procedures\n\n### Rollback Cloud Run Deployment\n\n```bash\n"
                                          "gcloud run services update-traffic api --to-revisions=PREVIOUS=100\n```\n",
        "docs/RETRAINING.md": _RETRAIN_DOC,
    })
    assert qs["T3"]["answer"] == "yes"
    rollbacks = [e for e in qs["T3"]["evidence"] if e["detector"] == "docs.runbook" and "RUNBOOK" in e["path"]]
    assert rollbacks and rollbacks[0]["line"] >= 13  # the titled procedure, not the quick reference's comment
    assert qs["T3"]["evidence"][0]["path"] != "docs/MIGRATION_NEW_PIPELINE.md"


def test_t3_a_code_migrations_rollback_alone_still_counts_as_a_rollback(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        "docs/MIGRATION_NEW_PIPELINE.md": "# Migration Guide\n\n## Rollback Plan\n\n```bash\ngit checkout v1.0\ninvoke train model=cnn\n```\n",
        "docs/RETRAINING.md": _RETRAIN_DOC,
    })
    assert qs["T3"]["answer"] == "yes"
    assert qs["T3"]["evidence"][0]["path"] == "docs/RETRAINING.md"


# ---------------------------------------------------------------- D3: the data handoff of a SageMaker pipeline

_SM_PIPELINE = """\
    from sagemaker.processing import ProcessingInput, ProcessingOutput
    from sagemaker.inputs import TrainingInput
    from sagemaker.workflow.parameters import ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep

    input_data = ParameterString(name="InputDataUrl", default_value="s3://bucket/raw/")
    step_process = ProcessingStep(
        name="Preprocess",
        processor=processor,
        inputs=[ProcessingInput(source=input_data, destination="/opt/ml/processing/input")],
        outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train")],
    )
    step_train = TrainingStep(
        name="Train",
        estimator=estimator,
        inputs={{
            "train": TrainingInput(
                s3_data={handoff},
            ),
        }},
    )
    pipeline = Pipeline(
        name="p",
        parameters=[input_data],
        steps=[step_process, step_train],
    )
    """


def test_d3_cites_the_training_input_taken_from_another_steps_output(tmp_path: Path) -> None:
    handoff = 'step_process.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri'
    qs = _scan(tmp_path, {"pipeline/pipeline.py": _SM_PIPELINE.format(handoff=handoff)})
    assert qs["D3"]["answer"] == "yes"
    assert _lead(qs["D3"]) == ("pipeline/pipeline.py", 19)


def test_d3_without_a_handoff_cites_no_edge(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline/pipeline.py": _SM_PIPELINE.format(handoff='"s3://bucket/train/"') + "step_train.add_depends_on([step_process])\n"})
    assert ("pipeline/pipeline.py", 19) not in [(e["path"], e["line"]) for e in qs["D3"]["evidence"]]


# ---------------------------------------------------------------- D1: the training data's fetch step

_ZENML_FETCH = """\
    import pandas as pd
    from zenml.steps import Output, step


    @step
    def fetch_batch_inference_data() -> Output(data=pd.DataFrame):
        data = pd.read_sql("select * from customers where month = current", "mysql://db/app")
        return data


    @step
    def fetch_train_data() -> Output(train_df=pd.DataFrame):
        train_df = pd.read_sql("select * from customers", "mysql://db/app")
        return train_df
    """


def test_d1_cites_the_zenml_step_that_fetches_training_data_not_inference_data(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/steps/data_fetcher.py": _ZENML_FETCH,
                          "pipelines/training.py": "from zenml.pipelines import pipeline\n\n@pipeline\ndef training_pipeline(fetch, train):\n"
                                                   "    df = fetch()\n    train(df)\n"})
    d1 = [e for e in qs["D1"]["evidence"] if e["path"] == "pipelines/steps/data_fetcher.py"]
    assert d1 and d1[0]["line"] >= 11, d1  # fetch_train_data (cited from its @step), not the inference step above it


# ---------------------------------------------------------------- M2: the project's pipeline, not a script's own copy

_RUN_IMPORTED = """\
    from zenml.integrations.mlflow.steps import mlflow_model_deployer_step

    from pipelines.training_pipeline import training_pipeline
    from steps.trainer import train_model


    def main():
        pipe = training_pipeline(
            trainer=train_model(),
            model_deployer=mlflow_model_deployer_step(),
        )
        pipe.run()


    if __name__ == "__main__":
        main()
    """
_RUN_OWN = """\
    from zenml.integrations.mlflow.steps import mlflow_model_deployer_step
    from zenml.pipelines import pipeline

    from steps.trainer import train_model


    @pipeline
    def a_training_pipeline(trainer, model_deployer):
        model = trainer()
        model_deployer(model)


    def main():
        pipe = a_training_pipeline(
            trainer=train_model(),
            model_deployer=mlflow_model_deployer_step(),
        )
        pipe.run()


    if __name__ == "__main__":
        main()
    """


def test_m2_leads_with_the_run_of_the_projects_pipeline_not_a_scripts_own_copy(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"run_a_training_pipeline.py": _RUN_OWN, "run_training_pipeline.py": _RUN_IMPORTED,
                          "pipelines/training_pipeline.py": "from zenml.pipelines import pipeline\n\n\n@pipeline\n"
                                                            "def training_pipeline(trainer, model_deployer):\n    model_deployer(trainer())\n"})
    assert qs["M2"]["answer"] == "yes"
    assert qs["M2"]["evidence"][0]["path"] == "run_training_pipeline.py"
    alone = _scan(tmp_path / "alone", {"run_a_training_pipeline.py": _RUN_OWN})
    assert alone["M2"]["answer"] == "yes"
    assert alone["M2"]["evidence"][0]["path"] == "run_a_training_pipeline.py"


def test_sha_tag_on_an_image_that_copies_a_folder_holding_a_committed_model_is_a_code_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY app/ /app/\nRUN pip install -r /app/requirements.txt\n",
        "app/api.py": _API,
        "app/requirements.txt": "fastapi==0.110.0\n",
        "app/churn.joblib": "not really a model",
    })
    assert qs["E3"]["answer"] == "yes"
