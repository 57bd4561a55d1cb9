"""D4: data validation that runs on load or in the pipeline's own stage (issue #13). A Kedro catalog entry whose
``metadata: pandera: schema`` kedro-pandera validates whenever ``kedro run`` loads it for a training node (the plugin a
core dependency), Kedro's own ``validator:``, and a raw-data validation stage that quarantines failing files and raises
when none is valid. Near misses: the plugin not installed, a dataset only a scoring pipeline loads, a stage that moves
files without looking at them or never raises."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

CATALOG = """companies:
  type: pandas.CSVDataset
  filepath: data/01_raw/companies.csv

model_input_table:
  type: pandas.ParquetDataset
  filepath: data/03_primary/model_input_table.parquet
  metadata:
    pandera:
      schema: ${pa.python:spaceflights.schemas.ModelInputTableSchema}

new_model_input_table:
  type: pandas.ParquetDataset
  filepath: data/03_primary/new_model_input_table.parquet
  metadata:
    pandera:
      schema: ${pa.python:spaceflights.schemas.ModelInputTableSchema}
"""
SCHEMA = """import pandera.pandas as pa
from pandera.typing import Series


class ModelInputTableSchema(pa.DataFrameModel):
    shuttle_id: Series[int] = pa.Field(unique=True)
    passenger_capacity: Series[int] = pa.Field(ge=0, le=20)
"""
TRAINING = """from kedro.pipeline import Pipeline, node, pipeline

from .nodes import evaluate_model, split_data, train_model


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(func=split_data, inputs=["model_input_table", "params:model_options"], outputs=["X_train", "X_test", "y_train", "y_test"]),
        node(func=train_model, inputs=["X_train", "y_train"], outputs="regressor"),
        node(func=evaluate_model, inputs=["regressor", "X_test", "y_test"], outputs=None),
    ])
"""
SCORING = """from kedro.pipeline import Pipeline, node, pipeline

from .nodes import predict


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([node(predict, ["regressor", "new_model_input_table"], "predictions")])
"""
PYPROJECT = """[project]
name = "spaceflights"
version = "0.1"
dependencies = ["kedro~=0.19.13", "kedro-datasets[pandas-parquetdataset]>=3.0", "scikit-learn~=1.5.1"{extra}]
"""


def _validation(tmp: Path, files: dict[str, str]) -> list[dict]:
    repo = git_repo(tmp, files, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [{**f.attrs, "path": f.evidence[0].path, "line": f.evidence[0].line}
            for f in run_detectors(index, load_detectors({"data.validation"})) if f.signal == "data.validation"]


def _kedro(extra: str) -> dict[str, str]:
    return {"pyproject.toml": PYPROJECT.format(extra=extra), "conf/base/catalog.yml": CATALOG,
            "src/spaceflights/schemas.py": SCHEMA, "src/spaceflights/pipelines/data_science/pipeline.py": TRAINING,
            "src/spaceflights/pipelines/inference/pipeline.py": SCORING}


def test_kedro_pandera_catalog_schema_validates_training_input(tmp_path: Path) -> None:
    found = {f["dataset"]: f for f in _validation(tmp_path, _kedro(', "kedro-pandera>=0.2.3"')) if f["tool"] == "kedro-pandera"}
    assert found["model_input_table"]["automated"] and found["model_input_table"]["before_training"]
    assert (found["model_input_table"]["path"], found["model_input_table"]["line"]) == ("conf/base/catalog.yml", 9)
    # a dataset only the scoring pipeline loads is scoring data
    assert not found["new_model_input_table"]["automated"] and found["new_model_input_table"]["scoring_data"]


def test_kedro_native_validator(tmp_path: Path) -> None:
    files = _kedro(', "kedro[pandera-pandas]>=1.1"')
    files["conf/base/catalog.yml"] = ("model_input_table:\n  type: pandas.ParquetDataset\n  filepath: data/03_primary/m.parquet\n"
                                      "  validator: spaceflights.schemas.ModelInputTableSchema\n")
    found = [f for f in _validation(tmp_path, files) if f["tool"] == "kedro-validator"]
    assert len(found) == 1 and found[0]["automated"] and found[0]["line"] == 4


def test_kedro_pandera_not_installed_validates_nothing(tmp_path: Path) -> None:
    found = [f for f in _validation(tmp_path, _kedro("")) if f["tool"] == "kedro-pandera"]
    assert found and not any(f["automated"] for f in found) and all(f.get("install_gated") for f in found)


STAGE = '''import os
import re
import shutil

import pandas as pd


class DataValidation:
    def __init__(self, cfg):
        self.cfg = cfg

    def validate_raw_fname(self, regex: str) -> None:
        for fname in os.listdir(self.cfg.raw_dir):
            if re.match(regex, fname):
                shutil.copy(os.path.join(self.cfg.raw_dir, fname), self.cfg.valid_data_dir)
            else:
                shutil.copy(os.path.join(self.cfg.raw_dir, fname), self.cfg.invalid_data_dir)

    def validate_col_length(self, n_columns: int) -> None:
        for fname in os.listdir(self.cfg.valid_data_dir):
            path = os.path.join(self.cfg.valid_data_dir, fname)
            if pd.read_csv(path).shape[1] != n_columns:
                shutil.move(path, self.cfg.invalid_data_dir)

    def initiate_data_validation(self) -> str:
        self.validate_raw_fname(self.cfg.regex)
        self.validate_col_length(self.cfg.n_columns)
        if not os.listdir(self.cfg.valid_data_dir):
            raise Exception("No valid data files are found")
        return self.cfg.valid_data_dir
'''
TRAIN = '''from pipeline.data_validation import DataValidation
from sklearn.linear_model import LogisticRegression
import pandas as pd


def main() -> None:
    folder = DataValidation(load_config()).initiate_data_validation()
    df = pd.read_csv(folder + "/merged.csv")
    LogisticRegression().fit(df.drop(columns="y"), df["y"])


if __name__ == "__main__":
    main()
'''
WORKFLOW = """on:
  workflow_dispatch:
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python train.py
"""


def _stage(tmp: Path, stage: str) -> list[dict]:
    files = {"pipeline/__init__.py": "", "pipeline/data_validation.py": stage, "train.py": TRAIN,
             ".github/workflows/train.yml": WORKFLOW, "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.1\n"}
    return [f for f in _validation(tmp, files) if f["tool"] == "custom"]


def test_quarantining_validation_stage_that_raises(tmp_path: Path) -> None:
    found = _stage(tmp_path, STAGE)
    assert len(found) == 1 and found[0]["automated"] and found[0]["line"] == 14  # the test that moves a failing file aside


def test_quarantine_without_a_raise_or_without_a_look_is_no_check(tmp_path: Path) -> None:
    no_raise = STAGE.replace('            raise Exception("No valid data files are found")\n', "            return ''\n")
    assert _stage(tmp_path / "a", no_raise) == []
    blind = STAGE.replace("if pd.read_csv(path).shape[1] != n_columns:", "if n_columns:").replace("if re.match(regex, fname):", "if regex:")
    assert _stage(tmp_path / "b", blind) == []
