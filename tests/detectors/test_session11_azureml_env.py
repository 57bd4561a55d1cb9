"""E4: an Azure ML (SDK v1) environment built in notebook cells or code, ``CondaDependencies.create(pip_packages=[...])``
or ``add_pip_package("xgboost==0.90")`` on an ``Environment`` the runs use, is a conda environment declared as code
(labelling conventions: notebooks count when they are the workflow). Near misses: nothing pinned, and a spec that no run,
deployment or registration uses."""

from __future__ import annotations

import json
from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

CELL_ENV = '''from azureml.core import ScriptRunConfig, Environment
from azureml.core.conda_dependencies import CondaDependencies

xgboost_env = Environment(workspace=workspace, name="XGBoost-Env")
conda_dep = CondaDependencies()
conda_dep.add_pip_package("azureml-defaults")
conda_dep.add_pip_package("xgboost==0.90")
conda_dep.add_pip_package("scikit-learn==0.22.2.post1")
xgboost_env.python.conda_dependencies = conda_dep
'''
CELL_RUN = '''src = ScriptRunConfig(source_directory="src", script="train.py", compute_target="cpu-cluster", environment=xgboost_env)
run = experiment.submit(src)
'''
CREATE = '''from azureml.core import Environment
from azureml.core.conda_dependencies import CondaDependencies

env = Environment("sklearn-env")
env.python.conda_dependencies = CondaDependencies.create(
    conda_packages=["python=3.8", "scikit-learn=1.0.2"],
    pip_packages=["azureml-defaults", "joblib==1.1.0"],
)
env.register(workspace=ws)
'''


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _conda(tmp: Path, files: dict[str, str]) -> list[dict]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [{**f.attrs, "path": f.evidence[0].path, "line": f.evidence[0].line}
            for f in run_detectors(index, load_detectors({"env.python"})) if f.signal == "env.conda"]


def test_notebook_environment_used_by_a_run(tmp_path: Path) -> None:
    found = _conda(tmp_path, {"notebooks/submit-run.ipynb": _notebook(CELL_ENV, CELL_RUN)})
    assert [(f["kind"], f["pinned_share"], f["total"]) for f in found] == [("azureml-sdk", 0.67, 3)]


def test_create_in_code_and_registered(tmp_path: Path) -> None:
    found = _conda(tmp_path, {"aml/environment.py": CREATE})
    assert [(f["kind"], f["total"], f["line"]) for f in found] == [("azureml-sdk", 4, 6)]


def test_unpinned_or_unused_specs_are_no_environment(tmp_path: Path) -> None:
    unpinned = CELL_ENV.replace("==0.90", "").replace("==0.22.2.post1", "")
    assert _conda(tmp_path / "a", {"notebooks/submit-run.ipynb": _notebook(unpinned, CELL_RUN)}) == []
    assert _conda(tmp_path / "b", {"notebooks/env.ipynb": _notebook(CELL_ENV)}) == []
