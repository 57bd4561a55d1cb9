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
