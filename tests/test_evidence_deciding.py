"""The deciding facts lead (issue #17, the causes of a blind evidence audit): the pipeline that passes data, the step
that fits, the hash that pins the data, the model link, the model signal of a monitor, a section's body rather than its
heading. Each case scans a small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.evidence import heading_only, leading_problem
from mlscan.report import build_report

from .conftest import git_repo


def _scan(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return {q["id"]: q for q in report["questions"]}


def _lead(q: dict[str, Any]) -> tuple[str, int]:
    return q["evidence"][0]["path"], q["evidence"][0]["line"]


DVC_YAML = """\
    stages:
      prepare:
        cmd: python src/prepare.py data/raw/customers.csv data/processed
        deps:
          - src/prepare.py
          - data/raw/customers.csv
        outs:
          - data/processed/train.csv
      train:
        cmd: python src/train.py
        deps:
          - src/train.py
          - data/processed/train.csv
        outs:
          - models/model.pkl
    """

DVC_LOCK = """\
    schema: '2.0'
    stages:
      prepare:
        cmd: python src/prepare.py data/raw/customers.csv data/processed
        deps:
        - path: data/raw/customers.csv
          hash: md5
          md5: 940b416bb13a9b24bb5c9e1589284005
        - path: src/prepare.py
          hash: md5
          md5: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
        outs:
        - path: data/processed/train.csv
          hash: md5
          md5: 5b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e
      train:
        cmd: python src/train.py
        deps:
        - path: data/processed/train.csv
          hash: md5
          md5: 5b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e
        - path: src/train.py
          hash: md5
          md5: 1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f
        outs:
        - path: models/model.pkl
          hash: md5
          md5: 08410d5e1f60510d6fb16d91a645da21
    """

TASK_ORDER_DAG = """\
    from datetime import datetime, timedelta

    from airflow import DAG
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    with DAG(dag_id="churn_retraining", schedule_interval=timedelta(weeks=1), start_date=datetime(2024, 1, 1)) as dag:
        retrain = KubernetesPodOperator(task_id="retrain_model", name="retrain", image="trainer:1.0",
                                        cmds=["python"], arguments=["-m", "src.train"])
        deploy = KubernetesPodOperator(task_id="deploy_model", name="deploy", image="deployer:1.0", cmds=["deploy"])
        retrain >> deploy
    """

DATA_DAG = """\
    from datetime import datetime

    from airflow import DAG
    from airflow.operators.bash import BashOperator

    with DAG(dag_id="churn_training", schedule="@weekly", start_date=datetime(2024, 1, 1)) as dag:
        prepare = BashOperator(task_id="prepare", bash_command="python src/prepare.py data/raw/customers.csv data/processed")
        train = BashOperator(task_id="train_model", bash_command="python src/train.py --data data/processed/train.csv")
        prepare >> train
    """

TRAIN_PY = """\
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv("data/processed/train.csv")
    LogisticRegression().fit(df.drop(columns=["y"]), df["y"])
    """


def test_dvc_stages_lead_d3_over_a_dag_that_only_orders_its_tasks(tmp_path: Path) -> None:
    q = _scan(tmp_path / "r", {"dvc.yaml": DVC_YAML, "dags/retrain.py": TASK_ORDER_DAG, "src/train.py": TRAIN_PY,
                               "src/prepare.py": "print('prepare')\n"})
    assert q["D3"]["answer"] == "yes" and q["D3"]["evidence"][0]["path"] == "dvc.yaml"
    assert any(e["path"] == "dags/retrain.py" for e in q["D3"]["evidence"])  # still shown, after the lineage
    # near miss: a DAG whose tasks name the data they read and write leads, as before
    q = _scan(tmp_path / "n", {"dvc.yaml": DVC_YAML, "dags/train.py": DATA_DAG, "src/train.py": TRAIN_PY,
                               "src/prepare.py": "print('prepare')\n"})
    assert q["D3"]["answer"] == "yes" and q["D3"]["evidence"][0]["path"] == "dags/train.py"


def test_dvc_lock_cites_the_hash_that_pins_the_data_and_the_link_to_the_model(tmp_path: Path) -> None:
    q = _scan(tmp_path / "r", {"dvc.yaml": DVC_YAML, "dvc.lock": DVC_LOCK, "src/train.py": TRAIN_PY})
    d1 = q["D1"]["evidence"][0]
    assert q["D1"]["answer"] == "yes" and (d1["line"], d1["end_line"]) == (6, 8)  # - path: data/raw... to its md5
    assert "md5: 940b416b" in d1["snippet"] and not leading_problem(d1)
    d2 = q["D2"]["evidence"][0]
    assert q["D2"]["answer"] == "yes" and (d2["line"], d2["end_line"]) == (19, 28)  # the train stage's data dep -> its model
    assert d2["snippet"].splitlines() == ["- path: data/processed/train.csv", "  md5: 5b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e",
                                          "- path: models/model.pkl"]


ZENML_ANALYZE = """\
    import pandas as pd
    from zenml import log_metadata, step


    @step
    def analyze_data(data: pd.DataFrame) -> dict:
        stats = {"rows": len(data)}
        log_metadata(metadata=stats, artifact_name="data_analysis", infer_artifact=True)
        return stats
    """

ZENML_TRAIN = """\
    import pandas as pd
    from sklearn.ensemble import GradientBoostingRegressor
    from zenml import log_metadata, step


    @step
    def train_model(data: pd.DataFrame) -> GradientBoostingRegressor:
        model = GradientBoostingRegressor().fit(data.drop(columns=["price"]), data["price"])
        log_metadata(metadata={"r2": float(model.score(data.drop(columns=["price"]), data["price"]))},
                     artifact_name="model", infer_artifact=True)
        return model
    """

ZENML_PIPELINE = """\
    from zenml import pipeline

    from steps.analyze_data import analyze_data
    from steps.train_model import train_model
    from steps.load import load_data


    @pipeline
    def training():
        data = load_data()
        analyze_data(data)
        train_model(data)


    if __name__ == "__main__":
        training()
    """


def test_the_step_that_fits_leads_e1_e2_over_a_data_analysis_step(tmp_path: Path) -> None:
    q = _scan(tmp_path / "r", {"steps/analyze_data.py": ZENML_ANALYZE, "steps/train_model.py": ZENML_TRAIN,
                               "steps/load.py": "import pandas as pd\nfrom zenml import step\n\n\n@step\ndef load_data() -> pd.DataFrame:\n"
                                                "    return pd.read_csv('data/houses.csv')\n",
                               "run.py": ZENML_PIPELINE})
    for qid in ("E1", "E2"):
        assert q[qid]["answer"] == "yes" and q[qid]["evidence"][0]["path"] == "steps/train_model.py", (qid, q[qid]["evidence"])
    # near miss: with no step that fits, the analysis step's metadata is what there is, and it still leads
    q = _scan(tmp_path / "n", {"steps/analyze_data.py": ZENML_ANALYZE, "run.py": ZENML_PIPELINE.replace(
        "from steps.train_model import train_model\n", "").replace("    train_model(data)\n", "")})
    assert all(e["path"] == "steps/analyze_data.py" for e in q["E1"]["evidence"][:1])


EVIDENTLY = """\
    import pandas as pd
    from evidently.metric_preset import ClassificationPreset, DataDriftPreset
    from evidently.report import Report


    def main() -> None:
        reference = pd.read_parquet("s3://acme/churn/reference.parquet")
        current = pd.read_parquet("s3://acme/churn/labelled.parquet")
        metrics = [DataDriftPreset()]
        metrics.append(ClassificationPreset())
        report = Report(metrics=metrics)
        report.run(reference_data=reference, current_data=current)
        report.save_html("reports/quality.html")


    if __name__ == "__main__":
        main()
    """


def test_a_monitor_is_cited_at_its_model_signal_for_o1_and_o2(tmp_path: Path) -> None:
    workflow = ("on:\n  schedule:\n    - cron: '0 6 * * 1'\njobs:\n  monitor:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: python monitoring/report.py\n")
    q = _scan(tmp_path / "r", {"monitoring/report.py": EVIDENTLY, ".github/workflows/monitor.yml": workflow})
    assert q["O1"]["answer"] == "yes" and _lead(q["O1"]) == ("monitoring/report.py", 10)  # ClassificationPreset, not DataDriftPreset
    assert q["O2"]["answer"] == "yes" and _lead(q["O2"]) == ("monitoring/report.py", 10)
    assert [e["line"] for e in q["O2"]["evidence"][:2]] == [10, 9]  # the model signal, then the data drift beside it


def test_a_heading_cited_alone_moves_to_its_section(tmp_path: Path) -> None:
    assert heading_only("## retraining_dag.py") and heading_only("Rollback\n--------")
    assert not heading_only("## Rollback\nkubectl rollout undo deployment/api")
    assert leading_problem({"path": "docs/README.md", "snippet": "## retraining_dag.py"}) == "bare heading '## retraining_dag.py'"
    assert not leading_problem({"path": "docs/README.md", "snippet": "1. retrain the model"})
    runbook = """\
        # Operations

        ## Retraining

        Retraining runs weekly:

        1. `make data` pulls the new data
        2. `make train` trains and registers the model

        ## Rollback

        ```
        kubectl rollout undo deployment/churn-api
        ```
        """
    # (the make targets the runbook runs exist: a target no Makefile defines is a claim, not a step)
    q = _scan(tmp_path / "r", {"docs/runbook.md": runbook, "Makefile": "data:\n\tpython data.py\n\ntrain:\n\tpython train.py\n"})
    assert q["T3"]["answer"] == "yes"
    for e in q["T3"]["evidence"]:
        assert not heading_only(e["snippet"]), e
    by_context = {e["context"]: e for e in q["T3"]["evidence"] if e["path"] == "docs/runbook.md"}
    assert by_context.get("Rollback", {}).get("snippet", "").startswith("kubectl rollout undo") or \
        any(e["snippet"].startswith("kubectl rollout undo") for e in q["T3"]["evidence"])


def test_placeholder_inputs_cap_a_monitor_at_partial_and_show_beside_it(tmp_path: Path) -> None:
    drift = """\
        import pandas as pd
        from evidently.metric_preset import ClassificationPreset
        from evidently.report import Report

        reference = pd.read_csv("{ref}")
        current = pd.read_csv("{cur}")
        report = Report(metrics=[ClassificationPreset()])
        report.run(reference_data=reference, current_data=current)
        """
    workflow = ("on:\n  schedule:\n    - cron: '0 6 * * 1'\njobs:\n  monitor:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: python monitoring/drift.py\n")
    q = _scan(tmp_path / "r", {"monitoring/drift.py": drift.format(ref="s3://your-bucket/train.csv", cur="s3://<bucket>/live.csv"),
                               ".github/workflows/monitor.yml": workflow})
    assert q["O1"]["answer"] == "partial" and "placeholder" in q["O1"]["reason"]
    assert any(c.startswith("placeholder:") for c in q["O1"]["evidence"][0]["caveats"])
    # near miss: real locations
    q = _scan(tmp_path / "n", {"monitoring/drift.py": drift.format(ref="s3://acme-ml/churn/train.csv", cur="s3://acme-ml/churn/live.csv"),
                               ".github/workflows/monitor.yml": workflow})
    assert q["O1"]["answer"] == "yes" and not q["O1"]["evidence"][0]["caveats"]


def test_a_store_only_the_tests_import_does_not_lead_t2(tmp_path: Path) -> None:
    builder = """\
        import json


        def build_definition(bucket: str) -> dict:
            return {"evaluation": {"model_s3_uri": f"s3://{bucket}/models"}}


        def save(definition: dict, path: str) -> None:
            with open(path, "w") as fh:
                json.dump(definition, fh)
        """
    test = "from builders.pipeline_builder import build_definition\n\n\ndef test_it() -> None:\n    assert build_definition('b')\n"
    upload = """\
        import boto3

        if __name__ == "__main__":
            boto3.client("s3").upload_file("models/model.pkl", "acme-models", "churn/model.pkl")
        """
    q = _scan(tmp_path / "r", {"builders/pipeline_builder.py": builder, "tests/test_pipeline_builder.py": test,
                               "zz_publish/publish_model.py": upload})
    assert q["T2"]["answer"] == "yes" and q["T2"]["evidence"][0]["path"] == "zz_publish/publish_model.py", q["T2"]["evidence"]
    # near miss: a builder a script runs is the project's own store and keeps its place (sorted by path first)
    q = _scan(tmp_path / "n", {"builders/pipeline_builder.py": builder, "tests/test_pipeline_builder.py": test,
                               "zz_publish/publish_model.py": upload,
                               "run.py": "from builders.pipeline_builder import build_definition, save\n\n"
                                         "if __name__ == '__main__':\n    save(build_definition('acme'), 'pipeline.json')\n"})
    assert q["T2"]["evidence"][0]["path"] == "builders/pipeline_builder.py", q["T2"]["evidence"]


AML_PIPELINE = """\
    $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
    type: pipeline
    jobs:
      prep_job:
        type: command
        inputs:
          raw_data:
            type: uri_folder
            path: ./data
        outputs:
          prep_data:
        command: python prep.py --raw ${{inputs.raw_data}} --out ${{outputs.prep_data}}
      train_job:
        type: command
        inputs:
          training_data: ${{parent.jobs.prep_job.outputs.prep_data}}
        outputs:
          model_output:
        command: python train.py --data ${{inputs.training_data}} --model ${{outputs.model_output}}
    """


def test_d3_leads_with_the_edge_where_one_step_feeds_the_next(tmp_path: Path) -> None:
    # DVC: the train stage's dep that the prepare stage outputs, shown beside that out (not prepare's code deps)
    q = _scan(tmp_path / "d", {"dvc.yaml": DVC_YAML, "src/train.py": TRAIN_PY, "src/prepare.py": "print(1)\n"})
    lead = q["D3"]["evidence"][0]
    assert q["D3"]["answer"] == "yes" and (lead["path"], lead["line"]) == ("dvc.yaml", 8)
    assert lead["snippet"].splitlines() == ["- data/processed/train.csv", "- data/processed/train.csv"]
    assert lead["context"] == "stages.prepare output -> stages.train.deps" and not leading_problem(lead)
    # Azure ML: the training job's input bound to the prep job's output, not the prep job's raw input
    q = _scan(tmp_path / "a", {"pipelines/train.yml": AML_PIPELINE, "train.py": TRAIN_PY})
    assert q["D3"]["answer"] == "yes" and _lead(q["D3"]) == ("pipelines/train.yml", 16)
    assert "parent.jobs.prep_job.outputs.prep_data" in q["D3"]["evidence"][0]["snippet"]


def test_d3_without_an_edge_still_cites_the_declared_deps(tmp_path: Path) -> None:
    # near miss: two stages that each read raw files and feed nothing on: no edge, the deps block is cited as before
    parallel = DVC_YAML.replace("- data/processed/train.csv\n        outs:\n          - models", "- data/raw/customers.csv\n        outs:\n          - models")
    q = _scan(tmp_path / "n", {"dvc.yaml": parallel, "src/train.py": TRAIN_PY})
    lead = q["D3"]["evidence"][0]
    assert q["D3"]["answer"] == "yes" and lead["path"] == "dvc.yaml" and "->" not in lead["context"]
    assert lead["line"] in (5, 6)  # the prepare stage's deps, as before


def test_a_dvc_remote_that_receives_only_data_is_no_model_store(tmp_path: Path) -> None:
    config = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://team-ml/dvc-store\n"
    data = "outs:\n- md5: 2098d37bf6174f6dc10d255902ed0cda\n  size: 90008\n  path: DATA.csv\n"
    q = _scan(tmp_path / "d", {".dvc/config": config, "data/DATA.csv.dvc": data, "src/train.py": TRAIN_PY})
    assert q["T2"]["answer"] == "partial"  # DVC pushes the dataset there, the model goes nowhere shared
    # near miss: the same remote with a model DVC tracks (a stage's output) is the model store
    q = _scan(tmp_path / "m", {".dvc/config": config, "data/DATA.csv.dvc": data, "dvc.yaml": DVC_YAML, "src/train.py": TRAIN_PY})
    assert q["T2"]["answer"] == "yes" and q["T2"]["evidence"][0]["path"] == ".dvc/config"


def test_an_alarm_on_a_custom_metric_nothing_publishes_is_partial(tmp_path: Path) -> None:
    alarm = """\
        resource "aws_sns_topic" "oncall" {
          name = "ml-oncall"
        }

        resource "aws_cloudwatch_metric_alarm" "prediction_error" {
          alarm_name          = "prediction-error"
          comparison_operator = "GreaterThanThreshold"
          evaluation_periods  = 1
          metric_name         = "PredictionErrorRate"
          namespace           = "Churn/Model"
          period              = 300
          statistic           = "Average"
          threshold           = 0.2
          alarm_actions       = [aws_sns_topic.oncall.arn]
        }
        """
    q = _scan(tmp_path / "r", {"infra/alarms.tf": alarm})
    assert q["O3"]["answer"] == "partial" and "unpublished metric" in q["O3"]["reason"]
    assert any(c.startswith("unpublished metric") for c in q["O3"]["evidence"][0]["caveats"])
    publisher = ("import boto3\n\n\ndef publish(rate: float) -> None:\n    boto3.client('cloudwatch').put_metric_data(\n"
                 "        Namespace='Churn/Model', MetricData=[{'MetricName': 'PredictionErrorRate', 'Value': rate}])\n")
    q = _scan(tmp_path / "n", {"infra/alarms.tf": alarm, "monitoring/publish.py": publisher})  # near miss: published
    assert q["O3"]["answer"] == "yes" and not q["O3"]["evidence"][0]["caveats"]


def test_a_run_record_in_a_model_folder_is_not_a_model(tmp_path: Path) -> None:
    config = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://team-ml/dvc-store\n"
    record = DVC_YAML.replace("models/model.pkl", "model/train_data.json")
    lock = DVC_LOCK.replace("models/model.pkl", "model/train_data.json")
    q = _scan(tmp_path / "r", {".dvc/config": config, "dvc.yaml": record, "dvc.lock": lock, "src/train.py": TRAIN_PY})
    # run metadata (a JSON in model/) pushed to the remote is no model store, and no model the data is linked to
    assert q["T2"]["answer"] != "yes" and q["D2"]["answer"] != "yes"
    # near miss: the weights themselves in that folder are the model
    q = _scan(tmp_path / "m", {".dvc/config": config, "dvc.yaml": record.replace("train_data.json", "weights.safetensors"),
                               "dvc.lock": lock.replace("train_data.json", "weights.safetensors"), "src/train.py": TRAIN_PY})
    assert q["T2"]["answer"] == "yes"
