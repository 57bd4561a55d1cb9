"""Orchestrator-run practice recognised in the forms the tools' own docs write them (see the detector fixtures for
the positive/near-miss trees); these cases pin the variants a fixture tree cannot hold beside its siblings."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo


def _findings(root: Path, detector: str) -> list[tuple[str, str, int | None, dict]]:
    index = FileIndex(resolve_target(str(root)))
    return [(f.signal, f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, load_detectors({detector}))]


KEDRO_DICT = '''from kedro.pipeline import Pipeline, node

from .nodes import split_data, train_model


def create_pipeline(**kwargs):
    return Pipeline([
        node(func=split_data, inputs=dict(data="model_input_table", parameters="params:split"),
             outputs=["X_train", "y_train"]),
        node(func=train_model, inputs=dict(X="X_train", y="y_train"), outputs="regressor"),
    ])
'''


def test_kedro_node_inputs_written_as_dict_call(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "repo", {"src/proj/pipelines/ds/pipeline.py": KEDRO_DICT})
    got = _findings(root, "kedro.pipeline")
    assert [(s, p) for s, p, _, _ in got] == [("pipeline.dag", "src/proj/pipelines/ds/pipeline.py")]
    assert got[0][3]["training"] is True


def test_kedro_dict_call_without_shared_dataset_is_no_graph(tmp_path: Path) -> None:
    unlinked = KEDRO_DICT.replace('dict(X="X_train", y="y_train")', 'dict(X="features", y="labels")')
    root = git_repo(tmp_path / "repo", {"src/proj/pipelines/ds/pipeline.py": unlinked})
    assert _findings(root, "kedro.pipeline") == []


KFP_ORDER_ONLY = '''from kfp import dsl


@dsl.component
def preprocess():
    print("preprocessing")


@dsl.component
def train():
    print("training")


@dsl.pipeline(name="order")
def pipeline():
    p = preprocess()
    t = train()
    t.after(p)
'''


def test_kfp_steps_without_inputs_or_outputs_declare_no_lineage(tmp_path: Path) -> None:
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "a", {"pipeline.py": KFP_ORDER_ONLY}))))
    [dag] = [f for f in run_detectors(index, load_detectors({"kubeflow.pipeline"})) if f.signal == "pipeline.dag"]
    assert dag.strength.name == "WEAK" and dag.attrs["with_io"] is False
    carried = KFP_ORDER_ONLY.replace("def train():", "def train(source: str):").replace("t = train()", 't = train(source="gs://raw/data.csv")')
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "b", {"pipeline.py": carried}))))
    [dag] = [f for f in run_detectors(index, load_detectors({"kubeflow.pipeline"})) if f.signal == "pipeline.dag"]
    assert dag.strength.name == "MEDIUM"


def test_published_platform_charts_are_infrastructure_not_a_model_deploy() -> None:
    from mlscan.facts.ci_vocab import deploy_command

    assert deploy_command("helm upgrade --install ${RG} dagster/dagster -f values.yaml") is None
    assert deploy_command("helm install tracking community-charts/mlflow") is None
    assert deploy_command("helm install prom prometheus-community/kube-prometheus-stack") is None
    assert deploy_command("helm upgrade --install api ./charts/churn-api") == "helm"  # the project's own chart
    assert deploy_command("helm upgrade --install churn oci://registry.example.com/charts/churn-api") == "helm"


KFP_ROOT = '''from kfp import dsl


@dsl.component
def train(epochs: int) -> str:
    return f"trained for {epochs} epochs"


@dsl.pipeline(name="training", pipeline_root=ROOT)
def training(epochs: int = 1) -> str:
    return train(epochs=epochs).output
'''


def test_pipeline_root_in_a_bucket_is_an_artifact_store_and_a_local_one_is_not(tmp_path: Path) -> None:
    def stores(name: str, root: str) -> list[dict]:
        src = KFP_ROOT.replace("pipeline_root=ROOT", f"pipeline_root={root!r}")
        return [a for s, _, _, a in _findings(git_repo(tmp_path / name, {"pipeline.py": src}), "pipeline.tracking") if s == "artifact.store"]

    assert [(a["how"], a["kind"]) for a in stores("bucket", "gs://team-ml/pipeline-root")] == [("pipeline-root", "gcs")]
    assert stores("local", "/tmp/kfp-local-root") == []  # runs on one machine keep their artifacts there


SM_EXPERIMENTS = '''import boto3

sm = boto3.client("sagemaker")


def train(job_name):
    sm.create_training_job(TrainingJobName=job_name)
    sm.associate_trial_component(TrialComponentName=job_name, TrialName="churn-trial")  # create a trial per run
'''


def test_pipeline_tracking_parses_only_files_holding_an_identifier_it_acts_on(tmp_path: Path) -> None:
    """``create_experiment`` and ``create_trial`` as words (``create`` ... ``experiment``) are in most files of a large
    code base: such a file is parsed only when one of the identifiers the visit looks for is in it."""
    words_only = "def create_run(experiment, trial):\n    return {'experiment': experiment, 'trial': trial}\n"
    root = git_repo(tmp_path / "repo", {"train.py": SM_EXPERIMENTS, "lib/runs.py": words_only})
    index = FileIndex(resolve_target(str(root)))
    det = next(iter(load_detectors({"pipeline.tracking"})))
    wanted = {e.path: det.wants(index, e) for e in index.select(("**/*.py",))}
    assert wanted == {"train.py": True, "lib/runs.py": False}
    got = [(s, p, a["tool"]) for s, p, _, a in _findings(root, "pipeline.tracking")]
    assert got == [("tracking.run", "train.py", "sagemaker-experiments")]


PREFECT_PROMOTE = '''import mlflow
from mlflow.tracking import MlflowClient
from prefect import flow, task
from sklearn.linear_model import LogisticRegression


@task
def train():
    with mlflow.start_run():
        model = LogisticRegression().fit([[0], [1]], [0, 1])
        return mlflow.sklearn.log_model(model, "model", registered_model_name="churn")


@task
def promote(info):
    client = MlflowClient()
    version = client.get_latest_versions("churn", stages=["None"])[0].version
    client.transition_model_version_stage("churn", version, "Production", archive_existing_versions=True)


@flow
def retrain():
    promote(train())


if __name__ == "__main__":
    retrain()
'''

PREFECT_SCORING_TASKS = '''import mlflow
from prefect import flow, task


@task
def load_model_task(name: str):
    return mlflow.sklearn.load_model(f"models:/{name}/Production")


@task
def batch_inference_task(model, rows):
    return model.predict(rows)
'''

RUN_RETRAIN = """on: push
jobs:
  retrain:
    runs-on: ubuntu-latest
    steps:
      - run: python flows/retrain.py
"""


@pytest.mark.parametrize("scoring_flow", [False, True])
def test_promotion_counts_only_when_a_flow_runs_the_tasks_that_load_the_stage(scoring_flow: bool, tmp_path: Path) -> None:
    # the batch-scoring tasks load models:/churn/Production, but unless a flow runs them nothing serves the promoted model
    scoring = PREFECT_SCORING_TASKS + ('''

@flow
def score(rows):
    return batch_inference_task(load_model_task("churn"), rows)
''' if scoring_flow else "")
    root = git_repo(tmp_path / "repo", {"flows/retrain.py": PREFECT_PROMOTE, "flows/inference.py": scoring,
                                        ".github/workflows/retrain.yml": RUN_RETRAIN})
    got = [(s, p) for s, p, _, _ in _findings(root, "orchestrator.deploy")]
    assert (("deploy.automated", "flows/retrain.py") in got) is scoring_flow
