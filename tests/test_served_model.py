"""The model that is served decides which data-version and code-version links count (labelling conventions D1, D2,
E3): both sides of each case, scanned end to end and read from the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import git_repo

DVC_LOCK = """schema: '2.0'
stages:
  train:
    cmd: python src/train.py
    deps:
    - path: data/customers.csv
      md5: 2a1f0c7e9b1d4c3e8f6a5b4c3d2e1f00
      size: 10240
    - path: src/train.py
      md5: 7c6b5a4938271605f4e3d2c1b0a99887
      size: 812
    outs:
    - path: models/model.pkl
      md5: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
      size: 40960
"""

TRAIN = """import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("data/customers.csv")
joblib.dump(LogisticRegression().fit(df.drop(columns=["churned"]), df["churned"]), "models/model.pkl")
"""

APP_FILE = """import joblib
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("models/model.pkl")


@app.post("/predict")
def predict(rows: list[list[float]]) -> list[int]:
    return model.predict(rows).tolist()
"""

APP_REGISTRY = """import mlflow.pyfunc
from fastapi import FastAPI

app = FastAPI()
model = mlflow.pyfunc.load_model("models:/churn@champion")


@app.post("/predict")
def predict(rows: list[list[float]]) -> list[int]:
    return model.predict(rows).tolist()
"""


def _answers(root: Path) -> dict[str, str]:
    res = CliRunner().invoke(main, ["scan", str(root), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    return {q["id"]: q["answer"] for q in report["questions"]}


def test_dvc_lock_links_the_model_serving_loads(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "r", {"dvc.lock": DVC_LOCK, "src/train.py": TRAIN, "api/app.py": APP_FILE})
    got = _answers(root)
    assert (got["D2"], got["E3"]) == ("yes", "yes")


def test_dvc_lock_does_not_link_a_model_served_from_the_registry(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "r", {"dvc.lock": DVC_LOCK, "src/train.py": TRAIN, "api/app.py": APP_REGISTRY})
    got = _answers(root)
    assert got["D2"] != "yes" and got["E3"] != "yes"
    assert got["D1"] == "yes"  # the data is still versioned by the lock


def test_dvc_lock_without_serving_code_still_links(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "r", {"dvc.lock": DVC_LOCK, "src/train.py": TRAIN})
    got = _answers(root)
    assert (got["D2"], got["E3"]) == ("yes", "yes")


DVC_FILE = """outs:
- md5: 3b2a19081726354453627180918a7b6c
  size: 40960
  path: {path}
"""


def test_dvc_file_tracking_only_a_model_is_not_data_versioning(tmp_path: Path) -> None:
    models = git_repo(tmp_path / "m", {"models/churn.joblib.dvc": DVC_FILE.format(path="churn.joblib"), "src/train.py": TRAIN})
    data = git_repo(tmp_path / "d", {"data/customers.csv.dvc": DVC_FILE.format(path="customers.csv"), "src/train.py": TRAIN})
    assert _answers(models)["D1"] != "yes"
    assert _answers(data)["D1"] == "yes"


WORKFLOW = """name: release
on:
  push:
    branches: [main]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/acme/churn-api:${{ github.sha }} .
      - run: docker push ghcr.io/acme/churn-api:${{ github.sha }}
"""
DOCKERFILE = "FROM python:3.11.9-slim\nCOPY api/ /app/api/\nCMD [\"uvicorn\", \"api.app:app\"]\n"
# the image the app's model file is baked into (a Dockerfile copying only api/ ships no model: facts.image_contents)
BAKED_DOCKERFILE = "FROM python:3.11.9-slim\nCOPY api/ /app/api/\nCOPY models/model.pkl /app/models/model.pkl\nCMD [\"uvicorn\", \"api.app:app\"]\n"


def test_sha_tagged_image_carries_the_model_code_version_only_with_the_model(tmp_path: Path) -> None:
    baked = git_repo(tmp_path / "b", {".github/workflows/release.yml": WORKFLOW, "Dockerfile": BAKED_DOCKERFILE, "api/app.py": APP_FILE})
    fetched = git_repo(tmp_path / "f", {".github/workflows/release.yml": WORKFLOW, "Dockerfile": DOCKERFILE, "api/app.py": APP_REGISTRY})
    assert _answers(baked)["E3"] == "yes"
    assert _answers(fetched)["E3"] != "yes"


APP_BENTO = """import bentoml
import numpy as np
from bentoml.io import NumpyNdarray

runner = bentoml.keras.get("digit_classifier:latest").to_runner()
svc = bentoml.Service("digits", runners=[runner])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(batch: np.ndarray) -> np.ndarray:
    return runner.predict.run(batch)
"""
BENTO_WORKFLOW = WORKFLOW.replace(
    "      - run: docker build -t ghcr.io/acme/churn-api:${{ github.sha }} .\n",
    "      - run: bentoml build && bentoml containerize digits:latest -t ghcr.io/acme/churn-api:${{ github.sha }}\n")


def test_bentoml_store_model_is_in_the_image_only_when_ci_builds_the_bento(tmp_path: Path) -> None:
    """A BentoML service loads its model from the local model store by tag: a Bento image CI builds with
    ``bentoml containerize`` carries it, an image built from a plain Dockerfile does not."""
    plain = git_repo(tmp_path / "p", {".github/workflows/release.yml": WORKFLOW, "Dockerfile": DOCKERFILE, "api/service.py": APP_BENTO})
    bento = git_repo(tmp_path / "b", {".github/workflows/release.yml": BENTO_WORKFLOW, "api/service.py": APP_BENTO})
    assert _answers(plain)["E3"] != "yes"
    assert _answers(bento)["E3"] == "yes"
