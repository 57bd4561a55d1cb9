"""Databricks Asset Bundle job tasks as wiring roots: the scripts, notebooks and wheel entry points a bundle job runs
are on an automated path (paths are relative to the configuration file that declares the task, Databricks' docs)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from mlscan.facts.wiring import wiring
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import make_repo


def _index(tmp_path: Path, files: dict[str, str]) -> FileIndex:
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(dedent(text))
    return FileIndex(resolve_target(str(make_repo(src, tmp_path / "repo"))))


_BUNDLE = {
    "databricks.yml": """\
        bundle:
          name: churn
        include:
          - resources/*.yml
        targets:
          dev:
            default: true
        """,
    "resources/model-workflow.yml": """\
        resources:
          jobs:
            model_training_job:
              name: model-training
              schedule:
                quartz_cron_expression: "0 0 9 * * ?"
                timezone_id: UTC
              tasks:
                - task_key: Train
                  notebook_task:
                    notebook_path: ../training/notebooks/Train
                - task_key: Score
                  depends_on:
                    - task_key: Train
                  spark_python_task:
                    python_file: ../scripts/score.py
                - task_key: Per_region
                  for_each_task:
                    inputs: "[1, 2]"
                    task:
                      task_key: Per_region_iteration
                      notebook_task:
                        notebook_path: ../training/notebooks/Region.ipynb
                - task_key: Package
                  python_wheel_task:
                    package_name: churn
                    entry_point: churn-evaluate
                - task_key: Remote
                  spark_python_task:
                    python_file: jobs/remote.py
                    source: GIT
        """,
    "training/notebooks/Train.py": "# Databricks notebook source\nfrom churn.steps import fit\nfit()\n",
    "training/notebooks/Region.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "scripts/score.py": "print('score')\n",
    "resources/jobs/remote.py": "print('runs from a git source, not this checkout')\n",
    "churn/__init__.py": "",
    "churn/steps.py": "def fit():\n    return 1\n",
    "churn/evaluate.py": "def main():\n    return 0\n",
    "pyproject.toml": '[project]\nname = "churn"\nversion = "0.1"\n[project.scripts]\nchurn-evaluate = "churn.evaluate:main"\n',
    "scripts/unused.py": "print('not run by any task')\n",
}


def test_bundle_job_tasks_reach_their_code(tmp_path: Path) -> None:
    w = wiring(_index(tmp_path, _BUNDLE))
    assert w.automated("training/notebooks/Train.py")  # notebook_path without its extension
    assert w.of("training/notebooks/Train.py").chain[0] == "databricks job resources/model-workflow.yml:11"
    assert w.automated("churn/steps.py")  # imported by the task's notebook
    assert w.automated("scripts/score.py")
    assert w.automated("training/notebooks/Region.ipynb")  # the inner task of a for_each_task
    assert w.automated("churn/evaluate.py")  # a python_wheel_task's entry point: a console script of the project
    assert not w.automated("resources/jobs/remote.py")  # source: GIT runs a remote repository's file
    assert not w.automated("scripts/unused.py")


def test_tasks_outside_a_bundle_job_are_no_roots(tmp_path: Path) -> None:
    # an Argo/Tekton-like ``tasks`` list and a job mapping not under ``resources.jobs`` run nothing
    w = wiring(_index(tmp_path, {
        "pipeline.yml": """\
            jobs:
              train:
                tasks:
                  - task_key: Train
                    spark_python_task:
                      python_file: scripts/train.py
            """,
        "scripts/train.py": "print('train')\n",
    }))
    assert not w.automated("scripts/train.py")
