"""prefect.flow reads a Python file that cannot define a flow (its text names neither ``flow`` nor ``Flow``) only when it
may define a task some flow calls: its task names count only then."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

_PIPELINE = ("from prefect import flow\nfrom steps import extract, train_model\n\n\n@flow\ndef training_pipeline():\n"
             "    data = extract()\n    model = train_model(data)\n    return model\n")
_STEPS = ("from prefect import task\n\n\n@task\ndef extract():\n    return [1, 2]\n\n\n"
          "@task\ndef train_model(data):\n    return sum(data)\n")


def _dag(tmp_path: Path, files: dict[str, str]) -> tuple[FileIndex, list[tuple[str, int]]]:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(ix, load_detectors({"prefect.flow"}), 1)
    return ix, [(f.attrs["flow"], f.attrs["steps"]) for f in found if f.signal == "pipeline.dag"]


def test_tasks_of_a_flowless_module_that_a_flow_calls_count(tmp_path: Path) -> None:
    ix, dags = _dag(tmp_path, {"pipeline.py": _PIPELINE, "steps.py": _STEPS,
                               "util.py": "import prefect\n\n\ndef helper():\n    return prefect.__version__\n"})
    assert dags == [("training_pipeline", 2)]  # both steps are tasks of steps.py, which names no flow
    assert ("steps.py", "python") in ix.parse_counts
    assert ("util.py", "python") not in ix.parse_counts  # defines nothing a flow calls: not read


def test_a_flowless_module_is_not_read_when_no_flow_calls_anything(tmp_path: Path) -> None:
    ix, dags = _dag(tmp_path, {"steps.py": _STEPS, "other.py": "import prefect\nextract = prefect.task(print)\n"})
    assert dags == []
    assert ("steps.py", "python") not in ix.parse_counts and ("other.py", "python") not in ix.parse_counts
