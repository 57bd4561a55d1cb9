"""The causes of the session-10 final blind evidence audits (issue #17, session 11): the deciding line beside the cited
one (a requirements file's floating first line, a Cloud Build step's ``entrypoint``, a KFP component's raw load, a
README's contributor note or exercise step, a Makefile target's header) and the wrong file of the right kind (a
devcontainer for T1, a debug image's build, one lightweight component's ``packages_to_install`` for E4). Each case scans
a small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- E4: a pinned line, not the floating one above it


def test_e4_cites_a_pinned_requirement_not_the_floating_first_line(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"requirements.txt": "bentoml\ndill==0.3.6\nmlflow==2.1.1\nxgboost==1.7.2\nscikit-learn==1.2.0\n"})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("requirements.txt", 2)
    assert qs["E4"]["evidence"][0]["snippet"].startswith("dill==0.3.6")


def test_e4_of_a_file_that_pins_nothing_cites_its_first_requirement(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"requirements.txt": "# deps\npandas\nscikit-learn>=1.2\n"})
    assert qs["E4"]["answer"] == "partial"
    assert _lead(qs["E4"]) == ("requirements.txt", 2)


# ---------------------------------------------------------------- E4: the project's environment before one component's

_KFP_PIPELINE = """\
    from kfp import dsl
    from kfp.dsl import Dataset, Output


    @dsl.component(
        base_image="python:3.10",
        packages_to_install=[
            "numpy==1.26.4",
            "pandas==2.2.2",
        ],
    )
    def load_data(output_data: Output[Dataset]):
        import pandas as pd
        pd.DataFrame({"x": [1]}).to_csv(output_data.path)


    @dsl.pipeline(name="train")
    def pipeline():
        load_data()
    """


def test_e4_leads_with_the_projects_pinned_environment_before_a_components_packages(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _KFP_PIPELINE,
                          "requirements.txt": "google-cloud-aiplatform==1.71.0\nkfp==2.9.0\nscikit-learn==1.5.2\n",
                          "training/Dockerfile": "FROM python:3.10-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
                          "training/requirements.txt": "tensorflow==2.18.0\n"})
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"] != "pipelines/pipeline.py"
    assert "pipelines/pipeline.py" in [e["path"] for e in qs["E4"]["evidence"]]


def test_e4_with_only_a_components_pinned_packages_cites_them(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _KFP_PIPELINE})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("pipelines/pipeline.py", 8)


def test_e4_leads_with_a_pinned_file_before_a_floating_one_of_the_same_kind(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"api/requirements.txt": "fastapi\nuvicorn\npandas>=2\n",
                          "train/requirements.txt": "scikit-learn==1.5.2\npandas==2.2.2\n"})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("train/requirements.txt", 1)


# ---------------------------------------------------------------- T1: documentation before a devcontainer

_DEVCONTAINER = '{\n  "name": "dev",\n  "context": "..",\n  "dockerFile": "../Dockerfile"\n}\n'


def test_t1_leads_with_the_readme_procedure_before_a_devcontainer(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".devcontainer/devcontainer.json": _DEVCONTAINER, "Dockerfile": "FROM python:3.11-slim\n",
                          "README.md": "# Model\n\n## How to use this repository\n\n1. Create a feature branch.\n"
                                       "2. Open a pull request to `staging`.\n3. After testing, merge to `main` to deploy.\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 5)
    assert ".devcontainer/devcontainer.json" in [e["path"] for e in qs["T1"]["evidence"]]


def test_t1_with_only_a_devcontainer_cites_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".devcontainer/devcontainer.json": _DEVCONTAINER, "Dockerfile": "FROM python:3.11-slim\n"})
    assert qs["T1"]["answer"] == "yes"
    assert qs["T1"]["evidence"][0]["path"] == ".devcontainer/devcontainer.json"


# ---------------------------------------------------------------- M3: a Cloud Build step's test argument, not its entrypoint

_CLOUDBUILD = """\
    steps:
      - name: 'python:3.10'
        id: 'Install'
        entrypoint: 'python'
        args:
          [
            '-m', 'pip', 'install', '-r', 'requirements.txt', '--user'
          ]

      # Run tests
      - name: 'python:3.10'
        id: 'Run Tests'
        entrypoint: 'python'
        args:
          [
            '-m', 'pytest',
            '--junitxml=test_log.xml'
          ]

      - name: 'gcr.io/cloud-builders/docker'
        id: 'Build'
        args: ['build', '-t', 'gcr.io/p/app:$SHORT_SHA', '.']
    """

_TEST = """\
    from src.model import predict


    def test_predict():
        assert predict([1.0]) >= 0
    """


def test_m3_of_a_cloud_build_step_cites_its_pytest_argument(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"cloudbuild.yaml": _CLOUDBUILD, "tests/test_model.py": _TEST,
                          "src/model.py": "def predict(x):\n    return sum(x)\n", "requirements.txt": "pytest==8.3.3\n"})
    assert qs["M3"]["answer"] == "yes"
    assert _lead(qs["M3"]) == ("cloudbuild.yaml", 16)
    assert "pytest" in qs["M3"]["evidence"][0]["snippet"]


def test_m3_of_a_step_with_its_command_on_one_line_keeps_that_line(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"cloudbuild.yaml": "steps:\n  - name: 'python:3.10'\n    id: test\n    entrypoint: bash\n"
                                             "    args: ['-c', 'pip install -r requirements.txt && python -m pytest tests']\n",
                          "tests/test_model.py": _TEST, "src/model.py": "def predict(x):\n    return sum(x)\n",
                          "requirements.txt": "pytest==8.3.3\n"})
    assert qs["M3"]["answer"] == "yes"
    assert _lead(qs["M3"]) == ("cloudbuild.yaml", 5)


# ---------------------------------------------------------------- D1: the write of a component's dataset artifact

_KFP_LOAD = """\
    from kfp import dsl
    from kfp.dsl import Dataset, Input, Model, Output


    @dsl.component(base_image="python:3.10", packages_to_install=["numpy==1.26.4", "tensorflow==2.17.0"])
    def load_data(output_data: Output[Dataset]):
        import numpy as np
        import tensorflow as tf

        (x_train, y_train), (x_test, y_test) = tf.keras.datasets.boston_housing.load_data()

        npz_path = f"{output_data.path}.npz"
        np.savez(npz_path, x_train=x_train, y_train=y_train)
        output_data.metadata["npz_file"] = npz_path


    @dsl.component(base_image="python:3.10", packages_to_install=["scikit-learn==1.5.2"])
    def train(data: Input[Dataset], model: Output[Model]):
        import numpy as np
        from sklearn.linear_model import LinearRegression

        d = np.load(data.path + ".npz")
        LinearRegression().fit(d["x_train"], d["y_train"])


    @dsl.pipeline(name="train", pipeline_root="gs://bucket/root")
    def pipeline():
        data = load_data()
        train(data=data.outputs["output_data"])
    """


def test_d1_of_a_kfp_component_cites_the_write_of_its_dataset_not_the_raw_load(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _KFP_LOAD,
                          "scripts/run.py": "from google.cloud import aiplatform\n\naiplatform.PipelineJob(template_path='p.json').submit()\n"})
    ev = qs["D1"]["evidence"][0]
    assert (ev["path"], ev["line"], ev["end_line"]) == ("pipelines/pipeline.py", 12, 13)
    assert "np.savez(npz_path" in ev["snippet"]
    assert "load_data()" not in ev["snippet"]


def test_d1_of_a_component_writing_its_path_directly_cites_that_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _KFP_LOAD.replace(
        'npz_path = f"{output_data.path}.npz"\n        np.savez(npz_path, x_train=x_train, y_train=y_train)',
        'np.savez(output_data.path, x_train=x_train, y_train=y_train)\n        npz_path = output_data.path')})
    ev = qs["D1"]["evidence"][0]
    assert (ev["path"], ev["line"]) == ("pipelines/pipeline.py", 12)
    assert ev["snippet"].strip().startswith("np.savez(output_data.path")
