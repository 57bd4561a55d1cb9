"""Databricks asset bundles: a job schedule's ``pause_status`` given through a bundle variable
(``pause_status: ${var.schedule_pause_status}``) resolves from the variable's ``default`` and each target's
``variables`` override, as ``databricks bundle deploy`` does (Databricks' "Substitutions and variables" docs)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo
from tests.test_evidence_deciding import _scan

_ROOT = """\
    bundle:
      name: churn
    include:
      - resources/*.yml
    variables:
      schedule_pause_status:
        description: Pause status of the training schedule
        {default}
    targets:
      dev:
        default: true
        mode: development
        {dev}
      prod:
        mode: production
        {prod}
    """
_JOB = """\
    resources:
      jobs:
        model_training_job:
          name: model-training
          schedule:
            quartz_cron_expression: "0 0 9 * * ?"
            timezone_id: UTC
            pause_status: ${var.schedule_pause_status}
          tasks:
            - task_key: Train
              notebook_task:
                notebook_path: ../notebooks/Train
    """


_OVER = "variables:\n          schedule_pause_status: {}"


def _active(tmp_path: Path, default: str, prod: str, dev: str = "") -> list[bool]:
    files = {"databricks.yml": _ROOT.format(default=default, prod=prod, dev=dev), "resources/model-workflow.yml": _JOB}
    repo = git_repo(tmp_path / "r", {k: textwrap.dedent(v) for k, v in files.items()})
    found = run_detectors(FileIndex(resolve_target(str(repo))), load_detectors({"databricks.job"}), 1)
    return [f.attrs["active"] for f in found if f.signal == "schedule.training"]


@pytest.mark.parametrize(("default", "prod"), [
    ("default: PAUSED", _OVER.format("UNPAUSED")),  # prod overrides (shorthand)
    ("default: PAUSED", "variables:\n          schedule_pause_status:\n            default: UNPAUSED"),
    ("default: UNPAUSED", ""),  # no target overrides the default
    ("", ""),  # no default, no override: unresolvable, read as today (not paused)
])
def test_a_variable_resolving_to_unpaused_in_a_target_is_an_active_schedule(tmp_path: Path, default: str, prod: str) -> None:
    assert _active(tmp_path, default, prod) == [True]


@pytest.mark.parametrize(("default", "prod", "dev"), [
    ("default: PAUSED", "", ""),  # the default, no target overrides
    ("default: UNPAUSED", _OVER.format("PAUSED"), _OVER.format("PAUSED")),  # every target overrides to PAUSED
    ("default: PAUSED", _OVER.format("paused"), ""),
])
def test_a_variable_resolving_to_paused_in_every_target_is_a_paused_schedule(tmp_path: Path, default: str, prod: str, dev: str) -> None:
    assert _active(tmp_path, default, prod, dev) == [False]


def test_one_target_left_unpaused_keeps_the_schedule_active(tmp_path: Path) -> None:
    # prod pauses, dev keeps the UNPAUSED default
    assert _active(tmp_path, "default: UNPAUSED", _OVER.format("PAUSED")) == [True]


_TRAIN = "# Databricks notebook source\nfrom sklearn.linear_model import LogisticRegression\n\nLogisticRegression().fit([[0], [1]], [0, 1])\n"


def _m1(tmp_path: Path, prod: str, job: str = _JOB) -> str:
    files = {"databricks.yml": _ROOT.format(default="default: PAUSED", prod=prod, dev=""), "resources/model-workflow.yml": job,
             "notebooks/Train.py": _TRAIN}
    return str(_scan(tmp_path, files)["M1"]["answer"])


def test_m1_on_a_full_scan(tmp_path: Path) -> None:
    assert _m1(tmp_path / "on", _OVER.format("UNPAUSED")) == "yes"
    # PAUSED in every target reads exactly like a literal ``pause_status: PAUSED`` (a paused schedule is not M1 yes)
    literal = _m1(tmp_path / "lit", "", _JOB.replace("${var.schedule_pause_status}", "PAUSED"))
    assert _m1(tmp_path / "off", "") == literal != "yes"
