"""Scanner errors of session 14's final blind samples, part 2 (issue #13, session 15, branch accG), fixed generally from
the platforms' own docs and public samples: pytest run through a GitHub Actions matrix (M3), Helm/Kubernetes deploy actions
known by their inputs (M2), an orchestrator's run id is no code version (E3), a ZenML champion/challenger promotion (M4),
Databricks feature store clients registering a model (T2). Each case scans a small repository written the way the
platforms' samples write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.ci.github import matrix_commands
from mlscan.facts.ci_vocab import deploy_inputs
from mlscan.facts.tracking import code_expr, other_outputs

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M3: a command written with matrix values

_MATRIX_CI = """\
name: CI
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        python: ["3.10", "3.11"]
        include:
          - task: {{name: lint, run: "ruff check ."}}
          - task: {{name: {name}, run: "{run}"}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python }}}}
      - run: pip install -e ".[dev]"
      - name: ${{{{ matrix.task.name }}}}
        run: ${{{{ matrix.task.run }}}}
"""
_TEST = """\
from mypkg.model import predict


def test_predict_returns_one_label_per_row():
    assert predict([[1.0, 2.0], [3.0, 4.0]]) == [0, 1]
"""
_MODEL = "def predict(rows):\n    return [int(r[0] > 2) for r in rows]\n"


def _m3(tmp_path: Path, name: str, run: str) -> dict:
    return _scan(tmp_path, {
        ".github/workflows/ci.yml": _MATRIX_CI.format(name=name, run=run),
        "pyproject.toml": '[project]\nname = "mypkg"\nversion = "0.1.0"\n',
        "mypkg/__init__.py": "", "mypkg/model.py": _MODEL, "tests/test_model.py": _TEST,
    })["M3"]


def test_m3_pytest_run_through_a_matrix_value(tmp_path: Path) -> None:
    m3 = _m3(tmp_path, "test", "pytest -q tests")
    assert m3["answer"] == "yes", m3
    # the matrix value it runs leads (session 17, evidL: the test command, not the step that may open with a venv activation),
    # the step that runs it follows
    assert (m3["evidence"][0]["path"], m3["evidence"][0]["line"]) == (".github/workflows/ci.yml", 12)
    assert "pytest -q tests" in m3["evidence"][0]["snippet"] and m3["evidence"][1]["line"] == 20


def test_m3_near_miss_matrix_values_that_run_no_tests(tmp_path: Path) -> None:
    assert _m3(tmp_path, "types", "mypy mypkg")["answer"] != "yes"


@pytest.mark.parametrize("cmd, matrix, expected", [
    ("${{ matrix.task.run }}", {"task": [{"run": "pytest"}, {"run": "ruff check ."}]}, ["pytest", "ruff check ."]),
    ("${{ matrix.task.run }}", {"os": ["ubuntu"], "include": [{"task": {"run": "pytest -x"}}]}, ["pytest -x"]),
    ("python${{ matrix.python }} -m pytest", {"python": ["3.10", 3.12]}, ["python3.10 -m pytest", "python3.12 -m pytest"]),
    ("tox -e ${{ matrix['tox-env'] }}", {"tox-env": ["py311", "lint"]}, ["tox -e py311", "tox -e lint"]),
    ("pytest --gpu=${{ matrix.gpu }}", {"gpu": [True]}, ["pytest --gpu=true"]),
    # a value the matrix does not give, or a computed matrix, stays as written
    ("${{ matrix.cmd }}", {"python": ["3.11"]}, ["${{ matrix.cmd }}"]),
    ("${{ matrix.cmd }}", "${{ fromJSON(needs.plan.outputs.matrix) }}", ["${{ matrix.cmd }}"]),
    ("${{ matrix.os == 'windows' && 'a' || 'b' }}", {"os": ["windows"]}, ["${{ matrix.os == 'windows' && 'a' || 'b' }}"]),
])
def test_matrix_commands(cmd: str, matrix: object, expected: list[str]) -> None:
    assert matrix_commands(cmd, matrix) == expected


def test_matrix_commands_are_bounded() -> None:
    many = {"a": [str(i) for i in range(20)], "b": [str(i) for i in range(20)]}
    assert len(matrix_commands("run ${{ matrix.a }} ${{ matrix.b }}", many)) == 32


# ---------------------------------------------------------------- M2/E3: a registry dispatch that deploys by a helm action

# a workflow a model registry's webhook starts (repository_dispatch, as W&B's and MLflow's registry automations are
# wired): the scoring image gets the registered run's model, the version is promoted to Staging, a third-party helm
# action installs the chart
_DISPATCH_CI = """\
name: Deploy scoring model
on:
  repository_dispatch:
    types: [model-registered]
env:
  REGISTRY: ghcr.io/acme
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Download the model of the registered run
        run: |
          pip install mlflow==2.9.2
          mlflow artifacts download --run-id ${{{{ github.event.client_payload.run_id }}}} --artifact-path model --dst-path scoring/model
      - name: Build scoring image
        run: |
          {assign}
          docker build -t $REGISTRY/scoring:$TAG scoring
          docker push $REGISTRY/scoring:$TAG
      - name: Promote to Staging
        run: python scripts/promote.py --name churn --version ${{{{ github.event.client_payload.version }}}} --stage Staging
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: {action}
        with:
{inputs}
"""
_HELM_INPUTS = """\
          chart: ./charts/scoring
          release: scoring-staging
          namespace: staging
          values: |
            image:
              tag: latest
"""
_SCORING = {
    "scoring/Dockerfile": "FROM python:3.11-slim\nCOPY model /app/model\nCOPY app.py /app/app.py\n"
                          "RUN pip install mlflow==2.9.2 fastapi==0.110.0 uvicorn==0.29.0\n"
                          'CMD ["uvicorn", "app:app", "--app-dir", "/app", "--host", "0.0.0.0"]\n',
    "scoring/app.py": "import mlflow.pyfunc\nfrom fastapi import FastAPI\n\napp = FastAPI()\nmodel = mlflow.pyfunc.load_model(\"/app/model\")\n\n\n"
                      "@app.post(\"/predict\")\ndef predict(rows: list[dict]):\n    import pandas as pd\n"
                      "    return {\"predictions\": model.predict(pd.DataFrame(rows)).tolist()}\n",
    "scripts/promote.py": "import argparse\n\nfrom mlflow.tracking import MlflowClient\n\np = argparse.ArgumentParser()\n"
                          "p.add_argument(\"--name\")\np.add_argument(\"--version\")\np.add_argument(\"--stage\")\na = p.parse_args()\n"
                          "MlflowClient().transition_model_version_stage(name=a.name, version=a.version, stage=a.stage)\n",
    "charts/scoring/Chart.yaml": "apiVersion: v2\nname: scoring\nversion: 0.1.0\n",
    "charts/scoring/values.yaml": "image:\n  repository: ghcr.io/acme/scoring\n  tag: latest\n",
    "charts/scoring/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: scoring\nspec:\n  template:\n"
                                                "    spec:\n      containers:\n        - name: scoring\n"
                                                "          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    "training/train.py": "import mlflow\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n"
                         "df = pd.read_csv(\"data/train.csv\")\nwith mlflow.start_run():\n"
                         "    model = LogisticRegression().fit(df.drop(columns=[\"y\"]), df[\"y\"])\n"
                         "    mlflow.sklearn.log_model(model, \"model\", registered_model_name=\"churn\")\n",
}


def _dispatch(tmp_path: Path, assign: str = "TAG=latest", action: str = "acme/actions/helm@v2", inputs: str = _HELM_INPUTS) -> dict:
    return _scan(tmp_path, {".github/workflows/deploy.yml": _DISPATCH_CI.format(assign=assign, action=action, inputs=inputs), **_SCORING})


def test_m2_a_third_party_helm_action_known_by_its_inputs(tmp_path: Path) -> None:
    m2 = _dispatch(tmp_path)["M2"]
    assert m2["answer"] == "yes", m2
    assert (m2["evidence"][0]["path"], m2["evidence"][0]["line"]) == (".github/workflows/deploy.yml", 27)


@pytest.mark.parametrize("action, inputs", [
    ("acme/actions/helm@v2", _HELM_INPUTS + "          task: remove\n"),  # uninstalls the release
    ("acme/actions/helm@v2", _HELM_INPUTS + "          dry-run: true\n"),
    ("helm/chart-testing-action@v2", "          version: v3.10.0\n"),  # lints and tests charts
    ("acme/helm-lint@v1", "          chart: ./charts/scoring\n          release: scoring\n"),
    ("acme/actions/helm@v2", "          chart: prometheus-community/kube-prometheus-stack\n          release: monitoring\n"),
])
def test_m2_near_miss_helm_actions_that_install_no_model(tmp_path: Path, action: str, inputs: str) -> None:
    assert _dispatch(tmp_path, action=action, inputs=inputs)["M2"]["answer"] != "yes"


@pytest.mark.parametrize("ref, inputs, expected", [
    ("deliverybot/helm", {"release": "app", "namespace": "prod", "chart": "./charts/app"}, "helm"),
    ("licenseware/helm", {"chart-dir": "./helm", "release-name": "app", "action": "upgrade -i"}, "helm"),
    ("bitovi/github-actions-deploy-eks-helm", {"chart-path": "chart/", "name": "app"}, "helm"),
    ("wyrihaximus/github-action-helm3", {"exec": "helm upgrade app ./.helm/app/ --install --atomic --namespace=prod"}, "helm"),
    ("acme/kube-tools", {"command": "kubectl apply -f k8s/"}, "k8s"),
    ("acme/k8s-apply", {"manifests": "k8s/deployment.yaml", "namespace": "prod"}, "k8s"),
    ("licenseware/helm", {"chart-dir": "./helm", "release-name": "app", "action": "uninstall"}, None),
    ("azure/k8s-lint", {"manifests": "k8s/deployment.yaml"}, None),
    ("azure/k8s-bake", {"renderEngine": "helm", "helmChart": "./charts/app", "releaseName": "app"}, None),
    ("azure/setup-helm", {"version": "v3.13.0"}, None),
    ("acme/deploy-helm", {"chart": "bitnami/postgresql", "release": "db"}, None),
])
def test_deploy_inputs(ref: str, inputs: dict[str, str], expected: str | None) -> None:
    assert deploy_inputs(ref, inputs) == expected


@pytest.mark.parametrize("assign", [
    "TAG=${{ github.event.client_payload.run_id }}",  # the registry's run id, from the dispatch payload
    'TAG=$(kfp run submit -e churn -r "train-${GITHUB_SHA}" -f pipeline.yaml -w | tail -1)',  # a KFP run's id
    'TAG=$(python scripts/run_pipeline.py --run-name "train-${{ github.sha }}")',
])
def test_e3_an_orchestrator_run_id_is_no_code_version(tmp_path: Path, assign: str) -> None:
    assert _dispatch(tmp_path, assign=assign)["E3"]["answer"] != "yes"


@pytest.mark.parametrize("assign", [
    "TAG=${{ github.sha }}",
    "TAG=$GITHUB_RUN_ID",  # a CI build id
    "TAG=$(echo $GITHUB_SHA | cut -c1-7)",
    "TAG=$(git rev-parse --short HEAD)",
])
def test_e3_near_miss_commit_and_build_id_tags_stay_code_versions(tmp_path: Path, assign: str) -> None:
    e3 = _dispatch(tmp_path, assign=assign)["E3"]
    assert e3["answer"] == "yes", e3


@pytest.mark.parametrize("text, expected", [
    ("$(kfp run submit -r x-$GITHUB_SHA)", None),
    ("$(curl -s https://ci/api?sha=${{ github.sha }})", None),
    ("`python get_id.py $GITHUB_SHA`", None),
    ("$(echo ${GITHUB_SHA} | head -c 8)", "git-sha"),
    ("$(Build.BuildId)", "ci-build-id"),  # an Azure Pipelines variable
    ("$(shell git rev-parse --short HEAD)", "git-sha"),  # Make
    ("${GITHUB_SHA::7}-$(date +%s)", "git-sha"),
])
def test_code_expr_outside_other_commands_output(text: str, expected: str | None) -> None:
    assert code_expr(text) == expected


def test_other_outputs_keeps_text_around_substitutions() -> None:
    assert other_outputs("a-$(kfp run get $(cat id)) b") == "a-$(...) b"
    assert other_outputs("v$((1 + 2))") == "v$((1 + 2))"


# ---------------------------------------------------------------- T2: released models the library's own code resolves

_PYPROJECT = '[project]\nname = "denoiser"\nversion = "1.2.0"\ndependencies = ["onnxruntime>=1.17"]\n'
# a model provider class: a versioned GitHub release URL template and a sha256 table (the way rembg, insightface or
# facexlib fetch their released weights)
_PROVIDER = '''\
"""Fetch the released denoiser models."""
import hashlib
from pathlib import Path
from urllib.request import urlretrieve

from denoiser import __version__

RELEASE_URL = "https://github.com/acme/denoiser/releases/download/v{version}/{name}.onnx"
SHA256 = {
    "denoiser-small": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "denoiser-large": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
}


class ModelProvider:
    def __init__(self, cache_dir: str = "~/.cache/denoiser") -> None:
        self.cache = Path(cache_dir).expanduser()

    def path(self, name: str) -> Path:
        target = self.cache / f"{name}-{__version__}.onnx"
        if not target.exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            urlretrieve(RELEASE_URL.format(version=__version__, name=name), target)
        if hashlib.sha256(target.read_bytes()).hexdigest() != SHA256[name]:
            raise ValueError(f"checksum mismatch for {name}")
        return target
'''
_API = '''\
import onnxruntime as ort

from denoiser.models.provider import ModelProvider


def load(name: str = "denoiser-small") -> ort.InferenceSession:
    return ort.InferenceSession(str(ModelProvider().path(name)))
'''
# the library's load path resolving its own model from the Hugging Face Hub
_HUB_LOADER = '''\
import onnxruntime as ort
from huggingface_hub import hf_hub_download

DEFAULT_REPO = "acme/denoiser-small"


def load(repo_id: str = DEFAULT_REPO, revision: str = "v1.2.0") -> ort.InferenceSession:
    return ort.InferenceSession(hf_hub_download(repo_id=repo_id, filename="model.onnx", revision=revision))
'''
# a family of released checkpoints looked up by name (``from_pretrained`` of the project's own model family)
_HUB_FAMILY = '''\
from transformers import AutoModelForAudioClassification

CHECKPOINTS = {"small": "acme-audio/clean-speech-s", "large": "acme-audio/clean-speech-l"}


def load(size: str = "small"):
    return AutoModelForAudioClassification.from_pretrained(CHECKPOINTS[size])
'''
# a fine-tuning script and a tutorial starting from a third-party base model
_FINETUNE = '''\
from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments


def train(dataset):
    model = AutoModelForSequenceClassification.from_pretrained("google-bert/bert-base-uncased", num_labels=2)
    Trainer(model=model, args=TrainingArguments("out"), train_dataset=dataset).train()
    return model
'''
_README_LINK = "# denoiser\n\nDownload the weights from https://github.com/acme/denoiser/releases/download/v1.2.0/denoiser-small.onnx\n"
# a one-off upload of the release assets
_UPLOAD = '''\
import sys

import requests

url = f"https://uploads.github.com/repos/acme/denoiser/releases/{sys.argv[1]}/assets?name=denoiser-small.onnx"
requests.post(url, data=open("denoiser-small.onnx", "rb"), headers={"Authorization": f"token {sys.argv[2]}"})
'''


# one versioned release asset of the project's own repository, fetched by its load path (facexlib-style)
_OWN_WEIGHTS = '''\
import torch
from torch.hub import load_state_dict_from_url

URL = "https://github.com/acme/denoiser/releases/download/v1.2.0/denoiser-small.pth"


def load_weights(model: torch.nn.Module) -> torch.nn.Module:
    model.load_state_dict(load_state_dict_from_url(URL, map_location="cpu"))
    return model
'''
_THIRD_PARTY_WEIGHTS = '''\
import torch

URL = "https://github.com/ultralytics/assets/releases/download/v8.1.0/yolov8n.pt"


def detector(path: str = "yolov8n.pt"):
    torch.hub.download_url_to_file(URL, path)
    return torch.load(path)
'''


def _t2(tmp_path: Path, files: dict[str, str]) -> dict:
    return _scan(tmp_path, {"pyproject.toml": _PYPROJECT, "denoiser/__init__.py": '__version__ = "1.2.0"\n', **files})["T2"]


@pytest.mark.parametrize("files, lead", [
    ({"denoiser/models/__init__.py": "", "denoiser/models/provider.py": _PROVIDER, "denoiser/api.py": _API},
     ("denoiser/models/provider.py", 8)),
    ({"denoiser/hub.py": _HUB_LOADER}, ("denoiser/hub.py", 8)),
    ({"denoiser/hub.py": _HUB_FAMILY}, ("denoiser/hub.py", 7)),
    ({"denoiser/weights.py": _OWN_WEIGHTS}, ("denoiser/weights.py", 4)),
])
def test_t2_released_models_the_library_resolves(tmp_path: Path, files: dict[str, str], lead: tuple[str, int]) -> None:
    t2 = _t2(tmp_path, files)
    assert t2["answer"] == "yes", t2
    assert (t2["evidence"][0]["path"], t2["evidence"][0]["line"]) == lead


@pytest.mark.parametrize("files", [
    {"README.md": _README_LINK},
    {"scripts/upload_release.py": _UPLOAD},
    {"denoiser/train.py": _FINETUNE},
    {"examples/finetune.py": _FINETUNE.replace("google-bert/bert-base-uncased", "acme/denoiser-small")},
    # another project's released model, fetched without a checksum or a table: not this project's store
    {"denoiser/detect.py": _THIRD_PARTY_WEIGHTS},
    # a third-party model family that a training module fine-tunes
    {"denoiser/train.py": _FINETUNE.replace('"google-bert/bert-base-uncased"', 'BASES[name]')
                          + 'BASES = {"s": "google-bert/bert-base-uncased", "l": "google-bert/bert-large-uncased"}\n'},
])
def test_t2_near_miss_links_uploads_and_base_models(tmp_path: Path, files: dict[str, str]) -> None:
    assert _t2(tmp_path, files)["answer"] != "yes"


# ---------------------------------------------------------------- T2: a Databricks feature store client registers the model

_FE_TRAIN = '''\
# Databricks notebook source
import mlflow
from databricks.feature_engineering import FeatureEngineeringClient, FeatureLookup
from sklearn.ensemble import RandomForestRegressor

dbutils.widgets.text("model_name", "main.ml.taxi_fare")
model_name = dbutils.widgets.get("model_name")
fe = FeatureEngineeringClient()
raw = spark.table("main.raw.trips")
lookups = [FeatureLookup(table_name="main.ml.trip_features", lookup_key="trip_id")]
training_set = fe.create_training_set(df=raw, feature_lookups=lookups, label="fare", exclude_columns=["trip_id"])
train = training_set.load_df().toPandas()
with mlflow.start_run():
    model = RandomForestRegressor().fit(train.drop(columns=["fare"]), train["fare"])
    fe.log_model(
        model=model,
        artifact_path="model_packaged",
        flavor=mlflow.sklearn,
        training_set=training_set,
        registered_model_name=model_name,
    )
'''
_FE_BATCH = '''\
# Databricks notebook source
from databricks.feature_engineering import FeatureEngineeringClient

model_name = dbutils.widgets.get("model_name")
preds = FeatureEngineeringClient().score_batch(model_uri=f"models:/{model_name}@champion", df=spark.table("main.raw.trips_new"))
preds.write.mode("overwrite").saveAsTable("main.ml.predictions")
'''
_BUNDLE_JOBS = '''\
resources:
  jobs:
    training_job:
      name: training
      tasks:
        - task_key: train
          notebook_task:
            notebook_path: ../notebooks/Train.py
    batch_job:
      name: batch
      tasks:
        - task_key: score
          notebook_task:
            notebook_path: ../notebooks/BatchInference.py
'''


def _fe(tmp_path: Path, train: str, client: str = "databricks.feature_engineering") -> dict:
    return _scan(tmp_path, {
        "databricks.yml": "bundle:\n  name: taxi\ninclude:\n  - resources/*.yml\ntargets:\n  dev:\n    default: true\n",
        "resources/jobs.yml": _BUNDLE_JOBS, "notebooks/Train.py": train.replace("databricks.feature_engineering", client),
        "notebooks/BatchInference.py": _FE_BATCH,
    })["T2"]


@pytest.mark.parametrize("client", ["databricks.feature_engineering", "databricks.feature_store"])
def test_t2_feature_store_log_model_registers_the_model(tmp_path: Path, client: str) -> None:
    t2 = _fe(tmp_path, _FE_TRAIN.replace("FeatureEngineeringClient", "FeatureStoreClient") if client.endswith("store") else _FE_TRAIN, client)
    assert t2["answer"] == "yes", t2
    assert (t2["evidence"][0]["path"], t2["evidence"][0]["line"]) == ("notebooks/Train.py", 20)


def test_t2_near_miss_feature_store_model_logged_to_the_run_only(tmp_path: Path) -> None:
    assert _fe(tmp_path, _FE_TRAIN.replace("        registered_model_name=model_name,\n", ""))["answer"] != "yes"


# ---------------------------------------------------------------- M4: a ZenML champion/challenger promotion

_ZENML_PROMOTER = '''\
from zenml import Model, get_step_context, step
from zenml.enums import ModelStages
from zenml.logger import get_logger

logger = get_logger(__name__)


@step
def model_promoter(accuracy: float) -> bool:
    model_version = get_step_context().model
    try:
        production = Model(name=model_version.name, version=ModelStages.PRODUCTION)
        prod_accuracy = float(production.run_metadata["test_accuracy"])
    except KeyError:
        prod_accuracy = 0.0
    if accuracy > prod_accuracy:
        logger.info("New model beats production: promoting")
        model_version.set_stage({stage}, force=True)
        return True
    return False
'''
_ZENML_FILES = {
    "steps/__init__.py": "from .trainer import model_trainer\nfrom .evaluator import model_evaluator\nfrom .model_promoter import model_promoter\n",
    "steps/trainer.py": "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\nfrom zenml import step\n\n\n@step\n"
                        "def model_trainer(df: pd.DataFrame) -> RandomForestClassifier:\n"
                        "    return RandomForestClassifier().fit(df.drop(columns=[\"y\"]), df[\"y\"])\n",
    "steps/evaluator.py": "import pandas as pd\nfrom zenml import log_metadata, step\n\n\n@step\ndef model_evaluator(model, df: pd.DataFrame) -> float:\n"
                          "    acc = float(model.score(df.drop(columns=[\"y\"]), df[\"y\"]))\n"
                          "    log_metadata(metadata={\"test_accuracy\": acc}, infer_model=True)\n    return acc\n",
    "pipelines/__init__.py": "",
    "pipelines/training.py": "import pandas as pd\nfrom zenml import Model, pipeline, step\n\nfrom steps import model_evaluator, model_promoter, model_trainer\n\n\n"
                             "@step\ndef load_data() -> pd.DataFrame:\n    return pd.read_csv(\"data/train.csv\")\n\n\n"
                             "@pipeline(model=Model(name=\"churn_classifier\"))\ndef training_pipeline():\n    df = load_data()\n"
                             "    model = model_trainer(df=df)\n    model_promoter(accuracy=model_evaluator(model=model, df=df))\n",
    "pipelines/deployment.py": "from zenml import Model, pipeline\nfrom zenml.enums import ModelStages\n"
                               "from zenml.integrations.mlflow.steps import mlflow_model_deployer_step\n\n\n"
                               "@pipeline(model=Model(name=\"churn_classifier\", version=ModelStages.PRODUCTION))\ndef deployment_pipeline():\n"
                               "    mlflow_model_deployer_step(workers=1, deploy_decision=True)\n",
    "run.py": "from pipelines.deployment import deployment_pipeline\nfrom pipelines.training import training_pipeline\n\n"
              "if __name__ == \"__main__\":\n    training_pipeline()\n    deployment_pipeline()\n",
}


@pytest.mark.parametrize("stage", ["ModelStages.PRODUCTION", '"production"', "stage=ModelStages.STAGING"])
def test_m4_zenml_champion_challenger_promotion(tmp_path: Path, stage: str) -> None:
    m4 = _scan(tmp_path, {**_ZENML_FILES, "steps/model_promoter.py": _ZENML_PROMOTER.replace("{stage}", stage)})["M4"]
    assert m4["answer"] == "yes", m4
    assert (m4["evidence"][0]["path"], m4["evidence"][0]["line"]) == ("steps/model_promoter.py", 16)


def test_m4_near_miss_zenml_comparison_that_archives(tmp_path: Path) -> None:
    m4 = _scan(tmp_path, {**_ZENML_FILES, "steps/model_promoter.py": _ZENML_PROMOTER.replace("{stage}", "ModelStages.ARCHIVED")})["M4"]
    assert m4["answer"] != "yes"


def test_m4_near_miss_zenml_promotion_without_a_comparison(tmp_path: Path) -> None:
    promoter = _ZENML_PROMOTER.replace("{stage}", "ModelStages.PRODUCTION").replace("    if accuracy > prod_accuracy:\n", "    if True:\n")
    assert _scan(tmp_path, {**_ZENML_FILES, "steps/model_promoter.py": promoter})["M4"]["answer"] != "yes"


def test_m4_zenml_promotion_through_the_client(tmp_path: Path) -> None:
    promoter = _ZENML_PROMOTER.replace(
        "model_version.set_stage({stage}, force=True)",
        "Client().update_model_version(model_name_or_id=model_version.name, version_name_or_id=model_version.id, "
        "stage=ModelStages.PRODUCTION, force=True)").replace("from zenml.logger", "from zenml.client import Client\nfrom zenml.logger")
    m4 = _scan(tmp_path, {**_ZENML_FILES, "steps/model_promoter.py": promoter})["M4"]
    assert m4["answer"] == "yes", m4


@pytest.mark.parametrize("ref, inputs, expected", [
    ("acme/actions/helm", {"chart": "./helm/scoring", "namespace": "staging", "values": "image:\n  tag: latest\n"}, "helm"),
    ("stefanprodan/kube-tools", {"command": "helmv3 upgrade --install scoring ./charts/scoring --namespace staging"}, "helm"),
    ("acme/helm-push", {"chart-folder": "charts/scoring", "registry": "ghcr.io/acme"}, None),
    ("acme/actions/helm", {"chart": "./helm/scoring"}, None),  # a chart alone: nothing says it is installed
])
def test_deploy_inputs_values_and_commands(ref: str, inputs: dict[str, str], expected: str | None) -> None:
    assert deploy_inputs(ref, inputs) == expected
