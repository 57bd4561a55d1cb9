"""evidF's two leads left (issue #17, session 15, evidH): a KFP component logging its metrics in a loop over a mapping's
items is cited from the loop through the call; a Terraform Databricks job's training task is cited with the task it
waits for (its ``depends_on { task_key = ... }`` block). Each positive has a near miss that must stay as it was."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .test_evidence_deciding import _scan


def _kfp_pipeline(loop: bool) -> str:
    """A KFP v2 training component (the SDK's documented ``Output[Metrics]`` / ``metrics.log_metric``), compiled and run by a
    pipeline; its scores logged in a ``for k, v in scores.items()`` loop, or one by one."""
    logs = ("    for k, v in scores.items():\n        metrics.log_metric(k, v)\n" if loop else
            "    metrics.log_metric(\"accuracy\", scores[\"accuracy\"])\n")
    return textwrap.dedent("""\
        from kfp import compiler, dsl
        from kfp.dsl import Dataset, Input, Metrics, Model, Output


        @dsl.component(base_image="python:3.11", packages_to_install=["scikit-learn", "pandas"])
        def train_model(data: Input[Dataset], model: Output[Model], metrics: Output[Metrics]):
            import pandas as pd
            from sklearn.linear_model import LogisticRegression
            df = pd.read_csv(data.path)
            clf = LogisticRegression().fit(df[["x"]], df["y"])
            scores = {"accuracy": clf.score(df[["x"]], df["y"])}
        """) + logs + textwrap.dedent("""\


        @dsl.pipeline(name="train")
        def pipeline(data_uri: str):
            importer = dsl.importer(artifact_uri=data_uri, artifact_class=Dataset)
            train_model(data=importer.output)


        if __name__ == "__main__":
            compiler.Compiler().compile(pipeline, "pipeline.yaml")
        """)


_CI = ("on: [push]\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
       "      - run: python pipelines/train.py\n")


def _tracking_items(qs: dict, q: str) -> list[dict]:
    return [ev for ev in qs[q]["evidence"] if ev["path"] == "pipelines/train.py"]


def test_a_kfp_metric_loop_is_cited_from_the_loop_through_the_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/train.py": _kfp_pipeline(loop=True), ".github/workflows/train.yml": _CI})
    item = next(ev for ev in _tracking_items(qs, "E2") if "log_metric" in ev["snippet"])
    assert (item["line"], item["end_line"]) == (12, 13)
    assert item["snippet"] == "for k, v in scores.items():\n    metrics.log_metric(k, v)"


def test_a_kfp_metric_logged_by_name_is_cited_at_its_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/train.py": _kfp_pipeline(loop=False), ".github/workflows/train.yml": _CI})
    item = next(ev for ev in _tracking_items(qs, "E2") if "log_metric" in ev["snippet"])
    assert item["line"] == 12 and item.get("end_line") in (None, 12)
    assert item["snippet"].strip() == 'metrics.log_metric("accuracy", scores["accuracy"])'


def _tf_job(train_depends: str) -> str:
    """A Terraform ``databricks_job`` (the provider's documented multi-task form: ``task { task_key = ...
    depends_on { task_key = ... } }``) preparing features, then training on them."""
    return textwrap.dedent("""\
        resource "databricks_job" "training" {
          name = "churn-model-training"
          schedule {
            quartz_cron_expression = "0 0 6 * * ?"
            timezone_id            = "UTC"
          }
          task {
            task_key = "FeatureEngineering"
            notebook_task {
              notebook_path   = "/Repos/ml/churn/feature_engineering/GenerateFeatures"
              base_parameters = { input_table_path = "/databricks-datasets/churn/raw" }
            }
          }
          task {
            task_key = "Train"
        """) + train_depends + textwrap.dedent("""\
            notebook_task {
              notebook_path   = "/Repos/ml/churn/training/Train"
              base_parameters = { training_data_path = "/databricks-datasets/churn/raw" }
            }
          }
        }
        """)


def test_a_terraform_training_task_is_cited_with_the_task_it_waits_for(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"infra/jobs.tf": _tf_job('    depends_on {\n      task_key = "FeatureEngineering"\n    }\n')})
    edge = next(e for e in qs["D3"]["evidence"] if e["path"] == "infra/jobs.tf" and "depends_on" in e["snippet"])
    assert (edge["line"], edge["end_line"]) == (15, 18)
    assert edge["snippet"] == 'task_key = "Train"\ndepends_on {\ntask_key = "FeatureEngineering"\n}'


def test_a_terraform_training_task_waiting_for_nothing_cites_no_edge(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"infra/jobs.tf": _tf_job("")})
    assert not any("depends_on" in e["snippet"] for e in qs["D3"]["evidence"])
