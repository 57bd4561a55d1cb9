"""Scanner errors of session 15's blind samples, part 2 (issue #13, session 16, branch accJ), fixed generally from the
tools' own docs and public samples: a drift report between slices of one training file (O1), Vertex AI's prediction drift
objective (feature drift of the requests, O2), Dora experiment grids (E2), a CI build number in a SageMaker model's name
and a git commit in an OpenLineage source-code facet (E3), pins of a vendored upstream baseline (E4), and a Hub upload
behind a flag that defaults off (T2). Each case scans a small repository written the way the tools' samples write it;
the near miss checks the other way."""

from __future__ import annotations

import ast
from pathlib import Path

from mlscan.facts.placeholders import one_file_slices

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- O1: one training file against itself

_TRAIN = """\
import joblib
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

df = pd.read_csv("data/daily_sales.csv")
model = RandomForestRegressor().fit(df.drop(columns=["sales", "date"]), df["sales"])
joblib.dump(model, "models/model.joblib")
"""
_DAG = """\
from datetime import datetime

import pandas as pd
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from evidently.metric_preset import DataDriftPreset
from evidently.report import Report

DATA_PATH = "{path}"


def monitor() -> None:
    df = pd.read_csv(DATA_PATH, parse_dates=["{col}"])
    last_day = df["{col}"].max()
    reference = df[df["{col}"] < last_day]
    current = df[df["{col}"] == last_day]
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=reference, current_data=current)
    report.save_html("reports/drift.html")


with DAG("sales", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False) as dag:
    train = BashOperator(task_id="train", bash_command="python /opt/airflow/src/train.py")
    drift = PythonOperator(task_id="monitor_drift", python_callable=monitor)
    train >> drift
"""


def _o1(tmp_path: Path, path: str, col: str) -> dict:
    return _scan(tmp_path, {"dags/sales.py": _DAG.format(path=path, col=col), "src/train.py": _TRAIN,
                            "requirements.txt": "apache-airflow\nevidently\npandas\nscikit-learn\n"})["O1"]


def test_o1_near_miss_last_day_of_the_training_csv_against_the_rest(tmp_path: Path) -> None:
    o1 = _o1(tmp_path, "data/daily_sales.csv", "date")
    assert o1["answer"] != "yes", o1
    assert o1["answer"] == "partial"


def test_o1_positive_one_prediction_log_split_by_date(tmp_path: Path) -> None:
    o1 = _o1(tmp_path, "/var/log/sales-api/prediction_log.csv", "served_at")
    assert o1["answer"] == "yes", o1


def test_one_file_slices_forms() -> None:
    sliced = ('import pandas as pd\nfrom evidently import Report\ndf = pd.read_csv("data/all.csv")\n'
              'Report([]).run(df.iloc[-500:], df.iloc[:-500])\n')
    assert one_file_slices(ast.parse(sliced)) == 4  # evidently 0.7: run(current, reference), positional
    two_reads = ('import pandas as pd\nref = pd.read_csv("data/train.csv")\ncur = pd.read_csv("data/train.csv").tail(9)\n'
                 'r.run(reference_data=ref, current_data=cur)\n')
    assert one_file_slices(ast.parse(two_reads)) == 0  # two reads: training_splits_only's case, not this one
    live = ('import pandas as pd\nref = pd.read_csv("data/train.csv")\ncur = pd.read_sql("select * from requests", con)\n'
            'r.run(reference_data=ref, current_data=cur)\n')
    assert one_file_slices(ast.parse(live)) == 0
    computed = 'def f(ref, cur):\n    r.run(reference_data=ref, current_data=cur)\n'
    assert one_file_slices(ast.parse(computed)) == 0  # nothing in the module says where the frames come from


# ---------------------------------------------------------------- O2: Vertex AI monitoring objectives

# the low-level v1 client as the vertex-ai-samples model monitoring notebooks write it: skew and prediction drift, both
# on the features of the endpoint's requests
_VERTEX_V1 = """\
from google.cloud import aiplatform_v1 as vertex


def create_monitoring_job(project: str, region: str, endpoint: str, training_table: str) -> str:
    client = vertex.JobServiceClient(client_options={"api_endpoint": f"{region}-aiplatform.googleapis.com"})
    objective = vertex.ModelMonitoringObjectiveConfig(
        training_dataset=vertex.ModelMonitoringObjectiveConfig.TrainingDataset(bigquery_source={"input_uri": training_table}),
        training_prediction_skew_detection_config=vertex.ModelMonitoringObjectiveConfig.TrainingPredictionSkewDetectionConfig(
            skew_thresholds={"age": vertex.ThresholdConfig(value=0.3)}),
        prediction_drift_detection_config=vertex.ModelMonitoringObjectiveConfig.PredictionDriftDetectionConfig(
            drift_thresholds={"age": vertex.ThresholdConfig(value=0.3)}),
    )
    job = vertex.ModelDeploymentMonitoringJob(
        display_name="churn-monitoring", endpoint=endpoint,
        model_deployment_monitoring_objective_configs=[vertex.ModelDeploymentMonitoringObjectiveConfig(objective_config=objective)],
    )
    return client.create_model_deployment_monitoring_job(parent=f"projects/{project}/locations/{region}",
                                                          model_deployment_monitoring_job=job).name


if __name__ == "__main__":
    create_monitoring_job("p", "us-central1", "projects/p/locations/us-central1/endpoints/1", "bq://p.d.train")
"""
# the v2 SDK (vertexai ml_monitoring) as its model_monitoring_v2 notebooks write it
_VERTEX_V2 = """\
from vertexai.resources.preview import ml_monitoring


def run_monitoring(monitor_name: str, endpoint: str, training_uri: str) -> object:
    monitor = ml_monitoring.ModelMonitor(monitor_name)
    return monitor.run(
        baseline_dataset=ml_monitoring.spec.MonitoringInput(gcs_uri=training_uri, data_format="csv"),
        target_dataset=ml_monitoring.spec.MonitoringInput(endpoints=[endpoint]),
        tabular_objective_spec=ml_monitoring.spec.TabularObjective(
            feature_drift_spec=ml_monitoring.spec.DataDriftSpec(default_numeric_alert_threshold=0.3),
            prediction_output_drift_spec={output},
        ),
    )


if __name__ == "__main__":
    run_monitoring("churn", "projects/p/locations/us-central1/endpoints/1", "gs://b/train.csv")
"""


_MONITOR_CI = """\
name: monitoring
on:
  push:
    branches: [main]
jobs:
  monitor:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install google-cloud-aiplatform
      - run: python monitoring/{script}
"""


def _o2(tmp_path: Path, script: str, text: str) -> dict:
    return _scan(tmp_path, {f"monitoring/{script}": text, ".github/workflows/monitor.yml": _MONITOR_CI.format(script=script)})["O2"]


def test_o2_near_miss_vertex_v1_prediction_drift_is_request_feature_drift(tmp_path: Path) -> None:
    o2 = _o2(tmp_path, "create_monitor.py", _VERTEX_V1)
    assert o2["answer"] == "partial", o2


def test_o2_positive_vertex_v2_prediction_output_drift(tmp_path: Path) -> None:
    o2 = _o2(tmp_path, "run_monitor.py", _VERTEX_V2.format(output="ml_monitoring.spec.DataDriftSpec(default_categorical_alert_threshold=0.1)"))
    assert o2["answer"] == "yes", o2


def test_o2_near_miss_vertex_v2_without_the_output_objective(tmp_path: Path) -> None:
    o2 = _o2(tmp_path, "run_monitor.py", _VERTEX_V2.format(output="None"))
    assert o2["answer"] == "partial", o2


# ---------------------------------------------------------------- E2: Dora grids tabulating the XPs' metrics

_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "detectors"


def _tree(kind: str, detector: str) -> dict[str, str]:
    root = _FIXTURES / detector / kind
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_e2_positive_dora_grid_over_metrics_pushed_to_the_xps(tmp_path: Path) -> None:
    e2 = _scan(tmp_path, {**_tree("positive", "experiment.grid"), "requirements.txt": "dora-search\ntorch\ntreetable\n"})["E2"]
    assert e2["answer"] == "yes", e2
    assert e2["evidence"][0]["path"] == "audiolab/grids/_explorers.py"


def test_e2_near_miss_dora_grid_whose_training_reports_no_metric(tmp_path: Path) -> None:
    e2 = _scan(tmp_path, {**_tree("near_miss", "experiment.grid"), "requirements.txt": "dora-search\ntorch\ntreetable\n"})["E2"]
    assert e2["answer"] != "yes", e2


# ---------------------------------------------------------------- E3: a CI build number in a SageMaker model's name

# an AWS CDK (Python) CodePipeline whose CodeBuild step trains and creates the SageMaker model, the way aws-samples' CDK
# pipelines write their build steps (pipelines.CodeBuildStep / ShellStep commands)
_CDK_APP = """\
import aws_cdk as cdk

from stacks.pipeline_stack import PipelineStack

app = cdk.App()
PipelineStack(app, "ChurnPipeline")
app.synth()
"""
_PIPELINE_STACK = """\
from aws_cdk import Stack, pipelines
from constructs import Construct


class PipelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        source = pipelines.CodePipelineSource.connection("acme/churn", "main", connection_arn="arn:aws:codestar-connections:eu-west-1:1:connection/x")
        pipeline = pipelines.CodePipeline(self, "Pipeline", synth=pipelines.ShellStep(
            "Synth", input=source, commands=["pip install -r requirements.txt", "npx cdk synth"]))
        pipeline.add_wave("Train", post=[pipelines.CodeBuildStep(
            "TrainModel", input=source,
            commands=["pip install -r ml/requirements.txt", {command}],
        )])
"""
_TRAIN_SM = """\
import argparse
import os

import sagemaker
from sagemaker.xgboost import XGBoost

parser = argparse.ArgumentParser()
parser.add_argument("--model-name", default="churn-xgb")
args = parser.parse_args()
session = sagemaker.Session()
role = os.environ["SAGEMAKER_ROLE_ARN"]
estimator = XGBoost(entry_point="train_entry.py", source_dir="ml", framework_version="1.7-1", role=role,
                    instance_count=1, instance_type="ml.m5.xlarge", output_path=f"s3://{session.default_bucket()}/churn/models")
estimator.fit({"train": f"s3://{session.default_bucket()}/churn/train.csv"}, job_name={job_name})
predictor = estimator.deploy(initial_instance_count=1, instance_type="ml.m5.large", model_name={model_name},
                             endpoint_name="churn")
"""


def _e3(tmp_path: Path, command: str, job_name: str = "args.model_name", model_name: str = "args.model_name",
        **extra: str) -> dict:
    return _scan(tmp_path, {"cdk.json": '{"app": "python3 app.py"}', "app.py": _CDK_APP,
                            "stacks/__init__.py": "", "stacks/pipeline_stack.py": _PIPELINE_STACK.format(command=command),
                            "ml/run_training.py": _TRAIN_SM.replace("{job_name}", job_name).replace("{model_name}", model_name),
                            "ml/train_entry.py": "import xgboost\n", "ml/requirements.txt": "sagemaker==2.219.0\nxgboost==1.7.6\n",
                            "requirements.txt": "aws-cdk-lib==2.140.0\nconstructs==10.3.0\n", **extra})["E3"]


def test_e3_positive_build_number_in_the_model_name_on_the_command_line(tmp_path: Path) -> None:
    e3 = _e3(tmp_path, '"python ml/run_training.py --model-name churn-xgb-v${CODEBUILD_BUILD_NUMBER}"')
    assert e3["answer"] == "yes", e3
    assert e3["evidence"][0]["path"] == "stacks/pipeline_stack.py"


def test_e3_positive_build_number_read_from_the_environment(tmp_path: Path) -> None:
    name = 'f"churn-xgb-v{os.environ[\'CODEBUILD_BUILD_NUMBER\']}"'
    e3 = _e3(tmp_path, '"python ml/run_training.py"', job_name=name, model_name=name)
    assert e3["answer"] == "yes", e3
    assert e3["evidence"][0]["path"] == "ml/run_training.py"


def test_e3_near_miss_build_number_on_an_image_that_carries_no_model(tmp_path: Path) -> None:
    e3 = _e3(tmp_path, '"docker build -t $ECR_REPO:v${CODEBUILD_BUILD_NUMBER} serving && docker push $ECR_REPO:v${CODEBUILD_BUILD_NUMBER}"',
             **{"serving/Dockerfile": "FROM python:3.11-slim\nCOPY app.py /app/app.py\nCMD [\"python\", \"/app/app.py\"]\n",
                "serving/app.py": "import boto3\nboto3.client('s3').download_file('b', 'churn/model.tar.gz', '/tmp/model.tar.gz')\n"})
    assert e3["answer"] != "yes", e3


def test_e3_near_miss_a_fixed_model_name(tmp_path: Path) -> None:
    assert _e3(tmp_path, '"python ml/run_training.py --model-name churn-xgb"')["answer"] != "yes"


# ---------------------------------------------------------------- E3: a commit in an OpenLineage sourceCodeLocation facet

# an Airflow DAG whose tasks report their runs to a lineage backend with the OpenLineage Python client (facet_v2), the
# commit of the code read with git at run time
_LINEAGE_DAG = """\
import subprocess
import uuid
from datetime import datetime, timezone

import joblib
import pandas as pd
from airflow import DAG
from airflow.operators.python import PythonOperator
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Dataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import source_code_location_job
from sklearn.linear_model import LogisticRegression

CLIENT = OpenLineageClient()
GIT_SHA = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()


def emit(job_name: str, inputs: list, outputs: list) -> None:
    facets = {"sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
        type="git", url="https://github.com/acme/churn", version=GIT_SHA)}
    CLIENT.emit(RunEvent(eventType=RunState.COMPLETE, eventTime=datetime.now(timezone.utc).isoformat(),
                         run=Run(runId=str(uuid.uuid4())), job=Job(namespace="churn", name=job_name, facets=facets),
                         producer="https://github.com/acme/churn", inputs=inputs, outputs=outputs))


def ingest() -> None:
    pd.read_csv("s3://acme/raw/customers.csv").to_parquet("s3://acme/features/customers.parquet")
    emit("ingest_customers", [Dataset(namespace="s3://acme", name="raw/customers.csv")],
         [Dataset(namespace="s3://acme", name="features/customers.parquet")])


def {train_fn}() -> None:
    df = pd.read_parquet("s3://acme/features/customers.parquet")
    {train_body}


with DAG("churn", start_date=datetime(2024, 1, 1), schedule="@weekly", catchup=False) as dag:
    PythonOperator(task_id="ingest", python_callable=ingest) >> PythonOperator(task_id="{train_fn}", python_callable={train_fn})
"""
_TRAINS = """model = LogisticRegression().fit(df.drop(columns=["churned"]), df["churned"])
    joblib.dump(model, "/opt/models/churn.joblib")
    emit("train_churn_model", [Dataset(namespace="s3://acme", name="features/customers.parquet")],
         [Dataset(namespace="file", name="/opt/models/churn.joblib")])"""
_REPORTS = """df.describe().to_csv("s3://acme/reports/customers_summary.csv")"""


def _lineage(tmp_path: Path, train_fn: str, body: str) -> dict:
    return _scan(tmp_path, {"dags/churn.py": _LINEAGE_DAG.replace("{train_fn}", train_fn).replace("{train_body}", body),
                            "requirements.txt": "apache-airflow==2.9.1\nopenlineage-python==1.16.0\nscikit-learn==1.4.2\n"})["E3"]


def test_e3_positive_commit_in_the_lineage_facet_of_the_training_step(tmp_path: Path) -> None:
    e3 = _lineage(tmp_path, "train", _TRAINS)
    assert e3["answer"] == "yes", e3
    assert e3["evidence"][0]["path"] == "dags/churn.py"


def test_e3_near_miss_commit_in_the_facet_of_steps_that_build_no_model(tmp_path: Path) -> None:
    assert _lineage(tmp_path, "summarise", _REPORTS)["answer"] != "yes"


# ---------------------------------------------------------------- E4: pins of a copied upstream baseline

_LIB = {
    "pyproject.toml": '[project]\nname = "speechkit"\nversion = "0.3.0"\ndependencies = ["torch>=2.0", "torchaudio>=2.0", "numpy>=1.24"]\n',
    "speechkit/__init__.py": "",
    "speechkit/model.py": "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n",
    "README.md": "# speechkit\n\n`pip install -e .`\n",
    "LICENSE": "MIT License\n",
}
_BASELINE = {
    "scripts/baselines/DeepSpeechX/README.md": "# DeepSpeechX\n\nThe original authors' implementation.\n",
    "scripts/baselines/DeepSpeechX/requirements.txt": "torch==1.13.1\ntorchaudio==0.13.1\nnumpy==1.23.5\nlibrosa==0.9.2\n",
    "scripts/baselines/DeepSpeechX/train.py": "import torch\nimport librosa\n",
}


def test_e4_near_miss_pins_of_a_copied_upstream_baseline(tmp_path: Path) -> None:
    e4 = _scan(tmp_path, {**_LIB, **_BASELINE, "scripts/baselines/DeepSpeechX/LICENSE": "Apache License 2.0\n"})["E4"]
    assert e4["answer"] != "yes", e4


def test_e4_positive_pins_of_the_projects_own_subfolder(tmp_path: Path) -> None:
    # the same folder without a licence of its own: the project's own scripts and their pinned environment
    e4 = _scan(tmp_path, {**_LIB, **_BASELINE})["E4"]
    assert e4["answer"] == "yes", e4


# ---------------------------------------------------------------- T2: a Hub upload behind a flag that defaults off

_PAPER_SCRIPT = """\
import argparse

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="bert-base-uncased")
parser.add_argument("--output_dir", default="outputs/paper")
parser.add_argument("--push_to_hub", {push_flag})
parser.add_argument("--hub_model_id", default=None)
args = parser.parse_args()

tokenizer = AutoTokenizer.from_pretrained(args.model)
model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=2)
trainer = Trainer(model=model, args=TrainingArguments(output_dir=args.output_dir, num_train_epochs=3))
trainer.train()
trainer.save_model(args.output_dir)
if args.push_to_hub:
    model.push_to_hub(args.hub_model_id)
    tokenizer.push_to_hub(args.hub_model_id)
"""


def _t2(tmp_path: Path, push_flag: str) -> dict:
    return _scan(tmp_path, {"scripts/paper/train_classifier.py": _PAPER_SCRIPT.replace("{push_flag}", push_flag),
                            "requirements.txt": "torch>=2.0\ntransformers>=4.40\n",
                            "README.md": "# Paper code\n\n`python scripts/paper/train_classifier.py`\n"})["T2"]


def test_t2_near_miss_push_to_hub_behind_a_store_true_flag(tmp_path: Path) -> None:
    t2 = _t2(tmp_path, 'action="store_true"')
    assert t2["answer"] != "yes", t2


def test_t2_positive_push_to_hub_on_by_default(tmp_path: Path) -> None:
    t2 = _t2(tmp_path, 'action="store_false"')  # (written --no-push style: pushing unless told not to)
    assert t2["answer"] == "yes", t2


def test_e3_positive_build_number_in_a_model_name_variable(tmp_path: Path) -> None:
    e3 = _e3(tmp_path, '"export MODEL_NAME=churn-xgb-v${CODEBUILD_BUILD_NUMBER} && python ml/run_training.py --model-name $MODEL_NAME"')
    assert e3["answer"] == "yes", e3


def test_e3_positive_cdk_cfn_model_named_with_the_build_number(tmp_path: Path) -> None:
    stack = ('import os\n\nfrom aws_cdk import Stack\nfrom aws_cdk import aws_sagemaker as sagemaker\n\n\n'
             'class ModelStack(Stack):\n    def __init__(self, scope, construct_id, **kwargs):\n'
             '        super().__init__(scope, construct_id, **kwargs)\n'
             '        sagemaker.CfnModel(self, "Model", execution_role_arn=os.environ["ROLE_ARN"],\n'
             '                           model_name=f"churn-v{os.environ.get(\'CODEBUILD_BUILD_NUMBER\', \'0\')}",\n'
             '                           primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(\n'
             '                               image=os.environ["IMAGE_URI"], model_data_url=os.environ["MODEL_DATA_URL"]))\n')
    app = _CDK_APP.replace('PipelineStack(app, "ChurnPipeline")', 'PipelineStack(app, "ChurnPipeline")\nModelStack(app, "ChurnModel")').replace(
        "from stacks.pipeline_stack import PipelineStack", "from stacks.model_stack import ModelStack\nfrom stacks.pipeline_stack import PipelineStack")
    e3 = _e3(tmp_path, '"python ml/run_training.py"', **{"stacks/model_stack.py": stack, "app.py": app})
    assert e3["answer"] == "yes", e3


def test_one_file_slices_through_a_loader_function() -> None:
    src = ('import pandas as pd\n\n\ndef load():\n    return pd.read_csv("data/sales.csv")\n\n\n'
           'df = load()\nreport.run(reference_data=df.iloc[:-24], current_data=df.iloc[-24:])\n')
    assert one_file_slices(ast.parse(src)) == 9
