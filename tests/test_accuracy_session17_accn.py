"""Session 17 (branch accN, issue #13): the platforms' own samples, read before scanning. Azure ML's GitHub action
``Azure/aml-registermodel`` (its README: a step after ``Azure/aml-run`` given the run's ``run_id`` and
``experiment_name``) registers the run's model in the workspace's registry: a central model store (T2) when an active
step of an active job runs it; a disabled step or another Azure ML action is none (near misses)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo

_TRAIN = """\
import joblib
from azureml.core import Run
from sklearn import datasets
from sklearn.svm import SVC

run = Run.get_context()
X, y = datasets.load_iris(return_X_y=True)
model = SVC().fit(X, y)
run.log("accuracy", model.score(X, y))
joblib.dump(model, "outputs/model.pkl")
"""

_WORKFLOW = """\
name: train
on:
  push:
    branches: [main]
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Connect workspace
        id: aml_workspace
        uses: Azure/aml-workspace@v1
        with:
          azure_credentials: ${{{{ secrets.AZURE_CREDENTIALS }}}}
      - name: Submit training run
        id: aml_run
        uses: Azure/aml-run@v1
        with:
          azure_credentials: ${{{{ secrets.AZURE_CREDENTIALS }}}}
      - name: Register model
        id: aml_registermodel
{guard}        uses: {action}
        with:
          azure_credentials: ${{{{ secrets.AZURE_CREDENTIALS }}}}
          run_id: ${{{{ steps.aml_run.outputs.run_id }}}}
          experiment_name: ${{{{ steps.aml_run.outputs.experiment_name }}}}
"""


def _answers(root: Path, guard: str = "", action: str = "Azure/aml-registermodel@v1") -> dict[str, dict[str, Any]]:
    files = {"code/train/train.py": _TRAIN, ".github/workflows/train.yml": _WORKFLOW.format(guard=guard, action=action)}
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return {q["id"]: q for q in build_report(scan(str(repo), ScanOptions(jobs=1)))["questions"]}


def test_aml_registermodel_action_is_a_model_registry(tmp_path: Path) -> None:
    t2 = _answers(tmp_path)["T2"]
    assert t2["answer"] == "yes"
    assert t2["evidence"][0]["path"] == ".github/workflows/train.yml"
    assert "Azure/aml-registermodel" in t2["evidence"][0]["snippet"]


def test_disabled_registermodel_step_is_no_registry(tmp_path: Path) -> None:
    assert _answers(tmp_path, guard="        if: false\n")["T2"]["answer"] == "no"


def test_other_azure_ml_action_is_no_registry(tmp_path: Path) -> None:
    assert _answers(tmp_path, action="Azure/aml-compute@v1")["T2"]["answer"] == "no"


# ---------------------------------------------------------------- T4: a configured SageMaker approval status

_REGISTER = """\
import yaml
from sagemaker.model import Model
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.model_step import ModelStep

cfg = yaml.safe_load(open("conf/conf.yaml"))["registry"]


def register_step(session, image_uri, model_data, role):
    model = Model(image_uri=image_uri, model_data=model_data, role=role, sagemaker_session=session)
    step_args = model.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        model_package_group_name=cfg["model_package_group_name"],
        approval_status={status},
    )
    return ModelStep(name="RegisterModel", step_args=step_args)


def pipeline(session, image_uri, model_data, role):
    return Pipeline(name="train", steps=[register_step(session, image_uri, model_data, role)], sagemaker_session=session)
"""
_CONF = """\
registry:
  model_package_group_name: churn
  approval_status: {value}
"""


def _t4(root: Path, value: str = "PendingManualApproval", status: str = 'cfg.get("approval_status")') -> str:
    files = {"pipelines/register.py": _REGISTER.format(status=status), "conf/conf.yaml": _CONF.format(value=value)}
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    t4 = {q["id"]: q for q in build_report(scan(str(repo), ScanOptions(jobs=1)))["questions"]}["T4"]
    return f"{t4['answer']} {t4['evidence'][0]['path'] if t4['evidence'] else ''}"


def test_configured_pending_approval_is_governance(tmp_path: Path) -> None:
    assert _t4(tmp_path) == "yes conf/conf.yaml"


def test_configured_approved_status_is_no_governance(tmp_path: Path) -> None:
    assert _t4(tmp_path, value="Approved").startswith("no")


def test_configured_status_the_code_ignores_is_no_governance(tmp_path: Path) -> None:
    assert _t4(tmp_path, status='"Approved"').startswith("no")


# ---------------------------------------------------------------- O4: a tool's sample-data loader explains nothing

_EXPLAIN = """\
import shap
import xgboost

X, y = shap.datasets.adult()
model = xgboost.XGBClassifier().fit(X, y)
model.save_model("model.json")
{explain}
"""


def _o4(root: Path, explain: str) -> str:
    files = {"src/train.py": _EXPLAIN.format(explain=explain)}
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return {q["id"]: q for q in build_report(scan(str(repo), ScanOptions(jobs=1)))["questions"]}["O4"]["answer"]


def test_shap_explainer_after_its_sample_data_is_explainability(tmp_path: Path) -> None:
    assert _o4(tmp_path, "shap_values = shap.TreeExplainer(model).shap_values(X)\nshap.summary_plot(shap_values, X)") == "yes"


def test_shap_sample_data_alone_is_no_explainability(tmp_path: Path) -> None:
    assert _o4(tmp_path, "print(X.shape)") == "no"
