"""A README's setup section written as numbered steps (no commands) is setup documentation (T1); other numbered lists
of a README are not. One README per repository, so the variants live here rather than in the fixture tree."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import ScanOptions, run_detectors, scan
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.report import build_report
from mlscan.target import resolve_target

from tests.conftest import git_repo

GETTING_STARTED = """= Stock prediction pipelines
:toc:

== Getting started
To start a pipeline for the first time, first deploy these services:

[cols="1,1"]
|===
|Service |Compose file
|Object store |docker-compose.yml
|===

. Run *setupBuckets* to create the storage buckets.
. Run *fetchData* to pull the input data.
. Run *trainModel* to train a model.
. Run the remaining steps to create a prediction and a report.
"""


def _setup(root: Path) -> list[tuple[str, int | None, dict]]:
    index = FileIndex(resolve_target(str(root)))
    return [(f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, load_detectors({"docs.setup"}))]


def test_readme_getting_started_steps_in_asciidoc(tmp_path: Path) -> None:
    got = _setup(git_repo(tmp_path / "repo", {"README.adoc": GETTING_STARTED, "train.py": "print(1)\n"}))
    assert [(p, ln) for p, ln, _ in got] == [("README.adoc", 13)]
    assert got[0][2]["where"] == "readme" and got[0][2]["steps"] == 4 and got[0][2]["commands"] == 0


def test_readme_numbered_list_outside_a_setup_section_is_no_guide(tmp_path: Path) -> None:
    features = GETTING_STARTED.replace("== Getting started", "== Features")
    assert _setup(git_repo(tmp_path / "repo", {"README.adoc": features, "train.py": "print(1)\n"})) == []


def test_readme_setup_section_with_two_steps_is_too_thin(tmp_path: Path) -> None:
    thin = GETTING_STARTED.replace(". Run *trainModel* to train a model.\n. Run the remaining steps to create a prediction and a report.\n", "")
    assert _setup(git_repo(tmp_path / "repo", {"README.md": thin.replace("= Stock", "# Stock").replace("== Getting", "## Getting"),
                                               "train.py": "print(1)\n"})) == []


INSTALL_ONLY = """# Pipelines

## Local development and building
Some python libraries are needed. It is possible to install them locally with:
```
pip install -r requirements.txt
```
"""


def test_a_lone_install_command_is_no_guide_to_run_the_project(tmp_path: Path) -> None:
    def t1(readme: str, name: str, extra: dict[str, str] | None = None) -> str:
        root = git_repo(tmp_path / name, {"README.md": readme, "requirements.txt": "pandas\n", **(extra or {})})
        return next(q["answer"] for q in build_report(scan(str(root), ScanOptions(jobs=1)))["questions"] if q["id"] == "T1")

    controller = {"src/pipeline_controller.py": "import pandas as pd\n\nprint(pd.read_csv('data.csv').shape)\n"}
    run = INSTALL_ONLY + "```\npython pipeline_controller.py\n```\n"
    assert t1(INSTALL_ONLY, "install") == "partial"
    assert t1(run, "run", controller) == "yes"
    # the run step names a script the repository does not have (the page may cd anywhere first): it runs nothing
    assert t1(run, "absent") == "partial"
    # install commands alone, however many, are no guide to running the project
    assert t1(INSTALL_ONLY + "```\nconda create -n churn python=3.11 -y\npip install -e .\n```\n", "installs") == "partial"


BARE_COMMANDS = """python3 -m venv venv
source venv/bin/activate
pip install -r requirements.txt

Inference:
uvicorn app:app --host 0.0.0.0 --port 8888

Docker:
docker build -t cats-dogs:latest .
docker run -p 8888:8888 cats-dogs:latest

Tests:
python3 -m pytest
"""

BARE_PROSE = """cats-dogs classifier service

docker is used to package the API
kubectl applies the manifests in k8s/ once the image is pushed

Inference:
http://localhost:8888/predict

Requirements:
see requirements.txt
"""


def test_readme_without_headings_gives_bare_command_lines(tmp_path: Path) -> None:
    # no fence, no indent, no heading: paragraphs of real commands, some under a one-line label, are the page's steps
    got = _setup(git_repo(tmp_path / "repo", {"README.md": BARE_COMMANDS, "app.py": "app = None\n", "Dockerfile": "FROM python:3.11\n",
                                              "requirements.txt": "fastapi==0.111.0\n"}))
    assert [(p, ln) for p, ln, _ in got] == [("README.md", 3)]
    assert got[0][2]["install"] and got[0][2]["run"] and got[0][2]["commands"] == 5


def test_readme_without_headings_prose_lines_are_no_commands(tmp_path: Path) -> None:
    # lines that start with a tool's name but read as sentences, a URL under a label, and a pointer to a file
    assert _setup(git_repo(tmp_path / "repo", {"README.md": BARE_PROSE, "app.py": "app = None\n"})) == []
