"""Azure ML job and component YAML as wiring roots: the scripts a submitted job runs are on an automated path."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from mlscan.facts.wiring import wiring
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import make_repo


def _index(tmp_path: Path, files: dict[str, str]) -> FileIndex:
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(dedent(text))
    return FileIndex(resolve_target(str(make_repo(src, tmp_path / "repo"))))


def test_pipeline_job_commands_reach_the_scripts_they_run(tmp_path: Path) -> None:
    index = _index(tmp_path, {
        "azureml/training-job.yml": """\
            $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
            type: pipeline
            jobs:
              clean:
                command: >-
                  python -m src.data.clean
                  data.raw=${{inputs.raw_data}}/raw.parquet
                code:
                  local_path: ../.
              train:
                command: python train.py --data ${{inputs.clean}}
                code: ../src/models
            """,
        "components/evaluate.yml": """\
            $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
            type: command
            code: ../src/models
            command: python evaluate.py --model ${{inputs.model}}
            """,
        "src/__init__.py": "", "src/data/__init__.py": "",
        "src/data/clean.py": "print('clean')\n",
        "src/models/train.py": "print('train')\n",
        "src/models/evaluate.py": "print('evaluate')\n",
        "src/models/notes.py": "print('not run by any job')\n",
        # the same layout without an Azure ML schema is not a job definition
        "other/job.yml": "command: python ../src/models/notes.py\n",
    })
    w = wiring(index)
    assert w.automated("src/data/clean.py")
    assert w.automated("src/models/train.py")
    assert w.automated("src/models/evaluate.py")
    assert not w.automated("src/models/notes.py")
    assert w.of("src/models/train.py").chain[0] == "azureml job azureml/training-job.yml:11"
