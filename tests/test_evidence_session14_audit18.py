"""The causes of audit18's leads not shown and its wrong answer (issue #17, session 14), fixed generally. Each case scans a
small repository (or asks the helper that decides) and checks the answer and its first evidence item; each near miss
checks the other way.

- M1: a scheduled job running a dispatcher for another task (``run.py --pipeline batch_inference``) retrains nothing;
- D3: of several pipelines whose names or strings say training, the one whose steps call training leads;
- E1: a ZenML step logging its run's metrics leads a step recording lineage, the environment or a copy of other metrics;
- D1: a ZenML pipeline's training data leads its data to predict on, cited at the step's signature, not its ``@step``;
- M4: a SageMaker ConditionStep is cited at its comparison and threshold, also when the condition is bound above it;
- T4: a GitHub job's environment approval is cited at its ``environment:`` / ``name:`` lines;
- M2: a step whose echo lines write the job summary (``>> $GITHUB_STEP_SUMMARY``) is no placeholder deploy;
- D1: a KFP component's dataset is cited at its ``Output[Dataset]`` parameter, a ZenML step at its typed outputs;
- M1 (any partial): a finding that decides nothing leads with the line a decisive one is read at (``schedule_interval=None``);
- any: a ``$schema:`` reference is a bare line; a package's ``_templates/`` folder is not the product.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.evidence import is_bare, leading_problem, non_product_path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M1: a scheduled dispatcher run for inference

_RUN_PY = """\
import click

from pipelines.training import training_pipeline
from pipelines.inference import batch_inference_pipeline


@click.command()
@click.option("--pipeline", type=click.Choice(["training", "batch_inference"]), default="training")
def main(pipeline: str) -> None:
    if pipeline == "training":
        training_pipeline()
    elif pipeline == "batch_inference":
        batch_inference_pipeline()


if __name__ == "__main__":
    main()
"""

_TRAINING_PY = """\
from sklearn.linear_model import LogisticRegression


def training_pipeline():
    LogisticRegression().fit([[0], [1]], [0, 1])
"""

_INFERENCE_PY = """\
def batch_inference_pipeline():
    return [0, 1]
"""


def _cron_workflow(command: str) -> str:
    return f"""\
name: nightly
on:
  schedule:
    - cron: '0 2 * * *'
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: {command}
"""


def _dispatcher_repo(command: str) -> dict[str, str]:
    return {"run.py": _RUN_PY, "pipelines/__init__.py": "", "pipelines/training.py": _TRAINING_PY,
            "pipelines/inference.py": _INFERENCE_PY, "requirements.txt": "click==8.1.7\nscikit-learn==1.5.2\n",
            ".github/workflows/nightly.yml": _cron_workflow(command)}


def test_m1_a_cron_running_the_dispatcher_for_batch_inference_is_no_training_schedule(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dispatcher_repo("python run.py --pipeline batch_inference --environment production"))
    assert qs["M1"]["answer"] != "yes"


def test_m1_near_miss_the_same_cron_running_it_for_training_is_a_schedule(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _dispatcher_repo("python run.py --pipeline training"))
    assert qs["M1"]["answer"] == "yes"
    assert _lead(qs["M1"]) == (".github/workflows/nightly.yml", 4)


@pytest.mark.parametrize("command,other", [
    ("python run.py --pipeline batch_inference --environment production", True),
    ("python -u main.py predict", True),
    ("uv run python -m pkg.run --task scoring", True),
    ("python run.py --pipeline training", False),
    ("python run.py --batch-size 32 --epochs 3", False),  # option names are not read: ``batch`` names no task here
    ("python train.py --data data/inference.csv", False),  # data files are not read either
    ("python run.py --pipeline train --then predict", False),  # a value naming training keeps it training
])
def test_selects_other_task(command: str, other: bool) -> None:
    from mlscan.facts.ci_vocab import selects_other_task

    assert selects_other_task(command) is other


# ---------------------------------------------------------------- D3 / E1 / D1: ZenML pipelines that train first

_ZENML_STEPS = """\
from typing import Annotated

import pandas as pd
from sklearn.linear_model import LogisticRegression
from zenml import log_metadata, step


@step
def load_data(
    test_size: float = 0.2,
) -> Annotated[pd.DataFrame, "X_train"]:
    return pd.read_csv("s3://acme/churn/train.csv")


@step
def train_model(X_train: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression().fit(X_train, [0] * len(X_train))


@step
def evaluate_model(model: LogisticRegression, X_train: pd.DataFrame) -> float:
    metrics = {"accuracy": float(model.score(X_train, [0] * len(X_train)))}
    log_metadata(metadata=metrics, infer_model=True)
    return metrics["accuracy"]
"""

_ZENML_TRAINING = """\
from zenml import pipeline

from steps.all import evaluate_model, load_data, train_model


@pipeline
def training():
    X_train = load_data()
    model = train_model(X_train)
    evaluate_model(model, X_train)


if __name__ == "__main__":
    training()
"""

# a champion/challenger pipeline: its docstrings say training, its steps predict; its metadata copies another run's record
_ZENML_CHAMPION = """\
from typing import Annotated

import pandas as pd
from zenml import log_metadata, pipeline, step


@step
def load_inference_data() -> Annotated[pd.DataFrame, "inference_data"]:
    \"\"\"The same data as training, to compare the models on.\"\"\"
    return pd.read_csv("s3://acme/churn/latest.csv")


@step
def predict_with_model(data: pd.DataFrame, stage: str) -> pd.Series:
    \"\"\"Predictions of the model of a stage (trained by the training pipeline).\"\"\"
    return data.iloc[:, 0]


@step
def record_comparison(champion: pd.Series, challenger: pd.Series) -> None:
    lineage = {"source": "staging", "git_commit": "abc123", "promotion_chain": ["staging"]}
    log_metadata(metadata=lineage, infer_model=True)


@pipeline
def champion_challenger():
    \"\"\"Compare the training run's challenger with the champion.\"\"\"
    data = load_inference_data()
    champion = predict_with_model(data=data, stage="production")
    challenger = predict_with_model(data=data, stage="staging")
    record_comparison(champion, challenger)


if __name__ == "__main__":
    champion_challenger()
"""


def _zenml_repo(with_training: bool = True) -> dict[str, str]:
    files = {"pipelines/__init__.py": "", "pipelines/champion_challenger.py": _ZENML_CHAMPION,
             "requirements.txt": "zenml==0.92.1\nscikit-learn==1.5.2\n"}
    if with_training:
        files |= {"steps/__init__.py": "", "steps/all.py": _ZENML_STEPS, "pipelines/training.py": _ZENML_TRAINING}
    return files


def test_d3_e1_d1_the_training_pipeline_leads_a_comparison_pipeline_that_sorts_first(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _zenml_repo())
    assert qs["D3"]["answer"] == "yes" and _lead(qs["D3"])[0] == "pipelines/training.py"
    assert qs["E1"]["answer"] == "yes" and _lead(qs["E1"])[0] == "steps/all.py"
    assert "log_metadata(metadata=metrics" in qs["E1"]["evidence"][0]["snippet"]
    assert qs["D1"]["answer"] == "yes" and _lead(qs["D1"]) == ("steps/all.py", 9)  # ``def load_data(``, not ``@step``
    lead = qs["D1"]["evidence"][0]
    assert lead["snippet"].startswith("def load_data(") and 'Annotated[pd.DataFrame, "X_train"]' in lead["snippet"]
    assert not leading_problem(lead)


def test_d3_near_miss_alone_the_comparison_pipeline_still_answers_and_leads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _zenml_repo(with_training=False))
    assert _lead(qs["D3"])[0] == "pipelines/champion_challenger.py"
    assert qs["D1"]["evidence"][0]["path"] == "pipelines/champion_challenger.py"


def test_python_pipeline_trains_attr(tmp_path: Path) -> None:
    from mlscan.engine import ScanOptions, scan

    from .conftest import git_repo

    repo = git_repo(tmp_path, _zenml_repo())
    dags = {f.evidence[0].path: f.attrs.get("trains") for f in scan(str(repo), ScanOptions(jobs=1)).findings if f.signal == "pipeline.dag"}
    assert dags == {"pipelines/training.py": "tasks", "pipelines/champion_challenger.py": "name"}


@pytest.mark.parametrize("body,metric", [
    ('    log_metadata(metadata={"accuracy": 0.9})\n', True),
    ("    metrics = {'f1': 0.8}\n    log_metadata(metadata=metrics)\n", True),
    ("    eval_scores = compute()\n    log_metadata(metadata=eval_scores)\n", True),
    ('    log_metadata(metadata={"environment": "staging"})\n', False),
    ('    lineage = {"source": "dev", "git_commit": "abc"}\n    log_metadata(metadata=lineage)\n', False),
])
def test_metric_metadata(body: str, metric: bool) -> None:
    import ast

    from detectors.pipeline_tracking import _metric_metadata

    fn = ast.parse("def step_fn():\n" + body).body[0]
    call = next(n for n in ast.walk(fn) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "log_metadata")
    assert _metric_metadata(fn, call) is metric


# ---------------------------------------------------------------- M4: a SageMaker condition bound above its step

_SM_PIPELINE = """\
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import JsonGet
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.step_collections import RegisterModel
from sagemaker.workflow.steps import ProcessingStep, TrainingStep


def get_pipeline(estimator, processor, eval_prop_file):
    step_train = TrainingStep(name="train", estimator=estimator)
    step_eval = ProcessingStep(name="eval", processor=processor, property_files=[eval_prop_file])
    step_register = RegisterModel(name="register", estimator=estimator,
                                  model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                                  content_types=["text/csv"], response_types=["text/csv"],
                                  model_package_group_name="churn")

    condition_eval = ConditionLessThanOrEqualTo(
        left=JsonGet(
            step_name=step_eval.name,
            property_file=eval_prop_file,
            json_path="regression_metrics.mse.value",
        ),
        right=7.0,
    )

    step_fail = FailStep(name="fail", error_message="metrics below requirements")

    step_condition = ConditionStep(
        name="reviewModelMetrics",
        display_name="Review model metrics",
        description="Review newly trained model metrics and continue based on results",
        conditions=[condition_eval],
        if_steps=[step_register],
        else_steps=[step_fail],
    )
    return Pipeline(name="churn", steps=[step_train, step_eval, step_condition])
"""


def test_m4_a_condition_step_is_cited_at_its_comparison_and_threshold(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/churn/pipeline.py": _SM_PIPELINE, "requirements.txt": "sagemaker==2.200.0\n"})
    assert qs["M4"]["answer"] == "yes"
    lead = qs["M4"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("pipelines/churn/pipeline.py", 18)
    assert "right=7.0" in lead["snippet"] and "regression_metrics.mse.value" in lead["snippet"]


def test_m4_near_miss_a_condition_step_without_a_comparison_call_keeps_its_own_lines() -> None:
    import ast

    from detectors.sagemaker_pipeline import _comparison

    tree = ast.parse("step = ConditionStep(name='x', conditions=[cond], if_steps=[register], else_steps=[fail])\n")
    assert _comparison(["step = ConditionStep(...)"], [tree]) is None
    inline = ast.parse("c = ConditionGreaterThanOrEqualTo(left=JsonGet(json_path='metrics.auc'), right=0.8)\n")
    line, end, snippet = _comparison(["c = ConditionGreaterThanOrEqualTo(left=JsonGet(json_path='metrics.auc'), right=0.8)"], [inline])
    assert (line, end) == (1, None) and "right=0.8" in snippet


# ---------------------------------------------------------------- T4 and M2: a GitHub promotion workflow

_PROMOTE = """\
name: promote
on:
  release:
    types: [published]
jobs:
  export:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Export model
        run: python scripts/export_model.py --stage staging
      - name: Create export summary
        run: |
          echo "## Model exported" >> $GITHUB_STEP_SUMMARY
          echo "Waiting for production deployment approval..." >> $GITHUB_STEP_SUMMARY
  import:
    needs: export
    runs-on: ubuntu-latest
    environment:
      name: production  # protected: reviewers approve the deployment
    env:
      STORE: prod
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
      - name: Deploy model to production
        run: python scripts/deploy_model.py --stage production
"""


def _promote_repo(workflow: str) -> dict[str, str]:
    return {".github/workflows/promote.yml": workflow, "scripts/export_model.py": "print('export')\n",
            "scripts/deploy_model.py": "import mlflow\n\nmlflow.MlflowClient().transition_model_version_stage('churn', 3, 'Production')\n",
            "src/train.py": "from sklearn.linear_model import LogisticRegression\n\nLogisticRegression().fit([[0], [1]], [0, 1])\n"}


def test_t4_an_environment_approval_is_cited_at_its_environment_lines(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _promote_repo(_PROMOTE))
    items = [e for e in qs["T4"]["evidence"] if e["path"] == ".github/workflows/promote.yml"]
    lead = items[0]
    assert lead["line"] == 19 and lead["snippet"].splitlines()[0] == "environment:" and "name: production" in lead["snippet"]
    assert not leading_problem(lead)


def test_t4_near_miss_an_inline_environment_and_a_bare_steps_key() -> None:
    from detectors.ci_deploy import _environment_line

    lines = ["jobs:", "  deploy:", "    runs-on: ubuntu-latest", "    environment: production", "    steps:", "      - run: make deploy"]
    assert _environment_line(lines, 2) == (4, None, "environment: production")
    assert _environment_line(lines[:3] + lines[4:], 2) is None  # no environment: nothing to cite
    assert leading_problem({"path": ".github/workflows/x.yml", "snippet": "steps:\n  - name: Deploy"})


def test_m2_job_summary_lines_are_no_placeholder_deploy(tmp_path: Path) -> None:
    from mlscan.ci import ci_model
    from mlscan.facts.ci_vocab import placeholder_deploy
    from mlscan.index import FileIndex
    from mlscan.target import resolve_target

    from .conftest import git_repo

    repo = git_repo(tmp_path, _promote_repo(_PROMOTE))
    steps = {s.name: s for j in ci_model(FileIndex(resolve_target(str(repo)))).jobs for s in j.steps}
    assert not placeholder_deploy(steps["Create export summary"])
    qs = _scan(tmp_path / "scan", _promote_repo(_PROMOTE))
    assert not any("stub" in " ".join(e.get("caveats") or ()) for e in qs["M2"]["evidence"])


def test_m2_near_miss_an_echo_that_claims_to_deploy_is_still_a_placeholder(tmp_path: Path) -> None:
    from mlscan.ci import ci_model
    from mlscan.facts.ci_vocab import placeholder_deploy
    from mlscan.index import FileIndex
    from mlscan.target import resolve_target

    from .conftest import git_repo

    stub = _PROMOTE.replace('echo "## Model exported" >> $GITHUB_STEP_SUMMARY', 'echo "Deploying model to production..."')
    repo = git_repo(tmp_path, _promote_repo(stub))
    steps = {s.name: s for j in ci_model(FileIndex(resolve_target(str(repo)))).jobs for s in j.steps}
    assert placeholder_deploy(steps["Create export summary"])


# ---------------------------------------------------------------- bare schema references, package templates


@pytest.mark.parametrize("line,path,bare", [
    ("$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json", "cli/assets/data.yml", True),
    ('"$schema": "https://json.schemastore.org/devcontainer.json",', "devcontainer.json", True),
    ("schema: ./schemas/customers.json", "dataset.yml", False),
    ("path: ../../data/raw/nyc_taxi_dataset.csv", "cli/assets/data.yml", False),
])
def test_a_schema_reference_is_bare(line: str, path: str, bare: bool) -> None:
    assert is_bare(line, path) is bare


def test_an_azure_ml_asset_is_cited_below_its_schema_line(tmp_path: Path) -> None:
    asset = ("$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\nname: nyc_taxi_dataset\n"
             "description: nyc_taxi_dataset.\ntype: uri_file\npath: ../../data/raw/nyc_taxi_dataset.csv\n")
    qs = _scan(tmp_path, {"cli/assets/create-data.yml": asset, "src/train.py": _TRAINING_PY})
    for q in qs.values():
        for e in q["evidence"]:
            if e["path"] == "cli/assets/create-data.yml":
                assert not e["snippet"].startswith("$schema"), (q["id"], e)


@pytest.mark.parametrize("path,non_product", [
    ("deployer/_templates/deployment/Dockerfile", True),
    ("pkg/_template/config.yaml", True),
    ("ci/templates/train.yml", False),  # a CI system's templates hold the pipelines it runs
    ("deployment/Dockerfile", False),
])
def test_a_packages_templates_folder_is_not_the_product(path: str, non_product: bool) -> None:
    assert non_product_path(path) is non_product


# ---------------------------------------------------------------- D1: a KFP component's dataset output parameter

_KFP = """\
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(packages_to_install=["pandas==2.2.2"], base_image="python:3.11")
def load_data(dataset: Output[Dataset]):
    import pandas as pd

    df = pd.read_csv("gs://acme/iris/iris.csv")
    df["target"] = df.pop("class")

    df.to_csv(dataset.path)


@dsl.component(packages_to_install=["scikit-learn==1.5.2", "pandas==2.2.2"], base_image="python:3.11")
def train_model(dataset: Input[Dataset], model: Output[Model]):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv(dataset.path)
    LogisticRegression().fit(df.drop(columns=["target"]), df["target"])


@dsl.pipeline(name="iris", pipeline_root="gs://acme/pipeline-root")
def pipeline():
    data = load_data()
    train_model(dataset=data.output)


compiler.Compiler().compile(pipeline, "pipeline.json")
"""


def test_d1_a_kfp_dataset_is_cited_at_its_output_parameter_before_the_write(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline.py": _KFP, "requirements.txt": "kfp==2.7.0\n"})
    assert qs["D1"]["answer"] == "yes"
    lead = qs["D1"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["snippet"]) == ("pipeline.py", 6, "dataset: Output[Dataset]")
    assert any(e["line"] == 12 for e in qs["D1"]["evidence"][1:])  # the write follows it
    assert not leading_problem(lead)


@pytest.mark.parametrize("line,found", [
    ("def load_data(dataset: Output[Dataset]):", "dataset: Output[Dataset]"),
    ("    raw: dsl.OutputPath('Dataset'),", "raw: dsl.OutputPath('Dataset')"),
    ("def train(model: Output[Model]):", None),  # a model output is no data version
    ("def train(dataset: Input[Dataset]):", None),
])
def test_dataset_param(line: str, found: str | None) -> None:
    from detectors.pipeline_tracking import _DATASET_PARAM

    m = _DATASET_PARAM.search(line)
    assert (m.group(0) if m else None) == found


_ZENML_LOADER = """\
from typing import Annotated, Tuple

import mlflow
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from zenml import pipeline, step


@step(
    experiment_tracker="mlflow",
)
def training_data_loader() -> Tuple[
    Annotated[pd.DataFrame, "X_train"],
    Annotated[pd.Series, "y_train"],
]:
    iris = load_iris(as_frame=True)
    mlflow.log_param("dataset", "iris")
    return iris.data, iris.target


@step
def trainer(X_train: pd.DataFrame, y_train: pd.Series) -> LogisticRegression:
    return LogisticRegression().fit(X_train, y_train)


@pipeline
def training_pipeline():
    X_train, y_train = training_data_loader()
    trainer(X_train, y_train)


if __name__ == "__main__":
    training_pipeline()
"""


def test_d1_a_zenml_step_under_a_multiline_decorator_leads_with_its_typed_outputs_not_a_logged_name(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"train.py": _ZENML_LOADER, "requirements.txt": "zenml==0.92.1\nmlflow==2.16.0\n"})
    assert qs["D1"]["answer"] == "yes"
    lead = qs["D1"]["evidence"][0]
    assert (lead["path"], lead["line"]) == ("train.py", 13)
    assert lead["snippet"].splitlines()[:2] == ["def training_data_loader() -> Tuple[", 'Annotated[pd.DataFrame, "X_train"],']


# ---------------------------------------------------------------- M1 partial: a schedule that is off, at the line that turns it off

_AIRFLOW = """\
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from models.train_model import run_training

dag = DAG(
    "mlops_pipeline",
    default_args={"owner": "airflow", "start_date": datetime(2023, 1, 1)},
    description="Train model using MLflow",
    schedule_interval={schedule},
    catchup=False,
)

train_task = PythonOperator(task_id="train_model", python_callable=run_training, dag=dag)
"""

_TRAIN_MODEL = """\
from sklearn.linear_model import LogisticRegression


def run_training():
    LogisticRegression().fit([[0], [1]], [0, 1])
"""


def test_m1_a_dag_without_a_schedule_leads_with_its_schedule_none_line(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/ml_pipeline.py": _AIRFLOW.replace("{schedule}", "None"), "models/__init__.py": "",
                          "models/train_model.py": _TRAIN_MODEL})
    assert qs["M1"]["answer"] == "partial"  # (a DAG with no schedule: the answer keeps its caveat "not active")
    lead = qs["M1"]["evidence"][0]
    assert (lead["line"], lead["snippet"].splitlines()[0]) == (12, "schedule_interval=None,")
    assert any(c.startswith("not active") for c in lead["caveats"])


def test_m1_near_miss_an_active_schedule_is_still_cited_at_its_cron(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dags/ml_pipeline.py": _AIRFLOW.replace("{schedule}", '"0 3 * * *"'), "models/__init__.py": "",
                          "models/train_model.py": _TRAIN_MODEL})
    assert qs["M1"]["answer"] == "yes"
    assert qs["M1"]["evidence"][0]["snippet"].splitlines()[0] == 'schedule_interval="0 3 * * *",'
