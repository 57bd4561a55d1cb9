"""The causes of a blind evidence audit (issue #17, session 9): the product's file or step of the right kind leads,
the deciding line is cited, and two wrong answers are no longer yes. Each case scans a small repository and checks
the answer or its first evidence item; near misses check the other way."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo


def _scan(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return {q["id"]: q for q in report["questions"]}


def _lead(q: dict[str, Any]) -> tuple[str, int]:
    return q["evidence"][0]["path"], q["evidence"][0]["line"]


# ---------------------------------------------------------------- E3: an image that carries no model

_DEPLOY = """\
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: docker/build-push-action@v6
            with:
              context: .
              file: docker/api.dockerfile
              push: true
              tags: registry.example.com/team/api:${{ github.sha }}
          - run: gcloud run deploy api --image registry.example.com/team/api:${{ github.sha }}
    """
_API = """\
    import os
    import torch
    from fastapi import FastAPI

    app = FastAPI()
    model = torch.load(os.environ["MODEL_PATH"])
    """


def test_sha_tag_on_an_image_that_copies_only_source_is_no_code_version_of_the_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY pyproject.toml ./\nCOPY src/ src/\nRUN pip install .\n"
                                 "CMD [\"uvicorn\", \"api:app\"]\n",
        "src/api.py": _API,
    })
    assert qs["E3"]["answer"] == "no"


def test_sha_tag_on_an_image_that_copies_the_model_is_a_code_version(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY src/ src/\nCOPY models/model.pt models/\nRUN pip install .\n",
        "src/api.py": _API,
    })
    assert qs["E3"]["answer"] == "yes"
    assert _lead(qs["E3"])[0] == ".github/workflows/deploy.yml"


def test_sha_tag_on_an_image_that_fetches_at_build_time_or_copies_everything_stays_a_code_version(tmp_path: Path) -> None:
    fetch = _scan(tmp_path / "fetch", {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY src/ src/\nRUN pip install . && dvc pull models/model.pt.dvc\n",
        "src/api.py": _API,
    })
    assert fetch["E3"]["answer"] == "yes"
    whole = _scan(tmp_path / "whole", {
        ".github/workflows/deploy.yml": _DEPLOY,
        "docker/api.dockerfile": "FROM python:3.12-slim\nCOPY . .\nRUN pip install .\n",
        "src/api.py": _API,
    })
    assert whole["E3"]["answer"] == "yes"
