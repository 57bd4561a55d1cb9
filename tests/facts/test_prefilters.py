"""Pre-filters that keep files out of a parse: each lets through every file the parse could find something in."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.facts.data_checks import may_check
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

CHECK = '''import pandas as pd


def validate_data(df):
    if df{access}:
        raise ValueError("missing values")


validate_data(pd.read_csv("train.csv"))
'''
# a function named like a data check that looks at no table: never a custom check, not worth a parse
NAMED_ONLY = '''def validate_schema(config):
    assert config.get("schema"), "no schema"
    return config
'''


def test_may_check_needs_a_table_attribute_as_python_can_write_it(tmp_path: Path) -> None:
    files = {
        "plain.py": CHECK.format(access=".isnull().any().any()"),
        "spaced.py": CHECK.format(access=" . isna().values.any()"),
        "continued.py": CHECK.format(access=".\\\n            empty"),
        "bracketed.py": CHECK.format(access="[(df.  # the frame's\n            columns)]"),
        "named_only.py": NAMED_ONLY,
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    got = {e.path: may_check(index, e) for e in index.select(("**/*.py",))}
    assert got == {"plain.py": True, "spaced.py": True, "continued.py": True, "bracketed.py": True, "named_only.py": False}
    found = run_detectors(index, load_detectors({"data.validation"}), 1)
    assert sorted(f.evidence[0].path for f in found if f.attrs.get("tool") == "custom") == [
        "bracketed.py", "continued.py", "plain.py", "spaced.py"]
    assert ("named_only.py", "python") not in index.parse_counts


def test_names_any_finds_whole_names_only(tmp_path: Path) -> None:
    from mlscan.facts import ops

    files = {
        "a.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n",
        "b.py": "catalog_model = 1  # the log of the model\nlog_models = []\n",
        "c.py": "x = élog_model\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    got = {e.path: ops.names_any(index, e, ("log_model",)) for e in index.select(("**/*.py",))}
    assert got == {"a.py": True, "b.py": False, "c.py": False}


SERVE = '''from flask import Flask
import joblib

app = Flask(__name__)
model = joblib.load("models/model.pkl")
'''
# a serving module with the words of a load (``load``, ``model``) but no load call: nothing to parse for
SERVE_NO_LOAD = '''from flask import Flask

app = Flask(__name__)


def load_config(model_name):
    """Load the config of the model."""
    return {"model": model_name}
'''


def test_served_models_parse_only_serving_files_that_can_load_a_model(tmp_path: Path) -> None:
    from mlscan.facts.served import served_models

    root = git_repo(tmp_path / "r", {"serve.py": SERVE, "api/app.py": SERVE_NO_LOAD})
    index = FileIndex(resolve_target(str(root)))
    assert [(s.path, s.kind, s.ref) for s in served_models(index)] == [("serve.py", "file", "models/model.pkl")]
    assert ("api/app.py", "python") not in index.parse_counts


ROWS = '''import pandas as pd
from pydantic import BaseModel, ValidationError


class Trip(BaseModel):
    passengers: int


def keep_valid(raw):
    valid = []
    for _, row in raw.{loop}():
        try:
            valid.append(Trip(**row.to_dict()))
        except ValidationError:
            continue
    return valid


keep_valid(pd.read_csv("train.csv"))
'''
REQUEST = '''from pydantic import BaseModel, ValidationError


class Item(BaseModel):
    name: str


def parse_item(body):
    try:
        return Item(**body)
    except ValidationError as err:
        raise ValueError(str(err)) from err
'''


def test_validation_error_files_are_parsed_only_with_a_row_loop(tmp_path: Path) -> None:
    files = {"rows.py": ROWS.format(loop="iterrows"), "tuples.py": ROWS.format(loop="itertuples").replace("**row.to_dict()", "**row._asdict()"),
             "request.py": REQUEST}
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"data.validation"}), 1)
    assert sorted(f.evidence[0].path for f in found if f.attrs.get("tool") == "pydantic") == ["rows.py", "tuples.py"]
    assert ("request.py", "python") not in index.parse_counts


HELPER = '''import boto3


def _put_object_file(bucket, key, file_path):
    boto3.client("s3").upload_file(file_path, bucket, key)
'''


def test_helper_calls_are_looked_for_where_the_helper_name_stands(tmp_path: Path) -> None:
    files = {
        "store.py": HELPER,
        "train.py": "from store import _put_object_file\n\n_put_object_file('b', 'models/model.pkl', 'model.pkl')\n",
        # the helper's words (put, object, file), never its name: not parsed for its calls
        "other.py": "def put(obj, file):\n    return object, file, put\n",
    }
    index = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    found = run_detectors(index, load_detectors({"artifact.store"}), 1)
    assert [f.evidence[0].path for f in found if f.attrs.get("via") == "helper"] == ["train.py"]
    assert ("other.py", "python") not in index.parse_counts
