"""ClearML pipelines end to end: the answers their fixture trees lead to (the detector fixture pins the findings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from tests.conftest import FIXTURES, make_repo

CASE = FIXTURES / "detectors" / "clearml.pipeline"


def _answers(src: Path, dest: Path) -> dict[str, str]:
    report = build_report(scan(str(make_repo(src, dest)), ScanOptions(jobs=1)))
    return {q["id"]: q["answer"] for q in report["questions"]}


def test_controller_that_feeds_its_training_step_declares_lineage_and_data_versions(tmp_path: Path) -> None:
    got = _answers(CASE / "positive" / "controller", tmp_path / "pos")
    assert (got["D3"], got["D1"], got["T2"]) == ("yes", "yes", "yes")


@pytest.mark.parametrize("tree", ["controller", "decorated"])
def test_pipelines_whose_training_loads_its_own_data_declare_no_lineage(tree: str, tmp_path: Path) -> None:
    got = _answers(CASE / "near_miss" / tree, tmp_path / tree)
    assert got["D3"] != "yes"
    assert got["D1"] != "yes"


def test_steps_named_from_config_that_hand_on_dataset_versions_declare_lineage(tmp_path: Path) -> None:
    """Step names computed from configuration, data handed on as ClearML dataset versions the next step's task reads back
    by project and name, a training task with ``output_uri=True``: lineage (D3) and a model store (T2)."""
    got = _answers(CASE / "positive" / "datasets", tmp_path / "pos")
    assert (got["D3"], got["T2"]) == ("yes", "yes")
    # the training task's Dataset.get(..., alias=...) records the dataset version on the task that outputs the model
    assert got["D2"] == "yes"


def test_training_step_reading_a_fixed_dataset_id_declares_no_lineage(tmp_path: Path) -> None:
    got = _answers(CASE / "near_miss" / "fixed_dataset", tmp_path / "near")
    assert got["D3"] != "yes"
    assert got["D2"] != "yes"  # only the data-preparation task reads with an alias
