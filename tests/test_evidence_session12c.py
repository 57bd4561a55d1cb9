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
