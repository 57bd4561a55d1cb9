"""KFP v2 Dataset artifacts as per-run data versions (D1): kept when the run has a durable artifact root, which a run
submitted to Vertex AI Pipelines always has (the SDK's default artifacts bucket when no ``pipeline_root`` is given)."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from tests.conftest import FIXTURES, make_repo

CASE = FIXTURES / "detectors" / "pipeline.tracking"


def _d1(src: Path, dest: Path) -> str:
    report = build_report(scan(str(make_repo(src, dest)), ScanOptions(jobs=1)))
    return next(q["answer"] for q in report["questions"] if q["id"] == "D1")


def test_dataset_artifact_of_a_pipeline_submitted_to_vertex_without_a_root_is_a_data_version(tmp_path: Path) -> None:
    assert _d1(CASE / "positive" / "vertex_job", tmp_path / "vertex") == "yes"


def test_dataset_artifact_of_a_pipeline_run_without_any_root_is_a_hand_off(tmp_path: Path) -> None:
    assert _d1(CASE / "near_miss" / "pipelines", tmp_path / "kfp") != "yes"
