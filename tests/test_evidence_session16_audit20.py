"""The causes of audit20's leads not shown and its wrong answers (issue #17, session 16), fixed generally. Each case scans a
small repository and checks the answer and its first evidence item; each near miss checks the other way.

- E2: a metric line far from the call naming the experiment its runs are filed under names that call beside it (runs side
  by side, E2's requirement over E1's one run); in view, or with no experiment named, nothing is added;
"""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

_README = "# Housing\n\nRun `python src/train.py`.\n"

# ---------------------------------------------------------------- E2: the experiment the metric's runs are filed under

_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor


    def train(path):
        mlflow.set_experiment("housing")
        with mlflow.start_run(run_name="rf"):
            df = pd.read_csv(path)
            X, y = df[["a", "b"]], df["price"]
            params = {"n_estimators": 200}
            mlflow.log_params(params)
            model = RandomForestRegressor(**params)
            model.fit(X, y)
            score = model.score(X, y)
            print("r2", score)
            mlflow.log_metric("r2", score)


    if __name__ == "__main__":
        train("data/train.csv")
    """


def test_e2_a_metric_far_from_its_experiment_names_the_experiment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN, "README.md": _README})
    assert qs["E2"]["answer"] == "yes"
    lead = qs["E2"]["evidence"][0]
    assert _lead(qs["E2"]) == ("src/train.py", 17)  # the metric runs are compared by
    assert lead["context"] == "in the runs of mlflow.set_experiment('housing') (line 7)"
    assert qs["E1"]["evidence"][0]["context"] == ""  # E1's run opener is not annotated


def test_e2_an_experiment_in_view_or_unnamed_adds_nothing(tmp_path: Path) -> None:
    near = _TRAIN.replace('        mlflow.set_experiment("housing")\n', "").replace(
        '            print("r2", score)\n', '            mlflow.set_experiment("housing")\n')
    qs = _scan(tmp_path / "a", {"src/train.py": near, "README.md": _README})
    assert _lead(qs["E2"]) == ("src/train.py", 16)
    assert qs["E2"]["evidence"][0]["context"] == ""  # the call is one line above the metric: the report shows it
    unnamed = _TRAIN.replace('        mlflow.set_experiment("housing")\n', "")
    qs = _scan(tmp_path / "b", {"src/train.py": unnamed, "README.md": _README})
    assert qs["E2"]["answer"] == "yes"  # the answer does not depend on it
    assert qs["E2"]["evidence"][0]["context"] == ""  # the default experiment: nothing to name


def test_e2_a_project_keyword_names_the_group_an_unrelated_call_does_not(tmp_path: Path) -> None:
    wandb = """\
    import wandb
    import pandas as pd
    from sklearn.linear_model import Ridge


    def main():
        wandb.init(project="housing", config={"alpha": 1.0})
        df = pd.read_csv("data/train.csv")
        X, y = df[["a", "b"]], df["price"]
        model = Ridge(alpha=1.0)
        model.fit(X, y)
        score = model.score(X, y)
        print(score)
        wandb.log({"r2": score})


    if __name__ == "__main__":
        main()
    """
    qs = _scan(tmp_path / "a", {"src/train.py": wandb, "README.md": _README})
    lead = qs["E2"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("src/train.py", 14)
    assert lead["context"].startswith("in the runs of wandb.init(project='housing'")
    resumed = wandb.replace('wandb.init(project="housing", config={"alpha": 1.0})', 'wandb.init(config={"alpha": 1.0})')
    qs = _scan(tmp_path / "b", {"src/train.py": resumed, "README.md": _README})
    assert qs["E2"]["evidence"][0]["context"] == ""  # no project named anywhere: W&B's default
    # the launcher hands the training job the project through the environment W&B reads
    launcher = 'from sagemaker.estimator import Estimator\n\nenvironment = {"WANDB_PROJECT": "housing", "GITHUB_SHA": "abc"}\n' \
               'Estimator(entry_point="src/train.py", environment=environment).fit()\n'
    qs = _scan(tmp_path / "c", {"src/train.py": resumed, "src/launch.py": launcher, "README.md": _README})
    assert qs["E2"]["evidence"][0]["context"] == "in the runs of WANDB_PROJECT='housing' (src/launch.py:3)"
    tagged = launcher.replace('"WANDB_PROJECT": "housing", ', "")  # another variable only
    qs = _scan(tmp_path / "d", {"src/train.py": resumed, "src/launch.py": tagged, "README.md": _README})
    assert qs["E2"]["evidence"][0]["context"] == ""


# ---------------------------------------------------------------- M2: the model's own deploy call before another deploy

_ENDPOINT_WF = """\
    on:
      pull_request:
        branches: [master]
    jobs:
      endpoint:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Deploy SageMaker endpoint
            run: |
              pip install sagemaker
              python deploy.py
    """

_PROXY_WF = """\
    on:
      push:
        branches: [master]
    jobs:
      api:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: Deploy API
            run: |
              npm install -g serverless
              serverless deploy --verbose
    """

_DEPLOY_PY = """\
    from sagemaker.pytorch import PyTorchModel

    model = PyTorchModel(model_data="s3://bucket/model.tar.gz", role="arn:aws:iam::1:role/x", framework_version="2.1",
                         py_version="py310", entry_point="inference.py")
    predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name="mnist")
    """


def test_m2_the_programs_model_deploy_call_leads_a_generic_deploy_command(tmp_path: Path) -> None:
    files = {".github/workflows/api.yml": _PROXY_WF, ".github/workflows/endpoint.yml": _ENDPOINT_WF, "deploy.py": _DEPLOY_PY,
             "serverless.yml": "service: api\nprovider:\n  name: aws\n  runtime: python3.11\n"}
    qs = _scan(tmp_path, files)
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == ("deploy.py", 5)  # predictor = model.deploy(...): the model itself is deployed
    assert (".github/workflows/api.yml", 12) in [(e["path"], e["line"]) for e in qs["M2"]["evidence"]]


def test_m2_without_a_model_deploy_call_the_deploy_command_still_leads(tmp_path: Path) -> None:
    files = {".github/workflows/api.yml": _PROXY_WF, ".github/workflows/endpoint.yml": _ENDPOINT_WF,
             "deploy.py": 'print("nothing to deploy yet")\n',
             "serverless.yml": "service: api\nprovider:\n  name: aws\n  runtime: python3.11\n"}
    qs = _scan(tmp_path, files)
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == (".github/workflows/api.yml", 12)  # serverless deploy --verbose


# ---------------------------------------------------------------- M1: a Databricks job's periodic trigger

_PERIODIC_JOB = """\
    resources:
      jobs:
        train_job:
          name: train_job
          trigger:
            periodic:
              interval: 1
              unit: DAYS
          tasks:
            - task_key: prepare_data
              notebook_task:
                notebook_path: ../notebooks/prepare_data.ipynb
            - task_key: train_model
              depends_on:
                - task_key: prepare_data
              notebook_task:
                notebook_path: ../notebooks/train_model.ipynb
    """

_DBX_BUNDLE = "bundle:\n  name: churn\n\ninclude:\n  - resources/*.yml\n\ntargets:\n  dev:\n    default: true\n"


def test_m1_a_databricks_periodic_trigger_schedules_the_training_job(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"databricks.yml": _DBX_BUNDLE, "resources/train.job.yml": _PERIODIC_JOB})
    assert qs["M1"]["answer"] == "yes"
    lead = qs["M1"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("resources/train.job.yml", 7, 8)
    assert [ln.strip() for ln in lead["snippet"].splitlines()] == ["interval: 1", "unit: DAYS"]
    assert lead["context"].endswith("train_job.trigger.periodic.interval")


def test_m1_a_paused_periodic_trigger_or_one_on_a_job_that_does_not_train_is_no_schedule(tmp_path: Path) -> None:
    paused = _PERIODIC_JOB.replace("          trigger:\n", "          trigger:\n            pause_status: PAUSED\n")
    qs = _scan(tmp_path / "a", {"databricks.yml": _DBX_BUNDLE, "resources/train.job.yml": paused})
    assert qs["M1"]["answer"] != "yes"
    ingest = _PERIODIC_JOB.replace("train_job", "ingest_job").replace("train_model", "load_table").replace("prepare_data", "read_files")
    qs = _scan(tmp_path / "b", {"databricks.yml": _DBX_BUNDLE, "resources/ingest.job.yml": ingest})
    assert qs["M1"]["answer"] == "no"


# ---------------------------------------------------------------- T2: a bundle's registered model shown with its name

def test_t2_a_registered_model_whose_name_follows_its_catalog_is_shown_with_its_name(tmp_path: Path) -> None:
    model = "resources:\n  registered_models:\n    clf:\n      catalog_name: main\n      schema_name: ml\n      name: clf_model\n"
    qs = _scan(tmp_path, {"databricks.yml": _DBX_BUNDLE, "resources/model.yml": model})
    assert qs["T2"]["answer"] == "yes"
    lead = qs["T2"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("resources/model.yml", 3, 6)
    assert lead["snippet"] == "clf:\n  name: clf_model\n  catalog_name: main"
    from mlscan.evidence import leading_problem

    assert leading_problem(lead) == ""


def test_t2_a_registered_model_without_a_name_is_shown_as_written(tmp_path: Path) -> None:
    model = "resources:\n  registered_models:\n    clf:\n      catalog_name: main\n      schema_name: ml\n"
    qs = _scan(tmp_path, {"databricks.yml": _DBX_BUNDLE, "resources/model.yml": model})
    lead = qs["T2"]["evidence"][0]
    assert (lead["line"], lead["end_line"]) == (3, 5) and lead["snippet"] == "clf:\n  catalog_name: main\n  schema_name: ml"


# ---------------------------------------------------------------- M2: a Cloud Run service that starts pipeline runs

_CLOUDBUILD = """\
    steps:
    - name: 'gcr.io/cloud-builders/docker'
      args: ['build', '-t', 'gcr.io/proj/pipeline-scheduler', '.']
    - name: 'gcr.io/cloud-builders/docker'
      args: ['push', 'gcr.io/proj/pipeline-scheduler']
    - name: 'gcr.io/cloud-builders/gcloud'
      args: ['run', 'deploy', 'pipeline-scheduler', '--image', 'gcr.io/proj/pipeline-scheduler', '--region', 'us-east1']
    images:
    - gcr.io/proj/pipeline-scheduler
    """

_TRIGGER_APP = """\
    from fastapi import FastAPI, Request
    from google.cloud import aiplatform
    from google.cloud.aiplatform import pipeline_jobs

    app = FastAPI()


    @app.post("/")
    async def predict(request: Request):
        body = await request.json()
        aiplatform.init(project=body["project"], location=body["location"])
        job = pipeline_jobs.PipelineJob(display_name="run", template_path=body["templatePath"])
        job.run(sync=False)
        return True
    """

_SERVING_APP = """\
    import joblib
    from fastapi import FastAPI, Request

    app = FastAPI()
    model = joblib.load("model.joblib")


    @app.post("/")
    async def predict(request: Request):
        body = await request.json()
        return {"prediction": model.predict([body["features"]]).tolist()}
    """

_DOCKERFILE = "FROM python:3.11-slim\nCOPY main.py requirements.txt ./\nRUN pip install -r requirements.txt\nCMD [\"uvicorn\", \"main:app\"]\n"


def test_m2_a_cloud_run_service_that_submits_pipeline_runs_deploys_no_model(tmp_path: Path) -> None:
    files = {"cloudbuild.yaml": _CLOUDBUILD, "main.py": _TRIGGER_APP, "Dockerfile": _DOCKERFILE,
             "requirements.txt": "fastapi==0.68.1\ngoogle-cloud-aiplatform==1.4.0\n"}
    qs = _scan(tmp_path, files)
    assert qs["M2"]["answer"] == "no"  # its handler is named predict, but it starts a pipeline run


def test_m2_a_cloud_run_service_that_loads_and_predicts_is_a_model_deployment(tmp_path: Path) -> None:
    files = {"cloudbuild.yaml": _CLOUDBUILD, "main.py": _SERVING_APP, "Dockerfile": _DOCKERFILE,
             "requirements.txt": "fastapi==0.68.1\nscikit-learn==1.5.0\njoblib==1.4.2\n"}
    qs = _scan(tmp_path, files)
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == ("cloudbuild.yaml", 7)


# ---------------------------------------------------------------- E4: a requirements file that mostly floats

_FIT_PY = "import pandas as pd\nfrom sklearn.linear_model import LinearRegression\n\nLinearRegression().fit(pd.read_csv('d.csv')[['a']], [1])\n"


def test_e4_a_mostly_floating_requirements_file_is_shown_at_a_floating_name(tmp_path: Path) -> None:
    reqs = "tensorflow\npandas\nzenml==0.56.4\nscikit-learn\nmlflow\n"
    qs = _scan(tmp_path, {"requirements.txt": reqs, "train.py": _FIT_PY})
    assert qs["E4"]["answer"] == "partial"  # dependencies declared but float
    assert _lead(qs["E4"]) == ("requirements.txt", 1) and qs["E4"]["evidence"][0]["snippet"] == "tensorflow"


def test_e4_a_mostly_pinned_requirements_file_is_shown_at_a_pin(tmp_path: Path) -> None:
    reqs = "tensorflow\npandas==2.2.3\nzenml==0.56.4\nscikit-learn==1.5.0\nmlflow==2.1.1\n"
    qs = _scan(tmp_path, {"requirements.txt": reqs, "train.py": _FIT_PY})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("requirements.txt", 2) and qs["E4"]["evidence"][0]["snippet"] == "pandas==2.2.3"


# ---------------------------------------------------------------- T2: a DVC remote on a local path is no partial store

_DVC_CONFIG = "[core]\n    remote = store\n['remote \"store\"']\n    url = {url}\n"
_DATA_DVC = "outs:\n- md5: 29aa6c5003152d07f31b3f2e7bf7af24\n  size: 35735\n  hash: md5\n  path: raw.csv\n"


def test_t2_a_local_path_dvc_remote_is_no_store(tmp_path: Path) -> None:
    files = {".dvc/config": _DVC_CONFIG.format(url="../../dvc_remote"), "data/raw.csv.dvc": _DATA_DVC, "train.py": _FIT_PY}
    qs = _scan(tmp_path, files)
    assert qs["T2"]["answer"] == "no"  # a directory beside the clone: nobody else reaches it


def test_t2_a_shared_dvc_remote_holding_data_only_stays_partial(tmp_path: Path) -> None:
    files = {".dvc/config": _DVC_CONFIG.format(url="s3://team-bucket/dvc"), "data/raw.csv.dvc": _DATA_DVC, "train.py": _FIT_PY}
    qs = _scan(tmp_path, files)
    assert qs["T2"]["answer"] == "partial"
    assert qs["T2"]["reason"].startswith("images are published or a DVC remote is set up")
