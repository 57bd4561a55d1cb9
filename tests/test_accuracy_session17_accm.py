"""Scanner errors of session 16's blind samples (issue #13, part 2: deploys, gates, lineage, stores, rollback,
approvals), fixed generally, each positive with its near miss: tests run by CircleCI through ``invoke`` tasks before a
deploy job that requires them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.facts.commands import invoked
from mlscan.index import FileIndex
from mlscan.report import build_report
from mlscan.target import resolve_target

from .conftest import git_repo


def _report(root: Path, files: dict[str, str]) -> dict[str, Any]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return build_report(scan(str(repo), ScanOptions(jobs=1)))


def _answers(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _report(root, files)["questions"]}


# ---------------------------------------------------------------- M3: CircleCI jobs running invoke tasks

_CIRCLE = """\
version: 2.1
jobs:
  test:
    docker:
      - image: cimg/python:3.11
    steps:
      - checkout
      - run: pip install -r requirements.txt
      - run:
          name: Run tests
          command: inv tests
  deploy:
    docker:
      - image: cimg/python:3.11
    steps:
      - checkout
      - run: pip install -r requirements.txt
      - run: invoke deploy --env prod
workflows:
  build-deploy:
    jobs:
      - test
      - deploy:
{requires}          filters:
            branches:
              only: main
"""
_REQUIRES = "          requires:\n            - test\n"
_TASKS = """\
from invoke import task


@task
def lint(c):
    c.run("ruff check src", warn=True)


@task(pre=[lint])
def tests(c, cov=False):
    \"\"\"Run the test suite.\"\"\"
    c.run(f"pytest tests -q {'--cov' if cov else ''}")


@task
def upload(c):
    c.run("aws s3 cp model.joblib s3://models/model.joblib")


@task(upload, name="deploy")
def deploy_model(c, env="staging"):
    c.run("python -m src.train")
    c.run(f"aws sagemaker update-endpoint --endpoint-name churn-{env} --endpoint-config-name churn-v2")
"""
_TEST = """\
from src.model import predict


def test_predict():
    assert predict([1, 2]) in (0, 1)
"""


def _invoke_repo(requires: str = _REQUIRES, tests_task: str = _TASKS) -> dict[str, str]:
    return {".circleci/config.yml": _CIRCLE.format(requires=requires), "tasks.py": tests_task,
            "tests/test_model.py": _TEST, "src/__init__.py": "", "src/model.py": "def predict(x):\n    return 0\n",
            "src/train.py": "print('train')\n", "requirements.txt": "invoke==2.2.0\n"}


def test_invoke_tasks_expand_to_their_commands_pre_tasks_first(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, _invoke_repo())
    index = FileIndex(resolve_target(str(repo)))
    subs = invoked(index, "inv tests", ".circleci/config.yml", 11)
    assert [(s.text, s.file.path, s.line, s.ignored, s.via) for s in subs] == [
        ("ruff check src", "tasks.py", 6, True, "invoke tests"),  # warn=True: its failure fails nothing
        ("pytest tests -q $X", "tasks.py", 12, False, "invoke tests"),
    ]
    deploy = invoked(index, "invoke deploy --env prod", ".circleci/config.yml", 18)
    assert [s.text for s in deploy] == ["aws s3 cp model.joblib s3://models/model.joblib", "python -m src.train",
                                        "aws sagemaker update-endpoint --endpoint-name churn-$X --endpoint-config-name churn-v2"]
    assert invoked(index, "inv nothing", ".circleci/config.yml", 11) == []
    assert [s.text for s in invoked(index, "python -m invoke tests", ".circleci/config.yml", 11)] == ["ruff check src", "pytest tests -q $X"]


def test_circleci_invoke_tests_required_by_the_deploy_job_gate_it(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo())
    assert answers["M3"]["answer"] == "yes"
    assert answers["M2"]["answer"] == "yes"


def test_a_deploy_job_not_requiring_the_test_job_is_not_gated(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo(requires=""))
    assert answers["M3"]["answer"] == "partial"


def test_an_invoke_task_named_tests_that_only_lints_is_no_test(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo(tests_task=_TASKS.replace('c.run(f"pytest tests -q {\'--cov\' if cov else \'\'}")',
                                                                          'c.run("flake8 src")')))
    assert answers["M3"]["answer"] == "no"


# ---------------------------------------------------------------- D2: ZenML's Model Control Plane links data and model

_ZEN_STEPS = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression
from typing_extensions import Annotated
from zenml import ArtifactConfig, step


@step
def data_loader() -> Annotated[pd.DataFrame, "raw_dataset"]:
    return pd.read_csv("data/churn.csv")


@step
def train_model(df: pd.DataFrame) -> Annotated[LogisticRegression, ArtifactConfig(name="churn_model", is_model_artifact=True)]:
    model = LogisticRegression()
    model.fit(df.drop(columns=["y"]), df["y"])
    return model


@step
def load_production_model() -> LogisticRegression:
    from zenml.client import Client

    return Client().get_artifact_version("churn_model").load()


@step
def deploy_model(model: LogisticRegression) -> None:
    import joblib

    joblib.dump(model, "/srv/model.joblib")
"""
_ZEN_PIPELINE = """\
from zenml import Model, pipeline

from steps import data_loader, train_model

model = Model(name="churn", version="production", description="churn classifier")


@pipeline(model=model)
def training_pipeline():
    df = data_loader()
    train_model(df)
"""
_ZEN_DEPLOY_ONLY = """\
from zenml import Model, pipeline

from steps import deploy_model, load_production_model


@pipeline(model=Model(name="churn", version="production"))
def deployment_pipeline():
    model = load_production_model()
    deploy_model(model)
"""
_ZEN_RUN = """\
from pipelines.training import training_pipeline

if __name__ == "__main__":
    training_pipeline()
"""


def test_a_zenml_pipeline_running_under_a_model_links_its_data_to_the_model(tmp_path: Path) -> None:
    report = _report(tmp_path, {"steps/__init__.py": _ZEN_STEPS, "pipelines/__init__.py": "", "pipelines/training.py": _ZEN_PIPELINE,
                                "run.py": _ZEN_RUN, "requirements.txt": "zenml==0.70.0\nscikit-learn==1.5.0\n"})
    d2 = {q["id"]: q for q in report["questions"]}["D2"]
    assert d2["answer"] == "yes"
    assert any(ev["path"] == "pipelines/training.py" and ev["line"] == 8 for ev in d2["evidence"]), d2["evidence"]


def test_a_zenml_model_on_a_pipeline_that_brings_no_data_in_links_none(tmp_path: Path) -> None:
    answers = _answers(tmp_path, {"steps/__init__.py": _ZEN_STEPS, "pipelines/__init__.py": "", "pipelines/deploy.py": _ZEN_DEPLOY_ONLY,
                                  "run.py": _ZEN_RUN.replace("training import training_pipeline", "deploy import deployment_pipeline")
                                  .replace("training_pipeline()", "deployment_pipeline()"),
                                  "requirements.txt": "zenml==0.70.0\nscikit-learn==1.5.0\n"})
    assert answers["D2"]["answer"] == "no"


def test_explicit_zenml_links_artifact_configs_naming_the_model_and_link_calls() -> None:
    import ast

    from mlscan.facts.zenml import model_data_links

    src = textwrap.dedent('''\
        import pandas as pd
        from typing_extensions import Annotated
        from zenml import ArtifactConfig, Model, link_artifact_to_model, save_artifact, step


        @step
        def load_training_data() -> Annotated[pd.DataFrame, ArtifactConfig(name="training_data", model_name="churn")]:
            return pd.read_parquet("s3://lake/churn.parquet")


        @step(model=Model(name="churn"))
        def prepare_features(df: pd.DataFrame) -> None:
            link_artifact_to_model(save_artifact(df, name="features"))


        @step
        def train(df: pd.DataFrame) -> Annotated[object, ArtifactConfig(name="model", is_model_artifact=True)]:
            return object()


        @step
        def load_model_weights() -> None:
            link_artifact_to_model(save_artifact(b"", name="weights"))
        ''')
    tree = ast.parse(src)
    al = {"ArtifactConfig": "zenml.ArtifactConfig", "Model": "zenml.Model", "link_artifact_to_model": "zenml.link_artifact_to_model",
          "save_artifact": "zenml.save_artifact", "step": "zenml.step"}
    # the data output naming its model, and the link call of a data step running under a model; not the model artifact's
    # own config, nor a link of weights from a step running under no model
    assert model_data_links(tree, al) == [(7, 7, "artifact-config"), (13, 12, "artifact-config")]


# ---------------------------------------------------------------- T3: a model's rollback, whose commands exist

_RUNBOOK_README = """\
# Churn model

## Retraining

1. Run `python scripts/train.py --data data/latest.csv`
2. Check the metrics in MLflow
3. Run `python scripts/deploy.py`

## Operations

- Rollback: see the [rollback runbook](docs/rollback.md)
"""
_NETWORK_ROLLBACK = """\
# Rollback

If the new deployment breaks connectivity:

1. Revert the subnet and security group change in `infra/network.tf`
2. Run `terraform plan` and check the VPC routes
3. Run `terraform apply`
"""
_MODEL_ROLLBACK = """\
# Rollback

If the new model misbehaves:

1. Run `python scripts/deploy.py --model-version previous`
2. Check that the endpoint serves the previous model version
"""
_MISSING_ROLLBACK = """\
# Rollback

1. Run `python -m churn.rollback --to-version 3`
2. Run `make rollback`
"""


def _runbook_repo(rollback: str) -> dict[str, str]:
    return {"README.md": _RUNBOOK_README, "docs/rollback.md": rollback, "scripts/train.py": "print('train')\n",
            "scripts/deploy.py": "print('deploy')\n", "infra/network.tf": 'resource "aws_vpc" "main" {}\n',
            "churn/__init__.py": "", "churn/promote.py": "print('promote')\n", "Makefile": "train:\n\tpython scripts/train.py\n"}


def test_a_model_rollback_with_commands_that_exist_completes_t3(tmp_path: Path) -> None:
    assert _answers(tmp_path, _runbook_repo(_MODEL_ROLLBACK))["T3"]["answer"] == "yes"


def test_a_rollback_that_only_reverts_a_terraform_network_change_is_no_model_rollback(tmp_path: Path) -> None:
    report = _report(tmp_path, _runbook_repo(_NETWORK_ROLLBACK))
    assert {q["id"]: q for q in report["questions"]}["T3"]["answer"] == "partial"
    rollback = [f for f in report["findings"] if f["signal"] == "docs.rollback"]
    assert [f["attrs"]["about"] for f in rollback] == ["infra"]


def test_a_rollback_calling_a_module_and_a_make_target_the_repository_lacks_is_a_claim(tmp_path: Path) -> None:
    report = _report(tmp_path, _runbook_repo(_MISSING_ROLLBACK))
    assert {q["id"]: q for q in report["questions"]}["T3"]["answer"] == "partial"
    assert not [f for f in report["findings"] if f["signal"] == "docs.rollback"]


# ---------------------------------------------------------------- T4: an approval step in the deployment pipeline

_APPROVAL_WORKFLOW = """\
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: trstringer/manual-approval@v1
{coe}        with:
          secret: ${{{{ github.TOKEN }}}}
          approvers: ml-leads
          minimum-approvals: 1
      - run: python deploy.py
"""


def _approval_repo(coe: str = "", action: str = "trstringer/manual-approval") -> dict[str, str]:
    return {".github/workflows/deploy.yml": _APPROVAL_WORKFLOW.format(coe=coe).replace("trstringer/manual-approval", action),
            "deploy.py": "import subprocess\nsubprocess.run(['aws', 'sagemaker', 'update-endpoint', '--endpoint-name', 'churn'], check=True)\n"}


def test_a_github_approval_action_before_the_deploy_is_a_manual_approval(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _approval_repo())
    assert answers["T4"]["answer"] == "yes"
    assert answers["T4"]["evidence"][0]["line"] == 9


def test_an_approval_action_that_cannot_fail_the_job_or_a_bot_approving_prs_is_none(tmp_path: Path) -> None:
    assert _answers(tmp_path / "a", _approval_repo(coe="        continue-on-error: true\n"))["T4"]["answer"] == "no"
    assert _answers(tmp_path / "b", _approval_repo(action="hmarr/auto-approve-action"))["T4"]["answer"] == "no"
