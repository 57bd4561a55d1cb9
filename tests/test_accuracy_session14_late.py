"""A scanner error of session 14's blind samples (issue #13), fixed generally: a CI step that runs the tests through a
wrapper whose option takes a separate value (``uv run --extra test pytest``, as uv's own docs write optional extras)
runs pytest; the option's value is not the command. The near miss keeps a wrapper-run script that is no test run."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.facts.commands import words

from .test_evidence_deciding import _scan


@pytest.mark.parametrize("line, expected", [
    ("uv run --extra test pytest tests", ["pytest", "tests"]),
    ("uv run --extra=test pytest", ["pytest"]),
    ("uv run --group dev --python 3.11 pytest -q", ["pytest", "-q"]),
    ("poetry -C app run pytest", ["pytest"]),
    ("conda run -n env python train.py", ["python", "train.py"]),
    ("pixi run -e gpu python train.py", ["python", "train.py"]),
    ("uv run --frozen pytest", ["pytest"]),  # a flag takes no value
    ("uv run python scripts/prep.py", ["python", "scripts/prep.py"]),
])
def test_wrapper_options_and_their_values_are_not_the_command(line: str, expected: list[str]) -> None:
    assert words(line) == expected


_WORKFLOW = """\
name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: astral-sh/setup-uv@v5
      - run: {command}
"""
_TEST = """\
from mypkg.model import predict


def test_predict_returns_one_label_per_row():
    assert predict([[1.0, 2.0], [3.0, 4.0]]) == [0, 1]
"""
_MODEL = "def predict(rows):\n    return [int(r[0] > 2) for r in rows]\n"


def _m3(tmp_path: Path, command: str) -> dict:
    return _scan(tmp_path, {
        ".github/workflows/ci.yml": _WORKFLOW.format(command=command),
        "pyproject.toml": '[project]\nname = "mypkg"\nversion = "0.1.0"\n[project.optional-dependencies]\ntest = ["pytest"]\n',
        "mypkg/__init__.py": "", "mypkg/model.py": _MODEL, "tests/test_model.py": _TEST,
        "scripts/prepare.py": "print('prepared')\n",
    })["M3"]


def test_m3_pytest_through_uv_run_with_an_extra(tmp_path: Path) -> None:
    m3 = _m3(tmp_path, "uv run --extra test pytest tests")
    assert m3["answer"] == "yes", m3
    assert m3["evidence"][0]["path"] == ".github/workflows/ci.yml"


def test_m3_near_miss_a_wrapper_run_script_is_no_test_run(tmp_path: Path) -> None:
    assert _m3(tmp_path, "uv run --extra test python scripts/prepare.py")["answer"] != "yes"


# ---------------------------------------------------------------- M1: an EventBridge rule on an event is no schedule

_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RetrainRule:
    Type: AWS::Events::Rule
    Properties:
      Name: retrain-model
      {trigger}
      State: {state}
      Targets:
        - Arn: !Ref TrainingPipeline
          Id: train-pipeline
          RoleArn: !GetAtt EventsRole.Arn
  TrainingPipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: model-training-pipeline
"""
_SCHEDULE = 'ScheduleExpression: "cron(0 3 ? * MON *)"'
_EVENT = 'EventPattern: {{source: ["aws.s3"], detail-type: ["Object Created"]}}'


def _m1(tmp_path: Path, trigger: str, state: str) -> dict:
    return _scan(tmp_path, {"infra/retrain.yml": _CFN.format(trigger=trigger, state=state)})["M1"]


def test_m1_an_enabled_eventbridge_schedule_retrains(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, _SCHEDULE, "ENABLED")
    assert m1["answer"] == "yes", m1
    assert m1["evidence"][0]["path"] == "infra/retrain.yml"


def test_m1_near_misses_an_event_rule_and_a_disabled_schedule(tmp_path: Path) -> None:
    assert _m1(tmp_path / "event", _EVENT.replace("{{", "{").replace("}}", "}"), "ENABLED")["answer"] == "no"
    assert _m1(tmp_path / "off", _SCHEDULE, "DISABLED")["answer"] == "partial"
