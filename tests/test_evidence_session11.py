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
    # (session 14: the parameter that makes it the run's artifact leads, ``output_data: Output[Dataset]``; the write follows)
    lead, ev = qs["D1"]["evidence"][0], next(e for e in qs["D1"]["evidence"] if e["line"] != 6)
    assert (lead["path"], lead["line"], lead["snippet"]) == ("pipelines/pipeline.py", 6, "output_data: Output[Dataset]")
    assert (ev["path"], ev["line"], ev["end_line"]) == ("pipelines/pipeline.py", 12, 13)
    assert "np.savez(npz_path" in ev["snippet"]
    assert "load_data()" not in ev["snippet"]


def test_d1_of_a_component_writing_its_path_directly_cites_that_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipelines/pipeline.py": _KFP_LOAD.replace(
        'npz_path = f"{output_data.path}.npz"\n        np.savez(npz_path, x_train=x_train, y_train=y_train)',
        'np.savez(output_data.path, x_train=x_train, y_train=y_train)\n        npz_path = output_data.path')})
    ev = next(e for e in qs["D1"]["evidence"] if e["line"] != 6)  # (after the ``Output[Dataset]`` parameter that leads)
    assert (ev["path"], ev["line"]) == ("pipelines/pipeline.py", 12)
    assert ev["snippet"].strip().startswith("np.savez(output_data.path")


# ---------------------------------------------------------------- T1: the README's set-up, not a note or an exercise beside it

_KEDRO = {"src/pkg/__init__.py": "", "pyproject.toml": "[project]\nname = 'pkg'\ndependencies = ['kedro==0.19.9']\n",
          "uv.lock": "version = 1\n"}


def test_t1_skips_contributor_guidance_for_the_install_beside_it(tmp_path: Path) -> None:
    readme = ("# pkg\n\n## How to install dependencies\n\nDeclare any dependencies in `pyproject.toml` using `uv add [package-name]`.\n\n"
              "To install all dependencies, run:\n\n```\nuv sync --frozen\n```\n\n## How to run\n\n```\nuv run kedro run\n```\n")
    qs = _scan(tmp_path, {**_KEDRO, "README.md": readme})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 10)
    assert qs["T1"]["evidence"][0]["snippet"] == "uv sync --frozen"


def test_t1_cites_a_dependency_named_for_real_when_it_is_the_first_step(tmp_path: Path) -> None:
    readme = "# pkg\n\n## Installation\n\n```\npip install -r requirements.txt\nuv run kedro run\n```\n"
    qs = _scan(tmp_path, {**_KEDRO, "README.md": readme, "requirements.txt": "kedro==0.19.9\n"})
    assert _lead(qs["T1"]) == ("README.md", 6)


_FRENCH = """\
    # projet

    Un projet de cours.

    ## Pré-requis

    * Installer [`uv`](https://github.com/astral-sh/uv)
    * A chaque situation relancer `uv sync -p python3.12`

    ## Situation 9: reproductibilité avec dvc pipeline

    * Prendre connaissance du fichier `dvc.yaml`
    * Lancer `dvc dag` puis `dvc repro`

    ## Situation 10: monitoring

    * Lancer le pipeline `kedro run --pipeline prediction`.
    """


def test_t1_of_a_french_readme_cites_its_prerequisites_install_not_an_exercise_step(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {**_KEDRO, "README.md": _FRENCH, "dvc.yaml": "stages:\n  train:\n    cmd: kedro run\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 8)
    assert "uv sync" in qs["T1"]["evidence"][0]["snippet"]


def test_t1_skips_a_tool_a_prerequisites_list_installs(tmp_path: Path) -> None:
    readme = ("# pkg\n\n## Prerequisites\n\n```\npip install dvc\n```\n\n## Installation\n\n```\npip install -r requirements.txt\n"
              "python train.py\n```\n")
    qs = _scan(tmp_path, {"README.md": readme, "requirements.txt": "scikit-learn==1.5.2\n", "train.py": "print(1)\n"})
    assert _lead(qs["T1"]) == ("README.md", 12)


_HOW_TO_RUN = """\
    # Proof of concept

    # Prerequisites

    - uv

    # How to Run

    ## Configure your environment

    - pip install uv
    - uv venv
    - uv sync

    ## Build and Test

    You can simply run `make run_train` or `make run_predict` to launch a pipeline, or if you want to schedule just run `make schedule_train`.
    """

_MAKEFILE_RUN = ("build_debug:\n\tdocker build -t debug-img:latest .\n\npush_debug:\n\tdocker push debug-img:latest\n\n"
                 "run_train:\n\tpython main.py --type training\n\nrun_predict:\n\tpython main.py --type prediction\n\n"
                 "schedule_train:\n\tpython main.py --scheduler --type training\n")


def test_t1_reads_a_list_of_bare_commands_and_the_step_before_an_optional_clause(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _HOW_TO_RUN, "Makefile": _MAKEFILE_RUN, "main.py": "print(1)\n", "Dockerfile": "FROM python:3.11\n",
                          "pyproject.toml": "[project]\nname = 'poc'\n", "uv.lock": "version = 1\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 13)  # ``uv sync``, past the installer's own install
    assert qs["T1"]["evidence"][0]["snippet"].endswith("uv sync")
    # the task runner beside it is cited at the training target's recipe, not at the debug image's build
    make = next(e for e in qs["T1"]["evidence"] if e["path"] == "Makefile")
    assert make["line"] == 8 and "main.py --type training" in make["snippet"]


def test_t1_a_command_inside_an_optional_clause_is_still_an_aside(tmp_path: Path) -> None:
    readme = "# poc\n\n## Usage\n\nIf you want to schedule it, run `make schedule_train`.\n"
    qs = _scan(tmp_path, {"README.md": readme, "Makefile": _MAKEFILE_RUN, "main.py": "print(1)\n"})
    assert all(e["path"] != "README.md" for e in qs["T1"]["evidence"])


# ---------------------------------------------------------------- T1: a Makefile's install recipe, not a data target's header

_COOKIECUTTER = """\
    .PHONY: clean data lint requirements

    PYTHON_INTERPRETER = python

    ## Install Python Dependencies
    requirements: test_environment
    \t$(PYTHON_INTERPRETER) -m pip install -U pip setuptools wheel
    \t$(PYTHON_INTERPRETER) -m pip install -r requirements.txt

    ## Make Dataset
    data: requirements
    \t$(PYTHON_INTERPRETER) src/data/make_dataset.py data/raw data/processed

    ## Delete all compiled Python files
    clean:
    \tfind . -type f -name "*.py[co]" -delete

    test_environment:
    \t$(PYTHON_INTERPRETER) test_environment.py
    """


def test_t1_of_a_makefile_that_only_prepares_data_cites_its_install_recipe(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"Makefile": _COOKIECUTTER, "src/data/make_dataset.py": "print(1)\n", "test_environment.py": "print(1)\n",
                          "requirements.txt": "pandas==2.2.2\n"})
    assert qs["T1"]["answer"] == "yes"
    ev = qs["T1"]["evidence"][0]
    assert (ev["path"], ev["line"], ev["end_line"]) == ("Makefile", 6, 8)
    assert "pip install -r requirements.txt" in ev["snippet"]


def test_t1_of_a_makefile_with_a_train_target_cites_it(tmp_path: Path) -> None:
    makefile = _COOKIECUTTER + "\ntrain: data\n\t$(PYTHON_INTERPRETER) src/models/train_model.py\n"
    qs = _scan(tmp_path, {"Makefile": makefile, "src/data/make_dataset.py": "print(1)\n", "test_environment.py": "print(1)\n",
                          "src/models/train_model.py": "print(1)\n", "requirements.txt": "pandas==2.2.2\n"})
    ev = qs["T1"]["evidence"][0]
    assert (ev["path"], ev["line"], ev["end_line"]) == ("Makefile", 21, 22)
    assert "train_model.py" in ev["snippet"]


# ---------------------------------------------------------------- found by sampling the dev corpus' leads (not blind)


def test_d4_of_a_custom_check_cites_its_test_on_the_table_not_the_functions_first_lines(tmp_path: Path) -> None:
    check = """\
        import numpy as np


        def verify_labels(args):
            \"\"\"Verifies one label file.\"\"\"
            path, prefix = args
            lb = np.loadtxt(path)
            assert len(path) > 0, "no path"
            assert lb.shape[1] == 5, f"labels require 5 columns, {lb.shape[1]} found"
            return lb
        """
    loader = "from src.checks import verify_labels\n\n\ndef load(paths):\n    return [verify_labels((p, '')) for p in paths]\n"
    qs = _scan(tmp_path, {"src/checks.py": check, "src/loader.py": loader, "train.py": "from src.loader import load\n\nload([])\n",
                          ".github/workflows/train.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python train.py\n"})
    assert qs["D4"]["answer"] in ("yes", "partial")
    ev = qs["D4"]["evidence"][0]
    assert (ev["path"], ev["line"]) == ("src/checks.py", 9)
    assert "lb.shape[1] == 5" in ev["snippet"]


def test_e4_of_a_conda_environment_cites_a_pinned_package_not_the_interpreter(tmp_path: Path) -> None:
    env = "name: ci\n\ndependencies:\n  # the interpreter\n  - python=3.7.*\n\n  - numpy=1.18.*\n  - pip:\n      - mlflow==2.9.2\n"
    qs = _scan(tmp_path, {"environment.yml": env})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("environment.yml", 7)


def test_t1_reads_a_collapsible_install_section_of_the_top_readme(tmp_path: Path) -> None:
    readme = ("# detector\n\n## Documentation\n\nSee the docs.\n\n<details open>\n<summary>Install</summary>\n\n```bash\n"
              "git clone https://example.org/detector\npip install -r requirements.txt\n```\n\n</details>\n\n"
              "<details>\n<summary>Training</summary>\n\n```bash\npython train.py --data coco.yaml\n```\n\n</details>\n")
    qs = _scan(tmp_path, {"README.md": readme, "requirements.txt": "torch==2.4.0\n", "train.py": "print(1)\n",
                          "utils/api/README.md": "# API\n\n## Requirements\n\n```shell\npip install Flask\npython restapi.py\n```\n",
                          "utils/api/restapi.py": "print(1)\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 12)


def test_t1_a_step_with_values_or_flags_to_fill_in_is_no_guidance(tmp_path: Path) -> None:
    readme = ("# platform\n\n## Installation\n\n```bash\n./setup.sh [--test] [--debug]\n```\n\n## Usage\n\n```bash\n"
              "az ad sp show --id <app_id> --query id -o tsv\npython run.py\n```\n")
    qs = _scan(tmp_path, {"README.md": readme, "setup.sh": "#!/bin/bash\npip install -r requirements.txt\n", "run.py": "print(1)\n"})
    assert _lead(qs["T1"]) == ("README.md", 6)


def test_t1_a_list_of_requirements_is_no_list_of_commands(tmp_path: Path) -> None:
    readme = ("# template\n\n## Requirements\n\n* Python >= 3.5\n* tensorboard >= 1.14 (see [Tensorboard](#tensorboard))\n"
              "* tqdm (optional)\n\n## Usage\n\n```\npython train.py -c config.json\n```\n")
    qs = _scan(tmp_path, {"README.md": readme, "train.py": "print(1)\n"})
    assert _lead(qs["T1"]) == ("README.md", 12)


# ---------------------------------------------------------------- after merging main (not blind)

_AML_ENV = """\
    from azureml.core import Environment
    from azureml.core.conda_dependencies import CondaDependencies

    env = Environment("train-env")
    conda_dep = CondaDependencies()
    conda_dep.add_pip_package("azureml-dataprep[pandas]")
    conda_dep.add_pip_package("xgboost==0.90")
    conda_dep.add_pip_package("scikit-learn==0.22.1")
    env.python.conda_dependencies = conda_dep
    env.register(workspace=None)
    """


def test_e4_of_an_azureml_sdk_environment_cites_its_first_pinned_package(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/env.py": _AML_ENV})
    assert qs["E4"]["answer"] == "yes"
    assert _lead(qs["E4"]) == ("src/env.py", 7)


def test_an_azure_ml_notebook_checkpoint_folder_is_no_project_file(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/.ipynb_aml_checkpoints/env-2021-10-15.py": _AML_ENV})
    assert qs["E4"]["answer"] == "no"


def test_t1_a_heading_naming_a_pipelines_execution_is_no_setup_heading(tmp_path: Path) -> None:
    readme = ("# Spam detector\n\n## Pipeline Steps Execution\n\n### Model Experimentation\n\n```\nmlflow server -p 5000\n"
              "python train.py\n```\n\n### Monitoring\n\n```\ndocker compose -f monitoring/docker-compose.yml up --build -d\n```\n")
    qs = _scan(tmp_path, {"README.md": readme, "train.py": "print(1)\n",
                          "monitoring/docker-compose.yml": "services:\n  grafana:\n    image: grafana/grafana:10.2.0\n"})
    assert _lead(qs["T1"]) == ("README.md", 8)


def test_e4_leads_with_the_projects_image_before_a_devcontainers(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".devcontainer/base/Dockerfile": "FROM python:3.12-bullseye\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
                          ".devcontainer/base/requirements.txt": "azure-cli==2.64.0\nblack==24.4.2\n",
                          "mlops/taxi/environment/Dockerfile": "FROM pytorch/pytorch:1.11.0-cuda11.3-cudnn8-devel\nCOPY requirements.txt .\n"
                                                               "RUN pip install -r requirements.txt\n",
                          "mlops/taxi/environment/requirements.txt": "mlflow==2.14.2\nscikit-learn==1.3.2\n"})
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"].startswith("mlops/taxi/environment/")


def test_e4_with_only_a_devcontainers_image_cites_it(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".devcontainer/base/Dockerfile": "FROM python:3.12-bullseye\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
                          ".devcontainer/base/requirements.txt": "azure-cli==2.64.0\nblack==24.4.2\n"})
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"].startswith(".devcontainer/")
