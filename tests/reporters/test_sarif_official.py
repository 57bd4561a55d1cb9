"""SARIF output against the official OASIS SARIF 2.1.0 JSON Schema (tests/data/sarif-schema-2.1.0.json,
from oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json, unmodified), and fingerprints that
survive moved lines."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from mlscan.engine import ScanOptions
from mlscan.engine import scan as run_scan
from mlscan.reporters import get_reporter
from mlscan.reporters.sarif import FINGERPRINT_KEY

from tests.prrepo import commit_all, git, make_pr_repo
from tests.report_sample import sample_result

SCHEMA = json.loads((Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def test_the_schema_is_the_official_one() -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert {"result", "run", "reportingDescriptor", "artifactLocation", "region"} <= set(SCHEMA["definitions"])


def test_sample_report_validates() -> None:
    log = json.loads(get_reporter("sarif")(sample_result()))
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    repo, _, _ = make_pr_repo(tmp_path_factory.mktemp("sarif") / "repo")
    git(repo, "checkout", "-q", "main")
    before = json.loads(get_reporter("sarif")(run_scan(str(repo), ScanOptions(jobs=1))))
    for p in repo.rglob("*"):
        if p.is_file() and ".git" not in p.parts and p.suffix in (".py", ".yml", ".yaml", ".toml", ".md", ".lock", ".dvc", ""):
            try:
                p.write_text("\n\n\n" + p.read_text())
            except UnicodeDecodeError:
                continue
    commit_all(repo, "every line moves down by three")
    after = json.loads(get_reporter("sarif")(run_scan(str(repo), ScanOptions(jobs=1))))
    return before, after


def test_real_scans_validate(moved) -> None:
    for log in moved:
        errors = list(VALIDATOR.iter_errors(log))
        assert not errors, errors[0].message


def test_fingerprints_stable_when_lines_move(moved) -> None:
    before, after = moved

    def index(log: dict) -> dict[str, tuple[int | None, ...]]:
        out = {}
        for r in log["runs"][0]["results"]:
            fps = r["partialFingerprints"]
            assert set(fps) == {FINGERPRINT_KEY}  # own key; primaryLocationLineHash is upload-sarif's to compute
            lines = tuple(loc["physicalLocation"].get("region", {}).get("startLine") for loc in r.get("locations", []))
            out[fps[FINGERPRINT_KEY]] = lines
        return out

    b, a = index(before), index(after)
    assert set(b) == set(a) and len(b) >= 20
    moved_lines = [k for k in b if b[k] and b[k][0] is not None and a[k][0] == b[k][0] + 3]
    assert moved_lines, "the evidence lines did move"
