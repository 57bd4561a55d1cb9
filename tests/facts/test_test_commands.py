"""Which files a test command runs (``ops.pytest_targets`` + ``ops.covered_by``), shared by every detector that asks
whether CI runs a file through a test runner."""

from __future__ import annotations

import pytest
from mlscan.facts import ops


@pytest.mark.parametrize(("cmd", "vpath", "runs"), [
    ("pytest tests", "tests/test_data.py", True),
    ("pytest tests", "src/train.py", False),
    ("python -m pytest", "anything/test_x.py", True),
    # a test runner collects notebooks only through a plugin that executes them
    ("pytest tutorials", "tutorials/ge/validate.ipynb", False),
    ("pytest --nbmake tutorials", "tutorials/ge/validate.ipynb", True),
    ("pytest --nbval-lax notebooks", "notebooks/check.ipynb", True),
    ("pytest --nbval notebooks", "tutorials/check.ipynb", False),  # another folder
])
def test_what_a_test_command_runs(cmd: str, vpath: str, runs: bool) -> None:
    targets = ops.pytest_targets(cmd)
    assert targets is not None
    assert ops.covered_by(vpath, targets, cmd) is runs


def test_a_command_that_is_no_test_run() -> None:
    assert ops.pytest_targets("python train.py") is None
