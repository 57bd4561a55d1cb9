"""A pipeline whose first step makes its data up (session 12, issue #13): the KFP component writes ``np.random`` arrays
or a ``make_classification`` table as its Dataset output and reads nothing, so the stages hand data on but no raw data
enters (labelling conventions D3: lineage starts at the raw data), and the per-run Dataset artifact of invented data is
no data version (D1). Near misses: a first step that reads a CSV (and adds noise), one that takes an imported input
artifact, and a second source step that reads real data."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

HEAD = """\
from kfp import dsl, compiler
from kfp.dsl import Dataset, Input, Model, Output


"""

MAKE = {
    "random": """\
@dsl.component(base_image="python:3.11")
def create_data(training_data: Output[Dataset], size: int):
    import pickle
    import numpy as np
    X = np.random.rand(size, 2)
    labels = np.random.randint(0, 2, size)
    with open(training_data.path, "wb") as out:
        pickle.dump((X, labels), out)
""",
    "sklearn": """\
@dsl.component(base_image="python:3.11")
def create_data(training_data: Output[Dataset], size: int):
    import pandas as pd
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=size)
    df = pd.DataFrame(X)
    df["y"] = y
    df.to_csv(training_data.path, index=False)
""",
    "csv": """\
@dsl.component(base_image="python:3.11")
def create_data(training_data: Output[Dataset], size: int):
    import numpy as np
    import pandas as pd
    df = pd.read_csv("gs://bucket/raw/transactions.csv")
    noise = np.random.rand(len(df))
    df["x"] = df["x"] + noise
    df.to_csv(training_data.path, index=False)
""",
    "imported": """\
@dsl.component(base_image="python:3.11")
def create_data(raw: Input[Dataset], training_data: Output[Dataset], size: int):
    import numpy as np
    import pandas as pd
    data = np.random.rand(size, 2)
    pd.DataFrame(data).to_csv(training_data.path, index=False)
""",
}

TRAIN = """

@dsl.component(base_image="python:3.11")
def train(data: Input[Dataset], model: Output[Model]):
    import pickle
    with open(data.path, "rb") as f:
        X, y = pickle.load(f)
    with open(model.path, "wb") as f:
        pickle.dump(fit(X, y), f)


@dsl.pipeline(name="train-pipeline")
def pipeline(size: int = 1000):
    data = create_data(size=size)
    train(data=data.outputs["training_data"])
"""


def _findings(tmp: Path, make: str, extra: str = "") -> dict[str, list]:
    text = HEAD + MAKE[make] + TRAIN + extra
    repo = git_repo(tmp, {"pipelines/pipeline.py": text, "requirements.txt": "kfp==2.4.0\n"}, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    out: dict[str, list] = {}
    for f in run_detectors(index, load_detectors({"kubeflow.pipeline", "pipeline.tracking"})):
        out.setdefault(f.signal, []).append((f.strength.value, dict(f.attrs)))
    return out


@pytest.mark.parametrize(("make", "invented"), [("random", "random.rand"), ("sklearn", "make_classification"), ("csv", ""), ("imported", "")])
def test_a_first_step_that_invents_its_data_brings_no_raw_data(tmp_path: Path, make: str, invented: str) -> None:
    found = _findings(tmp_path, make)
    ((strength, attrs),) = found["pipeline.dag"]
    assert attrs.get("synthetic_input", "") == invented and attrs.get("synthetic", False) is bool(invented)
    assert strength == ("weak" if invented else "medium")
    data = [(s, a.get("generator", "")) for s, a in found.get("data.version_logged", [])]
    assert data and all(a == invented for _, a in data)
    if invented:  # (otherwise its strength depends on where the pipeline keeps artifacts and what runs it)
        assert all(s == "weak" for s, _ in data)


def test_a_second_source_that_reads_real_data_is_raw_input(tmp_path: Path) -> None:
    extra = '''

@dsl.component(base_image="python:3.11")
def load_labels(labels: Output[Dataset]):
    import pandas as pd
    pd.read_parquet("gs://bucket/raw/labels.parquet").to_parquet(labels.path)


@dsl.pipeline(name="two-sources")
def two_sources(size: int = 1000):
    data = create_data(size=size)
    lab = load_labels()
    train(data=data.outputs["training_data"]).after(lab)
'''
    dags = _findings(tmp_path, "random", extra)["pipeline.dag"]
    assert sorted((s, a.get("synthetic_input", "")) for s, a in dags) == [("medium", ""), ("weak", "random.rand")]


ZENML = """\
from zenml import pipeline, step
{make}

@step
def train_model(df: pd.DataFrame) -> ClassifierMixin:
    model = RandomForestClassifier()
    model.fit(df.drop(columns="y"), df["y"])
    return model


@pipeline
def training_pipeline(size: int = 1000):
    df = make_data(size)
    train_model(df)
"""

ZENML_MAKE = {
    "random": '''import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier


@step
def make_data(size: int) -> pd.DataFrame:
    data = pd.DataFrame(np.random.rand(size, 3), columns=["a", "b", "y"])
    return data
''',
    "csv": '''import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier


@step
def make_data(size: int) -> pd.DataFrame:
    data = pd.read_csv("data/raw/air_quality.csv").head(size)
    return data
''',
}


@pytest.mark.parametrize(("make", "invented"), [("random", "random.rand"), ("csv", "")])
def test_a_zenml_pipeline_that_invents_its_data(tmp_path: Path, make: str, invented: str) -> None:
    repo = git_repo(tmp_path, {"pipelines/training.py": ZENML.format(make=ZENML_MAKE[make]), "requirements.txt": "zenml==0.55.0\n"},
                    commit=False)  # type: ignore[arg-type]
    found = [f for f in run_detectors(FileIndex(resolve_target(str(repo))), load_detectors({"python.pipelines"})) if f.signal == "pipeline.dag"]
    assert [(f.strength.value, f.attrs.get("synthetic_input", "")) for f in found] == [("weak" if invented else "medium", invented)]
