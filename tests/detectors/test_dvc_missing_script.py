"""A DVC stage that declares the metrics file of a training pipeline tracks every run's metrics (E1/E2), but only when
its command can run: a stage whose ``cmd`` runs a Python script absent from the repository (a renamed package) produces
nothing, so its tracking item carries the ``missing script`` caveat and, alone, caps the answer at partial. The same
pipeline with the script present answers yes with no caveat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from ..conftest import git_repo

CAVEAT = "missing script: its command runs a file absent from the repository"
DVC = """\
stages:
  prepare:
    cmd: python src/churn/prepare.py
    deps:
      - src/churn/prepare.py
      - data/raw/customers.csv
    outs:
      - data/processed
  train:
    cmd: python src/churn/train.py
    deps:
      - src/churn/train.py
      - data/processed
    params:
      - train.epochs
    outs:
      - models/model.pkl
  evaluate:
    cmd: python {evaluate}
    deps:
      - models/model.pkl
      - data/processed
    metrics:
      - reports/scores.json:
          cache: false
"""
SCRIPT = "import json\nimport pickle\n\nmodel = pickle.load(open('models/model.pkl', 'rb'))\njson.dump({'auc': 0.9}, open('reports/scores.json', 'w'))\n"


def _report(root: Path, evaluate: str) -> dict[str, Any]:
    files = {"dvc.yaml": DVC.replace("{evaluate}", evaluate), "params.yaml": "train:\n  epochs: 3\n",
             "data/raw/customers.csv.dvc": "outs:\n- md5: 5d41402abc4b2a76b9719d911017c592\n  path: customers.csv\n",
             "src/churn/prepare.py": "import pandas as pd\n\npd.read_csv('data/raw/customers.csv').to_parquet('data/processed/x.parquet')\n",
             "src/churn/train.py": "import pickle\nfrom sklearn.linear_model import LogisticRegression\n\n"
                                   "pickle.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), open('models/model.pkl', 'wb'))\n",
             "src/churn/evaluate.py": SCRIPT}
    return build_report(scan(str(git_repo(root, files)), ScanOptions(jobs=1)))


def _q(report: dict[str, Any], qid: str) -> dict[str, Any]:
    return next(q for q in report["questions"] if q["id"] == qid)


def test_metrics_of_a_stage_whose_script_is_missing_are_capped(tmp_path: Path) -> None:
    report = _report(tmp_path / "missing", "src/cnnChurn/evaluate.py")
    e2 = _q(report, "E2")
    assert e2["evidence"] and e2["evidence"][0]["path"] == "dvc.yaml" and CAVEAT in e2["evidence"][0]["caveats"]
    assert e2["answer"] != "yes"
    assert all(_q(report, q)["answer"] != "yes" or CAVEAT not in _q(report, q)["evidence"][0]["caveats"] for q in ("E1", "E2"))


def test_the_same_stage_with_its_script_present_stands(tmp_path: Path) -> None:
    report = _report(tmp_path / "present", "src/churn/evaluate.py")
    e2 = _q(report, "E2")
    assert e2["answer"] == "yes" and e2["evidence"][0]["path"] == "dvc.yaml"
    assert all(CAVEAT not in e["caveats"] for e in e2["evidence"]) and "capped_by" not in e2
