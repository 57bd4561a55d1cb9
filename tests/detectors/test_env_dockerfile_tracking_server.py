"""E4 and Dockerfiles of experiment-tracking servers: an image whose process is ``mlflow server`` packages the service the
project logs to, not the environment its own code runs in; a training image that logs to that server still counts."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from tests.conftest import FIXTURES, make_repo

CASE = FIXTURES / "detectors" / "env.dockerfile"


def _e4(src: Path, dest: Path) -> str:
    report = build_report(scan(str(make_repo(src, dest)), ScanOptions(jobs=1)))
    return next(q["answer"] for q in report["questions"] if q["id"] == "E4")


def test_tracking_server_image_alone_does_not_declare_the_project_environment(tmp_path: Path) -> None:
    assert _e4(CASE / "near_miss" / "tracking", tmp_path / "server") == "partial"


def test_training_image_that_logs_to_a_tracking_server_declares_it(tmp_path: Path) -> None:
    assert _e4(CASE / "positive" / "trainer", tmp_path / "trainer") == "yes"
