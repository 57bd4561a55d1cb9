"""Session 16 (issue #12, real repositories): checks that answer the same with less work. The evidence pass derives a
notebook's code lines once per scan however large its JSON (a parse cache weighed by the JSON pushed them out, and each
item citing the notebook read it again). (The bytes contains() keeps: tests/index/test_index.py; one expansion of a
command shared by the jobs that run it: tests/facts/test_commands.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from mlscan.evidence import _notebook_lines
from mlscan.index import FileIndex
from mlscan.index.lru import Lru
from mlscan.target import resolve_target

from .conftest import git_repo


def _notebook(code: list[str], outputs: int) -> str:
    big = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * outputs}]
    return json.dumps({"cells": [{"cell_type": "code", "source": code, "metadata": {}, "outputs": big, "execution_count": 1}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_notebook_lines_are_derived_once_per_scan_whatever_the_json_weighs(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, {"a.ipynb": _notebook(["import mlflow\n", "mlflow.log_metric('x', 1)"], 2000),
                               "b.ipynb": _notebook(["import wandb\n", "wandb.log({'x': 1})"], 2000)})
    index = FileIndex(resolve_target(str(repo)))
    reads: list[str] = []
    real = index.text
    index.text = lambda path, keep=True: reads.append(path) or real(path, keep)  # type: ignore[method-assign]
    first = {p: _notebook_lines(index, p) for p in ("a.ipynb", "b.ipynb")}
    assert first["a.ipynb"][0] == ["import mlflow", "mlflow.log_metric('x', 1)"]
    n = len(reads)
    index._parsed = Lru(1)  # every parse and file memo pushed out (two notebooks of 2 MB of outputs each did that)
    for _ in range(3):
        assert {p: _notebook_lines(index, p) for p in ("a.ipynb", "b.ipynb")} == first
    assert len(reads) == n  # nothing read again


def test_notebook_lines_of_a_changed_scan_are_its_own(tmp_path: Path) -> None:
    # near miss: another scan (another index) of an edited notebook derives its lines again
    repo = git_repo(tmp_path, {"a.ipynb": _notebook(["import mlflow\n"], 1)})
    assert _notebook_lines(FileIndex(resolve_target(str(repo))), "a.ipynb")[0] == ["import mlflow"]
    (repo / "a.ipynb").write_text(_notebook(["import wandb\n", "wandb.init()"], 1))
    assert _notebook_lines(FileIndex(resolve_target(str(repo))), "a.ipynb")[0] == ["import wandb", "wandb.init()"]
