"""Orchestrator-run practice recognised in the forms the tools' own docs write them (see the detector fixtures for
the positive/near-miss trees); these cases pin the variants a fixture tree cannot hold beside its siblings."""

from __future__ import annotations

from pathlib import Path

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
