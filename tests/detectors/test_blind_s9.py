"""Recognisers and near misses from the session-9 blind sample (issue #13): an image tagged with the commit carries
the model's code version, and a data workflow declares lineage to a model's input, only when the repository has a
model at all. Each case is scanned with and without the piece that makes it practice."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

BUILD = '''#!/bin/bash
set -e
TAG=$(git rev-parse HEAD)
docker build --tag "registry.example.com/weather-workflows:${TAG}" .
docker push "registry.example.com/weather-workflows:${TAG}"
'''
DOCKERFILE = "FROM python:3.10-slim\nCOPY requirements.txt /root\nRUN pip install -r /root/requirements.txt\nCOPY . /root\n"
WORKFLOW = '''import pandas as pd
from flytekit import task, workflow


@task
def get_weather_data(url: str) -> pd.DataFrame:
    return pd.read_csv(url)


@task
def summarise(data: pd.DataFrame) -> str:
    return str(data.describe())


@workflow
def wf(url: str) -> str:
    return summarise(data=get_weather_data(url=url))
'''
TRAIN = '''import joblib
import pandas as pd
from sklearn.linear_model import LinearRegression


def train(path: str) -> None:
    df = pd.read_csv(path)
    joblib.dump(LinearRegression().fit(df[["x"]], df["y"]), "model.joblib")
'''


def _found(tmp: Path, files: dict[str, str], detector: str, signal: str) -> list[dict]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({detector})) if f.signal == signal]


def test_sha_tagged_image_of_a_project_without_a_model_carries_no_model(tmp_path: Path) -> None:
    files = {"docker_build.sh": BUILD, "Dockerfile": DOCKERFILE, "requirements.txt": "flytekit\npandas\n", "workflows/weather.py": WORKFLOW}
    found = _found(tmp_path, files, "model.code_version", "model.code_version")
    assert found and all(a["how"] == "image-tag:git-sha" and a["carries_model"] is False for a in found)


def test_sha_tagged_image_of_a_project_that_trains_a_model_may_carry_it(tmp_path: Path) -> None:
    files = {"docker_build.sh": BUILD, "Dockerfile": DOCKERFILE, "requirements.txt": "scikit-learn\npandas\n", "src/train.py": TRAIN}
    found = _found(tmp_path, files, "model.code_version", "model.code_version")
    assert found and all(a["how"] == "image-tag:git-sha" and a["carries_model"] is None for a in found)


def _answers(tmp: Path, files: dict[str, str]) -> dict[str, str]:
    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json"])
    assert res.exit_code == 0, res.output
    return {q["id"]: q["answer"] for q in json.loads(res.output)["questions"]}


def test_data_workflow_of_a_project_without_a_model_declares_no_lineage_to_a_model(tmp_path: Path) -> None:
    answers = _answers(tmp_path, {"requirements.txt": "flytekit\npandas\n", "workflows/weather.py": WORKFLOW})
    assert answers["D3"] == "no"


def test_the_same_data_workflow_feeding_a_project_that_trains_declares_lineage(tmp_path: Path) -> None:
    answers = _answers(tmp_path, {"requirements.txt": "flytekit\npandas\nscikit-learn\n", "workflows/weather.py": WORKFLOW,
                                  "src/train.py": TRAIN})
    assert answers["D3"] == "yes"
