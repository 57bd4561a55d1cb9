"""An Azure ML data asset at an explicit version passed as a training job's input (session 12, issue #13): Azure ML v2
data assets are versioned, and a job whose input is ``azureml:<name>:<version>`` (``Input(path=...)``, or the CLI's
``az ml job create --set inputs.<name>.path=...``) records which registered data version it trained on, even when the
version is worked out before submitting. Near misses: ``@latest``, a datastore path (``azureml://datastores/...``), and
a pinned reference that is only printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

CLI = """\
import subprocess


def submit(data_name: str, version: str, pipeline_file: str) -> None:
    uri = {ref}
    print(f"MLTable: {{uri}}")
    cmd = ["az", "ml", "job", "create", "--file", pipeline_file,
           "--set", {setting}]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    submit("sensor_training_data", "3", "pipelines/train.yml")
"""

SDK = """\
from azure.ai.ml import Input, MLClient, command
from azure.identity import DefaultAzureCredential

ml_client = MLClient.from_config(DefaultAzureCredential())
name, version = "credit-data", "4"
job = command(
    code="./src",
    command="python train.py --data ${{{{inputs.data}}}}",
    inputs={{"data": Input(type="uri_file", path={ref})}},
    environment="azureml:sklearn-env:1",
)
ml_client.jobs.create_or_update(job)
"""


def _data(tmp: Path, files: dict[str, str]) -> list[tuple[str, dict]]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [(f.evidence[0].path, dict(f.attrs)) for f in run_detectors(index, load_detectors({"data.lineage_logged"}))
            if f.signal == "data.version_logged"]


@pytest.mark.parametrize(("ref", "setting", "pinned"), [
    ('f"azureml:{data_name}:{version}"', "f'inputs.training_data.path={uri}'", True),
    ('"azureml:sensor_training_data:3"', "f'inputs.training_data.path={uri}'", True),
    ('f"azureml:{data_name}@latest"', "f'inputs.training_data.path={uri}'", False),
    ('"azureml://datastores/workspaceblobstore/paths/mltable/"', "f'inputs.training_data.path={uri}'", False),
    ('f"azureml:{data_name}:{version}"', "f'tags.data={data_name}'", False),  # the pinned reference is only printed
])
def test_a_cli_job_input_at_a_data_asset_version(tmp_path: Path, ref: str, setting: str, pinned: bool) -> None:
    found = _data(tmp_path, {"scripts/submit_training_jobs.py": CLI.format(ref=ref, setting=setting)})
    assert [(p, a["tool"], a.get("how")) for p, a in found] == ([("scripts/submit_training_jobs.py", "azureml", "job-input")] if pinned else [])


@pytest.mark.parametrize(("ref", "pinned"), [('f"azureml:{name}:{version}"', True), ('f"azureml:{name}@latest"', False)])
def test_an_sdk_job_input_at_a_data_asset_version(tmp_path: Path, ref: str, pinned: bool) -> None:
    found = _data(tmp_path, {"train_job.py": SDK.format(ref=ref)})
    assert bool(found) is pinned
