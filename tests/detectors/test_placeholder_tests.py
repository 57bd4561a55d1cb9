"""M3: tests that assert nothing of the project's code are no tests. A template's generated tests are often placeholders:
``pass``, ``...``, ``assert True``, ``assert 1 == 1`` (already read as asserting nothing) and the construction smoke
test ``dataset = MyDataset("data/raw"); assert isinstance(dataset, Dataset)``, which holds for any new object whatever
its class's code does (as ``dataset is not None``, ``self.assertIsInstance(model, nn.Module)`` do). Near misses: an
assertion on what the object holds or returns (``len(dataset)``, ``isinstance(model(x), Tensor)``), on a fixture's value,
or on a name also bound to a function's result."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from mlscan.detectors.ci_tests import _checks_nothing, constructed_names

from tests.test_evidence_deciding import _scan

_CI = """\
    name: tests
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: pytest tests/
    """
_SRC = """\
    from sklearn.linear_model import LinearRegression


    class MyDataset:
        def __init__(self, path):
            self.path = path

        def __len__(self):
            return 0


    def train(X, y):
        return LinearRegression().fit(X, y)
    """


def _m3(tmp_path: Path, test: str, prefix: str = "") -> str:
    files = {f"{prefix}.github/workflows/ci.yml": _CI, f"{prefix}src/data.py": _SRC, f"{prefix}src/__init__.py": "",
             f"{prefix}tests/test_data.py": test, f"{prefix}requirements.txt": "scikit-learn==1.3.0\n"}
    return str(_scan(tmp_path, files)["M3"]["answer"])


_PLACEHOLDERS = [
    "def test_x():\n    pass\n",
    "def test_x():\n    ...\n",
    "def test_x():\n    assert True\n",
    "def test_x():\n    assert 1 == 1\n",
    # the construction smoke test of a template (cookiecutter's generated tests/test_data.py)
    "from src.data import MyDataset\n\n\ndef test_my_dataset():\n    dataset = MyDataset('data/raw')\n    assert isinstance(dataset, MyDataset)\n",
    "from src.data import MyDataset\n\n\ndef test_my_dataset():\n    dataset = MyDataset('data/raw')\n    assert dataset is not None\n",
    ("import unittest\n\nfrom src.data import MyDataset\n\n\nclass T(unittest.TestCase):\n    def test_x(self):\n"
     "        ds = MyDataset('data/raw')\n        self.assertIsInstance(ds, MyDataset)\n        self.assertIsNotNone(ds)\n"),
]


@pytest.mark.parametrize("test", _PLACEHOLDERS)
def test_placeholder_tests_run_in_ci_are_no_m3(tmp_path: Path, test: str) -> None:
    assert _m3(tmp_path, test) != "yes"


def test_a_templates_placeholder_tests_are_no_m3(tmp_path: Path) -> None:
    test = ("from {{ cookiecutter.project_name }}.data import MyDataset\n\n\ndef test_my_dataset():\n"
            "    dataset = MyDataset('data/raw')\n    assert isinstance(dataset, MyDataset)\n")
    files = {"cookiecutter.json": '{"repo_name": "proj", "project_name": "src"}\n', "{{ cookiecutter.repo_name }}/tests/test_model.py": ""}
    qs = _scan(tmp_path, {**files, **{f"{{{{ cookiecutter.repo_name }}}}/{k}": v for k, v in {
        ".github/workflows/ci.yml": _CI, "src/data.py": _SRC, "src/__init__.py": "", "tests/test_data.py": test,
        "requirements.txt": "scikit-learn==1.3.0\n"}.items()}})
    assert qs["M3"]["answer"] != "yes"


_REAL = [
    "from src.data import MyDataset\n\n\ndef test_len():\n    dataset = MyDataset('data/raw')\n    assert len(dataset) == 0\n",
    "from src.data import MyDataset\n\n\ndef test_path():\n    dataset = MyDataset('data/raw')\n    assert dataset.path == 'data/raw'\n",
    "from src.data import train\n\n\ndef test_fit():\n    model = train([[1], [2]], [1, 2])\n    assert model.coef_[0] > 0\n",
]


@pytest.mark.parametrize("test", _REAL)
def test_tests_of_the_projects_code_run_in_ci_are_m3(tmp_path: Path, test: str) -> None:
    assert _m3(tmp_path, test) == "yes"


def _nothing(src: str) -> bool:
    tree = ast.parse(textwrap.dedent(src))
    made = constructed_names(tree)
    checks = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    return all(_checks_nothing(n, "", frozenset(), made) for n in checks)


@pytest.mark.parametrize(("src", "nothing"), [
    ("m = Net()\nassert isinstance(m, nn.Module)\n", True),
    ("m = nn.Linear(2, 1)\nassert m\n", True),
    ("m = Net()\nassert isinstance(m(x), torch.Tensor)\n", False),  # what the model returns
    ("def test(m):\n    assert isinstance(m, Net)\n", False),  # a fixture's value
    ("m = Net()\nm = build()\nassert isinstance(m, Net)\n", False),  # also a function's result
    ("m = build()\nassert m is not None\n", False),  # a factory may return None
    ("for m in [Net()]:\n    assert isinstance(m, Net)\n", False),
    ("X = CONFIG()\nassert X\n", False),  # an all-capitals callee is no class by convention
])
def test_construction_smoke_assertions(src: str, nothing: bool) -> None:
    assert _nothing(src) is nothing
