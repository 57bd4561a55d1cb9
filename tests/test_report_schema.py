"""Every JSON report validates against the published schema."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema


def validate_report(report: dict[str, Any]) -> None:
    schema = json.loads(resources.files("mlscan").joinpath("schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)


def test_schema_is_valid() -> None:
    schema = json.loads(resources.files("mlscan").joinpath("schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
