"""README run steps written as bare lines (no code fence) under numbered step headings are commands (T1); a setup
section's prose, even when a line starts with a command word ("make sure ...", "python is required"), is not. One README
per repository, so the variants live here rather than in the fixture tree."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

STEPS = """# Accident prediction

## Steps to follow

### 1 Prepare environment (.env)
cp .env.example .env
echo AIRFLOW_UID=$(id -u) >> .env

### 2 Start the stack
docker compose -f docker-compose.yaml up -d

### 3 Confirm services are running
docker compose -f docker-compose.yaml ps

### 4 Open the UI
http://localhost:8080
"""

COMPOSE = "services:\n  api:\n    build: .\n"

PROSE = """# Accident prediction

## Setup

make sure Docker is running before anything else
python is required in version 3.10 or later

## Usage

docker compose is used to start everything.
"""


def _setup(root: Path) -> list[tuple[str, int | None, dict]]:
    index = FileIndex(resolve_target(str(root)))
    return [(f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, load_detectors({"docs.setup"}))]


def test_bare_command_lines_under_step_headings_are_run_steps(tmp_path: Path) -> None:
    got = _setup(git_repo(tmp_path / "repo", {"README.md": STEPS, "docker-compose.yaml": COMPOSE, "train.py": "print(1)\n"}))
    assert [(p, ln) for p, ln, _ in got] == [("README.md", 10)]
    assert got[0][2]["run"] is True and got[0][2]["commands"] == 2


def test_setup_prose_starting_with_command_words_is_no_command(tmp_path: Path) -> None:
    assert _setup(git_repo(tmp_path / "repo", {"README.md": PROSE, "train.py": "print(1)\n"})) == []
