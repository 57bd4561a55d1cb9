"""Scanner errors of session 15's blind samples (issue #13, part 1: training schedules, deploys, deployed refs), fixed
generally: a nightly task named for tests is no retraining and ``continue-on-error`` on a scheduled training caps it;
deploys over ssh/sshpass (here-documents, ``docker restart``, a model refresh in the serving container) from CI and from
an Airflow BashOperator; a Hugging Face Space upload deploys a model only when the Space's app serves one; tests that
never run on the ref a workflow deploys do not gate it. Each positive has its near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo


def _report(root: Path, files: dict[str, str]) -> dict[str, Any]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return build_report(scan(str(repo), ScanOptions(jobs=1)))


def _answers(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _report(root, files)["questions"]}


# ---------------------------------------------------------------- M1: a nightly task named for tests is no retraining

_TRAIN = """\
import argparse

import torch


def train(config):
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters())
    for _ in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(model.state_dict(), "model.pt")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="configs/base.yaml")
    train(p.parse_args().config)
"""
_LIB_MAKEFILE = """\
.PHONY: test {target}

test:
\tpython -m pytest -n 3 tests/

{target}:
\taccelerate launch --config_file {cfg} {program}
\ttorchrun --nproc_per_node 2 {program}
"""
_NIGHTLY_GPU = """\
name: Nightly GPU
on:
  workflow_dispatch:
  schedule:
    - cron: "0 2 * * *"
jobs:
  run_training_tests:
    runs-on: [self-hosted, multi-gpu]
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e .[test]
      - name: Run distributed training
{coe}        run: make {target}
"""


def _m1(root: Path, target: str, program: str, coe: bool) -> dict[str, Any]:
    cfg = "tests/training/fsdp_config.yaml" if program.startswith("tests/") else "configs/fsdp.yaml"
    return _answers(root, {
        "Makefile": _LIB_MAKEFILE.format(target=target, cfg=cfg, program=program),
        ".github/workflows/nightly.yml": _NIGHTLY_GPU.format(target=target, coe="        continue-on-error: true\n" if coe else ""),
        "mylib/__init__.py": "", program: _TRAIN, cfg: "distributed_type: FSDP\n",
        "tests/__init__.py": "", "tests/test_core.py": "from mylib import *\n\n\ndef test_x():\n    assert 1 + 1 == 2\n",
    })["M1"]


def test_m1_a_nightly_make_target_named_for_tests_is_no_retraining(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "tests_training", "tests/training/training.py", coe=True)
    assert m1["answer"] == "no", m1


def test_m1_a_nightly_training_of_the_test_tree_is_no_retraining(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "distributed", "tests/training/training.py", coe=False)
    assert m1["answer"] == "no", m1


def test_m1_near_miss_a_nightly_retraining_target_stays_yes(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "retrain", "scripts/train.py", coe=False)
    assert m1["answer"] == "yes", m1


def test_m1_a_word_inside_the_target_name_is_no_test(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "train_test_split_retrain", "scripts/train.py", coe=False)
    assert m1["answer"] == "yes", m1


def test_m1_continue_on_error_on_a_scheduled_retraining_is_a_caveat(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "retrain", "scripts/train.py", coe=True)
    assert m1["answer"] == "partial", m1
    assert "failures ignored" in m1["reason"], m1


# ---------------------------------------------------------------- M2: deploys over ssh/sshpass, from CI and from Airflow

_SERVING_APP = """\
import joblib
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("models/model.joblib")


@app.post("/predict")
def predict(features: dict):
    return {"prediction": float(model.predict([list(features.values())])[0])}
"""
_DEPLOY_WORKFLOW = """\
name: Deploy app
on:
  push:
    branches: [production]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: sudo apt-get install -y sshpass
      - name: Deploy to the VM
        env:
          VM_PASSWORD: ${{ secrets.VM_PASSWORD }}
          VM_USER: ${{ secrets.VM_USER }}
          VM_HOST: ${{ secrets.VM_HOST }}
        run: bash setup-scripts/deploy_app.sh
"""
_DEPLOY_APP_HEREDOC = """\
#!/bin/bash
set -e
sshpass -p "$VM_PASSWORD" ssh -o StrictHostKeyChecking=no "$VM_USER@$VM_HOST" << 'EOF'
  cd ~/churn
  git pull origin production
  {remote}
EOF
"""


def _m2_ci(root: Path, remote: str) -> dict[str, Any]:
    return _answers(root, {
        ".github/workflows/deploy.yml": _DEPLOY_WORKFLOW, "setup-scripts/deploy_app.sh": _DEPLOY_APP_HEREDOC.format(remote=remote),
        "app/main.py": _SERVING_APP, "docker-compose.yml": "services:\n  api:\n    build: .\n    ports: ['8000:8000']\n",
    })["M2"]


def test_m2_a_workflow_restarting_the_serving_containers_over_sshpass_deploys(tmp_path: Path) -> None:
    m2 = _m2_ci(tmp_path, "docker compose build && docker compose up -d")
    assert m2["answer"] == "yes", m2
    assert m2["evidence"][0]["path"] == "setup-scripts/deploy_app.sh", m2


def test_m2_a_quoted_remote_restart_over_sshpass_deploys(tmp_path: Path) -> None:
    files = {".github/workflows/deploy.yml": _DEPLOY_WORKFLOW, "app/main.py": _SERVING_APP,
             "setup-scripts/deploy_app.sh": '#!/bin/bash\nsshpass -p "$VM_PASSWORD" ssh -o StrictHostKeyChecking=no "$VM_USER@$VM_HOST" '
                                            '"cd ~/churn && git pull && docker restart churn-api"\n'}
    assert _answers(tmp_path, files)["M2"]["answer"] == "yes"


def test_m2_near_miss_an_ssh_that_copies_logs_deploys_nothing(tmp_path: Path) -> None:
    assert _m2_ci(tmp_path, "docker compose logs --tail 200 > /tmp/api.log")["answer"] == "no"


def test_m2_near_miss_an_ssh_that_runs_tests_deploys_nothing(tmp_path: Path) -> None:
    assert _m2_ci(tmp_path, "docker exec churn-api python -m pytest tests/test_model.py")["answer"] == "no"


_WEEKLY_DAG = """\
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.operators.trigger_dagrun import TriggerDagRunOperator

from src.train import train_model

with DAG("weekly_retrain", schedule="@weekly", start_date=datetime(2024, 1, 1), catchup=False) as dag:
    train = PythonOperator(task_id="train_model", python_callable=train_model)
    deploy = TriggerDagRunOperator(task_id="trigger_deploy", trigger_dag_id="deploy_model")
    train >> deploy
"""
_DEPLOY_DAG = """\
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("deploy_model", schedule=None, start_date=datetime(2024, 1, 1), catchup=False) as dag:
    BashOperator(task_id="deploy_model", bash_command="bash /opt/airflow/setup-scripts/deploy_model.sh ")
"""
_DEPLOY_MODEL_SH = """\
#!/bin/bash
set -e
sshpass -p "$SERVING_PASSWORD" ssh -o StrictHostKeyChecking=no "$SERVING_USER@$SERVING_HOST" "docker exec serving-api {remote}"
"""
_TRAIN_SRC = """\
import joblib
import mlflow
from sklearn.linear_model import LogisticRegression


def train_model():
    model = LogisticRegression().fit([[0], [1]], [0, 1])
    mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    joblib.dump(model, "models/model.joblib")
"""


def _m2_airflow(root: Path, remote: str) -> dict[str, Any]:
    return _answers(root, {
        "dags/weekly_retrain.py": _WEEKLY_DAG, "dags/deploy_model.py": _DEPLOY_DAG, "src/__init__.py": "", "src/train.py": _TRAIN_SRC,
        "setup-scripts/deploy_model.sh": _DEPLOY_MODEL_SH.format(remote=remote), "app/main.py": _SERVING_APP,
    })["M2"]


def test_m2_an_airflow_bash_task_refreshing_the_served_model_over_ssh_deploys(tmp_path: Path) -> None:
    m2 = _m2_airflow(tmp_path, "python /app/fetch_latest_model.py")
    assert m2["answer"] == "yes", m2
    assert [e["path"] for e in m2["evidence"][:2]] == ["setup-scripts/deploy_model.sh", "dags/deploy_model.py"], m2


def test_m2_near_miss_an_airflow_bash_task_copying_logs_over_ssh_deploys_nothing(tmp_path: Path) -> None:
    assert _m2_airflow(tmp_path, "cat /app/logs/requests.log")["answer"] == "no"


# ---------------------------------------------------------------- M2: a Space deploys a model only when its app serves one

_SPACE_WORKFLOW = """\
name: Deploy benchmark Space
on:
  push:
    branches: [main]
jobs:
  space:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -U huggingface_hub
      - run: {command}
        env:
          HF_TOKEN: ${{{{ secrets.HF_TOKEN }}}}
"""
_RESULTS_APP = """\
import gradio as gr
import pandas as pd

results = pd.read_csv("results/latest.csv")

with gr.Blocks() as demo:
    gr.Markdown("# Benchmark results")
    gr.Dataframe(results)
    gr.LinePlot(results, x="date", y="throughput", color="backend")

demo.launch()
"""
_MODEL_APP = """\
import gradio as gr
from transformers import pipeline

classifier = pipeline("text-classification", model="myorg/mylib-sentiment")


def predict(text):
    return {r["label"]: r["score"] for r in classifier(text, top_k=None)}


gr.Interface(fn=predict, inputs="text", outputs="label").launch()
"""
_UPLOADER = """\
from huggingface_hub import HfApi

HfApi().upload_folder(folder_path="benchmarks/space", repo_id="myorg/mylib-benchmarks", repo_type="space")
"""


def _m2_space(root: Path, app: str, command: str) -> dict[str, Any]:
    return _answers(root, {
        ".github/workflows/space.yml": _SPACE_WORKFLOW.format(command=command), "benchmarks/space/app.py": app,
        "benchmarks/space/README.md": "---\ntitle: Benchmarks\nsdk: gradio\napp_file: app.py\n---\n",
        "benchmarks/space/results/latest.csv": "date,throughput,backend\n2024-01-01,10,cpu\n",
        "scripts/push_space.py": _UPLOADER, "mylib/__init__.py": "",
    })["M2"]


_CLI = "huggingface-cli upload myorg/mylib-benchmarks benchmarks/space . --repo-type=space"


def test_m2_a_space_serving_the_projects_model_is_a_deploy(tmp_path: Path) -> None:
    assert _m2_space(tmp_path, _MODEL_APP, _CLI)["answer"] == "yes"


def test_m2_near_miss_a_benchmark_results_space_is_no_model_deploy(tmp_path: Path) -> None:
    m2 = _m2_space(tmp_path, _RESULTS_APP, _CLI)
    assert m2["answer"] == "no", m2


def test_m2_a_python_upload_of_a_model_space_is_a_deploy(tmp_path: Path) -> None:
    assert _m2_space(tmp_path, _MODEL_APP, "python scripts/push_space.py")["answer"] == "yes"


def test_m2_near_miss_a_python_upload_of_a_results_space_is_no_model_deploy(tmp_path: Path) -> None:
    assert _m2_space(tmp_path, _RESULTS_APP, "python scripts/push_space.py")["answer"] == "no"


def test_m2_a_space_whose_app_is_built_at_run_time_stays_a_deploy(tmp_path: Path) -> None:
    # the folder is not in the repository: what the Space serves cannot be read, the upload counts as before
    cmd = "huggingface-cli upload myorg/mylib-benchmarks build/space . --repo-type=space"
    assert _m2_space(tmp_path, _RESULTS_APP, cmd)["answer"] == "yes"


# ---------------------------------------------------------------- M3: the tests must run on the ref that is deployed

_TESTS_WORKFLOW = """\
name: tests
on:
{on}
jobs:
  pytest:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python -m pytest tests
"""
_PROD_DEPLOY = """\
name: deploy
on:
{on}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ssh "$VM_USER@$VM_HOST" "cd ~/churn && git pull && docker compose up -d --build"
"""
_MODEL_TEST = """\
from app.main import predict


def test_predict_returns_a_probability():
    assert 0.0 <= predict({"tenure": 3, "charges": 70.5})["prediction"] <= 1.0
"""
_PR_MAIN = "  pull_request:\n    branches: [main]\n"
_PUSH_PROD = "  push:\n    branches: [production]\n"


def _m3(root: Path, tests_on: str, deploy_on: str) -> dict[str, Any]:
    return _answers(root, {
        ".github/workflows/tests.yml": _TESTS_WORKFLOW.format(on=tests_on), ".github/workflows/deploy.yml": _PROD_DEPLOY.format(on=deploy_on),
        "app/__init__.py": "", "app/main.py": _SERVING_APP, "tests/test_app.py": _MODEL_TEST, "requirements.txt": "fastapi==0.110.0\n",
    })


def test_m3_tests_on_pull_requests_to_main_do_not_gate_a_deploy_on_pushes_to_production(tmp_path: Path) -> None:
    a = _m3(tmp_path, _PR_MAIN, _PUSH_PROD)
    assert a["M2"]["answer"] == "yes", a["M2"]
    assert a["M3"]["answer"] == "partial", a["M3"]


def test_m3_near_miss_the_production_branch_is_also_tested(tmp_path: Path) -> None:
    on = _PR_MAIN + "  push:\n    branches: [main, production]\n"
    assert _m3(tmp_path, on, _PUSH_PROD)["M3"]["answer"] == "yes"


def test_m3_near_miss_pull_requests_into_production_are_tested(tmp_path: Path) -> None:
    assert _m3(tmp_path, "  pull_request:\n", _PUSH_PROD)["M3"]["answer"] == "yes"
    assert _m3(tmp_path / "b", "  pull_request:\n    branches: ['release/**', 'prod*']\n", "  push:\n    branches: [production]\n")["M3"]["answer"] == "yes"


def test_m3_near_miss_a_deploy_on_the_tested_branch(tmp_path: Path) -> None:
    assert _m3(tmp_path, _PR_MAIN, "  push:\n    branches: [main]\n")["M3"]["answer"] == "yes"


def test_m3_near_miss_a_deploy_waiting_for_the_tests_through_workflow_run(tmp_path: Path) -> None:
    on = "  workflow_run:\n    workflows: [tests]\n    types: [completed]\n    branches: [production]\n" + _PUSH_PROD
    assert _m3(tmp_path, _PR_MAIN, on)["M3"]["answer"] == "yes"


def test_m3_a_deploy_on_every_branch_is_not_judged_by_its_ref(tmp_path: Path) -> None:
    assert _m3(tmp_path, _PR_MAIN, "  push:\n")["M3"]["answer"] == "yes"


_STDIN_WORKFLOW = _DEPLOY_WORKFLOW.replace("run: bash setup-scripts/deploy_app.sh",
                                          "run: sshpass -p \"$VM_PASSWORD\" ssh \"$VM_USER@$VM_HOST\" 'bash -s' < setup-scripts/remote.sh")


def test_m2_a_local_script_fed_to_the_remote_shell_deploys(tmp_path: Path) -> None:
    files = {".github/workflows/deploy.yml": _STDIN_WORKFLOW, "app/main.py": _SERVING_APP,
             "setup-scripts/remote.sh": "set -e\ncd ~/churn\ngit pull\nsudo systemctl restart churn-api\n"}
    assert _answers(tmp_path, files)["M2"]["answer"] == "yes"


def test_m2_near_miss_a_local_script_fed_to_the_remote_shell_that_collects_logs(tmp_path: Path) -> None:
    files = {".github/workflows/deploy.yml": _STDIN_WORKFLOW, "app/main.py": _SERVING_APP,
             "setup-scripts/remote.sh": "set -e\ntar czf /tmp/logs.tgz /var/log/churn\nls -la /tmp\n"}
    assert _answers(tmp_path, files)["M2"]["answer"] == "no"


def test_m2_an_airflow_bash_task_deploying_inline_is_cited_at_the_task(tmp_path: Path) -> None:
    dag = _DEPLOY_DAG.replace('"bash /opt/airflow/setup-scripts/deploy_model.sh "', '"kubectl rollout restart deployment/churn-api"')
    m2 = _answers(tmp_path, {"dags/deploy_model.py": dag, "app/main.py": _SERVING_APP})["M2"]
    assert m2["answer"] == "yes", m2
    assert (m2["evidence"][0]["path"], m2["evidence"][0]["line"]) == ("dags/deploy_model.py", 7), m2


def test_m2_near_miss_an_airflow_bash_task_that_trains(tmp_path: Path) -> None:
    dag = _DEPLOY_DAG.replace('"bash /opt/airflow/setup-scripts/deploy_model.sh "', '"python src/train.py && docker compose logs"')
    assert _answers(tmp_path, {"dags/deploy_model.py": dag, "src/train.py": _TRAIN_SRC})["M2"]["answer"] == "no"


_SSH_ACTION = """\
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: appleboy/ssh-action@v1
        with:
          host: ${{ secrets.HOST }}
          username: ${{ secrets.USER }}
          key: ${{ secrets.KEY }}
          script: |
            cd ~/churn
            {script}
"""


def test_m2_an_ssh_action_restarting_the_service_deploys(tmp_path: Path) -> None:
    files = {".github/workflows/deploy.yml": _SSH_ACTION.format(script="docker compose pull && docker compose up -d"), "app/main.py": _SERVING_APP}
    assert _answers(tmp_path, files)["M2"]["answer"] == "yes"


def test_m2_near_miss_an_ssh_action_reading_container_logs_deploys_nothing(tmp_path: Path) -> None:
    files = {".github/workflows/deploy.yml": _SSH_ACTION.format(script="docker logs churn-api --tail 200"), "app/main.py": _SERVING_APP}
    assert _answers(tmp_path, files)["M2"]["answer"] == "no"
