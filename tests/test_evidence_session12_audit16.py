"""Which evidence leads, and what it shows: the not-shown causes of a blind evidence audit of six unseen repositories
(session 12, issue #17). Each case has a positive scan and a near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo


def _repo(root: Path, files: dict[str, str]) -> Path:
    return git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]


def _question(repo: Path, qid: str) -> dict[str, Any]:
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return next(q for q in report["questions"] if q["id"] == qid)


_DEVCONTAINER = {
    ".devcontainer/devcontainer.json": '{\n  "name": "Robot dev",\n  "build": {\n    "dockerfile": "Dockerfile"\n  }\n}\n',
    ".devcontainer/Dockerfile": "FROM ros:jazzy-ros-base\nRUN apt-get update\n",
    "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1"\ndependencies = ["fastapi>=0.110"]\n',
}


def _service_image(install: str) -> str:
    return ("FROM python:3.12-slim AS runtime\nRUN pip install --no-cache-dir uv\nCOPY pyproject.toml ./\n"
            f"RUN {install}\nCMD [\"uvicorn\", \"app:app\"]\n")


def test_e4_an_image_that_installs_the_project_with_uv_pip_leads_before_a_devcontainer(tmp_path: Path) -> None:
    """``uv pip install -e ".[api]"`` installs what the project's metadata declares, like ``pip install .``: the service
    image is the project's environment and leads E4 before an editor's dev container (whose own image installs nothing)."""
    files = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image('uv pip install -e ".[api]"')}
    e4 = _question(_repo(tmp_path / "uv", files), "E4")
    assert e4["answer"] == "yes"
    assert (e4["evidence"][0]["path"], e4["evidence"][0]["line"]) == ("deployment/docker/Dockerfile", 1), e4["evidence"][0]
    # plain pip installing the project folder reads the same way
    plain = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image("python -m pip install .")}
    assert _question(_repo(tmp_path / "pip", plain), "E4")["evidence"][0]["path"] == "deployment/docker/Dockerfile"
    # near miss: an image that only compiles a lock (``uv pip compile``) installs nothing of the project: the dev
    # container, the only environment left that declares anything, stays first
    near = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image("uv pip compile pyproject.toml -o req.txt")}
    assert _question(_repo(tmp_path / "near", near), "E4")["evidence"][0]["path"].startswith(".devcontainer/")
