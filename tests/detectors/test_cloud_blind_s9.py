"""Recognisers found on the session-9 blind sample of cloud-platform and orchestrator repositories (issue #13): Kubeflow
Pipelines v1 pipelines whose steps share a volume and pass nothing (the Python definition and the Argo Workflow the
compiler writes) order steps without declaring lineage; a pinned dev/test requirements file does not make the project's
environment reproducible. Each case is scanned with and without the piece that makes it practice."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import ScanOptions, run_detectors, scan
from mlscan.index import FileIndex
from mlscan.model import Strength
from mlscan.plugins import load_detectors
from mlscan.report import build_report
from mlscan.target import resolve_target

from tests.conftest import git_repo

# KFP v1, as the SDK documents volumes (dsl.VolumeOp) and lightweight components: every step reads and writes files on
# the shared volume; the pipeline only orders them with .after()
KFP_VOLUME = '''import kfp
import kfp.dsl as dsl


def prepare():
    import pandas as pd
    pd.read_csv("raw.csv").dropna().to_csv("/data/clean.csv", index=False)


def train():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv("/data/clean.csv")
    LogisticRegression().fit(df.drop(columns=["y"]), df["y"])


prepare_op = kfp.components.create_component_from_func(prepare, base_image="python:3.10")
train_op = kfp.components.create_component_from_func(train, base_image="python:3.10")


@dsl.pipeline(name="volume-pipeline")
def volume_pipeline(data_path: str):
    vop = dsl.VolumeOp(name="shared", resource_name="shared", size="1Gi", modes=dsl.VOLUME_MODE_RWO)
    prepared = prepare_op().add_pvolumes({data_path: vop.volume})
    train_op().add_pvolumes({data_path: vop.volume}).after(prepared)
'''
# the same steps handing the data on as component inputs and outputs
KFP_IO = '''import kfp
import kfp.dsl as dsl
from kfp.components import InputPath, OutputPath


def prepare(raw: str, clean: OutputPath("CSV")):
    import pandas as pd
    pd.read_csv(raw).dropna().to_csv(clean, index=False)


def train(clean: InputPath("CSV")):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv(clean)
    LogisticRegression().fit(df.drop(columns=["y"]), df["y"])


prepare_op = kfp.components.create_component_from_func(prepare, base_image="python:3.10")
train_op = kfp.components.create_component_from_func(train, base_image="python:3.10")


@dsl.pipeline(name="io-pipeline")
def io_pipeline(raw: str):
    prepared = prepare_op(raw=raw)
    train_op(clean=prepared.outputs["clean"])
'''


def _argo(mount_only: bool) -> str:
    """An Argo Workflow as KFP v1 compiles a pipeline: the data_path parameter passed to each step, used as the
    volume's mount path (mount_only) or also in the training step's command."""
    use = "" if mount_only else ', "--data", "{{inputs.parameters.data_path}}"'
    return f'''apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: volume-pipeline-
spec:
  entrypoint: volume-pipeline
  arguments:
    parameters:
      - name: data_path
  templates:
    - name: volume-pipeline
      inputs:
        parameters:
          - name: data_path
      dag:
        tasks:
          - name: prepare
            template: prepare
            arguments:
              parameters:
                - {{name: data_path, value: "{{{{inputs.parameters.data_path}}}}"}}
          - name: train
            template: train
            dependencies: [prepare]
            arguments:
              parameters:
                - {{name: data_path, value: "{{{{inputs.parameters.data_path}}}}"}}
    - name: prepare
      inputs:
        parameters:
          - name: data_path
      container:
        image: python:3.10
        command: [python, prepare.py]
        volumeMounts:
          - {{mountPath: "{{{{inputs.parameters.data_path}}}}", name: shared}}
    - name: train
      inputs:
        parameters:
          - name: data_path
      container:
        image: python:3.10
        command: [python, train.py{use}]
        volumeMounts:
          - {{mountPath: "{{{{inputs.parameters.data_path}}}}", name: shared}}
'''


def _dags(tmp: Path, files: dict[str, str], detector: str) -> list[tuple[str, Strength, dict]]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [(f.evidence[0].path, f.strength, dict(f.attrs)) for f in run_detectors(index, load_detectors({detector}))
            if f.signal == "pipeline.dag"]


def test_kfp_steps_sharing_a_volume_only_order_steps(tmp_path: Path) -> None:
    [(path, strength, attrs)] = _dags(tmp_path, {"pipeline.py": KFP_VOLUME}, "kubeflow.pipeline")
    assert (path, strength, attrs["with_io"]) == ("pipeline.py", Strength.WEAK, False)


def test_kfp_steps_handing_data_on_declare_lineage(tmp_path: Path) -> None:
    [(path, strength, attrs)] = _dags(tmp_path, {"pipeline.py": KFP_IO}, "kubeflow.pipeline")
    assert (path, strength, attrs["with_io"]) == ("pipeline.py", Strength.MEDIUM, True)


def test_compiled_workflow_whose_data_parameter_is_only_a_mount_path_moves_no_data(tmp_path: Path) -> None:
    [(path, strength, attrs)] = _dags(tmp_path, {"pipeline.yaml": _argo(mount_only=True)}, "argo.workflow")
    assert (path, strength, attrs.get("raw_input")) == ("pipeline.yaml", Strength.WEAK, False)


def test_compiled_workflow_whose_step_reads_the_data_parameter_moves_data(tmp_path: Path) -> None:
    [(path, strength, attrs)] = _dags(tmp_path, {"pipeline.yaml": _argo(mount_only=False)}, "argo.workflow")
    assert (path, strength, "raw_input" in attrs) == ("pipeline.yaml", Strength.MEDIUM, False)


def _e4(tmp: Path, files: dict[str, str]) -> str:
    repo = git_repo(tmp, files)  # type: ignore[arg-type]
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return next(q["answer"] for q in report["questions"] if q["id"] == "E4")


def test_pinned_dev_requirements_do_not_pin_the_project(tmp_path: Path) -> None:
    files = {"requirements.txt": "aws-cdk-lib==2.90.0\nconstructs>=10.0.0,<11.0.0\nsagemaker>=2.173.0\nboto3\n",
             "requirements-dev.txt": "pytest==6.2.5\n", "app.py": "import aws_cdk as cdk\n"}
    assert _e4(tmp_path / "dev", files) == "partial"
    files["requirements.txt"] = "aws-cdk-lib==2.90.0\nconstructs==10.2.69\nsagemaker==2.173.0\nboto3==1.28.25\n"
    assert _e4(tmp_path / "main", files) == "yes"
