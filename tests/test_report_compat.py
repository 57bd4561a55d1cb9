"""Report schema 1.1 is a compatible extension: a stored 1.0 report still validates; 1.1 adds crosswalk,
pitfalls, next_steps and attestations, always present in new reports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from mlscan.report import SCHEMA_VERSION
from mlscan.scoring.rulepack import load_schema

from tests.test_report_schema import validate_report

SAMPLE_1_0 = Path(__file__).parent / "data" / "report-1.0.json"


def test_stored_1_0_report_still_validates() -> None:
    report = json.loads(SAMPLE_1_0.read_text())
    assert report["schema_version"] == "1.0"
    assert not {"crosswalk", "pitfalls", "next_steps", "attestations"} & set(report)
    validate_report(report)


def test_new_fields_are_typed(repo_from) -> None:
    from click.testing import CliRunner
    from mlscan.cli import main

    repo = repo_from("levels/nearmiss-commented-deploy/repo")
    report = json.loads(CliRunner().invoke(main, ["scan", str(repo), "-f", "json"]).output)
    assert report["schema_version"] == SCHEMA_VERSION == "1.1"
    validate_report(report)
    assert {"crosswalk", "pitfalls", "next_steps", "attestations"} <= set(report)
    bad = dict(report, next_steps={"current_level": "zero"})
    with pytest.raises(jsonschema.ValidationError):
        validate_report(bad)
    bad = dict(report, attestations=[{"question": "T1", "answer": "maybe", "reason": "", "owner": "", "expires": None, "status": "active"}])
    with pytest.raises(jsonschema.ValidationError):
        validate_report(bad)


def test_schema_version_pattern_accepts_1_x() -> None:
    assert load_schema("report")["properties"]["schema_version"]["pattern"] == "^1\\.[0-9]+$"
