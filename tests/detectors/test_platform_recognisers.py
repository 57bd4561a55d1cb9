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
