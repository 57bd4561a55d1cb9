"""Scanner errors of session 16's blind samples, part 1 (issue #13, session 17, branch accL), fixed generally from the
tools' own docs and public samples: Databricks data quality monitoring written with the newest SDK
(``w.data_quality.create_monitor``) and a bundle's SQL alert with subscribers (O1/O2/O3). Each case scans a small
repository written the way the tools' samples write it; the near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- O1/O2/O3: Databricks data quality monitoring

_BUNDLE = """\
bundle:
  name: churn-mlops
include:
  - resources/*.yml
variables:
  warehouse_id:
    default: abc123
targets:
  dev:
    default: true
"""
_MONITOR_JOB = """\
resources:
  jobs:
    create_monitor:
      name: create-inference-monitor
      tasks:
        - task_key: create_monitor
          notebook_task:
            notebook_path: ../src/monitoring/create_monitor.py
"""
_MONITOR = """\
# Databricks notebook source
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.dataquality import (
    AggregationGranularity,
    CronSchedule,
    DataProfilingConfig,
    InferenceLogConfig,
    InferenceProblemType,
    Monitor,
)

# COMMAND ----------

w = WorkspaceClient()
table = w.tables.get(full_name="main.churn.inference_table")
schema = w.schemas.get(full_name="main.churn")


{body}
"""
_CREATE = """\
config = DataProfilingConfig(
    output_schema_id=schema.schema_id,
    assets_dir="/Workspace/Shared/churn/monitoring",
    inference_log=InferenceLogConfig(
        problem_type=InferenceProblemType.INFERENCE_PROBLEM_TYPE_CLASSIFICATION,
        prediction_column="prediction",
        label_column="churned",
        model_id_column="model_version",
        timestamp_column="scored_at",
        granularities=[AggregationGranularity.AGGREGATION_GRANULARITY_1_DAY],
    ),
    schedule=CronSchedule(quartz_cron_expression="0 0 5 * * ?", timezone_id="UTC"),
)
w.data_quality.create_monitor(monitor=Monitor(object_type="table", object_id=table.table_id, data_profiling_config=config))
"""
_ALERT = """\
resources:
  alerts:
    prediction_drift:
      display_name: "Churn model prediction drift"
      query_text: |
        SELECT max(js_distance) AS drift
        FROM main.churn.inference_table_drift_metrics
        WHERE column_name = 'prediction'
      warehouse_id: ${{var.warehouse_id}}
      evaluation:
        comparison_operator: GREATER_THAN
        source:
          name: drift
          aggregation: MAX
        threshold:
          value:
            double_value: 0.2
        notification:
          notify_on_ok: false
{subscriptions}
      schedule:
        quartz_cron_schedule: "0 0 8 * * ?"
        timezone_id: UTC
        pause_status: UNPAUSED
"""
_SUBSCRIBED = """\
          subscriptions:
            - user_email: ml-oncall@acme.io
"""


def _dbx(tmp_path: Path, body: str = _CREATE, subscriptions: str = _SUBSCRIBED, extra: dict[str, str] | None = None) -> dict:
    return _scan(tmp_path, {"databricks.yml": _BUNDLE, "resources/monitoring.job.yml": _MONITOR_JOB,
                            "resources/drift.alert.yml": _ALERT.format(subscriptions=subscriptions),
                            "src/monitoring/create_monitor.py": _MONITOR.format(body=body), **(extra or {})})


def test_data_quality_monitor_and_subscribed_alert_positive(tmp_path: Path) -> None:
    q = _dbx(tmp_path)
    assert q["O1"]["answer"] == "yes", q["O1"]
    assert q["O1"]["evidence"][0]["snippet"].startswith("w.data_quality.create_monitor(")
    assert q["O2"]["answer"] == "yes", q["O2"]
    assert q["O3"]["answer"] == "yes", q["O3"]
    assert q["O3"]["evidence"][0]["path"] == "resources/drift.alert.yml"


def test_near_miss_monitor_defined_in_a_function_nothing_calls(tmp_path: Path) -> None:
    body = "def create_inference_monitor():\n" + "".join(f"    {ln}\n" if ln else "\n" for ln in _CREATE.splitlines())
    q = _dbx(tmp_path, body=body)
    assert q["O1"]["answer"] == "partial", q["O1"]
    assert q["O2"]["answer"] == "partial", q["O2"]


def test_monitor_created_by_a_function_the_notebook_calls(tmp_path: Path) -> None:
    body = "def create_inference_monitor():\n" + "".join(f"    {ln}\n" if ln else "\n" for ln in _CREATE.splitlines())
    q = _dbx(tmp_path, body=body + "\n\ncreate_inference_monitor()\n")
    assert q["O1"]["answer"] == "yes", q["O1"]


def test_near_miss_list_and_get_calls_create_no_monitor(tmp_path: Path) -> None:
    body = ('for m in w.data_quality.list_monitor():\n    print(m.object_id)\n'
            'print(w.data_quality.get_monitor(object_type="table", object_id=table.table_id))\n')
    q = _dbx(tmp_path, body=body)
    assert q["O1"]["answer"] == "no", q["O1"]
    assert q["O2"]["answer"] == "no", q["O2"]


def test_near_miss_alert_without_a_subscriber(tmp_path: Path) -> None:
    q = _dbx(tmp_path, subscriptions="")
    assert q["O3"]["answer"] == "partial", q["O3"]


def test_near_miss_paused_alert(tmp_path: Path) -> None:
    q = _dbx(tmp_path, extra={"resources/drift.alert.yml": _ALERT.format(subscriptions=_SUBSCRIBED).replace("UNPAUSED", "PAUSED")})
    assert q["O3"]["answer"] == "partial", q["O3"]


def test_alert_kept_in_a_dbalert_file(tmp_path: Path) -> None:
    # the bundle examples' form: the alert's definition in a .dbalert.json its file_path names
    alert = ('resources:\n  alerts:\n    drift:\n      display_name: "Prediction drift"\n'
             '      warehouse_id: ${var.warehouse_id}\n      file_path: ./drift.dbalert.json\n')
    spec = ('{"evaluation": {"comparison_operator": "GREATER_THAN", "notification": {"notify_on_ok": false%s},'
            ' "source": {"name": "drift", "aggregation": "MAX"}, "threshold": {"value": {"double_value": 0.2}}},'
            ' "query_lines": ["SELECT max(js_distance) AS drift FROM main.churn.inference_table_drift_metrics"],'
            ' "schedule": {"pause_status": "UNPAUSED", "quartz_cron_schedule": "0 0 8 * * ?", "timezone_id": "UTC"}}')
    with_sub = spec % ', "subscriptions": [{"destination_id": "6f1c2d3e-oncall"}]'
    q = _dbx(tmp_path / "a", extra={"resources/drift.alert.yml": alert, "resources/drift.dbalert.json": with_sub})
    assert q["O3"]["answer"] == "yes", q["O3"]
    q = _dbx(tmp_path / "b", extra={"resources/drift.alert.yml": alert, "resources/drift.dbalert.json": spec % ""})
    assert q["O3"]["answer"] == "partial", q["O3"]


def test_job_sql_task_alert_subscriptions(tmp_path: Path) -> None:
    job = _MONITOR_JOB + """\
        - task_key: drift_alert
          sql_task:
            warehouse_id: ${var.warehouse_id}
            alert:
              alert_id: ${resources.alerts.prediction_drift.id}
              subscriptions:
                - user_name: ml-oncall@acme.io
"""
    q = _dbx(tmp_path / "a", subscriptions="", extra={"resources/monitoring.job.yml": job})
    assert q["O3"]["answer"] == "yes", q["O3"]
    paused = job.replace("              subscriptions:", "              pause_subscriptions: true\n              subscriptions:")
    q = _dbx(tmp_path / "b", subscriptions="", extra={"resources/monitoring.job.yml": paused})
    assert q["O3"]["answer"] == "partial", q["O3"]


_SDK_ALERT = """\
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import (AlertV2, AlertV2Evaluation, AlertV2Notification, AlertV2Operand,
                                        AlertV2OperandColumn, AlertV2Subscription, ComparisonOperator, CronSchedule)

w = WorkspaceClient()
w.alerts_v2.create_alert(
    alert=AlertV2(
        display_name="churn prediction drift",
        query_text="SELECT max(js_distance) AS drift FROM main.churn.inference_table_drift_metrics",
        warehouse_id="abc123",
        evaluation=AlertV2Evaluation(
            comparison_operator=ComparisonOperator.GREATER_THAN,
            source=AlertV2OperandColumn(name="drift"),
            threshold=AlertV2Operand(value=0.2),
            notification=AlertV2Notification({subs}),
        ),
        schedule=CronSchedule(quartz_cron_schedule="0 0 8 * * ?", timezone_id="UTC"),
    )
)
"""


def test_sdk_alert_v2_with_and_without_a_subscriber(tmp_path: Path) -> None:
    subs = 'subscriptions=[AlertV2Subscription(user_email="ml-oncall@acme.io")]'
    q = _scan(tmp_path / "a", {"ops/alerts.py": _SDK_ALERT.format(subs=subs)})
    assert q["O3"]["answer"] == "yes", q["O3"]
    q = _scan(tmp_path / "b", {"ops/alerts.py": _SDK_ALERT.format(subs="notify_on_ok=False")})
    assert q["O3"]["answer"] == "partial", q["O3"]


def test_terraform_data_quality_monitor(tmp_path: Path) -> None:
    tf = """\
resource "databricks_data_quality_monitor" "churn" {
  object_type = "table"
  object_id   = databricks_sql_table.inference.table_id
  data_profiling_config = {
    output_schema_id = databricks_schema.monitoring.schema_id
    inference_log = {
      problem_type      = "INFERENCE_PROBLEM_TYPE_CLASSIFICATION"
      prediction_column = "prediction"
      label_column      = "churned"
      model_id_column   = "model_version"
      timestamp_column  = "scored_at"
      granularities     = ["AGGREGATION_GRANULARITY_1_DAY"]
    }
  }
}
"""
    q = _scan(tmp_path / "a", {"infra/monitoring.tf": tf})
    assert q["O1"]["answer"] == "yes" and q["O2"]["answer"] == "yes", (q["O1"], q["O2"])
    schema_only = ('resource "databricks_data_quality_monitor" "schema" {\n  object_type = "schema"\n'
                   '  object_id   = databricks_schema.gold.schema_id\n  anomaly_detection_config = {}\n}\n')
    q = _scan(tmp_path / "b", {"infra/monitoring.tf": schema_only})
    assert q["O1"]["answer"] == "no", q["O1"]


# ---------------------------------------------------------------- O1: offline evaluation and a simulated drift flag

_WORKFLOW = """\
name: ml
on:
  push:
  schedule:
    - cron: "0 3 * * *"
jobs:
  pipeline:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python src/train.py
      - run: python src/{script}
"""
_TRAIN_SALES = """\
import joblib
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

df = pd.read_csv("data/train.csv")
model = RandomForestRegressor().fit(df.drop(columns=["sales"]), df["sales"])
joblib.dump(model, "models/model.joblib")
"""
_EVALUATE = """\
import json

import joblib
import pandas as pd
from sklearn.metrics import mean_absolute_percentage_error


def evaluate():
    model = joblib.load("models/model.joblib")
    test = pd.read_csv("data/test.csv")
    predictions = model.predict(test.drop(columns=["sales"]))
    actuals = test["sales"]
    mape = mean_absolute_percentage_error(actuals, predictions)
    with open("metrics.json", "w") as f:
        json.dump({"mape": mape, "accuracy": 1 - mape}, f)


if __name__ == "__main__":
    evaluate()
"""
_PERFORMANCE = """\
import pandas as pd
from sklearn.metrics import mean_absolute_percentage_error
from sqlalchemy import create_engine


def weekly_performance():
    engine = create_engine("postgresql://monitor@db/sales")
    served = pd.read_sql("SELECT p.store, p.predicted_sales, a.sales AS actuals FROM predictions p "
                         "JOIN actuals a ON a.store = p.store AND a.week = p.week", engine)
    mape = mean_absolute_percentage_error(served["actuals"], served["predicted_sales"])
    pd.DataFrame([{"mape": mape}]).to_sql("model_performance", engine, if_exists="append")


if __name__ == "__main__":
    weekly_performance()
"""


def _o1_script(tmp_path: Path, name: str, code: str) -> dict:
    return _scan(tmp_path, {"src/train.py": _TRAIN_SALES, f"src/{name}": code, ".github/workflows/ml.yml": _WORKFLOW.format(script=name),
                            "requirements.txt": "pandas\nscikit-learn\njoblib\nsqlalchemy\nprometheus-client\n"})["O1"]


def test_near_miss_offline_mape_on_the_test_split(tmp_path: Path) -> None:
    o1 = _o1_script(tmp_path, "evaluate.py", _EVALUATE)
    assert o1["answer"] == "no", o1


def test_positive_mape_of_stored_predictions_against_recorded_actuals(tmp_path: Path) -> None:
    o1 = _o1_script(tmp_path, "performance.py", _PERFORMANCE)
    assert o1["answer"] == "yes", o1


_GAUGE = """\
from prometheus_client import Gauge, start_http_server

DRIFT = Gauge("model_drift_detected", "1 when input drift is detected")


def check_drift(reference, current):
{body}


if __name__ == "__main__":
    start_http_server(8000)
    check_drift([0.1, 0.2], [0.3, 0.4])
"""


def test_near_miss_gauge_set_to_a_simulated_drift_flag(tmp_path: Path) -> None:
    body = "    # simulated: a real deployment would compare live inputs\n    drift_detected = False\n    DRIFT.set(int(drift_detected))\n"
    o1 = _o1_script(tmp_path, "monitor.py", _GAUGE.format(body=body))
    assert o1["answer"] == "partial", o1


def test_positive_gauge_set_to_a_computed_drift_statistic(tmp_path: Path) -> None:
    body = ("    shift = abs(sum(current) / len(current) - sum(reference) / len(reference))\n"
            "    drift_detected = shift > 0.1\n    DRIFT.set(int(drift_detected))\n")
    o1 = _o1_script(tmp_path, "monitor.py", _GAUGE.format(body=body))
    assert o1["answer"] == "yes", o1


# ---------------------------------------------------------------- E1: an import-guarded tracker the shipped configs turn on

_GUARDED_TRAIN = """\
import argparse

import torch
import yaml

try:
    import wandb
except ImportError:
    wandb = None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/base.yaml")
    cfg = yaml.safe_load(open(parser.parse_args().config))
    if wandb is not None:
        wandb.init(project=cfg["wandb"]["project"], config=cfg)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    for epoch in range(cfg["epochs"]):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if wandb is not None:
            wandb.log({"loss": loss.item(), "epoch": epoch})


if __name__ == "__main__":
    main()
"""


def _e1(tmp_path: Path, wandb_section: str) -> dict:
    files = {"src/train.py": _GUARDED_TRAIN, "requirements.txt": "torch\npyyaml\n",
             "README.md": "# Forecaster\n\n```\npip install -r requirements.txt\npython src/train.py --config configs/base.yaml\n```\n"}
    for name, lr in (("base", 0.01), ("large", 0.001)):
        files[f"configs/{name}.yaml"] = f"lr: {lr}\nepochs: 10\n{wandb_section}"
    return _scan(tmp_path, files)["E1"]


def test_e1_import_guarded_tracker_every_config_turns_on(tmp_path: Path) -> None:
    e1 = _e1(tmp_path, "wandb:\n  project: forecaster\n  entity: acme\n")
    assert e1["answer"] == "yes", e1


def test_e1_near_miss_import_guarded_tracker_no_config_names(tmp_path: Path) -> None:
    e1 = _e1(tmp_path, "")
    assert e1["answer"] == "partial", e1


def test_e1_near_miss_a_config_disables_the_tracker(tmp_path: Path) -> None:
    e1 = _e1(tmp_path, "wandb:\n  project: forecaster\n  mode: disabled\n")
    assert e1["answer"] == "partial", e1


def test_e1_commented_out_requirement_stays_opt_in(tmp_path: Path) -> None:
    files = {"src/train.py": _GUARDED_TRAIN, "requirements.txt": "torch\npyyaml\n# wandb>=0.15\n",
             "configs/base.yaml": "lr: 0.01\nepochs: 10\nwandb:\n  project: forecaster\n"}
    assert _scan(tmp_path, files)["E1"]["answer"] == "partial"


# ---------------------------------------------------------------- E3: an image of a hosted model's client; GitPython records

_APP_LLM = """\
from fastapi import FastAPI
from openai import OpenAI
from pydantic import BaseModel

app = FastAPI()
client = OpenAI()


class Question(BaseModel):
    text: str


@app.post("/ask")
def ask(q: Question):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q.text}])
    return {"answer": reply.choices[0].message.content}
"""
_APP_OWN_MODEL = """\
import joblib
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("models/model.joblib")


@app.post("/predict")
def predict(x: list[float]):
    return {"prediction": float(model.predict([x])[0])}
"""
_SHA_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8080"]
"""
_SHA_DEPLOY = """\
name: deploy
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/acme/assistant:${{ github.sha }} .
      - run: docker push ghcr.io/acme/assistant:${{ github.sha }}
      - run: gcloud run deploy assistant --image ghcr.io/acme/assistant:${{ github.sha }} --region europe-west1
"""
_EVAL = """\
import pandas as pd
from sklearn.metrics import f1_score


def score(df: pd.DataFrame) -> float:
    return f1_score(df["expected"], df["got"], average="macro")
"""


def test_e3_near_miss_sha_tagged_image_of_a_hosted_llm_client(tmp_path: Path) -> None:
    q = _scan(tmp_path, {"app/main.py": _APP_LLM, "app/eval.py": _EVAL, "Dockerfile": _SHA_DOCKERFILE,
                         ".github/workflows/deploy.yml": _SHA_DEPLOY, "requirements.txt": "fastapi\nuvicorn\nopenai\npandas\nscikit-learn\n"})
    assert q["E3"]["answer"] == "no", q["E3"]


def test_e3_positive_sha_tagged_image_of_a_service_with_its_model(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir(parents=True)
    (tmp_path / "models" / "model.joblib").write_bytes(b"\x80\x04N.")
    q = _scan(tmp_path, {"app/main.py": _APP_OWN_MODEL, "Dockerfile": _SHA_DOCKERFILE,
                         ".github/workflows/deploy.yml": _SHA_DEPLOY, "requirements.txt": "fastapi\nuvicorn\njoblib\nscikit-learn\n"})
    assert q["E3"]["answer"] == "yes", q["E3"]


_GIT_DEPLOY = """\
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import git


def deploy(model_path: str = "models/model.joblib", target: str = "/srv/models/churn") -> None:
    repo = git.Repo(search_parent_directories=True)
    sha = {sha}
    release = Path(target) / datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    release.mkdir(parents=True)
    shutil.copy(model_path, release / "model.joblib")
    metadata = {{"model": "churn", "git_sha": sha, "deployed_at": datetime.now(timezone.utc).isoformat()}}
    (release / "metadata.json").write_text(json.dumps(metadata, indent=2))


if __name__ == "__main__":
    deploy()
"""
_GIT_NOTES = """\
from pathlib import Path

import git


def write_release_notes(version: str, model_name: str) -> None:
    repo = git.Repo(".")
    notes = f"Release {{version}} of {{model_name}}\\nCommit: {{repo.head.commit.hexsha}}\\n"
    Path(f"releases/{{version}}.md").write_text(notes)


if __name__ == "__main__":
    write_release_notes("1.4.0", "{what}")
"""
_TRAIN_CHURN = """\
import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("data/train.csv")
model = LogisticRegression().fit(df.drop(columns=["y"]), df["y"])
joblib.dump(model, "models/model.joblib")
"""
_GIT_WORKFLOW = """\
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python src/train.py
      - run: python src/{script}
"""


def _e3_git(tmp_path: Path, script: str, code: str) -> dict:
    return _scan(tmp_path, {"src/train.py": _TRAIN_CHURN, f"src/{script}": code, ".github/workflows/deploy.yml": _GIT_WORKFLOW.format(script=script),
                            "requirements.txt": "pandas\nscikit-learn\njoblib\nGitPython\n"})["E3"]


def test_e3_gitpython_sha_in_each_deployments_metadata(tmp_path: Path) -> None:
    e3 = _e3_git(tmp_path, "deploy.py", _GIT_DEPLOY.format(sha="repo.head.object.hexsha"))
    assert e3["answer"] == "yes", e3
    assert e3["evidence"][0]["path"] == "src/deploy.py"


def test_e3_near_miss_a_sha_written_out_as_a_literal(tmp_path: Path) -> None:
    e3 = _e3_git(tmp_path, "deploy.py", _GIT_DEPLOY.format(sha='"3f9c2ab"'))
    assert e3["answer"] == "no", e3


def test_e3_gitpython_sha_in_a_models_release_notes(tmp_path: Path) -> None:
    assert _e3_git(tmp_path / "a", "release.py", _GIT_NOTES.format(what="churn-model"))["answer"] == "yes"
    # release notes of something that is no model (a docs site) version no model
    docs = _GIT_NOTES.format(what="docs-site").replace("model_name", "site_name")
    assert _e3_git(tmp_path / "b", "release.py", docs)["answer"] == "no"


# ---------------------------------------------------------------- E1: an opt-in TensorBoard plugin

_PLUGINS_INIT = """\
PLUGINS = {}


def register(name):
    def wrap(cls):
        PLUGINS[name] = cls
        return cls
    return wrap


from . import csv_log, tensorboard  # noqa: E402,F401
"""
_CSV_PLUGIN = """\
import csv

from . import register


@register("csv")
class CSVLogger:
    def __init__(self, run_dir):
        self.w = csv.writer(open(f"{run_dir}/metrics.csv", "w"))

    def on_epoch_end(self, epoch, metrics):
        self.w.writerow([epoch, *metrics.values()])
"""
_TB_PLUGIN = """\
from torch.utils.tensorboard import SummaryWriter

from . import register


@register("tensorboard")
class TensorBoardPlugin:
    def __init__(self, run_dir):
        self.writer = SummaryWriter(log_dir=run_dir)

    def on_epoch_end(self, epoch, metrics):
        for k, v in metrics.items():
            self.writer.add_scalar(k, v, epoch)
"""
_PLUGIN_TRAIN = """\
import argparse

import torch
import yaml

from trainer.plugins import PLUGINS


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="configs/default.yaml")
    cfg = yaml.safe_load(open(p.parse_args().config))
    plugins = [PLUGINS[name](cfg["run_dir"]) for name in cfg.get("plugins", ["csv"])]
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(cfg["epochs"]):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        for plugin in plugins:
            plugin.on_epoch_end(epoch, {"loss": loss.item()})


if __name__ == "__main__":
    main()
"""


def _plugins(tmp_path: Path, selected: str) -> dict:
    return _scan(tmp_path, {"trainer/__init__.py": "", "trainer/plugins/__init__.py": _PLUGINS_INIT, "trainer/plugins/csv_log.py": _CSV_PLUGIN,
                            "trainer/plugins/tensorboard.py": _TB_PLUGIN, "trainer/train.py": _PLUGIN_TRAIN,
                            "configs/default.yaml": f"run_dir: runs/default\nepochs: 5\nplugins: [{selected}]\n",
                            "requirements.txt": "torch\npyyaml\ntensorboard\n"})


def test_e1_near_miss_tensorboard_plugin_no_shipped_config_selects(tmp_path: Path) -> None:
    q = _plugins(tmp_path, "csv")
    assert q["E1"]["answer"] == "partial", q["E1"]


def test_e1_positive_tensorboard_plugin_the_default_config_selects(tmp_path: Path) -> None:
    q = _plugins(tmp_path, "csv, tensorboard")
    assert q["E1"]["answer"] == "yes", q["E1"]
