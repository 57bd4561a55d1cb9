"""The model that is served (issue #13 item 4), from the final session-10 blind samples: an image tagged with the
commit carries the model's code version only when the model is in it. Serving that fetches a W&B model artifact by
alias at start-up (``wandb.Api().artifact("entity/project/model:latest").download()``, W&B's "consume models" docs)
and loads the copy, and an image whose command runs a script that imports nothing, carry none. Each case is scanned
with and without the piece that makes the difference."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.facts.served import from_registry_only, served_models
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

WORKFLOW = '''name: images
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v5
        with:
          context: .
          push: true
          tags: acme/churn-api:${{ github.sha }}
'''
SERVE = '''import glob
import os
import shutil

import joblib
import wandb
from fastapi import FastAPI

app = FastAPI()
ENTITY = os.environ.get("WANDB_ENTITY", "acme")
MODEL_LOCAL_PATH = "model.joblib"


def fetch() -> None:
    api = wandb.Api()
    artifact_name = f"{ENTITY}/churn/model:{os.environ.get('MODEL_ALIAS', 'latest')}"
    artifact_dir = api.artifact(artifact_name).download(root="tmp_model")
    shutil.copy(glob.glob(os.path.join(artifact_dir, "*.joblib"))[0], MODEL_LOCAL_PATH)


@app.on_event("startup")
def startup() -> None:
    fetch()


@app.post("/predict")
def predict(rows: list[list[float]]) -> list[float]:
    return joblib.load(MODEL_LOCAL_PATH).predict(rows).tolist()
'''
DOCKERFILE = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install -r requirements.txt\nCMD [\"uvicorn\", \"serve:app\"]\n"


def _index(tmp: Path, files: dict[str, str]) -> FileIndex:
    return FileIndex(resolve_target(str(git_repo(tmp, files, commit=False))))  # type: ignore[arg-type]


def _image_tags(index: FileIndex) -> list[dict]:
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({"model.code_version"})) if f.signal == "model.code_version"]


def test_serving_that_fetches_a_wandb_model_by_alias_loads_a_registry_model(tmp_path: Path) -> None:
    index = _index(tmp_path, {".github/workflows/images.yml": WORKFLOW, "Dockerfile": DOCKERFILE, "serve.py": SERVE,
                              "requirements.txt": "fastapi\nwandb\njoblib\nscikit-learn\n"})
    loads = served_models(index)
    assert [(ld.kind, ld.ref, ld.stage) for ld in loads] == [("registry", "model", "{}"), ("file", "model.joblib", "")]
    assert from_registry_only(index)
    found = _image_tags(index)
    assert found and all(a["how"] == "image-tag:git-sha" and a["carries_model"] is False for a in found)


def test_the_same_serving_with_the_model_file_committed_may_ship_it(tmp_path: Path) -> None:
    index = _index(tmp_path, {".github/workflows/images.yml": WORKFLOW, "Dockerfile": DOCKERFILE, "serve.py": SERVE,
                              "requirements.txt": "fastapi\nwandb\njoblib\nscikit-learn\n", "model.joblib": "not a real pickle"})
    assert not from_registry_only(index)  # the loaded file is in the repository: COPY . puts it in the image
    found = _image_tags(index)
    assert found and all(a["carries_model"] is None for a in found)


def test_a_wandb_dataset_artifact_is_no_served_model(tmp_path: Path) -> None:
    serve = SERVE.replace("/churn/model:", "/churn/reviews-dataset:")
    index = _index(tmp_path, {"serve.py": serve, "requirements.txt": "fastapi\nwandb\n"})
    assert [ld.kind for ld in served_models(index)] == ["file"]
    assert not from_registry_only(index)


HELLO = "print('hello world')\n"
APP = "import joblib\nfrom fastapi import FastAPI\n\napp = FastAPI()\nmodel = joblib.load('models/model.joblib')\n"


def test_an_image_whose_command_runs_a_script_that_imports_nothing_carries_no_model(tmp_path: Path) -> None:
    files = {".github/workflows/images.yml": WORKFLOW, "Dockerfile": "FROM python\nCOPY . /app\nWORKDIR /app\nCMD python main.py\n",
             "main.py": HELLO, "src/train.py": "import joblib\nfrom sklearn.linear_model import LinearRegression\n",
             "requirements.txt": "scikit-learn\n"}
    found = _image_tags(_index(tmp_path, files))
    assert found and all(a["carries_model"] is False for a in found)


def test_an_image_whose_command_runs_the_serving_app_may_carry_the_model(tmp_path: Path) -> None:
    files = {".github/workflows/images.yml": WORKFLOW, "Dockerfile": "FROM python\nCOPY . /app\nWORKDIR /app\nCMD python main.py\n",
             "main.py": APP, "src/train.py": "import joblib\nfrom sklearn.linear_model import LinearRegression\n",
             "requirements.txt": "scikit-learn\n"}
    found = _image_tags(_index(tmp_path, files))
    assert found and all(a["carries_model"] is None for a in found)
