"""Recognisers for cloud-platform and orchestrator practice that depend on more than one file: the same code
with and without the piece that makes it practice (documented deployment, a declared artifact root ...)."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

FLOW = '''from metaflow import FlowSpec, schedule, step


@schedule(daily=True)
class ChurnTrainingFlow(FlowSpec):
    @step
    def start(self):
        from sklearn.linear_model import LogisticRegression
        self.model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        self.next(self.end)

    @step
    def end(self):
        print(self.model)
'''


def _repo(tmp: Path, files: dict[str, str]) -> Path:
    return git_repo(tmp, files, commit=False)  # type: ignore[arg-type]


def _found(repo: Path, detector_id: str, signal: str) -> list[dict]:
    index = FileIndex(resolve_target(str(repo)))
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({detector_id})) if f.signal == signal]


def test_metaflow_schedule_active_when_docs_give_the_deploy_command(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"flows/train_flow.py": FLOW,
                            "docs/deploy.html": "<pre>python flows/train_flow.py --with retry argo-workflows create</pre>"})
    assert [a["active"] for a in _found(repo, "python.pipelines", "schedule.training")] == [True]


def test_metaflow_schedule_off_without_a_deploy_command(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"flows/train_flow.py": FLOW, "README.md": "Run `python flows/train_flow.py run`.\n"})
    assert [a["active"] for a in _found(repo, "python.pipelines", "schedule.training")] == [False]


TRACKED_TRAIN = '''import mlflow
from sklearn.linear_model import LogisticRegression

if __name__ == "__main__":
    with mlflow.start_run():
        model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        mlflow.log_metric("accuracy", model.score([[0.0], [1.0]], [0, 1]))
'''

TRIAL = '''import argparse

from sklearn.linear_model import SGDClassifier

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    model = SGDClassifier(learning_rate="constant", eta0=args.lr).fit([[0.0], [1.0]], [0, 1])
    print(f"loss={1 - model.score([[0.0], [1.0]], [0, 1]):.4f}")
'''

KATIB = '''apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: churn-search
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
  algorithm:
    algorithmName: random
  parameters:
    - name: lr
      parameterType: double
      feasibleSpace: {min: "0.001", max: "0.1"}
  trialTemplate:
    primaryContainerName: training-container
    trialParameters:
      - name: learningRate
        reference: lr
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            containers:
              - name: training-container
                image: registry.example.com/churn-trial:1.4.0
                command: [python3, /opt/churn/fit_trial.py, "--lr=${trialParameters.learningRate}"]
'''


def test_katib_trial_script_is_tracked_by_its_experiment(tmp_path: Path) -> None:
    """A script that a Katib Experiment runs as its trials is tracked by the experiment's metrics collector (objective
    per trial): beside a tracked training script it leaves no training run untracked. Without the Experiment the
    same script is an untracked training entry."""
    files = {"src/train.py": TRACKED_TRAIN, "tuning/fit_trial.py": TRIAL}
    bare = _found(_repo(tmp_path / "bare", files), "tracking.coverage", "tracking.coverage")
    assert bare and bare[0]["untracked"] == 1
    with_katib = _found(_repo(tmp_path / "katib", {**files, "tuning/experiment.yaml": KATIB}), "tracking.coverage", "tracking.coverage")
    assert with_katib == []


LAUNCHER = '''from sagemaker.estimator import Estimator


def run_training(role: str, image: str, train_uri: str) -> None:
    estimator = Estimator(image_uri=image, role=role, instance_type="ml.m5.xlarge", instance_count=1,
                          entry_point="train.py", source_dir="src")
    estimator.fit({"train": train_uri})


if __name__ == "__main__":
    run_training("arn:aws:iam::111122223333:role/sm", "sklearn-image", "s3://bucket/train/")
'''

UNTRACKED_TRAIN = '''from sklearn.linear_model import LogisticRegression

if __name__ == "__main__":
    LogisticRegression().fit([[0.0], [1.0]], [0, 1])
'''


def test_launcher_of_a_tracked_managed_training_script_is_tracked(tmp_path: Path) -> None:
    """A script that starts a managed training job (``entry_point="train.py"``) runs that script remotely: when the
    entry script logs to a tracker the launcher's run is tracked; when it does not, the launcher stays untracked."""
    tracked = _found(_repo(tmp_path / "tracked", {"src/train.py": TRACKED_TRAIN, "launch.py": LAUNCHER}), "tracking.coverage",
                     "tracking.coverage")
    assert tracked == []
    other = {"src/train.py": UNTRACKED_TRAIN, "launch.py": LAUNCHER, "jobs/tracked_job.py": TRACKED_TRAIN}
    untracked = _found(_repo(tmp_path / "untracked", other), "tracking.coverage", "tracking.coverage")
    assert untracked and untracked[0]["untracked"] >= 1


VERTEX_PIPELINE = '''from google_cloud_pipeline_components import aiplatform as gcc_aip
from kfp.v2 import dsl


@dsl.pipeline(name="churn-automl", pipeline_root="gs://churn-ml/pipeline-root")
def pipeline(project: str, bq_source: str = "bq://churn-ml.crm.customers"):
    data = gcc_aip.TabularDatasetCreateOp(project=project, display_name="customers", bq_source=bq_source)
    gcc_aip.AutoMLTabularTrainingJobRunOp(project=project, display_name="churn", optimization_prediction_type="classification",
                                          dataset=data.outputs["dataset"], target_column="churned")
'''

SUBMIT = '''from google.cloud import aiplatform
from kfp.v2 import compiler

from pipelines.train_pipeline import pipeline

if __name__ == "__main__":
    compiler.Compiler().compile(pipeline_func=pipeline, package_path="churn.json")
    aiplatform.PipelineJob(display_name="churn", template_path="churn.json", parameter_values={"project": "churn-ml"}).submit()
'''

SUBMIT_WORKFLOW = '''name: train
on:
  push:
    branches: [main]
jobs:
  submit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install google-cloud-aiplatform==1.38.0 kfp==1.8.22
      - run: python submit.py
'''


def test_vertex_dataset_step_versions_data_when_ci_submits_the_pipeline(tmp_path: Path) -> None:
    """A pipeline step that creates a Vertex managed dataset registers a data version on every run once an automated
    path submits the pipeline (CI runs a script that imports it); the same definition that nothing submits is a
    one-off."""
    files = {"pipelines/__init__.py": "", "pipelines/train_pipeline.py": VERTEX_PIPELINE, "submit.py": SUBMIT}
    by_hand = _found(_repo(tmp_path / "hand", files), "data.lineage_logged", "data.versioned_store")
    assert by_hand and by_hand[0].get("one_off") is True
    ci = _found(_repo(tmp_path / "ci", {**files, ".github/workflows/train.yml": SUBMIT_WORKFLOW}), "data.lineage_logged",
                "data.versioned_store")
    assert ci and not ci[0].get("one_off") and ci[0]["tool"] == "vertex"


def test_a_submitted_pipeline_module_named_outside_the_vocabulary_splits_no_file_again(tmp_path: Path) -> None:
    """The modules importing a pipeline definition are looked for by its name (data.lineage_logged): a name whose words
    no detector asks about is looked for in the text, not added to the scan's vocabulary (every file split again)."""
    from mlscan.vocabulary import harvest

    files = {"pipelines/__init__.py": "", "pipelines/zqxv_churn.py": VERTEX_PIPELINE,
             "submit.py": SUBMIT.replace("train_pipeline", "zqxv_churn"), ".github/workflows/train.yml": SUBMIT_WORKFLOW}
    index = FileIndex(resolve_target(str(_repo(tmp_path / "ci", files))))
    detectors = load_detectors({"data.lineage_logged"})
    index.register_vocabulary(sorted(harvest(detectors)))
    found = [dict(f.attrs) for f in run_detectors(index, detectors) if f.signal == "data.versioned_store"]
    assert found and not found[0].get("one_off") and found[0]["tool"] == "vertex"
    assert not index.late_needles
