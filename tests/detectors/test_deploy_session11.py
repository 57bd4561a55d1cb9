"""Deploys that do not deploy (final session-10 blind samples, issue #13): a Cloud Run deploy of an image that no CI
job builds or pushes, in the namespace the jobs push to, pulls an image that does not exist; the same deploy of the
image the build job pushes deploys it. An image of another namespace (a public model server) is not judged, nor is
any when a build names its image by a variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

WORKFLOW = '''name: Build and deploy to Cloud Run
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
          tags: |
            ${{ secrets.DOCKERHUB_USERNAME }}/{built}:latest
            ${{ secrets.DOCKERHUB_USERNAME }}/{built}:${{ github.sha }}
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: google-github-actions/setup-gcloud@v2
      - run: gcloud run deploy fraud --image={deployed} --region=europe-west1
        env:
          DOCKERHUB_USERNAME: ${{ secrets.DOCKERHUB_USERNAME }}
'''


def _deploys(tmp: Path, built: str, deployed: str) -> list[dict]:
    text = WORKFLOW.replace("{built}", built).replace("{deployed}", deployed)
    repo = git_repo(tmp, {".github/workflows/cd.yml": text, "Dockerfile": "FROM python:3.11\nCOPY . .\n"}, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({"ci.deploy"})) if f.signal == "deploy.automated"]


@pytest.mark.parametrize(("built", "deployed", "active"), [
    ("fraudproject-api", "$DOCKERHUB_USERNAME/fraudproject-api:latest", True),   # the image the build pushes
    ("fraudproject-api", "$DOCKERHUB_USERNAME/fraud-api:latest", False),         # a name no job gives, same owner
    ("fraudproject-api", "docker.io/tensorflow/serving:2.15.0", True),           # another namespace: not judged
    ("${IMAGE_NAME}", "$DOCKERHUB_USERNAME/fraud-api:latest", True),             # a build named by a variable
])
def test_a_deploy_of_an_image_no_job_builds_deploys_nothing(tmp_path: Path, built: str, deployed: str, active: bool) -> None:
    found = _deploys(tmp_path, built, deployed)
    assert [(a["target"], a["active"]) for a in found] == [("serverless", active)]


COMPOSE_JOB = '''name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: {runner}
    steps:
      - uses: actions/checkout@v4
      - run: docker compose -f docker-compose.prod.yml up -d --build
'''
COMPOSE = '''services:
  {service}:
    build:
      context: ./{service}
    ports: ["8000:8000"]
  db:
    image: postgres:16
'''
DOCKERFILES = {
    "api/Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nCMD [\"uvicorn\", \"app.main:app\", \"--host\", \"0.0.0.0\"]\n",
    "mlflow/Dockerfile": "FROM python:3.11-slim\nRUN pip install mlflow==2.14.1\nCMD [\"mlflow\", \"server\", \"--host\", \"0.0.0.0\"]\n",
}


@pytest.mark.parametrize(("runner", "service", "target"), [
    ("[self-hosted, linux]", "api", "vm"),    # the project's API built and kept up on the project's own machine
    ("ubuntu-latest", "api", None),           # on a GitHub-hosted runner it is gone with the job (an integration test)
    ("[self-hosted, linux]", "mlflow", None),  # the tracking server only: a tool, no model service
])
def test_compose_up_on_a_self_hosted_runner_deploys_the_projects_services(tmp_path: Path, runner: str, service: str,
                                                                          target: str | None) -> None:
    files = {".github/workflows/deploy.yml": COMPOSE_JOB.replace("{runner}", runner),
             "docker-compose.prod.yml": COMPOSE.replace("{service}", service), **DOCKERFILES}
    repo = git_repo(tmp_path, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    found = [dict(f.attrs) for f in run_detectors(index, load_detectors({"ci.deploy"})) if f.signal == "deploy.automated"]
    assert [(a["target"], a["active"]) for a in found] == ([(target, True)] if target else [])
