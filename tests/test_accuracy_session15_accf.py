"""Scanner errors of session 14's blind samples (issue #13, part 1), fixed generally and learnt from the platforms' own
docs and samples: files a notebook writes with ``%%writefile`` are files of the repository; a drift check that publishes
to an SNS topic with an e-mail subscription alerts a person. Each positive has its near miss."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.index.notebook_files import written_files
from mlscan.report import build_report

from .conftest import git_repo


def _notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": textwrap.dedent(c).lstrip("\n").splitlines(keepends=True)} for c in cells]})


def _report(root: Path, files: dict[str, str]) -> dict[str, Any]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return build_report(scan(str(repo), ScanOptions(jobs=1)))


def _answers(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _report(root, files)["questions"]}


# ---------------------------------------------------------------- %%writefile cells are files of the repository


def test_written_files_paths_and_appends() -> None:
    nb = _notebook("%%writefile scripts/a.py\nx = 1\n", "%%writefile -a scripts/a.py\ny = 2\n", "%%writefile ../b.py\nz = 3\n",
                   "%%writefile $folder/c.py\nw = 4\n", "%%writefile /opt/ml/code/d.py\nv = 5\n", "%%writefile ../../e.py\nu = 6\n",
                   "print('not a magic')\n")
    assert written_files(nb, "notebooks/setup.ipynb") == {"notebooks/scripts/a.py": "x = 1\ny = 2\n", "b.py": "z = 3\n"}


_MONITOR = """\
import os

import boto3
import pandas as pd
from evidently.metric_preset import DataDriftPreset, TargetDriftPreset
from evidently.report import Report

DRIFT_THRESHOLD = 0.3


def main():
    reference = pd.read_csv(os.environ["REFERENCE_URI"])
    current = pd.read_csv(os.environ["CAPTURED_URI"])
    report = Report(metrics=[DataDriftPreset(), TargetDriftPreset()])
    report.run(reference_data=reference, current_data=current)
    drift_share = report.as_dict()["metrics"][0]["result"]["share_of_drifted_columns"]
    if drift_share > DRIFT_THRESHOLD:
        boto3.client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Subject="Model drift", Message=f"drift share {drift_share}")


if __name__ == "__main__":
    main()
"""
_SUBSCRIBE = """\
import boto3
sns = boto3.client("sns")
topic_arn = sns.create_topic(Name="model-drift-alerts")["TopicArn"]
sns.subscribe(TopicArn=topic_arn, Protocol="{protocol}", Endpoint="{endpoint}")
"""
_SCHEDULE = """\
name: monitor
on:
  schedule:
    - cron: "0 6 * * *"
jobs:
  drift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install evidently boto3 pandas
      - run: python {script}
"""


def _monitoring_repo(root: Path, *, written_as: str = "scripts/monitor.py", protocol: str = "email",
                     endpoint: str = "ml-team@company.com") -> dict[str, dict[str, Any]]:
    nb = _notebook(f"%%writefile {written_as}\n{_MONITOR}", _SUBSCRIBE.format(protocol=protocol, endpoint=endpoint))
    return _answers(root, {"monitoring.ipynb": nb, ".github/workflows/monitor.yml": _SCHEDULE.format(script="scripts/monitor.py"),
                           "README.md": "# drift monitoring\n"})


def test_o3_a_scheduled_notebook_written_drift_check_publishing_to_an_email_subscribed_topic(tmp_path: Path) -> None:
    q = _monitoring_repo(tmp_path)
    assert q["O3"]["answer"] == "yes", q["O3"]
    assert q["O3"]["evidence"][0]["path"] in ("monitoring.ipynb#scripts/monitor.py", "monitoring.ipynb")
    # the written script is what the scheduled workflow runs: both kinds of drift are tracked on an automated path
    assert q["O2"]["answer"] == "yes", q["O2"]
    assert any(ev["path"] == "monitoring.ipynb#scripts/monitor.py" for ev in q["O2"]["evidence"]), q["O2"]


def test_o3_near_miss_a_topic_subscribed_only_by_a_program(tmp_path: Path) -> None:
    q = _monitoring_repo(tmp_path, protocol="lambda", endpoint="arn:aws:lambda:eu-west-1:123456789012:function:log")
    assert q["O3"]["answer"] != "yes", q["O3"]


def test_o2_near_miss_a_script_written_where_the_schedule_does_not_look(tmp_path: Path) -> None:
    # the notebook writes through a variable: no file of the repository, nothing the schedule runs
    q = _monitoring_repo(tmp_path, written_as="$folder/monitor.py")
    assert q["O2"]["answer"] != "yes", q["O2"]
    assert "only one kind" not in q["O2"]["reason"], q["O2"]


# ---------------------------------------------------------------- SageMaker Python SDK v3 pipelines (D3, M4)

_V3_IMPORTS = """\
from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.core.workflow.parameters import ParameterString
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.function_step import step
from sagemaker.mlops.workflow.pipeline import Pipeline
"""
_V3_FUNCTIONS = """\
def preprocess(input_data_s3_path):
    import pandas as pd
    df = pd.read_csv(input_data_s3_path)
    train = df.sample(frac=0.8, random_state=0)
    return train, df.drop(train.index)


def train(data, max_depth=5):
    from sklearn.ensemble import RandomForestClassifier
    train_df, _ = data
    model = RandomForestClassifier(max_depth=max_depth)
    model.fit(train_df.drop(columns=["label"]), train_df["label"])
    return model


def evaluate(model, data):
    _, test_df = data
    return {"accuracy": float(model.score(test_df.drop(columns=["label"]), test_df["label"]))}


def register(model):
    return model
"""
_V3_DECORATED = _V3_IMPORTS + "\n\n" + "\n\n".join(
    f'@step(name="{name}", instance_type="ml.m5.xlarge")\n{body}' for name, body in zip(
        ("preprocess", "train", "evaluate", "register"), _V3_FUNCTIONS.split("\n\n\n"))) + """

data = preprocess(ParameterString(name="InputDataS3Path", default_value="s3://my-bucket/raw/churn.csv"))
model = train(data)
evaluation = evaluate(model, data)
gate = ConditionStep(
    name="AccuracyGate",
    conditions=[ConditionGreaterThanOrEqualTo(left=evaluation["accuracy"], right=0.8)],
    if_steps=[register(model)],
    else_steps=[FailStep(name="AccuracyTooLow", error_message="accuracy below 0.8")],
)
pipeline = Pipeline(name="churn-pipeline", steps=[gate])
pipeline.upsert(role_arn=role)
pipeline.start()
"""
_V3_WRAPPED = _V3_IMPORTS + "\n\n" + _V3_FUNCTIONS + """

data = step(preprocess, name="preprocess", instance_type="ml.m5.xlarge")(
    input_data_s3_path=ParameterString(name="InputDataS3Path", default_value="s3://my-bucket/raw/churn.csv"))
model = step(train, name="train", instance_type="ml.m5.xlarge")(data)
evaluation = step(evaluate, name="evaluate")(model, data)
gate = ConditionStep(
    name="AccuracyGate",
    conditions=[ConditionGreaterThanOrEqualTo(left=evaluation["accuracy"], right=0.8)],
    if_steps=[step(register, name="register")(model)],
    else_steps=[FailStep(name="AccuracyTooLow", error_message="accuracy below 0.8")],
)
pipeline = Pipeline(name="churn-pipeline", steps=[gate])
"""


def test_v3_decorated_steps_in_a_notebook_are_a_pipeline_with_a_gate(tmp_path: Path) -> None:
    q = _answers(tmp_path, {"pipeline.ipynb": _notebook(_V3_DECORATED), "README.md": "# churn\n"})
    assert q["D3"]["answer"] == "yes", q["D3"]
    assert q["M4"]["answer"] == "yes", q["M4"]


def test_v3_wrapped_steps_in_a_notebook_written_pipeline_py(tmp_path: Path) -> None:
    nb = _notebook("%%writefile pipeline.py\n" + _V3_WRAPPED, "!python pipeline.py\n")
    report = _report(tmp_path, {"build.ipynb": nb, "README.md": "# churn\n"})
    q = {x["id"]: x for x in report["questions"]}
    assert q["D3"]["answer"] == "yes", q["D3"]
    assert q["M4"]["answer"] == "yes", q["M4"]
    assert any(ev["path"] == "build.ipynb#pipeline.py" for ev in q["D3"]["evidence"]), q["D3"]


def test_v3_near_miss_steps_that_take_nothing_from_outside_and_gate_nothing(tmp_path: Path) -> None:
    # the same functions run as steps, but the data is generated inside the pipeline and the condition's branches
    # neither promote nor fail
    code = _V3_DECORATED.replace(
        'preprocess(ParameterString(name="InputDataS3Path", default_value="s3://my-bucket/raw/churn.csv"))', "preprocess(None)"
    ).replace('if_steps=[register(model)],\n    else_steps=[FailStep(name="AccuracyTooLow", error_message="accuracy below 0.8")],',
              "if_steps=[],")
    q = _answers(tmp_path, {"pipeline.ipynb": _notebook(code), "README.md": "# churn\n"})
    assert q["D3"]["answer"] != "yes", q["D3"]
    assert q["M4"]["answer"] != "yes", q["M4"]


def test_v2_paths_still_read_through_the_same_table(tmp_path: Path) -> None:
    code = _V3_DECORATED.replace("sagemaker.core.workflow", "sagemaker.workflow").replace("sagemaker.mlops.workflow", "sagemaker.workflow")
    q = _answers(tmp_path, {"pipelines/pipeline.py": code, "README.md": "# churn\n"})
    assert q["D3"]["answer"] == "yes", q["D3"]
    assert q["M4"]["answer"] == "yes", q["M4"]


# ---------------------------------------------------------------- D1/D2: MLflow dataset inputs logged per run

_AUTOLOG_TRAIN = """\
import argparse

import mlflow
import pandas as pd
from sklearn.ensemble import RandomForestClassifier


def main(data_url):
    mlflow.sklearn.autolog({options})
    df = pd.read_csv(data_url)
    with mlflow.start_run() as run:
        model = RandomForestClassifier(n_estimators=100)
        model.fit(df.drop(columns=["label"]), df["label"])
        mlflow.log_metric("train_accuracy", model.score(df.drop(columns=["label"]), df["label"]))
    return run.info.run_id


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-url", default="s3://my-bucket/churn/train.csv")
    run_id = main(parser.parse_args().data_url)
{register}"""


def _d1_d2(root: Path, options: str, register: bool = True) -> dict[str, dict[str, Any]]:
    line = '    mlflow.register_model(f"runs:/{run_id}/model", "churn")\n' if register else ""
    return _answers(root, {"src/train.py": _AUTOLOG_TRAIN.format(options=options, register=line),
                           "README.md": "# churn\n\n    python src/train.py --data-url s3://my-bucket/churn/train.csv\n"})


def test_d1_d2_autolog_logging_the_datasets_of_a_run_whose_model_is_registered(tmp_path: Path) -> None:
    q = _d1_d2(tmp_path, "log_datasets=True")
    assert q["D1"]["answer"] == "yes", q["D1"]
    assert q["D2"]["answer"] == "yes", q["D2"]


def test_d1_near_miss_autolog_told_not_to_log_datasets(tmp_path: Path) -> None:
    q = _d1_d2(tmp_path, "log_datasets=False")
    assert q["D1"]["answer"] != "yes", q["D1"]
    assert q["D2"]["answer"] != "yes", q["D2"]


def test_d2_near_miss_autolog_that_logs_no_model(tmp_path: Path) -> None:
    # the run's datasets are logged (D1) but the run holds no model and nothing registers one
    q = _d1_d2(tmp_path, "log_datasets=True, log_models=False", register=False)
    assert q["D1"]["answer"] == "yes", q["D1"]
    assert q["D2"]["answer"] != "yes", q["D2"]


# ---------------------------------------------------------------- M1: nightly end-to-end smoke trainings are tests

_E2E_MAKEFILE = """\
PYTHON_PATH := python
DEVICE ?= cpu

test-end-to-end:
\t${{MAKE}} DEVICE=$(DEVICE) test-act-ete-train
\t${{MAKE}} DEVICE=$(DEVICE) test-act-ete-train-resume
\t${{MAKE}} DEVICE=$(DEVICE) test-act-ete-eval

test-act-ete-train:
\t$(PYTHON_PATH) -m mypolicy.scripts.train \\
\t\t--policy.type=act \\
\t\t--policy.device=$(DEVICE) \\
\t\t--policy.push_to_hub=false \\
\t\t--batch_size=2 \\
\t\t--steps={steps} \\
\t\t--save_freq=2 \\
\t\t--output_dir={out}/act/

test-act-ete-train-resume:
\t$(PYTHON_PATH) -m mypolicy.scripts.train \\
\t\t--config_path={out}/act/checkpoints/000002/pretrained_model/train_config.json \\
\t\t--resume=true

test-act-ete-eval:
\t$(PYTHON_PATH) -m mypolicy.scripts.eval \\
\t\t--policy.path={out}/act/checkpoints/000004/pretrained_model \\
\t\t--eval.n_episodes=1
"""
_NIGHTLY = """\
name: Nightly
on:
  workflow_dispatch:
  schedule:
    - cron: "0 2 * * *"
jobs:
  build-and-test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          username: ${{ secrets.DOCKERHUB_USER }}
          password: ${{ secrets.DOCKERHUB_TOKEN }}
      - uses: docker/build-push-action@v5
        with:
          file: docker/Dockerfile
          push: true
          tags: myorg/mypolicy:nightly
      - run: make DEVICE=cpu test-end-to-end
"""
_POLICY_TRAIN = """\
import argparse

import torch


def train(steps, output_dir):
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters())
    for _ in range(steps):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(model.state_dict(), f"{output_dir}/model.pt")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=100000)
    p.add_argument("--output_dir", default="outputs")
    a, _ = p.parse_known_args()
    train(a.steps, a.output_dir)
"""


def _m1(root: Path, steps: str, out: str, rename: bool = False) -> dict[str, Any]:
    # (``rename``: the targets named for what they run, not for tests: since session 16 (accI) whatever a target named for
    # tests runs, ``make test-end-to-end`` included, is a test whatever its length)
    def named(text: str) -> str:
        return text.replace("test-end-to-end", "end-to-end").replace("test-act-ete-", "act-ete-") if rename else text

    return _answers(root, {
        "Makefile": named(_E2E_MAKEFILE.format(steps=steps, out=out)), ".github/workflows/nightly.yml": named(_NIGHTLY),
        "mypolicy/__init__.py": "", "mypolicy/scripts/__init__.py": "", "mypolicy/scripts/train.py": _POLICY_TRAIN,
        "mypolicy/scripts/eval.py": "print('eval')\n", "docker/Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
    })["M1"]


def test_m1_nightly_end_to_end_smoke_trainings_in_an_image_workflow_are_tests(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "4", "tests/outputs")
    assert m1["answer"] != "yes", m1


def test_m1_near_miss_a_nightly_full_training_is_retraining(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "200000", "outputs", rename=True)
    assert m1["answer"] == "yes", m1


# ---------------------------------------------------------------- D4: a config's shape checks validate no training data

_POLICY_CONFIG = """\
from dataclasses import dataclass, field


@dataclass
class {cls}:
    crop_shape: tuple = (84, 84)
    image_features: dict = field(default_factory=dict)

    def validate_features(self):
        if not self.image_features:
            raise ValueError("at least one image feature is needed")
        for key, image in self.image_features.items():
            if self.crop_shape[0] > image.shape[1] or self.crop_shape[1] > image.shape[2]:
                raise ValueError(f"crop {{self.crop_shape}} does not fit {{key}} {{image.shape}}")
"""
_EVAL = """\
import argparse

from mypolicy.config import {cls}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    args = parser.parse_args()
    cfg = {cls}()
    cfg.validate_features()
    print("evaluating", args.checkpoint)


if __name__ == "__main__":
    main()
"""
_EVAL_CI = """\
name: CI
on: [push]
jobs:
  eval:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m mypolicy.eval --checkpoint outputs/last
"""


def _d4(root: Path, cls: str) -> dict[str, Any]:
    return _answers(root, {"mypolicy/__init__.py": "", "mypolicy/config.py": _POLICY_CONFIG.format(cls=cls),
                           "mypolicy/eval.py": _EVAL.format(cls=cls), ".github/workflows/ci.yml": _EVAL_CI})["D4"]


def test_d4_near_miss_a_policy_configs_shape_checks_are_no_data_validation(tmp_path: Path) -> None:
    assert _d4(tmp_path, "DiffusionConfig")["answer"] != "yes"


def test_d4_the_same_checks_on_a_training_table_still_count(tmp_path: Path) -> None:
    # positive twin: a module-level check of the training table run by the CI training step before fitting
    q = _answers(tmp_path, {
        "src/validate.py": """\
            import pandas as pd


            def validate_data(df: pd.DataFrame) -> None:
                if df.isnull().any().any():
                    raise ValueError("missing values in the training data")
                if df.shape[0] < 100:
                    raise ValueError("too few rows to train on")
            """,
        "src/train.py": """\
            import pandas as pd
            from sklearn.linear_model import LogisticRegression

            from validate import validate_data


            def main():
                df = pd.read_csv("data/train.csv")
                validate_data(df)
                LogisticRegression().fit(df.drop(columns=["y"]), df["y"])


            if __name__ == "__main__":
                main()
            """,
        ".github/workflows/train.yml": "name: train\non: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                       "      - uses: actions/checkout@v4\n      - run: python src/train.py\n",
    })
    assert q["D4"]["answer"] == "yes", q["D4"]


# ---------------------------------------------------------------- D3: a workflow fed splits made before it

_SFN = """\
import sagemaker
from sagemaker.inputs import TrainingInput
from stepfunctions import steps
from stepfunctions.inputs import ExecutionInput
from stepfunctions.steps.sagemaker import EndpointConfigStep, EndpointStep, ModelStep, ProcessingStep, TrainingStep
from stepfunctions.workflow import Workflow


def build(estimator, processor, role, bucket, lambda_arn):
    execution_input = ExecutionInput(schema={"TrainingJobName": str, "ModelName": str, "EndpointName": str, "ExperimentName": str})
    experiment_step = steps.compute.LambdaStep("Create Experiment", parameters={
        "FunctionName": lambda_arn, "Payload": {"ExperimentName": execution_input["ExperimentName"]}})
{prep}    training_step = TrainingStep(
        "Train",
        estimator=estimator,
        data={"train": TrainingInput(f"s3://{bucket}/prepared/train.csv", content_type="text/csv"),
              "validation": TrainingInput(f"s3://{bucket}/prepared/validation.csv", content_type="text/csv")},
        job_name=execution_input["TrainingJobName"],
    )
    model_step = ModelStep("Save model", model=training_step.get_expected_model(), model_name=execution_input["ModelName"])
    endpoint_config_step = EndpointConfigStep("Endpoint config", endpoint_config_name=execution_input["ModelName"],
                                              model_name=execution_input["ModelName"], initial_instance_count=1, instance_type="ml.m5.large")
    endpoint_step = EndpointStep("Deploy", endpoint_name=execution_input["EndpointName"], endpoint_config_name=execution_input["ModelName"])
    definition = steps.Chain([experiment_step, {chain}training_step, model_step, endpoint_config_step, endpoint_step])
    return Workflow(name="train-deploy", definition=definition, role=role, execution_input=execution_input)


if __name__ == "__main__":
    build(None, None, "role", "bucket", "arn").create()
"""
_PREP_STEP = """\
    processing_step = ProcessingStep(
        "Prepare data",
        processor=processor,
        job_name=execution_input["TrainingJobName"],
        inputs=[sagemaker.processing.ProcessingInput(source=f"s3://{bucket}/raw/", destination="/opt/ml/processing/input")],
        outputs=[sagemaker.processing.ProcessingOutput(source="/opt/ml/processing/train", destination=f"s3://{bucket}/prepared")],
    )
"""


def _sfn(root: Path, prep: bool) -> dict[str, Any]:
    code = _SFN.replace("{prep}", _PREP_STEP if prep else "").replace("{chain}", "processing_step, " if prep else "")
    return _answers(root, {"workflow/train_deploy.py": code, "README.md": "# churn\n\n    python workflow/train_deploy.py\n"})["D3"]


def test_d3_near_miss_a_step_functions_workflow_trained_on_splits_made_before_it(tmp_path: Path) -> None:
    assert _sfn(tmp_path, prep=False)["answer"] != "yes"


def test_d3_a_workflow_that_prepares_its_data_from_raw_and_leads_with_that_step(tmp_path: Path) -> None:
    d3 = _sfn(tmp_path, prep=True)
    assert d3["answer"] == "yes", d3
    lead = d3["evidence"][0]
    assert lead["path"] == "workflow/train_deploy.py" and "Create Experiment" not in lead["snippet"], d3["evidence"]


def test_written_files_are_index_entries_cited_through_their_notebook(tmp_path: Path) -> None:
    from mlscan.index import FileIndex
    from mlscan.target import resolve_target

    nb = _notebook("%%writefile src/train.py\nprint('train')\n", "%%writefile README.md\n# shadowed\n", "%%writefile tmp/x.py\nx = 1\n")
    repo = git_repo(tmp_path, {"nb/build.ipynb": nb, "nb/README.md": "# the real one\n"})
    index = FileIndex(resolve_target(str(repo)), excludes=["nb/tmp/**"])
    virtual = {e.vpath: e.path for e in index.entries if "#" in e.path}
    # the repository's own README wins; an excluded path is left out
    assert virtual == {"nb/src/train.py": "nb/build.ipynb#nb/src/train.py"}
    assert index.text("nb/build.ipynb#nb/src/train.py") == "print('train')\n"
    assert index.exists("nb/src/train.py") and index.python("nb/build.ipynb#nb/src/train.py") is not None


def test_a_rescan_sees_a_changed_written_file(tmp_path: Path) -> None:
    # the facts cache keys a written file by its own bytes: editing the notebook's cell changes what the next scan finds
    import subprocess

    from .conftest import GIT_ENV

    assert _monitoring_repo(tmp_path)["O3"]["answer"] == "yes"
    nb = _notebook("%%writefile scripts/monitor.py\n" + _MONITOR.replace("boto3.client(\"sns\").publish", "print"),
                   _SUBSCRIBE.format(protocol="email", endpoint="ml-team@company.com"))
    (tmp_path / "monitoring.ipynb").write_text(nb, encoding="utf-8")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam", "y", "--no-gpg-sign"], cwd=tmp_path, check=True, env=GIT_ENV)
    again = {q["id"]: q for q in build_report(scan(str(tmp_path), ScanOptions(jobs=1)))["questions"]}
    assert again["O3"]["answer"] != "yes", again["O3"]


_V3_JOBS = """\
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.core.workflow.parameters import ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
from sagemaker.train import ModelTrainer
from sagemaker.train.configs import InputData

session = PipelineSession()
raw_data = ParameterString(name="RawDataUri", default_value="s3://my-bucket/raw/churn.csv")
processor = ScriptProcessor(image_uri="sklearn-image", instance_type="ml.m5.xlarge", instance_count=1, sagemaker_session=session)
prepare_args = processor.run(
    inputs=[ProcessingInput(input_name="raw", s3_input=ProcessingS3Input(s3_uri={raw}, local_path="/opt/ml/processing/input"))],
    outputs=[ProcessingOutput(output_name="train", s3_output=ProcessingS3Output(s3_uri="s3://my-bucket/prepared/train",
                                                                             local_path="/opt/ml/processing/train"))],
    code="code/prepare.py",
)
step_prepare = ProcessingStep(name="Prepare", step_args=prepare_args)
trainer = ModelTrainer(
    training_image="xgboost-image",
    sagemaker_session=session,
    input_data_config=[InputData(channel_name="train", data_source={train_source})],
)
train_args = trainer.train()
step_train = TrainingStep(name="Train", step_args=train_args)
pipeline = Pipeline(name="churn-v3", parameters=[raw_data], steps=[step_prepare, step_train], sagemaker_session=session)
"""


def test_v3_job_steps_whose_step_args_carry_the_handoff(tmp_path: Path) -> None:
    code = _V3_JOBS.replace("{raw}", "raw_data").replace(
        "{train_source}", 'step_prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri')
    d3 = _answers(tmp_path, {"pipelines/churn.py": code, "README.md": "# churn\n"})["D3"]
    assert d3["answer"] == "yes", d3


def test_v3_near_miss_job_steps_that_share_nothing(tmp_path: Path) -> None:
    # two job steps side by side: training reads a split prepared elsewhere, not the processing step's output
    code = _V3_JOBS.replace("{raw}", "raw_data").replace("{train_source}", '"s3://my-bucket/prepared/train"')
    d3 = _answers(tmp_path, {"pipelines/churn.py": code, "README.md": "# churn\n"})["D3"]
    assert d3["answer"] != "yes", d3


def test_reports_point_a_written_file_at_its_notebook() -> None:
    from mlscan.reporters.links import blob_url
    from mlscan.reporters.sarif import _location

    loc = _location({"path": "nb/setup.ipynb#scripts/monitor.py", "line": 12, "snippet": "if drift_share > T:"})
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": "nb/setup.ipynb", "uriBaseId": "%SRCROOT%"}}
    url = blob_url("https://github.com/o/r.git", "a" * 40, "nb/setup.ipynb#scripts/monitor.py", 12)
    assert url == "https://github.com/o/r/blob/" + "a" * 40 + "/nb/setup.ipynb"
    # an ordinary path keeps its line
    assert blob_url("https://github.com/o/r.git", "a" * 40, "src/m.py", 3).endswith("/src/m.py#L3")
