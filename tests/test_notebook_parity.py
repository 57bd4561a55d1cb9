"""Notebooks count like scripts when they are the project's workflow (labelling conventions, issue #13 category 5):
the same training code scanned as a notebook and as a script gives the same answers, so nothing caps a notebook's
evidence below what the rules require."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import git_repo

CELLS = [
    "import mlflow\nimport pandas as pd\nimport shap\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.metrics import f1_score\nfrom sklearn.model_selection import train_test_split\n",
    "df = pd.read_csv('data/churn.csv')\n"
    "X_train, X_test, y_train, y_test = train_test_split(df.drop(columns=['churned']), df['churned'])\n",
    "with mlflow.start_run() as run:\n    mlflow.log_params({'n_estimators': 300})\n"
    "    model = RandomForestClassifier(n_estimators=300).fit(X_train, y_train)\n"
    "    f1 = f1_score(y_test, model.predict(X_test))\n    mlflow.log_metric('f1', f1)\n    mlflow.sklearn.log_model(model, 'model')\n",
    "if f1 < 0.8:\n    raise ValueError(f'f1 {f1} below the bar')\n"
    "mlflow.register_model(f'runs:/{run.info.run_id}/model', 'churn')\n",
    "explainer = shap.TreeExplainer(model)\nshap.summary_plot(explainer.shap_values(X_test), X_test)\n",
]
REQUIREMENTS = "mlflow==2.12.1\nscikit-learn==1.4.2\npandas==2.2.2\nshap==0.45.0\n"


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5})


def _answers(root: Path) -> dict[str, str]:
    res = CliRunner().invoke(main, ["scan", str(root), "--format", "json"])
    assert res.exit_code == 0, res.output
    return {q["id"]: q["answer"] for q in json.loads(res.output)["questions"]}


@pytest.mark.parametrize("where", ["train.ipynb", "notebooks/train.ipynb"])
def test_a_workflow_notebook_answers_like_the_same_script(tmp_path: Path, where: str) -> None:
    """The project's only training code, in a notebook at the root or in a notebooks folder."""
    nb = _answers(git_repo(tmp_path / "nb", {where: _notebook(CELLS), "requirements.txt": REQUIREMENTS}))
    py = _answers(git_repo(tmp_path / "py", {"train.py": "\n".join(CELLS), "requirements.txt": REQUIREMENTS}))
    assert nb == py
    assert {q for q, a in nb.items() if a == "yes"} >= {"E1", "E2", "E4", "O4", "T2"}
