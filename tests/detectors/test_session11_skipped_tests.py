"""M3: a CI test step whose every assertion sits in a test that never runs tests nothing (issue #13, item 7). Always
skipped: ``@pytest.mark.skip``, ``@unittest.skip``, ``pytestmark``, a body opening with ``pytest.skip``, and
``skipif(not os.path.exists(P))`` on a path no file of the repository, DVC output or CI command provides. Near misses:
the same marks on a path the repository (or the job) has, and conditions that hold on some machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

WORKFLOW = """name: Run tests
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          pip install -r requirements.txt
{extra}          pytest -v
"""
INIT = '''import os

_TEST_ROOT = os.path.dirname(__file__)
_PROJECT_ROOT = os.path.dirname(_TEST_ROOT)
_PATH_DATA = os.path.join(_PROJECT_ROOT, "{folder}")
'''
TEST_DATA = '''import os

import pandas as pd
import pytest

from tests import _PATH_DATA


@pytest.mark.skipif(not os.path.exists(_PATH_DATA), reason="Data files not found")
def test_data():
    train = pd.read_csv(_PATH_DATA + "/raw/train.csv")
    assert train.shape[1] == 3
'''
TEST_TRUE = "def test_model():\n    assert True\n"


def _asserts(tmp: Path, files: dict[str, str]) -> bool:
    repo = git_repo(tmp, {"requirements.txt": "pandas==2.2.2\npytest==8.2.0\n", **files}, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    found = [f for f in run_detectors(index, load_detectors({"ci.tests"})) if f.signal == "ci.tests"]
    assert len(found) == 1
    return bool(found[0].attrs["asserts"])


def _repo(folder: str, extra: str = "", more: dict[str, str] | None = None) -> dict[str, str]:
    return {".github/workflows/tests.yml": WORKFLOW.format(extra=extra), "tests/__init__.py": INIT.format(folder=folder),
            "tests/test_data.py": TEST_DATA, "tests/test_model.py": TEST_TRUE, **(more or {})}


def test_skipif_on_a_path_nothing_provides_tests_nothing(tmp_path: Path) -> None:
    # the path is built in tests/__init__.py; the repository tracks `data` (DVC), not `Data`, and CI pulls nothing
    assert not _asserts(tmp_path, _repo("Data", more={"data.dvc": "outs:\n- md5: 1.dir\n  path: data\n"}))


def test_skipif_on_a_path_the_repository_has_tests(tmp_path: Path) -> None:
    assert _asserts(tmp_path, _repo("data", more={"data/raw/train.csv": "a,b,c\n1,2,3\n"}))


def test_skipif_on_a_path_the_job_pulls_or_makes_tests(tmp_path: Path) -> None:
    dvc = {"data.dvc": "outs:\n- md5: 1.dir\n  path: data\n"}
    assert _asserts(tmp_path / "a", _repo("data", extra="          dvc pull\n", more=dvc))
    assert _asserts(tmp_path / "b", _repo("Data", extra="          python scripts/download.py --out Data\n"))


@pytest.mark.parametrize("test", [
    "import pytest\n\n@pytest.mark.skip(reason='todo')\ndef test_x():\n    assert run(1) == 2\n",
    "import unittest\n\nclass T(unittest.TestCase):\n    @unittest.skip('later')\n    def test_x(self):\n        self.assertEqual(run(1), 2)\n",
    "import pytest\n\npytestmark = pytest.mark.skip('broken')\n\ndef test_x():\n    assert run(1) == 2\n",
    "import pytest\n\ndef test_x():\n    '''todo'''\n    pytest.skip('not ready')\n    assert run(1) == 2\n",
    "import pytest\n\n@pytest.mark.skipif(True, reason='off')\ndef test_x():\n    assert run(1) == 2\n",
    "import os\nimport pytest\n\nneeds = pytest.mark.skipif(not os.path.isdir('artifacts/models'), reason='no model')\n\n"
    "@needs\ndef test_x():\n    assert run(1) == 2\n",
])
def test_always_skipped_tests_test_nothing(tmp_path: Path, test: str) -> None:
    files = {".github/workflows/tests.yml": WORKFLOW.format(extra=""), "tests/test_x.py": test}
    assert not _asserts(tmp_path, files)


@pytest.mark.parametrize("test", [
    "import sys\nimport pytest\n\n@pytest.mark.skipif(sys.platform == 'win32', reason='posix')\ndef test_x():\n    assert run(1) == 2\n",
    "import pytest\n\n@pytest.mark.skipif(\"sys.platform == 'win32'\")\ndef test_x():\n    assert run(1) == 2\n",
    "import os\nimport pytest\n\n@pytest.mark.skipif(not os.getenv('CI'), reason='CI only')\ndef test_x():\n    assert run(1) == 2\n",
    "import pytest\n\n@pytest.mark.skip(reason='slow')\ndef test_slow():\n    assert run(2) == 3\n\ndef test_x():\n    assert run(1) == 2\n",
    "from pathlib import Path\nimport pytest\n\n@pytest.mark.skipif(not Path('src/app.py').exists(), reason='x')\ndef test_x():\n    assert run(1) == 2\n",
])
def test_tests_that_run_somewhere_still_test(tmp_path: Path, test: str) -> None:
    files = {".github/workflows/tests.yml": WORKFLOW.format(extra=""), "tests/test_x.py": test, "src/app.py": "def run(x):\n    return x + 1\n"}
    assert _asserts(tmp_path, files)
