"""O1: drift reports that monitor no production model (issue #13, labelling conventions: drift on synthetic data is not
production monitoring). Current data sampled from the training split simulates production (caveat); an input-drift
report that only a person runs, with nothing deployed, profiles data. Near misses: a training sample as the reference,
current data read from serving logs, a report a scheduled CI job runs, a report beside a deployed model."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.facts.placeholders import training_sample

from tests.conftest import git_repo


@pytest.mark.parametrize(("src", "line"), [
    ('def get_unseen_data():\n    ds = load_dataset("org/spam")\n    ds.set_format(type="pandas")\n'
     '    unseen_df = ds["train"][:].sample(300, random_state=10)\n    return unseen_df\n', 4),
    ("current = train_df.sample(frac=0.2)\n", 1),
    ("def simulate_production_batch(n):\n    return X_train.sample(n)\n", 2),
    ('def get_new_batch():\n    return ds["train"].shuffle(seed=1).sample(100)\n', 2),
])
def test_current_data_sampled_from_training(src: str, line: int) -> None:
    assert training_sample(ast.parse(src)) == line


@pytest.mark.parametrize("src", [
    'reference = train_df.sample(5000)\ncurrent = pd.read_sql("select * from predictions", con)\n',
    'def get_reference(ds):\n    ref = ds["train"].sample(1000)\n    return ref\n',
    'current = logs_df.sample(1000)\n',
    'def get_current():\n    return pd.read_parquet("s3://bucket/inference/latest.parquet").sample(500)\n',
])
def test_samples_that_are_no_simulation(src: str) -> None:
    assert training_sample(ast.parse(src)) == 0


DRIFT = '''import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def main() -> None:
    reference = pd.read_parquet("data/reference.parquet")
    current = {current}
    report = Report(metrics=[DataDriftPreset()])
    result = report.run(reference_data=reference, current_data=current)
    result.save_html("drift.html")


if __name__ == "__main__":
    main()
'''
LIVE = 'pd.read_sql("select * from requests", "postgresql://db/app")'
WORKFLOW = """name: drift
on:
{on}
jobs:
  drift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python monitoring/drift.py
"""
SCHEDULE = '  schedule:\n    - cron: "0 6 * * *"\n  workflow_dispatch:\n'
BY_HAND = "  workflow_dispatch:\n"
DEPLOY = """name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: gcloud run deploy churn-api --image gcr.io/p/churn-api:${{ github.sha }} --region europe-west1
"""


def _o1(tmp: Path, files: dict[str, str]) -> tuple[str, dict]:
    repo = git_repo(tmp, {"requirements.txt": "evidently==0.6.0\npandas==2.2.2\n", **files})  # type: ignore[arg-type]
    out = CliRunner().invoke(main, ["scan", str(repo), "--format", "json"])
    r = json.loads(out.output)
    answer = next(q for q in r["questions"] if q["id"] == "O1")
    attrs = next(f["attrs"] for f in r["findings"] if f["signal"] == "monitoring.model")
    return answer["answer"], attrs


def test_drift_on_a_training_sample_is_simulated(tmp_path: Path) -> None:
    current = 'load_dataset("org/spam")["train"][:].sample(300)'
    answer, attrs = _o1(tmp_path, {"monitoring/drift.py": DRIFT.format(current=current).replace("    current =", "    unseen =")
                                   .replace("current_data=current", "current_data=unseen"),
                                   ".github/workflows/drift.yml": WORKFLOW.format(on=SCHEDULE)})
    assert attrs.get("training_sample") is True and answer == "partial"


def test_input_drift_run_by_hand_with_nothing_deployed(tmp_path: Path) -> None:
    answer, attrs = _o1(tmp_path, {"monitoring/drift.py": DRIFT.format(current=LIVE), ".github/workflows/drift.yml": WORKFLOW.format(on=BY_HAND)})
    assert attrs.get("input_drift_by_hand") is True and answer == "partial"


def test_input_drift_on_a_schedule_monitors(tmp_path: Path) -> None:
    answer, attrs = _o1(tmp_path, {"monitoring/drift.py": DRIFT.format(current=LIVE), ".github/workflows/drift.yml": WORKFLOW.format(on=SCHEDULE)})
    assert "input_drift_by_hand" not in attrs and "training_sample" not in attrs and answer == "yes"


def test_input_drift_run_by_hand_beside_a_deployed_model_monitors(tmp_path: Path) -> None:
    answer, attrs = _o1(tmp_path, {"monitoring/drift.py": DRIFT.format(current=LIVE), ".github/workflows/drift.yml": WORKFLOW.format(on=BY_HAND),
                                   ".github/workflows/deploy.yml": DEPLOY, "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n"
                                   "CMD [\"uvicorn\", \"app.main:app\"]\n", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    assert attrs.get("input_drift_by_hand") is True and answer == "yes"


AIRFLOW_DAG = '''from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from monitoring.drift import main

with DAG("daily_drift", start_date=datetime(2024, 1, 1), schedule_interval="@daily", catchup=False) as dag:
    PythonOperator(task_id="drift_report", python_callable=main)
'''


def test_input_drift_an_orchestrator_schedules_monitors(tmp_path: Path) -> None:
    answer, attrs = _o1(tmp_path, {"monitoring/__init__.py": "", "monitoring/drift.py": DRIFT.format(current=LIVE),
                                   "dags/drift_dag.py": AIRFLOW_DAG})
    assert "input_drift_by_hand" not in attrs and answer == "yes"


def test_input_drift_in_a_dag_whose_schedule_is_off_is_run_by_hand(tmp_path: Path) -> None:
    # ``schedule_interval=None``: the DAG runs only when triggered by hand (a listed trap), not unattended
    dag = AIRFLOW_DAG.replace('schedule_interval="@daily"', "schedule_interval=None")
    answer, attrs = _o1(tmp_path, {"monitoring/__init__.py": "", "monitoring/drift.py": DRIFT.format(current=LIVE),
                                   "dags/drift_dag.py": dag})
    assert attrs.get("input_drift_by_hand") is True and answer == "partial"
