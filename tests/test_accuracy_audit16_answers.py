"""Wrong answers of a blind evidence audit (issue #13, session 12, audit16), fixed generally: a CI test that only imports
the package is no test of the ML code (M3); a DVC train stage that reads no data, whose output only feeds its evaluation,
declares no raw-to-model lineage (D3); a tox test environment onboards nobody (T1); one pinned tool while the model
libraries the code imports are declared nowhere does not pin the environment (E4). Each case scans a small repository;
the near miss checks the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _scan

# ---------------------------------------------------------------- M3: an import smoke test

_CI = """\
    on: {push: {branches: [main]}, pull_request: {}}
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pip install -r requirements.txt
          - run: pytest tests
    """
_TRAIN = """\
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def fit(frame: pd.DataFrame) -> LogisticRegression:
        return LogisticRegression().fit(frame[["x"]], frame["y"])
    """
_PROJECT = {".github/workflows/ci.yml": _CI, "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\npytest==8.2.0\n",
            "src/churn/__init__.py": "", "src/churn/train.py": _TRAIN}

_IMPORT_ONLY = """\
    import importlib
    import unittest

    import churn.train
    from churn import train


    def test_import_package_root() -> None:
        mod = importlib.import_module("churn")
        assert mod is not None


    def test_train_module_loads() -> None:
        assert churn.train is not None and train


    class ImportTest(unittest.TestCase):
        def test_loads(self) -> None:
            self.assertIsNotNone(importlib.import_module("churn.train"))
    """
_REAL = """\
    import pandas as pd

    from churn import train


    def test_fit_separates_classes() -> None:
        frame = pd.DataFrame({"x": [0.0, 0.1, 0.9, 1.0], "y": [0, 0, 1, 1]})
        assert train.fit(frame).score(frame[["x"]], frame["y"]) == 1.0
    """


def test_a_ci_test_that_only_imports_the_package_tests_nothing(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {**_PROJECT, "tests/test_imports.py": _IMPORT_ONLY})
    assert qs["M3"]["answer"] != "yes"


def test_a_ci_test_that_runs_the_imported_code_is_a_test(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {**_PROJECT, "tests/test_imports.py": _IMPORT_ONLY, "tests/test_train.py": _REAL})
    assert qs["M3"]["answer"] == "yes"
    assert qs["M3"]["evidence"][0]["path"] == ".github/workflows/ci.yml"


# ---------------------------------------------------------------- D3: a model passed to its evaluation

_DVC = """\
    stages:
      train:
        cmd: python -m churn.train hydra.run.dir=outputs/train
        deps:
        - config/
        - src/churn/
        - pyproject.toml
        - data/README.md
        outs:
        - outputs/train
      evaluate:
        cmd: python -m churn.evaluate outputs/train
        deps:
        - src/churn/
        - outputs/train
        outs:
        - outputs/evaluate
      download:
        cmd: kaggle datasets download -d acme/churn -p data/raw && unzip -o data/raw/churn.zip -d data/raw/churn
        outs:
        - data/raw/churn
    """
_DVC_PROJECT = {"dvc.yaml": _DVC, "config/train.yaml": "epochs: 3\n", "src/churn/__init__.py": "", "src/churn/train.py": _TRAIN,
                "src/churn/evaluate.py": "import sys\nprint(sys.argv[1])\n", "pyproject.toml": "[project]\nname = 'churn'\n",
                "data/README.md": "# Data\nRun `dvc repro download`.\n"}


def test_a_train_stage_that_reads_no_data_declares_no_raw_to_model_lineage(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _DVC_PROJECT)
    assert qs["D3"]["answer"] != "yes"


def test_a_train_stage_that_reads_the_downloaded_data_declares_lineage(tmp_path: Path) -> None:
    dvc = _DVC.replace("    - data/README.md\n", "    - data/raw/churn\n")
    qs = _scan(tmp_path, {**_DVC_PROJECT, "dvc.yaml": dvc})
    assert qs["D3"]["answer"] == "yes"
    assert qs["D3"]["evidence"][0]["path"] == "dvc.yaml"


def test_a_train_stage_that_reads_untracked_input_data_declares_lineage(tmp_path: Path) -> None:
    dvc = _DVC.replace("    - data/README.md\n", "    - data/customers.csv\n")
    qs = _scan(tmp_path, {**_DVC_PROJECT, "dvc.yaml": dvc})
    assert qs["D3"]["answer"] == "yes"


# ---------------------------------------------------------------- T1: a tox test environment

_TOX = """\
    [tox]
    envlist = py311

    [testenv]
    commands =
        pytest --cov=pipelines {posargs}
    deps = .[test]
    """
_LAYOUT_README = """\
    # Churn pipelines

    The layout of this repository:

    - `pipelines/`: the training pipeline definition
    - `tests/`: unit tests
    """
_TOX_PROJECT = {"tox.ini": _TOX, "README.md": _LAYOUT_README, "pipelines/__init__.py": "", "pipelines/train.py": _TRAIN,
                "setup.py": "from setuptools import setup\nsetup(name='pipelines', extras_require={'test': ['pytest']})\n"}


def test_a_tox_test_environment_is_no_onboarding(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _TOX_PROJECT)
    assert qs["T1"]["answer"] != "yes"


def test_a_task_runner_with_set_up_and_train_targets_is_onboarding(tmp_path: Path) -> None:
    makefile = "setup:\n\tpip install -e .[test]\n\ntrain:\n\tpython -m pipelines.train\n\ntest:\n\ttox\n"
    qs = _scan(tmp_path, {**_TOX_PROJECT, "Makefile": makefile})
    assert qs["T1"]["answer"] == "yes"
    assert qs["T1"]["evidence"][0]["path"] == "Makefile"


# ---------------------------------------------------------------- E4: one pinned tool, the model libraries declared nowhere

_DATABRICKS_TRAIN = """\
    import mlflow
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.model_selection import train_test_split

    if __name__ == "__main__":
        frame = pd.read_csv("/dbfs/data/sales.csv")
        x_train, x_test, y_train, y_test = train_test_split(frame.drop(columns="y"), frame["y"])
        with mlflow.start_run():
            model = RandomForestRegressor().fit(x_train, y_train)
            mlflow.log_metric("r2", model.score(x_test, y_test))
    """
_PIN_PROJECT = {"requirements.txt": "mlflow==1.8.0\n", "pipeline/train/train_model.py": _DATABRICKS_TRAIN}


def test_one_pinned_tool_with_the_model_library_declared_nowhere_does_not_pin_the_environment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _PIN_PROJECT)
    assert qs["E4"]["answer"] == "partial"


def test_pins_that_declare_the_model_library_pin_the_environment(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {**_PIN_PROJECT, "requirements.txt": "mlflow==1.8.0\npandas==1.0.3\nscikit-learn==0.22.2\n"})
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"] == "requirements.txt"


def test_a_model_library_declared_in_another_manifest_counts(tmp_path: Path) -> None:
    setup = "from setuptools import setup\nsetup(name='sales', install_requires=['scikit-learn', 'pandas'])\n"
    qs = _scan(tmp_path, {**_PIN_PROJECT, "setup.py": setup})
    assert qs["E4"]["answer"] == "yes"
