"""Scanner errors of session 13's final blind samples, part 2 (issue #13, session 14, branch accE), fixed generally from
the platforms' own docs and public samples: an orchestrator's code location shipped to Dagster+ is no model deployment
and its image carries no model (E3, M2); models kept by a Dagster cloud I/O manager or put into S3 by Metaflow's client
(T2) and data put under a Metaflow run's own prefix (D1). Each case scans a small repository written the way the
platforms' samples write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- E3/M2: a Dagster+ code location is orchestrator code

# the Dagster+ hybrid quick start's workflow (dagster-io/dagster-cloud-hybrid-quickstart), shortened
_DAGSTER_CLOUD_CI = """\
name: Dagster Cloud Hybrid Deployment
on:
  push:
    branches: [main]
  pull_request:
    types: [opened, synchronize, reopened, closed]
env:
  DAGSTER_CLOUD_ORGANIZATION: acme
  DAGSTER_CLOUD_API_TOKEN: ${{ secrets.DAGSTER_CLOUD_API_TOKEN }}
  IMAGE_REGISTRY: 123456789012.dkr.ecr.us-west-2.amazonaws.com/churn
jobs:
  dagster-cloud-deploy:
    runs-on: ubuntu-22.04
    steps:
      - name: Pre-run checks
        id: prerun
        uses: dagster-io/dagster-cloud-action/actions/utils/prerun@v1.11.9
      - uses: actions/checkout@v4
      - name: Initialize build session
        uses: dagster-io/dagster-cloud-action/actions/utils/ci-init@v1.11.9
        with:
          project_dir: .
          deployment: prod
      - name: Generate docker image tag
        run: echo "IMAGE_TAG=$GITHUB_SHA-$GITHUB_RUN_ID" >> $GITHUB_ENV
      - name: Build and upload Docker image
        uses: docker/build-push-action@v4
        with:
          context: .
          push: true
          tags: ${{ env.IMAGE_REGISTRY }}:${{ env.IMAGE_TAG }}-churn
      - name: Update build session with image tag
        uses: dagster-io/dagster-cloud-action/actions/utils/dagster-cloud-cli@v1.11.9
        with:
          command: "ci set-build-output --location-name=churn --image-tag=$IMAGE_TAG-churn"
      - name: Deploy to Dagster Cloud
        uses: dagster-io/dagster-cloud-action/actions/utils/dagster-cloud-cli@v1.11.9
        with:
          command: "ci deploy"
"""
_SERVERLESS_CI = """\
name: Serverless Prod Deployment
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e ".[dev]" && pytest tests
  deploy:
    needs: test
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - name: Build and deploy to Dagster Cloud serverless
        uses: dagster-io/dagster-cloud-action/actions/serverless_prod_deploy@v0.1
        with:
          dagster_cloud_api_token: ${{ secrets.DAGSTER_CLOUD_API_TOKEN }}
          organization_id: acme
      - run: pip install dagster-cloud && dagster-cloud ci deploy
"""
_ASSETS = """\
import pandas as pd
from dagster import asset
from sklearn.linear_model import LogisticRegression


@asset
def training_data() -> pd.DataFrame:
    return pd.read_csv("s3://churn-data/raw/customers.csv")


@asset{io}
def churn_model(training_data: pd.DataFrame) -> LogisticRegression:
    model = LogisticRegression()
    model.fit(training_data.drop(columns=["churn"]), training_data["churn"])
    return model


@asset{report_io}
def churn_report(training_data: pd.DataFrame) -> pd.DataFrame:
    return training_data.describe()


@asset
def churn_scores(churn_model: LogisticRegression, training_data: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({{"score": churn_model.predict_proba(training_data.drop(columns=["churn"]))[:, 1]}})
"""
_DEFINITIONS = """\
from dagster import Definitions, FilesystemIOManager, load_assets_from_modules
from dagster_aws.s3 import S3PickleIOManager, S3Resource

from churn import assets

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    resources={{
        "{key}": {manager},
    }},
)
"""
_S3_IO = 'S3PickleIOManager(s3_resource=S3Resource(), s3_bucket="churn-dagster-io")'
_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /opt/dagster/app
COPY . /opt/dagster/app
RUN pip install -e .
"""


def _dagster(ci: dict[str, str], dockerfile: str = _DOCKERFILE, key: str = "io_manager", manager: str = _S3_IO,
             io: str = "", report_io: str = "") -> dict[str, str]:
    return {**ci, "Dockerfile": dockerfile, "dagster_cloud.yaml": "locations:\n  - location_name: churn\n    code_source:\n      package_name: churn\n",
            "churn/__init__.py": "", "churn/assets.py": _ASSETS.format(io=io, report_io=report_io),
            "churn/definitions.py": _DEFINITIONS.format(key=key, manager=manager)}


def test_e3_a_sha_tagged_code_location_image_carries_no_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({".github/workflows/deploy.yml": _DAGSTER_CLOUD_CI}))
    assert qs["E3"]["answer"] != "yes"
    assert qs["M2"]["answer"] != "yes"


def test_e3_a_code_location_image_that_bakes_in_a_model_carries_it(tmp_path: Path) -> None:
    docker = _DOCKERFILE.replace("COPY . /opt/dagster/app", "COPY models/churn.joblib /opt/dagster/app/models/\nCOPY . /opt/dagster/app")
    qs = _scan(tmp_path, {**_dagster({".github/workflows/deploy.yml": _DAGSTER_CLOUD_CI}, dockerfile=docker)})
    assert qs["E3"]["answer"] == "yes"


def test_m2_dagster_cloud_deploy_is_no_model_deployment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({".github/workflows/deploy.yml": _SERVERLESS_CI}))
    assert qs["M2"]["answer"] != "yes"


def test_m2_a_serving_deploy_beside_the_code_location_still_counts(tmp_path: Path) -> None:
    ci = _SERVERLESS_CI + """\
      - uses: google-github-actions/deploy-cloudrun@v2
        with:
          service: churn-api
          image: gcr.io/acme/churn-api:${{ github.sha }}
"""
    qs = _scan(tmp_path, _dagster({".github/workflows/deploy.yml": ci}))
    assert qs["M2"]["answer"] == "yes"
    assert 21 <= qs["M2"]["evidence"][0]["line"] <= 24  # the Cloud Run step, not the Dagster+ one


# ---------------------------------------------------------------- T2: a model asset kept by a cloud I/O manager


def test_t2_model_asset_pickled_by_the_s3_io_manager(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({}))
    assert qs["T2"]["answer"] == "yes"
    assert [(e["path"], e["line"]) for e in qs["T2"]["evidence"][:2]] == [("churn/definitions.py", 9), ("churn/assets.py", 11)]


def test_t2_legacy_io_manager_under_its_own_key(tmp_path: Path) -> None:
    files = _dagster({}, key="model_io", manager='s3_pickle_io_manager.configured({"s3_bucket": "churn-models"})',
                     io='(io_manager_key="model_io")')
    files["churn/definitions.py"] = files["churn/definitions.py"].replace("S3PickleIOManager, S3Resource", "s3_pickle_io_manager")
    qs = _scan(tmp_path, files)
    assert qs["T2"]["answer"] == "yes"


def test_t2_local_filesystem_io_manager_is_no_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({}, manager='FilesystemIOManager(base_dir="data")'))
    assert qs["T2"]["answer"] != "yes"


def test_t2_s3_io_manager_only_the_report_asset_uses_is_no_model_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({}, key="report_io", report_io='(io_manager_key="report_io")'))
    assert qs["T2"]["answer"] != "yes"


# ---------------------------------------------------------------- T2/D1: Metaflow's S3 client

_FLOW = """\
import pickle

import pandas as pd
from metaflow import FlowSpec, S3, step
from sklearn.ensemble import RandomForestClassifier


class TrainFlow(FlowSpec):
    @step
    def start(self):
        raw = pd.read_csv("s3://acme-raw/churn/customers.csv")
        processed = raw.dropna()
        with S3({scope}) as s3:
            self.data_url = s3.put("processed/train.csv", processed.to_csv(index=False))
        self.next(self.train)

    @step
    def train(self):
        df = pd.read_csv("s3://acme-raw/churn/train.csv")
        clf = RandomForestClassifier().fit(df.drop(columns=["y"]), df["y"])
        {key} = "{name}"
        with S3(run=self) as s3:
            self.url = s3.put({key}, pickle.dumps(clf))
        self.next(self.end)

    @step
    def end(self):
        print(self.url)


if __name__ == "__main__":
    TrainFlow()
"""


def _flow(scope: str = "run=self", key: str = "model_key", name: str = "model.pkl") -> str:
    return _FLOW.format(scope=scope, key=key, name=name)


def test_t2_model_put_into_s3_by_metaflow(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train_flow.py": _flow()})
    assert qs["T2"]["answer"] == "yes"
    assert (qs["T2"]["evidence"][0]["path"], qs["T2"]["evidence"][0]["line"]) == ("train_flow.py", 23)


def test_t2_metrics_put_into_s3_by_metaflow_are_no_model_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train_flow.py": _flow(key="report_key", name="metrics.json")})
    assert qs["T2"]["answer"] != "yes"


def test_d1_processed_data_put_under_the_run_prefix(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train_flow.py": _flow()})
    assert qs["D1"]["answer"] == "yes"
    assert qs["D1"]["evidence"][0]["line"] == 14


def test_d1_data_put_under_a_fixed_root_is_no_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train_flow.py": _flow(scope='s3root="s3://acme-data/churn/processed/"')})
    assert qs["D1"]["answer"] != "yes"


def test_d1_a_dataset_built_and_kept_on_the_run(tmp_path: Path) -> None:
    flow = _flow().replace('        with S3(run=self) as s3:\n            self.data_url = s3.put("processed/train.csv", processed.to_csv(index=False))\n',
                           "        self.dataset = build_features(processed)\n")
    qs = _scan(tmp_path, {"train_flow.py": flow})
    assert qs["D1"]["answer"] == "yes"


def test_d1_a_model_kept_on_the_run_is_no_dataset(tmp_path: Path) -> None:
    flow = _flow().replace('        with S3(run=self) as s3:\n            self.data_url = s3.put("processed/train.csv", processed.to_csv(index=False))\n',
                           "        self.model_config = build_features(processed)\n")
    qs = _scan(tmp_path, {"train_flow.py": flow})
    assert qs["D1"]["answer"] != "yes"


# ---------------------------------------------------------------- E1/E2: a SageMaker pipeline's experiment config

_DEFINITION = """\
{
  "Version": "2020-12-01",
  "Metadata": {},
  "Parameters": [
    {"Name": "InputDataUrl", "Type": "String", "DefaultValue": "s3://acme-ml/churn/data/training"}
  ],
  "PipelineExperimentConfig": {
    "ExperimentName": {"Get": "Execution.PipelineName"},
    "TrialName": {"Get": "Execution.PipelineExecutionId"}
  },
  "Steps": [
    {
      "Name": "TrainModel",
      "Type": "%s",
      "Arguments": {
        "AlgorithmSpecification": {"TrainingImage": "{{ training_image }}", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://acme-ml/churn/models"},
        "RoleArn": "{{ role_arn }}",
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": {"Get": "Parameters.InputDataUrl"}}}}]
      }
    }
  ]
}
"""
_CDK = """\
import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_sagemaker as sagemaker
from jinja2 import Template


class PipelineStack(cdk.Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        body = Template(Path("pipeline/definition.json").read_text()).render(training_image="xgboost:1.7-1", role_arn="arn:aws:iam::1:role/sm")
        sagemaker.CfnPipeline(self, "Pipeline", pipeline_name="churn-training", role_arn="arn:aws:iam::1:role/sm",
                              pipeline_definition={"PipelineDefinitionBody": json.dumps(json.loads(body))})


app = cdk.App()
PipelineStack(app, "churn-pipeline")
app.synth()
"""


def test_e1_e2_pipeline_definition_json_with_experiment_config_deployed_by_cdk(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline/definition.json": _DEFINITION % "Training", "infra/pipeline_stack.py": _CDK})
    assert qs["E1"]["answer"] == "yes"
    assert qs["E2"]["answer"] == "yes"
    assert qs["E1"]["evidence"][0]["path"] == "pipeline/definition.json"


def test_e1_a_definition_nothing_deploys_tracks_no_run(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline/definition.json": _DEFINITION % "Training"})
    assert qs["E1"]["answer"] != "yes"


def test_e1_a_processing_only_definition_tracks_no_training(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline/definition.json": _DEFINITION % "Processing", "infra/pipeline_stack.py": _CDK})
    assert qs["E1"]["answer"] != "yes"
    assert qs["E2"]["answer"] != "yes"


_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TrainingPipeline:
    Type: AWS::SageMaker::Pipeline
    Properties:
      PipelineName: churn-training
      RoleArn: !GetAtt PipelineRole.Arn
      PipelineDefinition:
        PipelineDefinitionBody: '{"Version": "2020-12-01", "PipelineExperimentConfig": {"ExperimentName": "churn", "TrialName": {"Get": "Execution.PipelineExecutionId"}}, "Steps": [{"Name": "Train", "Type": "Training", "Arguments": {}}]}'
"""


def test_e1_definition_inline_in_a_cloudformation_pipeline(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"template.yaml": _CFN})
    assert qs["E1"]["answer"] == "yes"


_SM_PIPELINE = """\
import sagemaker
from sagemaker.estimator import Estimator
from sagemaker.workflow.execution_variables import ExecutionVariables
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_experiment_config import PipelineExperimentConfig
from sagemaker.workflow.steps import TrainingStep


def get_pipeline(role):
    estimator = Estimator(image_uri="xgboost:1.7-1", role=role, instance_count=1, instance_type="ml.m5.xlarge",
                          output_path="s3://acme-ml/churn/models")
    train = TrainingStep(name="Train", estimator=estimator, inputs={{"train": "s3://acme-ml/churn/train"}})
    return Pipeline(
        name="churn",
        steps=[train],
        pipeline_experiment_config={config},
    )


if __name__ == "__main__":
    get_pipeline("arn:aws:iam::1:role/sm").upsert(role_arn="arn:aws:iam::1:role/sm")
"""


def test_e1_python_pipeline_with_an_experiment_config(tmp_path: Path) -> None:
    config = "PipelineExperimentConfig(ExecutionVariables.PIPELINE_NAME, ExecutionVariables.PIPELINE_EXECUTION_ID)"
    qs = _scan(tmp_path, {"pipelines/run_pipeline.py": _SM_PIPELINE.format(config=config),
                          ".github/workflows/train.yml": "on: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                                         "      - uses: actions/checkout@v4\n      - run: python pipelines/run_pipeline.py\n"})
    assert qs["E1"]["answer"] == "yes"
    assert qs["E1"]["evidence"][0]["path"] == "pipelines/run_pipeline.py"


def test_e1_python_pipeline_with_experiments_turned_off(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/run_pipeline.py": _SM_PIPELINE.format(config="None"),
                          ".github/workflows/train.yml": "on: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                                         "      - uses: actions/checkout@v4\n      - run: python pipelines/run_pipeline.py\n"})
    assert qs["E1"]["answer"] != "yes"


# ---------------------------------------------------------------- E3/T2: a model zoo file read by the model manager

_ZOO = """\
{
    "tts_models": {
        "en": {
            "ljspeech": {
                "tacotron2": {
                    "description": "Tacotron2 trained on LJSpeech.",
                    "github_rls_url": "https://github.com/acme/speech/releases/download/v0.6.1_models/tts_models--en--ljspeech--tacotron2.zip",
                    "default_vocoder": "vocoder_models/en/ljspeech/hifigan",
                    "commit": "bae2ad0f",
                    "license": "apache 2.0"
                },
                "glow-tts": {
                    "description": "Glow-TTS trained on LJSpeech.",
                    "hf_url": ["https://huggingface.co/acme/glow-tts/resolve/main/model.pth", "https://huggingface.co/acme/glow-tts/resolve/main/config.json"],
                    "commit": "%s",
                    "license": "MPL"
                }
            }
        }
    }
}
"""
_MANAGER = """\
import json
import os
from pathlib import Path
from urllib.request import urlretrieve


class ModelManager:
    def __init__(self, models_file=None):
        path = models_file or Path(__file__).parent / ".models.json"
        with open(path) as f:
            self.models = json.load(f)

    def download_model(self, name, output_dir):
        model_type, lang, dataset, model = name.split("/")
        item = self.models[model_type][lang][dataset][model]
        urls = item.get("hf_url") or [item["github_rls_url"]]
        for url in urls:
            urlretrieve(url, os.path.join(output_dir, url.rsplit("/", 1)[-1]))
        return item
"""


def test_e3_t2_model_zoo_with_a_commit_per_model_read_by_the_model_manager(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"speech/.models.json": _ZOO % "3b2a1cc0", "speech/utils/manage.py": _MANAGER})
    assert qs["E3"]["answer"] == "yes"
    assert (qs["E3"]["evidence"][0]["path"], qs["E3"]["evidence"][0]["line"]) == ("speech/.models.json", 9)
    assert qs["T2"]["answer"] == "yes"
    assert qs["T2"]["evidence"][0]["path"] == "speech/.models.json"


def test_e3_model_zoo_without_commits_records_no_code_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"speech/.models.json": (_ZOO % "unknown").replace('"bae2ad0f"', "null"), "speech/utils/manage.py": _MANAGER})
    assert qs["E3"]["answer"] != "yes"
    assert qs["T2"]["answer"] == "yes"


def test_e3_t2_a_list_of_model_links_no_code_reads_is_no_store(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"speech/.models.json": _ZOO % "3b2a1cc0", "speech/utils/manage.py": _MANAGER.replace(".models.json", "models.yaml")})
    assert qs["E3"]["answer"] != "yes"
    assert qs["T2"]["answer"] != "yes"


# ---------------------------------------------------------------- M2: a Hugging Face Space deploy; a PyPI release

_SPACE_CI = """\
name: Deploy demo to Hugging Face Spaces
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e ".[test]"
      - run: pytest tests
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install huggingface_hub
      - name: Upload the app to the Space
        env:
          HF_TOKEN: ${{ secrets.HF_TOKEN }}
        run: python scripts/deploy_space.py
"""
_SPACE_SCRIPT = """\
import os

from huggingface_hub import HfApi

api = HfApi(token=os.environ["HF_TOKEN"])
api.upload_folder(folder_path="app", repo_id="acme/ocr-demo", repo_type="{repo_type}", commit_message="deploy demo")
{restart}
"""
_APP = """\
import gradio as gr
from ocr import Reader

reader = Reader.from_pretrained("acme/ocr-base")
gr.Interface(fn=reader.read, inputs="image", outputs="text").launch()
"""
_PYPI = """\
name: Publish to PyPI
on:
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - run: python -m pip install build && python -m build
      - name: Release
        run: echo "{echo}"
      - name: Publish distribution to PyPI
        uses: pypa/gh-action-pypi-publish@release/v1
"""
_TEST = "def test_reads():\n    assert len('ocr') == 3\n"


def test_m2_app_uploaded_to_a_space_after_the_tests(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/space.yml": _SPACE_CI, "app/app.py": _APP, "tests/test_app.py": _TEST,
                          "scripts/deploy_space.py": _SPACE_SCRIPT.format(repo_type="space", restart=""),
                          ".github/workflows/pypi.yml": _PYPI.format(echo="Releasing ${{ github.ref_name }}")})
    assert qs["M2"]["answer"] == "yes"
    assert qs["M2"]["evidence"][0]["path"] == ".github/workflows/space.yml"


def test_m2_a_space_restarted_by_the_script(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/space.yml": _SPACE_CI, "app/app.py": _APP,
                          "scripts/deploy_space.py": _SPACE_SCRIPT.format(repo_type="model", restart='api.restart_space(repo_id="acme/ocr-demo")')})
    assert qs["M2"]["answer"] == "yes"


def test_m2_an_upload_to_a_model_repository_deploys_no_app(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/space.yml": _SPACE_CI, "app/app.py": _APP,
                          "scripts/deploy_space.py": _SPACE_SCRIPT.format(repo_type="model", restart="")})
    assert qs["M2"]["answer"] == "no"


def test_m2_a_pypi_release_is_no_placeholder_deploy(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pypi.yml": _PYPI.format(echo="Releasing ${{ github.ref_name }} to PyPI"), "app/app.py": _APP})
    assert qs["M2"]["answer"] == "no"


def test_m2_a_deploy_echo_in_a_package_workflow_is_still_a_placeholder(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/pypi.yml": _PYPI.format(echo="Deploying the model endpoint"), "app/app.py": _APP})
    assert qs["M2"]["answer"] == "partial"


# ---------------------------------------------------------------- T1/T3: a documentation site about another repository

_MKDOCS = "site_name: Churn MLOps guide\nnav:\n  - Home: index.md\n  - Setup: setup.md\n  - Retraining: retraining.md\n  - Model rollback: rollback.md\n"
_INDEX = "# Churn MLOps guide\n\nThis site documents how the churn model project is built, trained and served.\n"
_SETUP_PAGE = """\
# Setup

Clone the project and install its dependencies:

```bash
git clone https://github.com/acme/churn-model.git
cd churn-model
pip install -r requirements.txt
```

Train the model:

```bash
python src/train.py --config configs/train.yaml
```
"""
_RETRAIN_PAGE = """\
# Retraining the model

1. Pull the newest labelled data and retrain:

   ```bash
   python src/train.py --config configs/train.yaml
   ```

2. Open a pull request with the new metrics.
"""
_ROLLBACK_PAGE = """\
# Model rollback

## Rolling back the model

1. Run `python scripts/rollback.py --to previous` to point the endpoint at the last good version.
2. Check the endpoint with `bash scripts/smoke_test.sh`.
"""
_SITE = {"mkdocs.yml": _MKDOCS, "docs/index.md": _INDEX, "docs/setup.md": _SETUP_PAGE, "docs/retraining.md": _RETRAIN_PAGE,
         "docs/rollback.md": _ROLLBACK_PAGE}
_PROJECT = {"requirements.txt": "scikit-learn==1.5.0\npandas==2.2.2\n", "configs/train.yaml": "max_depth: 6\n",
            "src/train.py": "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
                            "df = pd.read_csv('data/train.csv')\nRandomForestClassifier().fit(df.drop(columns=['y']), df['y'])\n",
            "scripts/rollback.py": "import sys\n\nprint('roll back to', sys.argv[1:])\n", "scripts/smoke_test.sh": "curl -fsS http://localhost:8080/health\n"}


def test_t1_t3_a_docs_site_about_another_repository_is_no_setup_and_no_runbook(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _SITE)
    assert qs["T1"]["answer"] != "yes"
    assert qs["T3"]["answer"] != "yes"


def test_t1_t3_the_same_pages_beside_the_project_they_describe(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {**_SITE, **_PROJECT})
    assert qs["T1"]["answer"] == "yes"
    assert qs["T3"]["answer"] == "yes"


_SPLIT_CI = """\
name: Deploy code location
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t 123456789012.dkr.ecr.us-west-2.amazonaws.com/churn:${{ github.sha }} . && docker push 123456789012.dkr.ecr.us-west-2.amazonaws.com/churn:${{ github.sha }}
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: pip install dagster-cloud
      - run: dagster-cloud workspace add-location --location-name churn --image 123456789012.dkr.ecr.us-west-2.amazonaws.com/churn:${{ github.sha }}
"""


def test_e3_an_image_built_for_the_job_that_ships_the_code_location(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dagster({".github/workflows/deploy.yml": _SPLIT_CI}))
    assert qs["E3"]["answer"] != "yes"
    assert qs["M2"]["answer"] != "yes"


def test_e3_the_same_image_built_for_a_serving_deploy_carries_the_code_version(tmp_path: Path) -> None:
    ci = _SPLIT_CI.replace("      - run: pip install dagster-cloud\n      - run: dagster-cloud workspace add-location --location-name churn --image",
                           "      - run: kubectl set image deployment/churn-api api=")
    qs = _scan(tmp_path, _dagster({".github/workflows/deploy.yml": ci}, dockerfile=_DOCKERFILE.replace("COPY . /opt/dagster/app", "COPY models/ /app/models/")))
    assert qs["E3"]["answer"] == "yes"


_BOTO3_DEPLOY = """\
import boto3
from jinja2 import Template

body = Template(open("pipeline/definition.json").read()).render(instance_count=1, training_image="xgboost:1.7-1")
boto3.client("sagemaker").create_pipeline(PipelineName="churn", PipelineDefinition=body, RoleArn="arn:aws:iam::1:role/sm")
"""


def test_e1_a_definition_template_with_bare_placeholders(tmp_path: Path) -> None:
    template = (_DEFINITION % "Training").replace('"RoleArn": "{{ role_arn }}",', '"ResourceConfig": {"InstanceCount": {{ instance_count }}},')
    qs = _scan(tmp_path, {"pipeline/definition.json": template, "deploy/create_pipeline.py": _BOTO3_DEPLOY})
    assert qs["E1"]["answer"] == "yes"
    assert qs["E1"]["evidence"][0]["path"] == "pipeline/definition.json"
