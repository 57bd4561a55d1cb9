"""The leads session 12's final blind samples judged not shown (issue #17, session 13): the wrong file of the right kind
(a placeholder starter deploy workflow, a CI smoke ``docker run``, a batch job's commit, a cluster anchor no job uses, a
template's "create a project" step, a copy of the training module nothing runs), the deciding line beside the cited one
(a Databricks job's declared data input, a bundle's grant) and E2 led by E1's logged metric instead of the comparison of
runs. Fixtures follow the platforms' own public samples (GitHub's starter workflows, Databricks MLOps Stacks); each case
has a near miss."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mlscan.facts.ci_vocab import smoke_run
from mlscan.facts.placeholders import unfilled_settings
from mlscan.facts.tracking import run_comparison

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M2: an unmodified starter deploy workflow

# GitHub's "Deploy to Amazon ECS" starter workflow (actions/starter-workflows deployments/aws.yml), as a repository
# gets it when it adds the starter without filling it in
_ECS_STARTER = """\
    name: Deploy to Amazon ECS

    on:
      push:
        branches: [ "main" ]

    env:
      AWS_REGION: MY_AWS_REGION                   # set this to your preferred AWS region, e.g. us-west-1
      ECR_REPOSITORY: MY_ECR_REPOSITORY           # set this to your Amazon ECR repository name
      ECS_SERVICE: MY_ECS_SERVICE                 # set this to your Amazon ECS service name
      ECS_CLUSTER: MY_ECS_CLUSTER                 # set this to your Amazon ECS cluster name
      ECS_TASK_DEFINITION: MY_ECS_TASK_DEFINITION # set this to the path to your Amazon ECS task definition
      CONTAINER_NAME: MY_CONTAINER_NAME           # set this to the name of the container in the

    permissions:
      contents: read

    jobs:
      deploy:
        name: Deploy
        runs-on: ubuntu-latest
        environment: production

        steps:
        - name: Checkout
          uses: actions/checkout@v4

        - name: Configure AWS credentials
          uses: aws-actions/configure-aws-credentials@v1
          with:
            aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
            aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
            aws-region: ${{ env.AWS_REGION }}

        - name: Login to Amazon ECR
          id: login-ecr
          uses: aws-actions/amazon-ecr-login@v1

        - name: Build, tag, and push image to Amazon ECR
          id: build-image
          env:
            ECR_REGISTRY: ${{ steps.login-ecr.outputs.registry }}
            IMAGE_TAG: ${{ github.sha }}
          run: |
            docker build -t $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG .
            docker push $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG
            echo "image=$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG" >> $GITHUB_OUTPUT

        - name: Fill in the new image ID in the Amazon ECS task definition
          id: task-def
          uses: aws-actions/amazon-ecs-render-task-definition@v1
          with:
            task-definition: ${{ env.ECS_TASK_DEFINITION }}
            container-name: ${{ env.CONTAINER_NAME }}
            image: ${{ steps.build-image.outputs.image }}

        - name: Deploy Amazon ECS task definition
          uses: aws-actions/amazon-ecs-deploy-task-definition@v1
          with:
            task-definition: ${{ steps.task-def.outputs.task-definition }}
            service: ${{ env.ECS_SERVICE }}
            cluster: ${{ env.ECS_CLUSTER }}
            wait-for-service-stability: true
    """

_FILLED = {"MY_AWS_REGION": "eu-west-1", "MY_ECR_REPOSITORY": "churn-api", "MY_ECS_SERVICE": "churn-api-service", "MY_ECS_CLUSTER": "ml-prod",
           "MY_ECS_TASK_DEFINITION": ".aws/task-definition.json", "MY_CONTAINER_NAME": "churn-api"}

_SERVING = {"Dockerfile": "FROM python:3.11-slim\nCOPY . .\nCMD [\"uvicorn\", \"app:app\"]\n",
            "app.py": "import joblib\nfrom fastapi import FastAPI\napp = FastAPI()\nmodel = joblib.load('model.pkl')\n\n\n"
                      "@app.post('/predict')\ndef predict(x: list[float]):\n    return {'y': model.predict([x]).tolist()}\n"}

_GCLOUD_DEPLOY = """\
    name: deploy
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: gcloud run deploy churn-api --image gcr.io/acme/churn:${{ github.sha }} --region europe-west1
    """


def test_m2_an_unfilled_starter_deploy_is_no_deploy(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/aws.yml": _ECS_STARTER, **_SERVING})
    assert qs["M2"]["answer"] == "partial"
    assert _lead(qs["M2"])[0] == ".github/workflows/aws.yml"


def test_m2_leads_with_the_real_deploy_not_the_starter(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/aws.yml": _ECS_STARTER, ".github/workflows/deploy.yml": _GCLOUD_DEPLOY, **_SERVING})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"])[0] == ".github/workflows/deploy.yml"
    assert all(e["path"] != ".github/workflows/aws.yml" for e in qs["M2"]["evidence"])


def test_m2_a_filled_in_starter_deploys(tmp_path: Path) -> None:
    text = _ECS_STARTER
    for k, v in _FILLED.items():
        text = text.replace(f": {k} ", f": {v} ")
    qs = _scan(tmp_path, {".github/workflows/aws.yml": text, **_SERVING})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"])[0] == ".github/workflows/aws.yml"


def test_unfilled_settings_reads_the_starters_placeholders() -> None:
    env = (("ECS_SERVICE", "MY_ECS_SERVICE"), ("AZURE_WEBAPP_NAME", "your-app-name"), ("CLUSTER", "<cluster-name>"),
           ("IMAGE", "gcr.io/$PROJECT/app"), ("REGION", "us-central1"))
    assert unfilled_settings(["${{ env.ECS_SERVICE }}"], env) == ["ECS_SERVICE"]
    assert unfilled_settings(["az webapp up --name $AZURE_WEBAPP_NAME"], env) == ["AZURE_WEBAPP_NAME"]
    assert unfilled_settings(["--cluster ${CLUSTER}"], env) == ["CLUSTER"]
    # values filled in, or filled by CI at run time, are settings
    assert unfilled_settings(["${{ env.IMAGE }} ${{ env.REGION }} ${{ secrets.TOKEN }} $UNSET"], env) == []


# ---------------------------------------------------------------- M2: a CI smoke run of the image is no deployment

def _smoke_workflow(run: str, then: str = "", name: str = "Start the container") -> str:
    return f"""\
    name: ci
    on: {{push: {{branches: [main]}}}}
    jobs:
      build:
        runs-on: self-hosted
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t churn-api:latest .
          - name: {name}
            run: |
              {run}
              curl --fail http://localhost:8000/health
    {then}"""


def test_m2_a_smoke_run_that_the_job_stops_is_no_deploy(tmp_path: Path) -> None:
    wf = _smoke_workflow("docker run -d --name api -p 8000:8000 churn-api:latest", "          - run: docker stop api && docker rm api\n")
    qs = _scan(tmp_path, {".github/workflows/ci.yml": wf, **_SERVING})
    assert qs["M2"]["answer"] == "no"


def test_m2_a_run_in_a_step_named_for_a_smoke_test_is_no_deploy(tmp_path: Path) -> None:
    wf = _smoke_workflow("docker run -d --restart always -p 8000:8000 churn-api:latest", name="Smoke test the image")
    qs = _scan(tmp_path, {".github/workflows/ci.yml": wf, **_SERVING})
    assert qs["M2"]["answer"] == "no"


def test_m2_a_kept_up_run_on_the_projects_runner_still_deploys(tmp_path: Path) -> None:
    # the container removed *before* the run (a redeploy) and a step named for deploying and verifying
    wf = _smoke_workflow("docker rm -f api || true\n              docker run -d --restart always --name api -p 80:8000 churn-api:latest",
                         name="Deploy and verify")
    qs = _scan(tmp_path, {".github/workflows/cd.yml": wf, **_SERVING})
    assert qs["M2"]["answer"] == "yes"
    assert "docker run" in qs["M2"]["evidence"][0]["snippet"]


def test_smoke_run_reads_later_stops_of_the_same_container() -> None:
    run = "docker run -d --name api -p 8000:8000 img"
    assert smoke_run(run, ["curl localhost:8000", "docker stop api"])
    assert smoke_run(run, ["docker container rm -f api"])
    assert not smoke_run(run, ["docker stop other"])
    assert not smoke_run(run, [], "Run the service")
    assert smoke_run(run, [], "Health check")
    assert not smoke_run(run, [], "Deploy and smoke test")


# ---------------------------------------------------------------- Databricks MLOps Stacks: a generated project

_GRANTS = """\
    # Allow users to read the experiment
    common_permissions: &permissions
      permissions:
        - level: CAN_READ
          group_name: users

    # Allow users to execute models in Unity Catalog
    grants: &grants
      grants:
        - privileges:
            - EXECUTE
          principal: account users

    # Defines model and experiments
    resources:
      registered_models:
        model:
          name: ${var.model_name}
          catalog_name: ${var.catalog_name}
          schema_name: churn
          comment: Registered model in Unity Catalog for the "churn" ML Project for ${bundle.target} deployment target.
          <<: *grants

      experiments:
        experiment:
          name: ${var.experiment_name}
          <<: *permissions
          description: MLflow Experiment used to track runs for churn project.
    """

_CLUSTER = """\
    new_cluster: &new_cluster
      new_cluster:
        num_workers: 3
        spark_version: 15.3.x-cpu-ml-scala2.12
        node_type_id: i3.xlarge
        data_security_mode: "SINGLE_USER"

    common_permissions: &permissions
      permissions:
        - level: CAN_VIEW
          group_name: users
"""

_TRAINING_JOB = _CLUSTER + """\
    resources:
      jobs:
        model_training_job:
          name: ${bundle.target}-churn-model-training-job
          job_clusters:
            - job_cluster_key: model_training_job_cluster
              <<: *new_cluster
          tasks:
            - task_key: Train
              job_cluster_key: model_training_job_cluster
              notebook_task:
                notebook_path: ../training/notebooks/Train.py
                base_parameters:
                  env: ${bundle.target}
                  training_data_path: /databricks-datasets/nyctaxi-with-zipcodes/subsampled
                  experiment_name: ${var.experiment_name}
                  model_name: ${var.catalog_name}.churn.${var.model_name}
                  # git source information of current ML resource deployment. It will be persisted as part of the workflow run
                  git_source_info: url:${bundle.git.origin_url}; branch:${bundle.git.branch}; commit:${bundle.git.commit}
            - task_key: ModelValidation
              job_cluster_key: model_training_job_cluster
              depends_on:
                - task_key: Train
              notebook_task:
                notebook_path: ../validation/notebooks/ModelValidation.py
                base_parameters:
                  experiment_name: ${var.experiment_name}
                  run_mode: enabled
          schedule:
            quartz_cron_expression: "0 0 9 * * ?" # daily at 9am
            timezone_id: UTC
          <<: *permissions
    """

_BATCH_JOB = _CLUSTER + """\
    resources:
      jobs:
        batch_inference_job:
          name: ${bundle.target}-churn-batch-inference-job
          tasks:
            - task_key: batch_inference_job
              <<: *new_cluster
              notebook_task:
                notebook_path: ../deployment/batch_inference/notebooks/BatchInference.py
                base_parameters:
                  env: ${bundle.target}
                  input_table_name: ${var.catalog_name}.churn.feature_store_inference_input
                  output_table_name: ${var.catalog_name}.churn.predictions
                  # git source information of current ML resource deployment. It will be persisted as part of the workflow run
                  git_source_info: url:${bundle.git.origin_url}; branch:${bundle.git.branch}; commit:${bundle.git.commit}
          schedule:
            quartz_cron_expression: "0 0 11 * * ?" # daily at 11am
            timezone_id: UTC
    """

# a resource file whose job was removed: its cluster anchor is left, no job refers to it
_UNUSED_CLUSTER = _CLUSTER + """\
    resources:
      quality_monitors:
        churn_quality_monitor:
          table_name: dev.churn.predictions
          output_schema_name: ${bundle.target}.churn
          schedule:
            quartz_cron_expression: 0 0 8 * * ?
            timezone_id: UTC
    """

_BUNDLE = """\
    bundle:
      name: churn

    include:
      - ./resources/*.yml

    targets:
      dev:
        default: true
        workspace:
          host: https://adb-123.azuredatabricks.net
    """

_TRAIN_NB = """\
    # Databricks notebook source
    import mlflow
    from sklearn.ensemble import RandomForestRegressor

    training_data_path = dbutils.widgets.get("training_data_path")
    df = spark.read.format("delta").load(training_data_path).toPandas()
    X, y = df.drop("fare_amount", axis=1), df["fare_amount"]
    with mlflow.start_run():
        model = RandomForestRegressor(n_estimators=100).fit(X, y)
        mlflow.log_metric("rmse", 1.0)
        mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name=dbutils.widgets.get("model_name"))
    """


def _stacks(**over: str) -> dict[str, str]:
    files = {"databricks.yml": _BUNDLE, "resources/ml-artifacts-resource.yml": _GRANTS, "resources/model-workflow-resource.yml": _TRAINING_JOB,
             "resources/batch-inference-workflow-resource.yml": _BATCH_JOB, "training/notebooks/Train.py": _TRAIN_NB}
    files.update(over)
    return {k: v for k, v in files.items() if v}


def _line(files: dict[str, str], path: str, text: str) -> int:
    import textwrap

    return next(i for i, ln in enumerate(textwrap.dedent(files[path]).splitlines(), 1) if text in ln)


def test_t4_cites_the_grant_not_the_resource_that_merges_it(tmp_path: Path) -> None:
    files = _stacks()
    qs = _scan(tmp_path, files)
    assert qs["T4"]["answer"] == "yes"
    path, line = _lead(qs["T4"])
    assert path == "resources/ml-artifacts-resource.yml"
    assert "privileges" in qs["T4"]["evidence"][0]["snippet"]
    assert _line(files, path, "grants:") < line <= _line(files, path, "principal:")


def test_t4_cites_a_grant_written_on_the_model_itself(tmp_path: Path) -> None:
    inline = _GRANTS.replace("      <<: *grants\n", "      grants:\n            - privileges: [EXECUTE]\n              principal: ml-consumers\n")
    files = _stacks(**{"resources/ml-artifacts-resource.yml": inline})
    qs = _scan(tmp_path, files)
    assert qs["T4"]["answer"] == "yes"
    assert "ml-consumers" in qs["T4"]["evidence"][0]["snippet"] or "EXECUTE" in qs["T4"]["evidence"][0]["snippet"]


def test_e3_leads_with_the_training_jobs_commit_not_the_batch_jobs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _stacks())
    assert qs["E3"]["answer"] == "yes"
    assert _lead(qs["E3"])[0] == "resources/model-workflow-resource.yml"
    assert [e["path"] for e in qs["E3"]["evidence"]].index("resources/batch-inference-workflow-resource.yml") > 0


def test_e3_a_batch_jobs_commit_alone_still_answers(tmp_path: Path) -> None:
    no_commit = _TRAINING_JOB.replace("commit:${bundle.git.commit}", "").replace("git_source_info", "git_note")
    qs = _scan(tmp_path, _stacks(**{"resources/model-workflow-resource.yml": no_commit}))
    assert qs["E3"]["answer"] == "yes"
    assert _lead(qs["E3"])[0] == "resources/batch-inference-workflow-resource.yml"


def test_e4_a_cluster_anchor_no_job_uses_follows_the_used_ones(tmp_path: Path) -> None:
    # the unused file sorts first by name: only its attribute puts it after the training job's cluster
    qs = _scan(tmp_path, _stacks(**{"resources/batch-inference-workflow-resource.yml": "",
                                    "resources/a-monitoring-resource.yml": _UNUSED_CLUSTER}))
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "resources/model-workflow-resource.yml"
    paths = [e["path"] for e in qs["E4"]["evidence"]]
    assert paths.index("resources/a-monitoring-resource.yml") > 0


def test_e4_a_cluster_anchor_alone_still_answers(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"databricks.yml": _BUNDLE, "resources/monitoring-resource.yml": _UNUSED_CLUSTER, "training/notebooks/Train.py": _TRAIN_NB})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0] == "resources/monitoring-resource.yml"


def test_d3_a_databricks_job_cites_the_training_tasks_data_input(tmp_path: Path) -> None:
    files = _stacks()
    qs = _scan(tmp_path, files)
    assert qs["D3"]["answer"] == "yes"
    path, line = _lead(qs["D3"])
    assert path == "resources/model-workflow-resource.yml"
    assert line == _line(files, path, "training_data_path:")


def test_d3_a_job_of_tasks_naming_no_data_cites_its_edge_not_a_merge_key(tmp_path: Path) -> None:
    no_data = _TRAINING_JOB.replace("training_data_path: /databricks-datasets/nyctaxi-with-zipcodes/subsampled", "n_estimators: '100'")
    files = _stacks(**{"resources/model-workflow-resource.yml": no_data})
    qs = _scan(tmp_path, files)
    assert qs["D3"]["answer"] == "yes"
    lead = qs["D3"]["evidence"][0]
    assert "<<" not in lead["snippet"]
    # the edge: the task that waits, its ``depends_on:`` and the task it waits for (session 14: with the waiting task)
    assert lead["end_line"] == _line(files, "resources/model-workflow-resource.yml", "depends_on:") + 1
    assert "depends_on:" in lead["snippet"] and "].depends_on: " in lead["context"]


# ---------------------------------------------------------------- T1: a template's "create a project" step

_README = """\
    # churn

    This project was generated from the Databricks MLOps Stacks template.

    ## Getting started

    1. Run `{first}` via the Databricks CLI to add CI/CD to this project.

    2. Install the dependencies:

    ```bash
    pip install -r requirements.txt
    ```

    3. Deploy the bundle to your dev workspace and run the training job:

    ```bash
    databricks bundle deploy -t dev
    databricks bundle run -t dev model_training_job
    ```
    """


@pytest.mark.parametrize("first", ["databricks bundle init mlops-stacks", "cookiecutter https://github.com/drivendata/cookiecutter-data-science",
                                   "copier copy gh:acme/ml-template churn", "kedro new --starter=spaceflights"])
def test_t1_does_not_lead_with_creating_a_project(tmp_path: Path, first: str) -> None:
    qs = _scan(tmp_path, {"README.md": _README.format(first=first), "requirements.txt": "mlflow==2.11.3\n", "train.py": "import mlflow\n"})
    assert qs["T1"]["answer"] == "yes"
    assert "pip install -r requirements.txt" in qs["T1"]["evidence"][0]["snippet"]


def test_t1_a_page_whose_only_step_creates_a_project_still_cites_it(tmp_path: Path) -> None:
    readme = "# ml template\n\n## Usage\n\n```bash\ncookiecutter https://github.com/acme/ml-template\n```\n"
    qs = _scan(tmp_path, {"README.md": readme, "train.py": "import mlflow\n"})
    if qs["T1"]["evidence"]:
        assert "cookiecutter" in qs["T1"]["evidence"][0]["snippet"]


# ---------------------------------------------------------------- E2: the comparison of runs, not E1's logged metric

_SWEEP = """\
    import mlflow
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    for n in (10, 50, 100):
        with mlflow.start_run():
            mlflow.log_param("n_estimators", n)
            model = RandomForestClassifier(n_estimators=n).fit(X, y)
            for epoch in range(3):
                mlflow.log_metric("accuracy", model.score(X, y), step=epoch)
    """

_SELECT = """\
    import mlflow


    def best_run(experiment_id):
        runs = mlflow.search_runs(
            experiment_ids=[experiment_id],
            filter_string="attributes.status = 'FINISHED'",
            order_by=["metrics.accuracy DESC"],
            max_results=1,
        )
        return runs.iloc[0]["run_id"]


    if __name__ == "__main__":
        mlflow.register_model(f"runs:/{best_run('1')}/model", "iris")
    """

_TRAIN_WF = """\
    name: train
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python src/train.py
          - run: python src/select_best.py
    """


def test_e2_leads_with_the_comparison_of_runs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _SWEEP, "src/select_best.py": _SELECT, ".github/workflows/train.yml": _TRAIN_WF})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"]) == ("src/select_best.py", 8)
    assert _lead(qs["E1"])[0] == "src/train.py"


def test_e2_a_search_that_orders_nothing_compares_nothing(tmp_path: Path) -> None:
    listing = _SELECT.replace('            order_by=["metrics.accuracy DESC"],\n', "")
    qs = _scan(tmp_path, {"src/train.py": _SWEEP, "src/select_best.py": listing, ".github/workflows/train.yml": _TRAIN_WF})
    assert qs["E2"]["answer"] == "yes"
    assert _lead(qs["E2"])[0] == "src/train.py"


def test_e2_a_comparison_alone_is_no_yes(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/select_best.py": _SELECT, ".github/workflows/train.yml": _TRAIN_WF})
    assert qs["E2"]["answer"] != "yes"


@pytest.mark.parametrize(("src", "line"), [
    ('import mlflow\nruns = mlflow.search_runs(experiment_ids=["1"])\nbest = runs["metrics.auc"].idxmax()\n', 3),
    ('import mlflow\nruns = mlflow.search_runs(experiment_ids=["1"])\nbest = runs.sort_values("metrics.rmse").iloc[0]\n', 3),
    ('from mlflow import MlflowClient\nruns = MlflowClient().search_runs(["1"], order_by=["metrics.f1 DESC"])\n', 2),
    ('import wandb\nruns = wandb.Api().runs("team/proj", order="-summary_metrics.val_acc")\n', 2),
])
def test_run_comparison_finds_the_deciding_line(src: str, line: int) -> None:
    assert run_comparison(ast.parse(src)) is not None
    assert run_comparison(ast.parse(src))[0] == line  # type: ignore[index]


@pytest.mark.parametrize("src", [
    'import mlflow\nruns = mlflow.search_runs(experiment_ids=["1"])\nprint(runs)\n',
    'import mlflow\nruns = mlflow.search_runs(experiment_ids=["1"])\nruns.sort_values("start_time")\n',
    'import mlflow\nruns = mlflow.search_runs(experiment_ids=["1"], order_by=["attributes.start_time DESC"])\n',
])
def test_run_comparison_near_misses(src: str) -> None:
    assert run_comparison(ast.parse(src)) is None


# ---------------------------------------------------------------- E1: the training module an automated path runs

_TRAIN_MODULE = """\
    import mlflow
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier


    def main():
        df = pd.read_csv("data/train.csv")
        X, y = df.drop(columns=["label"]), df["label"]
        with mlflow.start_run():
            mlflow.log_param("n_estimators", 100)
            model = RandomForestClassifier(n_estimators=100).fit(X, y)
            mlflow.log_metric("accuracy", model.score(X, y))
            mlflow.sklearn.log_model(model, "model")


    if __name__ == "__main__":
        main()
    """

_RUN_WF = """\
    name: train
    on: {push: {branches: [main]}}
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python src/pipeline/train_model.py
    """

_E1_FILES = {"src/pipeline/train_model.py": _TRAIN_MODULE, "src/a_model_training.py": _TRAIN_MODULE,
             "README.md": "# churn\n\n`src/a_model_training.py` is the notebook-era script.\n"}


def test_e1_leads_with_the_module_ci_runs_not_a_copy(tmp_path: Path) -> None:
    # the copy is named in the README (so it is not unreached) and sorts first by path
    qs = _scan(tmp_path, {**_E1_FILES, ".github/workflows/train.yml": _RUN_WF})
    assert qs["E1"]["answer"] == "yes"
    assert _lead(qs["E1"])[0] == "src/pipeline/train_model.py"


def test_e1_without_automation_the_copies_rank_by_path(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _E1_FILES)
    assert _lead(qs["E1"])[0] in ("src/a_model_training.py", "src/pipeline/train_model.py")


# ---------------------------------------------------------------- O1/O2: a lakehouse quality monitor's deciding line

_MONITOR = """\
    resources:
      quality_monitors:
        churn_quality_monitor:
          table_name: dev.churn.predictions
          output_schema_name: ${bundle.target}.churn
          assets_dir: /Users/${workspace.current_user.userName}/databricks_lakehouse_monitoring
          inference_log:
            granularities: [1 day]
            model_id_col: model_id
            prediction_col: prediction
            label_col: price
            problem_type: PROBLEM_TYPE_REGRESSION
            timestamp_col: timestamp
          schedule:
            quartz_cron_expression: 0 0 8 * * ?
            timezone_id: UTC
    """


def test_o1_o2_a_quality_monitor_is_cited_at_the_columns_it_profiles(tmp_path: Path) -> None:
    files = _stacks(**{"resources/monitoring-resource.yml": _MONITOR})
    qs = _scan(tmp_path, files)
    where = "resources/monitoring-resource.yml"
    assert qs["O1"]["answer"] == qs["O2"]["answer"] == "yes"
    assert _lead(qs["O1"]) == (where, _line(files, where, "label_col:"))  # performance: measured on the ground truth
    assert _lead(qs["O2"]) == (where, _line(files, where, "prediction_col:"))  # model drift: the predictions


def test_o1_a_time_series_monitor_of_a_table_watches_no_model(tmp_path: Path) -> None:
    table = _MONITOR.replace("inference_log:", "time_series:").replace("        model_id_col: model_id\n", "").replace(
        "        prediction_col: prediction\n", "").replace("        label_col: price\n", "").replace("        problem_type: PROBLEM_TYPE_REGRESSION\n", "")
    qs = _scan(tmp_path, _stacks(**{"resources/monitoring-resource.yml": table}))
    assert qs["O1"]["answer"] != "yes"
