"""Two general causes the last blind samples of session 11 showed: a Markdown report declared under a DVC stage's
``metrics:`` is no run tracking (DVC reads metrics from JSON, YAML, TOML or CSV files only), and superseded trees
(``archive/``, ``deprecated/``) rank like demo trees, after the live configuration."""

from __future__ import annotations

from pathlib import Path

from mlscan.evidence import non_product_path

from .test_evidence_deciding import _scan

_DVC = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [data/raw, src/prepare.py]
    outs: [data/prepared]
  train:
    cmd: python src/train.py
    deps: [data/prepared, src/train.py]
    outs: [model.pkl]
    metrics:
      - {metrics}:
          cache: false
"""
_TRAIN = "import pickle\n\nif __name__ == '__main__':\n    pickle.dump({'w': 1}, open('model.pkl', 'wb'))\n"


def _e1(tmp_path: Path, metrics: str) -> dict:
    return _scan(tmp_path, {"dvc.yaml": _DVC.format(metrics=metrics), "src/train.py": _TRAIN, "src/prepare.py": "print(1)\n"})["E1"]


def test_a_markdown_report_under_dvc_metrics_is_no_run_tracking(tmp_path: Path) -> None:
    assert _e1(tmp_path, "metrics/classification.md")["answer"] != "yes"


def test_a_json_metrics_file_of_the_training_stage_is_run_tracking(tmp_path: Path) -> None:
    e1 = _e1(tmp_path, "metrics/scores.json")
    assert e1["answer"] == "yes"
    assert e1["evidence"][0]["path"] == "dvc.yaml"


def test_archived_trees_are_not_product_paths() -> None:
    assert non_product_path("archive/azure-pipelines.yml")
    assert non_product_path("pipelines/deprecated/train.yml")
    assert not non_product_path(".azuredevops/training-pipeline.yml")
    assert not non_product_path("src/archiver/job.py")  # a module named for archiving is the product

