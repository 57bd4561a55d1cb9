"""Scanner errors of session 14's final blind samples, part 2 (issue #13, session 15, branch accG), fixed generally from
the platforms' own docs and public samples: pytest run through a GitHub Actions matrix (M3), Helm/Kubernetes deploy actions
known by their inputs (M2), an orchestrator's run id is no code version (E3), a ZenML champion/challenger promotion (M4),
Databricks feature store clients registering a model (T2). Each case scans a small repository written the way the
platforms' samples write it; the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.ci.github import matrix_commands
from mlscan.facts.ci_vocab import deploy_inputs
from mlscan.facts.tracking import code_expr, other_outputs

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M3: a command written with matrix values

_MATRIX_CI = """\
name: CI
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        python: ["3.10", "3.11"]
        include:
          - task: {{name: lint, run: "ruff check ."}}
          - task: {{name: {name}, run: "{run}"}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python }}}}
      - run: pip install -e ".[dev]"
      - name: ${{{{ matrix.task.name }}}}
        run: ${{{{ matrix.task.run }}}}
"""
_TEST = """\
from mypkg.model import predict


def test_predict_returns_one_label_per_row():
    assert predict([[1.0, 2.0], [3.0, 4.0]]) == [0, 1]
"""
_MODEL = "def predict(rows):\n    return [int(r[0] > 2) for r in rows]\n"


def _m3(tmp_path: Path, name: str, run: str) -> dict:
    return _scan(tmp_path, {
        ".github/workflows/ci.yml": _MATRIX_CI.format(name=name, run=run),
        "pyproject.toml": '[project]\nname = "mypkg"\nversion = "0.1.0"\n',
        "mypkg/__init__.py": "", "mypkg/model.py": _MODEL, "tests/test_model.py": _TEST,
    })["M3"]


def test_m3_pytest_run_through_a_matrix_value(tmp_path: Path) -> None:
    m3 = _m3(tmp_path, "test", "pytest -q tests")
    assert m3["answer"] == "yes", m3
    assert (m3["evidence"][0]["path"], m3["evidence"][0]["line"]) == (".github/workflows/ci.yml", 20)


def test_m3_near_miss_matrix_values_that_run_no_tests(tmp_path: Path) -> None:
    assert _m3(tmp_path, "types", "mypy mypkg")["answer"] != "yes"


@pytest.mark.parametrize("cmd, matrix, expected", [
    ("${{ matrix.task.run }}", {"task": [{"run": "pytest"}, {"run": "ruff check ."}]}, ["pytest", "ruff check ."]),
    ("${{ matrix.task.run }}", {"os": ["ubuntu"], "include": [{"task": {"run": "pytest -x"}}]}, ["pytest -x"]),
    ("python${{ matrix.python }} -m pytest", {"python": ["3.10", 3.12]}, ["python3.10 -m pytest", "python3.12 -m pytest"]),
    ("tox -e ${{ matrix['tox-env'] }}", {"tox-env": ["py311", "lint"]}, ["tox -e py311", "tox -e lint"]),
    ("pytest --gpu=${{ matrix.gpu }}", {"gpu": [True]}, ["pytest --gpu=true"]),
    # a value the matrix does not give, or a computed matrix, stays as written
    ("${{ matrix.cmd }}", {"python": ["3.11"]}, ["${{ matrix.cmd }}"]),
    ("${{ matrix.cmd }}", "${{ fromJSON(needs.plan.outputs.matrix) }}", ["${{ matrix.cmd }}"]),
    ("${{ matrix.os == 'windows' && 'a' || 'b' }}", {"os": ["windows"]}, ["${{ matrix.os == 'windows' && 'a' || 'b' }}"]),
])
def test_matrix_commands(cmd: str, matrix: object, expected: list[str]) -> None:
    assert matrix_commands(cmd, matrix) == expected


def test_matrix_commands_are_bounded() -> None:
    many = {"a": [str(i) for i in range(20)], "b": [str(i) for i in range(20)]}
    assert len(matrix_commands("run ${{ matrix.a }} ${{ matrix.b }}", many)) == 32
