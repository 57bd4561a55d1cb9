"""Three leads session 11's blind audits left (issue #17, session 12): an AI coding-agent instruction file as T1's
set-up document, an orchestrator's own webserver image as E4's environment, and a ``.dvc`` file nothing reads as D1's
data version. Each case scans a small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.agent_docs import agent_instructions
from mlscan.evidence import non_product_path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- T1: an AI-agent instruction file is no set-up doc

_AGENT_SETUP = """\
    # Agent instructions

    ## Setup

    ```bash
    uv sync
    uv run python src/train.py
    ```
    """

_README_SETUP = """\
    # Churn model

    ## Setup

    ```bash
    pip install -r requirements.txt
    python src/train.py
    ```
    """


@pytest.mark.parametrize("path", ["AGENTS.md", "AGENTS_uv.md", "CLAUDE.md", "CLAUDE.local.md", ".github/copilot-instructions.md",
                                  ".cursor/rules/setup.mdc", ".kiro/steering/setup.md", ".gemini/skills/setup.md",
                                  ".github/instructions/python.instructions.md", ".cursorrules"])
def test_agent_instruction_files_are_recognised_and_non_product(path: str) -> None:
    assert agent_instructions(path)
    assert non_product_path(path)


@pytest.mark.parametrize("path", ["README.md", "docs/agents/setup.md", "src/agents.py", "agents/README.md", "docs/claude_api.py",
                                  "docs/setup.md"])
def test_a_projects_own_files_about_agents_are_no_agent_instructions(path: str) -> None:
    assert not agent_instructions(path)


@pytest.mark.parametrize("path", ["AGENTS_uv.md", "pkg/AGENTS_pip.md", ".github/copilot-instructions.md", ".cursor/rules/setup.md"])
def test_t1_is_not_yes_on_an_agent_instruction_file_alone(tmp_path: Path, path: str) -> None:
    qs = _scan(tmp_path, {path: _AGENT_SETUP, "src/train.py": "print('train')\n"})
    assert qs["T1"]["answer"] != "yes"
    assert all(not agent_instructions(e["path"]) for e in qs["T1"]["evidence"])


def test_t1_leads_with_the_readme_not_the_agent_file(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"AGENTS_uv.md": _AGENT_SETUP, "README.md": _README_SETUP, "src/train.py": "print('train')\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "README.md"
    assert all(not agent_instructions(e["path"]) for e in qs["T1"]["evidence"])


def test_t1_of_a_guide_in_a_docs_folder_named_agents_still_counts(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"docs/agents/setup.md": _README_SETUP, "src/train.py": "print('train')\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"])[0] == "docs/agents/setup.md"


# ---------------------------------------------------------------- D1: a .dvc file nothing reads after the data a stage reads

_DVC_FILE = "outs:\n- md5: {md5}\n  size: 120\n  path: {name}\n"
_DVC_YAML_READS_RAW = """\
    stages:
      train:
        cmd: python src/train.py data/raw/flights.csv
        deps:
          - src/train.py
          - data/raw/flights.csv
        outs:
          - models/model.pkl
    """


def _dvc(name: str, md5: str) -> str:
    return _DVC_FILE.format(md5=md5, name=name)


def test_d1_leads_with_the_data_a_stage_reads_not_an_archive_nothing_reads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"data/archieve.dvc": _dvc("archieve", "d69789eba5bce5bec1544e7ba665ef36.dir"),
                          "data/raw/flights.csv.dvc": _dvc("flights.csv", "df18a038826769e5ce870aa7934facfc"),
                          "dvc.yaml": _DVC_YAML_READS_RAW, "src/train.py": "print('train')\n"})
    assert qs["D1"]["answer"] == "yes"
    assert _lead(qs["D1"]) == ("data/raw/flights.csv.dvc", 2)
    assert [e["path"] for e in qs["D1"]["evidence"]][-1] == "data/archieve.dvc"


def test_d1_leads_with_data_code_reads_before_one_nothing_reads(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"data/archive_2019.dvc": _dvc("archive_2019", "d69789eba5bce5bec1544e7ba665ef36.dir"),
                          "data/train.csv.dvc": _dvc("train.csv", "df18a038826769e5ce870aa7934facfc"),
                          "src/train.py": "import pandas as pd\ndf = pd.read_csv('data/train.csv')\n"})
    assert _lead(qs["D1"]) == ("data/train.csv.dvc", 2)


def test_d1_of_an_unused_dvc_file_alone_still_cites_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"data/archieve.dvc": _dvc("archieve", "d69789eba5bce5bec1544e7ba665ef36.dir"),
                          "data/.gitignore": "/archieve\n", "README.md": "# x\n\nThe archieve folder holds old data.\n",
                          "src/train.py": "print('train')\n"})
    assert qs["D1"]["answer"] == "yes"
    assert _lead(qs["D1"]) == ("data/archieve.dvc", 2)


def test_d1_of_two_dvc_files_code_reads_keeps_path_order(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"data/a.csv.dvc": _dvc("a.csv", "d69789eba5bce5bec1544e7ba665ef36"),
                          "data/b.csv.dvc": _dvc("b.csv", "df18a038826769e5ce870aa7934facfc"),
                          "src/train.py": "import pandas as pd\na = pd.read_csv('data/a.csv')\nb = pd.read_csv('data/b.csv')\n"})
    assert _lead(qs["D1"]) == ("data/a.csv.dvc", 2)


# ---------------------------------------------------------------- E4: the image running the project's code, not the orchestrator's UI

_INSTANCE_DOCKERFILE = """\
    FROM python:3.12-slim
    COPY requirements.txt requirements.txt
    RUN pip install --no-cache-dir -r requirements.txt
    ENV DAGSTER_HOME=/opt/dagster/dagster_home/
    COPY dagster.yaml workspace.yaml $DAGSTER_HOME
    """
_CODE_DOCKERFILE = """\
    FROM python:3.12-slim
    COPY requirements.txt requirements.txt
    RUN pip install --no-cache-dir -r requirements.txt
    WORKDIR /opt/dagster/app
    COPY . /opt/dagster/app
    CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-f", "definitions.py"]
    """
_COMPOSE = """\
    services:
      user-code:
        build:
          context: ./a-pipeline
          dockerfile: Dockerfile
      webserver:
        build:
          context: ./a-instance
          dockerfile: Dockerfile
        entrypoint: [dagster-webserver, -h, 0.0.0.0, -p, "3000", -w, /opt/dagster/dagster_home/workspace.yaml]
      daemon:
        build:
          context: a-instance
        entrypoint: [dagster-daemon, run]
    """


def _orchestrated(compose: str = _COMPOSE, instance: str = _INSTANCE_DOCKERFILE) -> dict[str, str]:
    return {"docker-compose.yaml": compose, "a-instance/Dockerfile": instance, "a-instance/requirements.txt": "dagster==1.10.15\n",
            "a-pipeline/Dockerfile": _CODE_DOCKERFILE, "a-pipeline/requirements.txt": "dagster==1.10.15\npandas==2.2.2\n",
            "a-pipeline/definitions.py": "import dagster\n"}


def test_e4_leads_with_the_code_image_not_the_orchestrators_webserver_image(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _orchestrated())
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("a-pipeline/Dockerfile", 1)


def test_e4_of_an_image_whose_own_command_starts_the_airflow_webserver_follows_the_code_image(tmp_path: Path) -> None:
    files = _orchestrated(compose="services:\n  app:\n    build: ./a-pipeline\n",
                          instance='FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n'
                                   'CMD ["airflow", "webserver"]\n')
    qs = _scan(tmp_path, files)
    assert _lead(qs["E4"]) == ("a-pipeline/Dockerfile", 1)


def test_e4_of_an_orchestrator_image_that_copies_the_project_code_keeps_path_order(tmp_path: Path) -> None:
    # the instance image copies the DAG code: tasks run in it, it is a project environment like the other
    instance = _INSTANCE_DOCKERFILE + "COPY dags/ /opt/dags/\n"
    qs = _scan(tmp_path, _orchestrated(instance=instance))
    assert _lead(qs["E4"]) == ("a-instance/Dockerfile", 1)


def test_e4_of_an_image_one_service_runs_as_a_worker_keeps_path_order(tmp_path: Path) -> None:
    compose = _COMPOSE + "      worker:\n        build: ./a-instance\n        command: python -m worker\n"
    qs = _scan(tmp_path, _orchestrated(compose=compose))
    assert _lead(qs["E4"]) == ("a-instance/Dockerfile", 1)


def test_e4_of_the_orchestrator_image_alone_is_still_yes(tmp_path: Path) -> None:
    files = {k: v for k, v in _orchestrated().items() if not k.startswith("a-pipeline/")}
    qs = _scan(tmp_path, files)
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"])[0].startswith("a-instance/")
