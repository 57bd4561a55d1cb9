"""Placeholder steps beyond Airflow: a Prefect flow, a Kubeflow pipeline (v2 ``@dsl.component``, v2
``@dsl.container_component`` running a script of the repository, and v1 ``func_to_container_op``), Dagster assets on a schedule and a serving app whose model endpoint answers a constant.
Each is scanned twice, with placeholder bodies and with real ones: the placeholder answers ``partial`` with the stub
caveat beside its evidence in every report format, the real one answers ``yes`` with no caveat."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report
from mlscan.reporters import html, json_report, markdown, terminal

from .conftest import git_repo

STUB = "stub: the step does nothing yet"

PREFECT = {"flows/training.py": """\
    import pandas as pd
    from prefect import flow, task
    from sklearn.linear_model import LogisticRegression


    @task
    def load_data():
        {load}


    @task
    def train_model(data):
        {train}


    @flow
    def training_pipeline():
        data = load_data()
        train_model(data)


    if __name__ == "__main__":
        training_pipeline.serve(name="weekly-training", cron="0 4 * * 1")
    """}

KFP_V2 = {"pipelines/training.py": """\
    from kfp import dsl


    @dsl.component(base_image="python:3.11", packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.0"])
    def load_data(raw_uri: str, data: dsl.Output[dsl.Dataset]):
        {load}


    @dsl.component(base_image="python:3.11", packages_to_install=["pandas==2.2.2", "scikit-learn==1.5.0"])
    def train_model(data: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
        {train}


    @dsl.pipeline(name="training-pipeline")
    def training_pipeline(raw_uri: str):
        loaded = load_data(raw_uri=raw_uri)
        train_model(data=loaded.outputs["data"])
    """}

KFP_V1 = {"pipelines/training.py": """\
    import kfp
    from kfp.components import func_to_container_op


    def load_data(raw_uri: str) -> str:
        {load}


    def train_model(data: str) -> str:
        {train}


    load_data_op = func_to_container_op(load_data, base_image="python:3.9")
    train_model_op = func_to_container_op(train_model, base_image="python:3.9")


    @kfp.dsl.pipeline(name="training-pipeline")
    def training_pipeline(raw_uri: str):
        loaded = load_data_op(raw_uri)
        train_model_op(loaded.output)
    """}

# KFP v2 container components run a script of the repository in their image (the steps' bodies live in those scripts)
_STEP_SCRIPT = """\
    import argparse


    def main(raw_uri, data, model):
        {%s}


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--input")
        parser.add_argument("--output")
        args = parser.parse_args()
        main(args.input, args.input, args.output)
    """
KFP_CONTAINER = {"steps/load.py": _STEP_SCRIPT % "load", "steps/train.py": _STEP_SCRIPT % "train",
                 "pipelines/training.py": """\
    from kfp import dsl


    @dsl.container_component
    def load_data(raw_uri: str, data: dsl.Output[dsl.Dataset]):
        return dsl.ContainerSpec(image="europe-docker.pkg.dev/acme/steps:1.0", command=["python", "-m", "steps.load"],
                                 args=[f"--input={{raw_uri}}", f"--output={{data.path}}"])


    @dsl.container_component
    def train_model(data: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
        return dsl.ContainerSpec(image="europe-docker.pkg.dev/acme/steps:1.0", command=["python", "steps/train.py"],
                                 args=[f"--input={{data.path}}", f"--output={{model.path}}"])


    @dsl.pipeline(name="training-pipeline")
    def training_pipeline(raw_uri: str):
        loaded = load_data(raw_uri=raw_uri)
        train_model(data=loaded.outputs["data"])
    """}

DAGSTER = {"orchestration/assets.py": """\
    import pandas as pd
    from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, asset, define_asset_job
    from sklearn.linear_model import LogisticRegression


    @asset
    def raw_data():
        {load}


    @asset
    def trained_model(raw_data):
        {train}


    training_job = define_asset_job("training_job", selection="*")
    weekly = ScheduleDefinition(job=training_job, cron_schedule="0 4 * * 1", default_status=DefaultScheduleStatus.RUNNING)
    defs = Definitions(assets=[raw_data, trained_model], jobs=[training_job], schedules=[weekly])
    """}

SERVING = {"app/main.py": """\
    import joblib
    from fastapi import FastAPI

    app = FastAPI()
    model = joblib.load("models/model.joblib")


    @app.get("/health")
    def health():
        return {{"status": "ok"}}


    @app.post("/predict")
    def predict(features: dict):
        {predict}
    """}

REAL = {"load": 'data = pd.read_csv("data/train.csv")\nreturn data',
        "train": 'model = LogisticRegression().fit(data.drop(columns=["y"]), data["y"])\nreturn model',
        "predict": 'return {"prediction": float(model.predict([list(features.values())])[0])}'}
PLACEHOLDER = {"load": '"""Load the training data."""\npass', "train": 'print("training")\nreturn None',
               "predict": 'return {"prediction": 0}'}
# KFP components write their outputs to paths; their real bodies import what they use (they run in their own image)
KFP_REAL = {"load": 'import pandas as pd\npd.read_csv(raw_uri).dropna().to_csv(data.path)',
            "train": 'import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n'
                     'df = pd.read_csv(data.path)\nLogisticRegression().fit(df.drop(columns=["y"]), df["y"])'}
KFP_V1_REAL = {"load": 'import pandas as pd\nreturn pd.read_csv(raw_uri).dropna().to_json()',
               "train": 'import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n'
                        'df = pd.read_json(data)\nreturn str(LogisticRegression().fit(df.drop(columns=["y"]), df["y"]).coef_)'}

CASES = [  # (name, files, real bodies, framework, question)
    ("prefect flow", PREFECT, REAL, "checklist20", "M1"),
    ("prefect flow", PREFECT, REAL, "checklist20", "D3"),
    ("kfp v2 component", KFP_V2, KFP_REAL, "checklist20", "D3"),
    ("kfp v1 func_to_container_op", KFP_V1, KFP_V1_REAL, "checklist20", "D3"),
    ("kfp v2 container component", KFP_CONTAINER, KFP_REAL, "checklist20", "D3"),
    ("dagster assets", DAGSTER, REAL, "checklist20", "D3"),
    ("dagster schedule", DAGSTER, REAL, "checklist20", "M1"),
    ("serving endpoint", SERVING, REAL, "adoption", "AD1.serving"),
]


def _scan(root: Path, files: dict[str, str], bodies: dict[str, str], framework: str) -> Any:
    indented = {k: v.replace("\n", "\n    ") for k, v in bodies.items()}  # the bodies of top-level functions
    text = {rel: textwrap.dedent(src).format(**indented) for rel, src in files.items()}
    return scan(str(git_repo(root, text)), ScanOptions(jobs=1, frameworks=(framework,)))  # type: ignore[arg-type]


def _answer(result: Any, framework: str, question: str) -> dict[str, Any]:
    report = build_report(result)
    questions = report["frameworks"][framework]["questions"]
    return next(q for q in questions if q["id"] == question)


@pytest.mark.parametrize(("name", "files", "real", "framework", "question"), CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_placeholder_steps_cap_at_partial_and_show_the_caveat(tmp_path: Path, name: str, files: dict[str, str],
                                                              real: dict[str, str], framework: str, question: str) -> None:
    good = _answer(_scan(tmp_path / "real", files, real, framework), framework, question)
    assert good["answer"] == "yes", (name, good)
    assert not any(STUB in c for e in good["evidence"] for c in e.get("caveats", ()))
    result = _scan(tmp_path / "stub", files, PLACEHOLDER, framework)
    fake = _answer(result, framework, question)
    assert fake["answer"] == "partial" and "stub" in fake["reason"], (name, fake)
    assert STUB in fake["evidence"][0]["caveats"]
    # beside the evidence, in every format (the framework scanned is the primary one): Markdown's row cites the location,
    # HTML's the snippet
    ev = fake["evidence"][0]
    row = next(r for r in markdown.render(result).splitlines() if r.startswith(f"| {question} |"))
    assert f"{ev['path']}:{ev['line']}" in row and f"⚠ {STUB}" in row
    page = html.render(result)
    at = page.index(f'id="{framework}-{question}"')
    cell = page[at:page.index("</tr>", at)]
    assert STUB in cell and 'class="snippet"' in cell
    term = terminal.render(result, width=200)
    assert STUB in term
    doc = json.loads(json_report.render(result))
    assert STUB in next(q for q in doc["questions"] if q["id"] == question)["evidence"][0]["caveats"]


def test_a_container_component_whose_shell_command_only_writes_a_token_is_a_stub(tmp_path: Path) -> None:
    """KFP's hello-world container step (``mkdir`` its output folder, ``echo`` a word into it) does nothing yet; one whose
    shell command runs a program does."""
    pipeline = """\
        from kfp import dsl


        @dsl.container_component
        def prepare(data: dsl.Output[dsl.Dataset]):
            return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'mkdir --parents $(dirname "$0") && echo "rows" > "$0"'],
                                     args=[data.path])


        @dsl.container_component
        def train(data: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
            return dsl.ContainerSpec(image="alpine", command=["sh", "-c", '{cmd}'], args=[data.path, model.path])


        @dsl.pipeline(name="training")
        def training(n: int):
            prepared = prepare()
            train(data=prepared.outputs["data"])
        """
    for name, cmd, answer in (("echo", 'echo "model" > "$1"', "partial"), ("real", 'trainer --data "$0" --out "$1"', "yes")):
        text = textwrap.dedent(pipeline).replace("{cmd}", cmd)
        result = scan(str(git_repo(tmp_path / name, {"pipelines/training.py": text})), ScanOptions(jobs=1))
        d3 = _answer(result, "checklist20", "D3")
        assert d3["answer"] == answer, (name, d3)
        assert (STUB in d3["evidence"][0]["caveats"]) == (answer == "partial")
