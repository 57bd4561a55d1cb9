"""Causes of not-shown leads found by the blind audit21 (issue #17, session 17, branch evidM), fixed generally. Each case has
a positive and a near miss.

- M2: ``az ml model update`` (a registered model's tags or description) is no deployment; the repository's own composite
  action a workflow step ``uses: ./dir`` runs is read (its ``run:`` steps, ``${{ inputs.x }}`` filled from the step's
  ``with:``), so ``az ml ${{ inputs.deployment_type }}-deployment create`` leads, cited in the action with the step
  that calls it;
- D1/D2: a fitted preprocessing object saved under ``data/`` (``data/feature_engineer.joblib``) and logged to the tracker
  is not a data version;
- T2: ZenML's MLflow registry step (``mlflow_register_model_step``) is a model registration.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mlscan.facts.ci_vocab import deploy_command

from detectors.data_lineage import _data_artifact

from .test_evidence_deciding import _scan

_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def main():
        df = pd.read_csv("data/train.csv")
        with mlflow.start_run():
            model = LogisticRegression().fit(df[["a"]], df["y"])
            mlflow.log_metric("accuracy", model.score(df[["a"]], df["y"]))
            mlflow.sklearn.log_model(model, "model")


    if __name__ == "__main__":
        main()
    """

# ------------------------------------------------------------------------------- M2: registry edits and composite actions


def test_az_ml_model_update_is_no_deploy() -> None:
    assert deploy_command("az ml model update --name m --version 3 --set tags.github_run_id=42") is None
    assert deploy_command("az ml model share --name m --version 3 --registry-name r") is None


def test_near_miss_az_ml_deployments_and_v1_deploys_still_deploy() -> None:
    assert deploy_command("az ml online-deployment update --name blue --endpoint e -f d.yml") == "cloud-endpoint"
    assert deploy_command("az ml batch-deployment create --name d --endpoint e --file d.yml") == "cloud-endpoint"
    assert deploy_command("az ml model deploy -n svc -m model:1 --ic inference.yml") == "cloud-endpoint"
    assert deploy_command("az ml service update -n svc --model model:2") == "cloud-endpoint"


_ACTION = """\
    name: Create deployment
    inputs:
      deployment_type:
        description: online or batch
        required: true
      deployment_file:
        description: the deployment spec
        default: deploy/deployment.yml
    runs:
      using: "composite"
      steps:
        - name: Create deployment
          shell: bash
          run: |
            ENDPOINT_NAME=$(yq '.name' < deploy/endpoint.yml)
            az ml ${{ inputs.deployment_type }}-deployment create --endpoint $ENDPOINT_NAME --file ${{ inputs.deployment_file }}
    """

_DEPLOY_WF = """\
    name: Deploy
    on:
      push:
        branches: [main]
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Tag the model
            run: az ml model update --name churn --version 1 --set tags.run=${{ github.run_id }}
          - name: Create deployment
            uses: ./.github/actions/create-deployment
            with:
              deployment_type: online
    """


def _deploy_repo(action: str) -> dict[str, str]:
    return {".github/workflows/deploy.yml": _DEPLOY_WF, ".github/actions/create-deployment/action.yml": action,
            "src/train.py": _TRAIN, "deploy/endpoint.yml": "name: churn\n", "deploy/deployment.yml": "name: blue\nmodel: azureml:churn:1\n"}


def test_m2_leads_with_the_composite_actions_deployment_not_the_tag_update(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _deploy_repo(_ACTION))
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert lead["path"] == ".github/actions/create-deployment/action.yml"
    assert "-deployment create" in lead["snippet"]
    assert any("called from CI step .github/workflows/deploy.yml" in c for c in lead["chain"])
    assert not any("model update" in e["snippet"] for e in qs["M2"]["evidence"])


def test_near_miss_a_composite_action_that_only_lists_deployments_deploys_nothing(tmp_path: Path) -> None:
    listing = _ACTION.replace("-deployment create --endpoint $ENDPOINT_NAME --file ${{ inputs.deployment_file }}",
                              "-deployment list --endpoint-name $ENDPOINT_NAME")
    qs = _scan(tmp_path, _deploy_repo(listing))
    assert not any("action.yml" in e["path"] for e in qs["M2"]["evidence"])
    assert not any("model update" in e["snippet"] for e in qs["M2"]["evidence"])


def test_composite_runs_fill_inputs_from_with_then_defaults(tmp_path: Path) -> None:
    from mlscan.facts.composite_actions import composite_runs
    from mlscan.index import FileIndex
    from mlscan.target import resolve_target

    from .conftest import git_repo

    repo = git_repo(tmp_path, {".github/actions/create-deployment/action.yml": _ACTION.replace("\n    ", "\n").lstrip()})
    index = FileIndex(resolve_target(str(repo)))
    runs = composite_runs(index, "./.github/actions/create-deployment", (("deployment_type", "batch"),))
    assert len(runs) == 1 and "az ml batch-deployment create" in runs[0].text and "--file deploy/deployment.yml" in runs[0].text
    assert "${{ inputs.deployment_type }}" in runs[0].written
    # near misses: a marketplace action, a reusable workflow, a directory without an action file
    assert composite_runs(index, "actions/checkout@v4", ()) == []
    assert composite_runs(index, "./.github/workflows/deploy.yml", ()) == []
    assert composite_runs(index, "./.github/actions/missing", ()) == []


# ---------------------------------------------------------------------------------- D1: a fitted object is not data


def _logged(artifact: str) -> str:
    return _TRAIN.replace('            mlflow.sklearn.log_model(model, "model")\n',
                          f'            mlflow.sklearn.log_model(model, "model")\n            mlflow.log_artifact("{artifact}")\n')


def test_d1_a_fitted_transformer_saved_under_data_is_no_data_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _logged("data/feature_engineer.joblib"), "README.md": "# x\n"})
    assert qs["D1"]["answer"] == "no" and qs["D2"]["answer"] == "no"
    for name in ("artifacts/scaler.pkl", "data/label_encoder.pkl", "data/tfidf_vectorizer.joblib"):
        call = ast.parse(f'mlflow.log_artifact("{name}")').body[0].value  # type: ignore[attr-defined]
        assert not _data_artifact(call, call.args[0]), name


def test_d1_near_miss_the_training_csv_logged_is_a_data_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _logged("data/train.csv"), "README.md": "# x\n"})
    assert qs["D1"]["answer"] == "yes"
    assert "data/train.csv" in qs["D1"]["evidence"][0]["snippet"]


# ------------------------------------------------------------------------------ T2: ZenML's MLflow registry step

_ZENML_PIPE = """\
    from zenml import pipeline, step

    from steps.register import register_model


    @step
    def train() -> object:
        return object()


    @pipeline
    def train_pipeline():
        model = train()
        register_model(model)
    """

_ZENML_REGISTER = """\
    from zenml.integrations.mlflow.steps.mlflow_registry import mlflow_register_model_step

    register_model = mlflow_register_model_step.with_options(parameters=dict(name="best-model"))
    """


def test_t2_zenml_mlflow_register_model_step_is_a_registration(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/train.py": _ZENML_PIPE, "steps/register.py": _ZENML_REGISTER, "steps/__init__.py": ""})
    assert qs["T2"]["answer"] == "yes"
    lead = qs["T2"]["evidence"][0]
    assert lead["path"] == "steps/register.py" and "mlflow_register_model_step" in lead["snippet"]


def test_t2_near_miss_zenml_mlflow_deployer_step_is_no_registry(tmp_path: Path) -> None:
    deployer = _ZENML_REGISTER.replace("mlflow_registry import mlflow_register_model_step", "mlflow_deployer import mlflow_model_deployer_step") \
        .replace("mlflow_register_model_step.with_options(parameters=dict(name=\"best-model\"))", "mlflow_model_deployer_step.with_options()")
    qs = _scan(tmp_path, {"pipelines/train.py": _ZENML_PIPE, "steps/register.py": deployer, "steps/__init__.py": ""})
    assert not any(e["path"] == "steps/register.py" for e in qs["T2"]["evidence"])


# --------------------------------------------------------------- D3: an Azure ML sweep job is the training step

_AML_PIPELINE = """\
    $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
    type: pipeline
    inputs:
      curated_dataset:
        type: mltable
        path: azureml:curated-ds@latest
    jobs:
      prepare_step:
        type: command
        inputs:
          curated_dataset: ${{parent.inputs.curated_dataset}}
        outputs:
          prepared_data_dir:
        code: ../../
        command: python src/prepare.py --data ${{inputs.curated_dataset}} --out ${{outputs.prepared_data_dir}}
      data_quality_step:
        type: command
        inputs:
          prepared_data_dir: ${{parent.jobs.prepare_step.outputs.prepared_data_dir}}
        code: ../../
        command: python src/data_quality.py --data ${{inputs.prepared_data_dir}}
      sweep_step:
        type: sweep
        inputs:
          prepared_data_dir: ${{parent.jobs.prepare_step.outputs.prepared_data_dir}}
        sampling_algorithm: random
        objective:
          primary_metric: f1
          goal: maximize
        trial: ../components/sweep_trial.yml
    """


_TRIAL = """\
    $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
    type: command
    inputs:
      prepared_data_dir:
        type: uri_folder
    code: ../../
    command: python src/train.py --data ${{inputs.prepared_data_dir}}
    """


def _aml_repo(pipeline: str) -> dict[str, str]:
    return {"core/jobs/pipelines/train_model.yml": pipeline, "core/jobs/components/sweep_trial.yml": _TRIAL,
            "core/src/prepare.py": "import pandas as pd\n\npd.read_csv('data/raw.csv').to_csv('out.csv')\n", "core/src/train.py": _TRAIN}


def test_d3_an_azure_ml_sweep_jobs_input_is_the_lineage_edge(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _aml_repo(_AML_PIPELINE))
    assert qs["D3"]["answer"] == "yes"
    assert any(e.get("context", "").startswith("jobs.sweep_step.inputs") for e in qs["D3"]["evidence"][:1])


def test_d3_near_miss_without_a_training_job_the_first_edge_stays(tmp_path: Path) -> None:
    report = _AML_PIPELINE.replace("type: sweep", "type: command\n    command: python src/report.py") \
        .replace("    sampling_algorithm: random\n    objective:\n      primary_metric: f1\n      goal: maximize\n    trial: ../components/sweep_trial.yml\n", "") \
        .replace("sweep_step", "report_step")
    qs = _scan(tmp_path, _aml_repo(report))
    assert not any(e.get("context", "").startswith("jobs.report_step.inputs") for e in qs["D3"]["evidence"][:1])


# ------------------------------------------------------ E2: an Azure ML sweep compares its trials' runs by a metric


def test_e2_an_azure_ml_sweep_objective_leads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _aml_repo(_AML_PIPELINE))
    assert qs["E2"]["answer"] == "yes"
    lead = qs["E2"]["evidence"][0]
    assert lead["path"] == "core/jobs/pipelines/train_model.yml" and "primary_metric: f1" in lead["snippet"]
    assert not lead["caveats"]


def test_e2_near_miss_a_sweep_without_a_goal_compares_nothing(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _aml_repo(_AML_PIPELINE.replace("      goal: maximize\n", "")))
    assert not any(e["path"] == "core/jobs/pipelines/train_model.yml" for e in qs["E2"]["evidence"][:1])


# ------------------------------------------ E2: a ZenML step's experiment tracker files its runs under one experiment

_ZENML_EVAL = """\
    import mlflow
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.linear_model import LogisticRegression
    from zenml import step
    from zenml.client import Client

    experiment_tracker = Client().active_stack.experiment_tracker


    @step(experiment_tracker=experiment_tracker.name, enable_cache=False)
    def train_and_evaluate(X, y) -> float:
        model = LogisticRegression()
        model.fit(X, y)
        predictions = model.predict(X)
        # score the model on the data it was given
        # (the metrics below are logged to the stack's tracker)
        accuracy = accuracy_score(y, predictions)
        f1 = f1_score(y, predictions)
        mlflow.log_metric("accuracy", accuracy)
        mlflow.log_metric("f1", f1)
        return accuracy
    """


def test_e2_a_zenml_steps_experiment_tracker_names_where_its_runs_are_compared(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"steps/evaluate.py": _ZENML_EVAL, "README.md": "# x\n"})
    assert qs["E2"]["answer"] == "yes"
    assert "in the runs of step(experiment_tracker=experiment_tracker.name" in qs["E2"]["evidence"][0]["context"]


def test_e2_near_miss_a_zenml_step_without_a_tracker_names_no_experiment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"steps/evaluate.py": _ZENML_EVAL.replace("@step(experiment_tracker=experiment_tracker.name, enable_cache=False)",
                                                                   "@step(enable_cache=False)"), "README.md": "# x\n"})
    assert "in the runs of" not in (qs["E2"]["evidence"][0].get("context") or "") if qs["E2"]["evidence"] else True


# ------------------------------------- O1/O2: a drift report fed both halves of one split of the training data

_SPLIT_STEPS = """\
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from zenml import step


    @step
    def ingest() -> pd.DataFrame:
        return pd.read_csv("data/videos.csv")


    @step
    def drift_splitting(df: pd.DataFrame):
        reference, current = train_test_split(df, test_size=0.2, random_state=23)
        return reference, current


    @step
    def load_production_batch() -> pd.DataFrame:
        return pd.read_csv("s3://bucket/inference/latest.csv")
    """

_MONITOR_STEP = """\
    import pandas as pd
    from evidently.metric_preset import ClassificationPreset, DataDriftPreset
    from evidently.report import Report
    from zenml import step


    @step
    def model_monitoring(reference_data: pd.DataFrame, current_data: pd.DataFrame) -> None:
        report = Report(metrics=[DataDriftPreset(), ClassificationPreset()])
        report.run(reference_data=reference_data, current_data=current_data)
        report.save_html("reports/drift.html")
    """

_PIPELINE = """\
    from zenml import pipeline

    from steps.data import drift_splitting, ingest, load_production_batch
    from steps.monitoring import model_monitoring


    @pipeline
    def monitoring_pipeline():
        df = ingest()
        reference, current = drift_splitting(df)
        model_monitoring(reference_data=reference, current_data=current)
    """


def _monitor_repo(pipeline: str) -> dict[str, str]:
    return {"steps/__init__.py": "", "steps/data.py": _SPLIT_STEPS, "steps/monitoring.py": _MONITOR_STEP,
            "pipelines/monitoring.py": pipeline, "run.py": "from pipelines.monitoring import monitoring_pipeline\n\nmonitoring_pipeline()\n",
            "src/train.py": _TRAIN}


def test_split_handoff_facts() -> None:
    import textwrap

    from mlscan.facts.split_handoff import fed_calls, split_steps

    steps = ast.parse(textwrap.dedent(_SPLIT_STEPS))
    assert split_steps(steps) == {"drift_splitting"}
    assert fed_calls(ast.parse(textwrap.dedent(_PIPELINE)), {"drift_splitting"}) == {"model_monitoring"}
    # near miss: the current data comes from another step
    other = _PIPELINE.replace("model_monitoring(reference_data=reference, current_data=current)",
                              "model_monitoring(reference_data=reference, current_data=load_production_batch())")
    assert fed_calls(ast.parse(textwrap.dedent(other)), {"drift_splitting"}) == set()


def test_o1_a_report_on_two_halves_of_one_split_is_capped(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _monitor_repo(_PIPELINE))
    assert qs["O1"]["answer"] != "yes"
    assert any("split" in c for e in qs["O1"]["evidence"][:1] for c in e["caveats"])


def test_o1_near_miss_a_report_on_a_production_batch_is_not_capped_by_it(tmp_path: Path) -> None:
    live = _PIPELINE.replace("model_monitoring(reference_data=reference, current_data=current)",
                             "model_monitoring(reference_data=reference, current_data=load_production_batch())")
    qs = _scan(tmp_path, _monitor_repo(live))
    assert not any("one split of the training data" in c for e in qs["O1"]["evidence"] for c in e["caveats"])
