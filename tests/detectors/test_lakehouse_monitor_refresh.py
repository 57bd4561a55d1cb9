"""O1/O2 (session 13 blind samples): a Databricks Lakehouse monitor is monitoring in operation only when something
refreshes it: its own schedule (not paused, also through a bundle variable), or a scheduled job running a refresh. A
monitor created in code with no schedule and no refresh job, or paused in every target, watches nothing; its evidence is
the create call, not a ``prediction_col=`` argument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import git_repo

BUNDLE = """bundle:
  name: churn
variables:
  monitor_pause_status:
    default: {default}
targets:
  dev:
    default: true
  prod:
    variables:
      monitor_pause_status: {prod}
include:
  - resources/*.yml
"""
MONITOR = """resources:
  quality_monitors:
    churn_inference_monitor:
      table_name: main.churn.inference_log
      output_schema_name: main.churn_monitoring
      assets_dir: /Shared/churn/monitoring
      inference_log:
        granularities: [1 day]
        model_id_col: model_version
        prediction_col: prediction
        label_col: churned
        problem_type: PROBLEM_TYPE_CLASSIFICATION
        timestamp_col: ts
      schedule:
        quartz_cron_expression: 0 0 6 * * ?
        timezone_id: UTC
        pause_status: ${var.monitor_pause_status}
"""
CODE = '''from databricks.sdk import WorkspaceClient
from databricks.sdk.service.catalog import MonitorCronSchedule, MonitorInferenceLog, MonitorInferenceLogProblemType

WorkspaceClient().quality_monitors.create(
    table_name="main.churn.inference_log",
    assets_dir="/Shared/churn/monitoring",
    output_schema_name="main.churn_monitoring",
    inference_log=MonitorInferenceLog(
        problem_type=MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION,
        prediction_col="prediction",
        label_col="churned",
        timestamp_col="ts",
        granularities=["1 day"],
        model_id_col="model_version",
    ),{schedule}
)
'''
CI = "on: push\njobs:\n  monitor:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: python monitoring/create_monitor.py\n"


def _o(tmp: Path, files: dict[str, str]) -> dict[str, dict]:
    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output
    return {q["id"]: q for q in json.loads(res.output)["questions"] if q["id"] in ("O1", "O2")}


@pytest.mark.parametrize(("default", "prod", "on"), [("PAUSED", "PAUSED", False), ("PAUSED", "UNPAUSED", True), ("UNPAUSED", "UNPAUSED", True)])
def test_bundle_monitor_paused_through_a_variable(tmp_path: Path, default: str, prod: str, on: bool) -> None:
    got = _o(tmp_path, {"databricks.yml": BUNDLE.format(default=default, prod=prod), "resources/monitoring.yml": MONITOR})
    assert (got["O1"]["answer"] == "yes") is on
    assert (got["O2"]["answer"] == "yes") is on


def test_monitor_created_in_code_is_cited_at_the_create_call_and_needs_a_refresh(tmp_path: Path) -> None:
    scheduled = CODE.format(schedule='\n    schedule=MonitorCronSchedule(quartz_cron_expression="0 0 6 * * ?", timezone_id="UTC"),')
    got = _o(tmp_path / "on", {"monitoring/create_monitor.py": scheduled, ".github/workflows/monitor.yml": CI})
    assert got["O1"]["answer"] == "yes"
    first = got["O1"]["evidence"][0]
    assert (first["path"], first["line"]) == ("monitoring/create_monitor.py", 4), first
    got = _o(tmp_path / "off", {"monitoring/create_monitor.py": CODE.format(schedule=""), ".github/workflows/monitor.yml": CI})
    assert got["O1"]["answer"] != "yes"
    paused = CODE.format(schedule='\n    schedule=MonitorCronSchedule(quartz_cron_expression="0 0 6 * * ?", timezone_id="UTC", pause_status="PAUSED"),')
    got = _o(tmp_path / "paused", {"monitoring/create_monitor.py": paused, ".github/workflows/monitor.yml": CI})
    assert got["O1"]["answer"] != "yes"
