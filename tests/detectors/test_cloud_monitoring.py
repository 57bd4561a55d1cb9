"""Managed cloud monitors created from a project's workflow notebooks: the strength the fixture trees cannot show."""

from __future__ import annotations

import json
from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import make_repo

_SCHEDULE = """from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor
monitor = DefaultModelMonitor(role=role, instance_count=1, instance_type="ml.m5.xlarge")
monitor.suggest_baseline(baseline_dataset="s3://bucket/train.csv", output_s3_uri="s3://bucket/baseline")
monitor.create_monitoring_schedule(endpoint_input=endpoint_name, output_s3_uri="s3://bucket/reports",
                                   schedule_cron_expression=CronExpressionGenerator.hourly())
"""
_REPORT = """from evidently.metric_preset import DataDriftPreset
from evidently.report import Report
report = Report(metrics=[DataDriftPreset()])
report.run(reference_data=train, current_data=recent)
report.save_html("drift.html")
"""


def _notebook(code: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Monitoring\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": code.splitlines(keepends=True)}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _strengths(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, str], str]:
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    repo = make_repo(src, tmp_path / "repo")
    index = FileIndex(resolve_target(str(repo)))
    found = run_detectors(index, load_detectors({"monitoring.python"}))
    return {(f.signal, f.evidence[0].path): f.strength.value for f in found}


def test_workflow_notebook_that_creates_a_managed_monitor_is_not_capped(tmp_path: Path) -> None:
    got = _strengths(tmp_path, {"README.md": "# churn\n", "05-monitoring.ipynb": _notebook(_SCHEDULE)})
    assert got[("monitoring.model", "05-monitoring.ipynb")] == "medium"
    assert got[("monitoring.data_drift", "05-monitoring.ipynb")] == "medium"


def test_notebook_drift_report_and_exploration_notebooks_stay_weak(tmp_path: Path) -> None:
    got = _strengths(tmp_path, {"README.md": "# churn\n", "drift_report.ipynb": _notebook(_REPORT),
                                "notebooks/try_monitor.ipynb": _notebook(_SCHEDULE)})
    assert got[("monitoring.data_drift", "drift_report.ipynb")] == "weak"  # an analysis run once, nothing keeps running
    assert got[("monitoring.model", "notebooks/try_monitor.ipynb")] == "weak"  # an exploration folder, not the workflow


def test_chat_api_text_test_is_the_regex() -> None:
    """alerting.rules' chat-API test on ASCII text (lower case, substrings) answers as its case-insensitive regex."""
    from mlscan.detectors.alerting_rules import _CHAT_API, _chat_api

    texts = ["requests.post('https://hooks.Slack.com/services/x')", "DISCORDAPP.COM/API/WEBHOOKS/1", "x = Webhook()",
             "https://API.telegram.ORG/bot1/sendMessage", "/SENDMESSAGE", "events.PagerDuty.com/v2", "requests.post(url)",
             "api.telegram.com", "pagerduty", "", "\u017flack", "web\u212aook", "sl\u00e4ck"]
    for t in texts:
        assert _chat_api(t) is bool(_CHAT_API.search(t)), t
    assert _chat_api("\u017flack") and not _chat_api("requests.post(url)")
