"""The causes of session 11's final blind evidence audits (issue #17, session 12): a reusable workflow's call cited
instead of the called workflow's deploy step, the opening line of a multi-line call whose deciding argument is below, a
build range ending before its commit tag, a bare list item of another job's trigger, a read instead of a step's typed
output, a template variant its default options delete, a README's test command before the set-up. Each case scans a
small repository and checks the first evidence item; near misses check the other way."""

from __future__ import annotations

from pathlib import Path

from .test_evidence_deciding import _lead, _scan

# ---------------------------------------------------------------- M2: a reusable workflow's deploy step, with its call

_CALLER = """\
    name: CI
    on:
      push:
        branches: [main]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: pytest tests/
      deploy:
        needs: test
        uses: ./.github/workflows/deploy.yml
        with:
          image_version: ${{ github.sha }}
    """

_CALLED_GITOPS = """\
    name: Deploy
    on:
      workflow_call:
        inputs:
          image_version:
            required: true
            type: string
    jobs:
      update:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              repository: acme/infrastructure
              path: infrastructure
          - name: Set up git
            run: |
              git config --global user.name "ci"
          - name: Update infrastructure version
            run: |
              cd infrastructure
              chmod +x ./scripts/update_image.sh
              ./scripts/update_image.sh manifests/api.yaml ${{ inputs.image_version }}
          - name: Commit and push
            run: |
              cd infrastructure
              git commit -am "new image" && git push
    """


def test_m2_cites_the_called_workflows_deploy_step_with_its_call(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": _CALLED_GITOPS})
    assert qs["M2"]["answer"] == "yes"
    lead = qs["M2"]["evidence"][0]
    assert _lead(qs["M2"]) == (".github/workflows/deploy.yml", 23)
    assert "update_image.sh" in lead["snippet"]
    assert lead["chain"] == ["called from CI job .github/workflows/ci.yml:13"]
    assert (".github/workflows/ci.yml", 13) in [(e["path"], e["line"]) for e in qs["M2"]["evidence"]]


def test_m2_cites_a_called_workflows_kubectl_with_its_call(tmp_path: Path) -> None:
    called = """\
        on:
          workflow_call:
        jobs:
          rollout:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - name: Roll out
                run: |
                  echo "rolling out"
                  kubectl apply -f k8s/serving.yaml
        """
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": called,
                          "k8s/serving.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"})
    assert qs["M2"]["answer"] == "yes"
    assert _lead(qs["M2"]) == (".github/workflows/deploy.yml", 11)
    assert qs["M2"]["evidence"][0]["chain"] == ["called from CI job .github/workflows/ci.yml:13"]


def test_m2_call_of_a_workflow_without_a_deploy_step_stays_at_its_uses_line(tmp_path: Path) -> None:
    called = """\
        on:
          workflow_call:
        jobs:
          notify:
            runs-on: ubuntu-latest
            steps:
              - name: Tell the team
                run: curl -X POST https://chat.example.com/hook -d "done"
        """
    qs = _scan(tmp_path, {".github/workflows/ci.yml": _CALLER, ".github/workflows/deploy.yml": called})
    assert _lead(qs["M2"]) == (".github/workflows/ci.yml", 13)
    assert qs["M2"]["evidence"][0]["chain"] == []


def test_m2_call_of_another_repositorys_workflow_stays_at_its_uses_line(tmp_path: Path) -> None:
    caller = _CALLER.replace("./.github/workflows/deploy.yml", "acme/shared/.github/workflows/deploy.yml@v1")
    qs = _scan(tmp_path, {".github/workflows/ci.yml": caller, ".github/workflows/deploy.yml": _CALLED_GITOPS})
    assert _lead(qs["M2"]) == (".github/workflows/ci.yml", 13)


# ---------------------------------------------------------------- T2: a notebook's multi-line call at its deciding argument


def _notebook(*cells: str) -> str:
    import json

    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1, ensure_ascii=False)


_TRAIN_CELL = """\
import mlflow
from sklearn.linear_model import LogisticRegression
model = LogisticRegression().fit(X, y)
mlflow.set_tracking_uri("databricks")
with mlflow.start_run(run_name="train"):  # 📈 log with MLflow
    mlflow.log_metric("accuracy", 0.9)
    mlflow.sklearn.log_model(
        sk_model=model,
        artifact_path="model",
        input_example=X[:5],
        signature=signature,
        registered_model_name="workspace.default.classifier",
    )
"""


def test_t2_of_a_notebook_cites_registered_model_name_below_log_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"notebooks/train.ipynb": _notebook("import pandas as pd\nX, y = load()\n", _TRAIN_CELL)})
    assert qs["T2"]["answer"] == "yes"
    lead = qs["T2"]["evidence"][0]
    assert lead["snippet"].startswith('registered_model_name="workspace.default.classifier"')
    raw = (tmp_path / "notebooks" / "train.ipynb").read_text("utf-8").splitlines()
    assert "registered_model_name" in raw[lead["line"] - 1]
    assert lead["context"] == "in mlflow.sklearn.log_model()"


def test_a_python_files_multi_line_call_names_the_call_its_argument_is_in(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"src/train.py": _TRAIN_CELL, ".github/workflows/train.yml":
                          "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python src/train.py\n"})
    assert _lead(qs["T2"]) == ("src/train.py", 12)
    assert qs["T2"]["evidence"][0]["context"] == "in mlflow.sklearn.log_model()"


def _hint_at(tmp_path: Path, nb: str, opener: str) -> object:
    import re

    from mlscan.evidence import _hinted
    from mlscan.index import FileIndex
    from mlscan.model import Evidence
    from mlscan.target import resolve_target

    from .conftest import git_repo

    repo = git_repo(tmp_path, {"train.ipynb": nb})
    index = FileIndex(resolve_target(str(repo)))
    line = next(n for n, raw in enumerate(index.lines("train.ipynb"), 1) if opener in raw)
    return _hinted(index, Evidence("train.ipynb", line, opener, end_line=line), re.compile(r"registered_model_name\s*="), "line:x")


_OPENER_CELL = 'mlflow.sklearn.log_model(\n    sk_model=model,\n    artifact_path="model",\n)\n'


def test_a_notebooks_block_is_read_within_its_cell(tmp_path: Path) -> None:
    # the same statement as the next cell's: the walk would reach it across the cell boundary
    nb = _notebook(_OPENER_CELL, 'mlflow.register_model(uri, name="m")\nkw = dict(registered_model_name="m")\n')
    assert _hint_at(tmp_path, nb, "mlflow.sklearn.log_model(") is None


def test_a_notebooks_block_finds_the_argument_in_its_own_cell(tmp_path: Path) -> None:
    nb = _notebook(_OPENER_CELL.replace(")\n", '    registered_model_name="m",\n)\n'))
    hit = _hint_at(tmp_path, nb, "mlflow.sklearn.log_model(")
    assert hit is not None and hit.snippet.startswith('registered_model_name="m"')  # type: ignore[attr-defined]


# ---------------------------------------------------------------- E3: the range holds the commit tag; the code's hash


_KANIKO_CI = """\
    build-api:
      stage: build
      image:
        name: gcr.io/kaniko-project/executor:debug
        entrypoint: [""]
      script:
        - mkdir -p /kaniko/.docker
        - >-
          /kaniko/executor
          --context "${CI_PROJECT_DIR}/api/"
          --dockerfile "${CI_PROJECT_DIR}/api/Dockerfile"
          --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_SHORT_SHA}"
      only:
        - main
    """
_API_DOCKERFILE = "FROM python:3.11-slim\nCOPY model.pkl /app/model.pkl\nCOPY app.py /app/app.py\nCMD [\"python\", \"/app/app.py\"]\n"


def test_e3_of_a_folded_kaniko_command_cites_its_commit_tagged_destination(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".gitlab-ci.yml": _KANIKO_CI, "api/Dockerfile": _API_DOCKERFILE, "api/model.pkl": "x",
                          "api/app.py": "import pickle\nmodel = pickle.load(open('/app/model.pkl', 'rb'))\n"})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert lead["path"] == ".gitlab-ci.yml" and lead["line"] <= 12 <= lead["end_line"]
    assert "CI_COMMIT_SHORT_SHA" in lead["snippet"]


def test_a_folded_commands_options_stay_in_its_block_but_the_next_item_does_not() -> None:
    import re
    import textwrap

    from mlscan.evidence import _hinted_in
    from mlscan.model import Evidence

    rx = re.compile(r"CI_COMMIT")
    lines = textwrap.dedent(_KANIKO_CI).splitlines()
    item = Evidence(".gitlab-ci.yml", 8, lines[7])  # ``- >-``
    hit = _hinted_in(lines, item, rx, "line:x")
    assert hit is not None and hit.line == 12  # ``--destination ...:${CI_COMMIT_SHORT_SHA}`` continues the command
    # the tag moved to the next script item: another command, not this one's block
    other = textwrap.dedent(_KANIKO_CI.replace("${CI_COMMIT_SHORT_SHA}\"\n", 'latest"\n        - echo "${CI_COMMIT_SHORT_SHA}"\n')).splitlines()
    assert "- echo" in other[12]
    assert _hinted_in(other, item, rx, "line:x") is None


_DVC_LOCK = """\
    schema: '2.0'
    stages:
      prepare:
        cmd: python src/prepare.py
        deps:
        - path: src/prepare.py
          md5: a1cbb11d3bc010058b45c69cc646fe36
        outs:
        - path: data/images
          md5: edcf3adc979e5ebc257cc498c1522d96.dir
      train:
        cmd: python src/train.py
        deps:
        - path: data/images
          md5: edcf3adc979e5ebc257cc498c1522d96.dir
        - path: src/utils.py
          md5: 1b2c3d4e5f60718293a4b5c6d7e8f901
        - path: src/train.py
          md5: 3a1e2aa864276dc167a2db77fa74586e
        outs:
        - path: metrics/report.png
          md5: b698628633bfed3956ce001eade2638e
        - path: models/model.pkl
          md5: 558c45c0114a727c720159d5b998bb04
    """
_DVC_YAML = """\
    stages:
      prepare:
        cmd: python src/prepare.py
        deps: [src/prepare.py]
        outs: [data/images]
      train:
        cmd: python src/train.py
        deps: [data/images, src/utils.py, src/train.py]
        outs: [models/model.pkl]
    """


def test_e3_of_dvc_lock_leads_with_the_training_codes_hash_beside_the_model(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"dvc.lock": _DVC_LOCK, "dvc.yaml": _DVC_YAML, "src/train.py": "import pickle\n", "src/prepare.py": "",
                          "src/utils.py": ""})
    assert qs["E3"]["answer"] == "yes"
    lead = qs["E3"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("dvc.lock", 18, 24)
    assert lead["snippet"].splitlines()[0] == "- path: src/train.py"
    assert lead["snippet"].splitlines()[-1] == "- path: models/model.pkl"


def test_e3_of_a_lock_whose_model_stage_hashes_no_code_cites_the_model_output(tmp_path: Path) -> None:
    # the code is hashed by another stage only: no code -> model link to show; the model's hash stays the lead
    lock = _DVC_LOCK.replace("        - path: src/utils.py\n          md5: 1b2c3d4e5f60718293a4b5c6d7e8f901\n", "") \
                    .replace("        - path: src/train.py\n          md5: 3a1e2aa864276dc167a2db77fa74586e\n", "")
    qs = _scan(tmp_path, {"dvc.lock": lock, "dvc.yaml": _DVC_YAML, "src/train.py": "import pickle\n", "src/prepare.py": ""})
    assert qs["E3"]["answer"] == "yes"
    assert qs["E3"]["evidence"][0]["snippet"].lstrip().startswith("- path: models/model.pkl")


# ---------------------------------------------------------------- M1: never a one-word list item alone; the training job's


def test_a_one_word_list_item_is_bare_alone_and_informative_with_its_key() -> None:
    from mlscan.evidence import is_bare, leading_problem

    assert is_bare("    - schedules", ".gitlab-ci.yml") and is_bare("  - alice", "OWNERS")
    assert leading_problem({"path": ".gitlab-ci.yml", "snippet": "    - schedules"})
    assert not leading_problem({"path": ".gitlab-ci.yml", "snippet": "only:\n  - schedules"})
    assert not leading_problem({"path": "OWNERS", "snippet": "approvers:\n- alice\n- bob"})
    # a key shown with a nested block is still an opener; a command or path item says something on its own
    assert leading_problem({"path": "dvc.yaml", "snippet": "stages:\n  train:"})
    assert not is_bare("    - pytest tests/", ".gitlab-ci.yml") and not is_bare("  - data/images", "dvc.yaml")
    assert not is_bare("- schedules", "README.md")  # prose: a list item is a sentence


_GITLAB_SCHEDULED = """\
    stages: [build, training]
    build-training-image:
      stage: build
      image:
        name: gcr.io/kaniko-project/executor:debug
        entrypoint: [""]
      script:
        - >-
          /kaniko/executor
          --context "${CI_PROJECT_DIR}/"
          --dockerfile "${CI_PROJECT_DIR}/dockerfiles/training.dockerfile"
          --destination "${CI_REGISTRY_IMAGE}/training:latest"
      only:
        - schedules
    training:
      stage: training
      image: python:3.11
      script:
        - pip install -r requirements.txt
        - python src/train.py
      only:
        - schedules
    """


def test_m1_leads_with_the_training_jobs_schedule_cited_with_its_key(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {".gitlab-ci.yml": _GITLAB_SCHEDULED, "src/train.py": "model.fit(X, y)\n", "requirements.txt": "scikit-learn==1.5.2\n"})
    assert qs["M1"]["answer"] == "yes"
    lead = qs["M1"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == (".gitlab-ci.yml", 21, 22)
    assert lead["snippet"] == "only:\n  - schedules" and lead["context"] == "training.only"
    # the image build is no training: its schedule is not cited for M1
    assert all(e["line"] not in (13, 14) for e in qs["M1"]["evidence"])


def test_m1_of_a_scheduled_image_build_alone_is_no_training_schedule(tmp_path: Path) -> None:
    ci = _GITLAB_SCHEDULED.split("    training:\n")[0]
    qs = _scan(tmp_path, {".gitlab-ci.yml": ci, "src/train.py": "model.fit(X, y)\n"})
    assert qs["M1"]["answer"] == "no"


# ---------------------------------------------------------------- D1: a ZenML step's typed output, not the read in its body

_ZENML_STEPS = """\
    \"\"\"Steps of the training pipeline: every output is a versioned artifact of the run.\"\"\"
    from typing import Tuple

    import pandas as pd
    from zenml import pipeline, step
    from xgboost import XGBRegressor


    @step(enable_cache=False)
    def ingest_data(
        data_path: str,
    ) -> Tuple[pd.DataFrame, pd.Series]:
        \"\"\"Reads CSV and returns features and target.\"\"\"
        df = pd.read_csv(data_path)
        return df.drop("AQI", axis=1), df["AQI"]


    @step
    def train_model(X: pd.DataFrame, y: pd.Series) -> XGBRegressor:
        return XGBRegressor().fit(X, y)


    @pipeline
    def training_pipeline(data_path: str):
        X, y = ingest_data(data_path)
        train_model(X, y)


    if __name__ == "__main__":
        training_pipeline("data/air.csv")
    """


def test_d1_of_a_zenml_step_cites_its_decorator_and_typed_outputs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"pipeline.py": _ZENML_STEPS})
    assert qs["D1"]["answer"] == "yes"
    lead = qs["D1"]["evidence"][0]
    assert (lead["path"], lead["line"], lead["end_line"]) == ("pipeline.py", 9, 12)
    assert lead["snippet"].splitlines()[0] == "@step(enable_cache=False)"
    assert "-> Tuple[pd.DataFrame, pd.Series]:" in lead["snippet"]
    # a decorator opens its function: the walk for a deciding line does not read the module's docstring above it
    assert all(e["line"] != 1 for e in qs["D1"]["evidence"])


# ---------------------------------------------------------------- E4: the template variant the default options keep

_CC_JSON = '{"repo_name": "repo_name", "deps_manager": ["uv", "pip"], "add_agents": [true, false]}\n'
_CC_HOOK = """\
    import os
    import shutil
    from pathlib import Path

    PROJECT_DIRECTORY = os.path.realpath(os.path.curdir)
    deps_manager = "{{cookiecutter.deps_manager}}"


    def remove_file(filepath):
        os.remove(os.path.join(PROJECT_DIRECTORY, filepath))


    if deps_manager == "uv":
        Path("requirements.txt").unlink()
        Path("dockerfiles/api_pip.dockerfile").unlink()
        Path("dockerfiles/api_uv.dockerfile").rename("dockerfiles/api.dockerfile")
    else:
        Path("dockerfiles/api_uv.dockerfile").unlink()

    if "{{ cookiecutter.add_agents }}":
        for f in ["notes_pip", "notes_old"]:
            if Path(f).exists():
                shutil.rmtree(f)

    if __name__ == "__main__":
        if "{{ cookiecutter.deps_manager }}" != "pip":
            remove_file("tasks_pip.py")
        if "{{ cookiecutter.unknown_option | lower }}" == "yes":
            remove_file("kept.py")
    """


def test_a_post_gen_hooks_removals_under_the_default_options() -> None:
    import textwrap

    from mlscan.index.template_hooks import removed_paths

    got = removed_paths(_CC_JSON, textwrap.dedent(_CC_HOOK))
    assert got == ("dockerfiles/api_pip.dockerfile", "notes_old", "notes_pip", "requirements.txt", "tasks_pip.py")
    # the other choice first: the other variant goes; an unknown condition removes nothing either way
    pip = removed_paths(_CC_JSON.replace('["uv", "pip"]', '["pip", "uv"]'), textwrap.dedent(_CC_HOOK))
    assert pip == ("dockerfiles/api_uv.dockerfile", "notes_old", "notes_pip")
    assert removed_paths(_CC_JSON, "{% if cookiecutter.x %}\nimport os\n{% endif %}\n") == ()


def _template_repo(cc_json: str) -> dict[str, str]:
    root = "{{ cookiecutter.repo_name }}"
    return {"cookiecutter.json": cc_json, "hooks/post_gen_project.py": _CC_HOOK,
            f"{root}/dockerfiles/api_pip.dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
            f"{root}/dockerfiles/api_uv.dockerfile": "FROM ghcr.io/astral-sh/uv:python3.12-alpine\nCOPY uv.lock pyproject.toml .\n"
                                                     "RUN uv sync --frozen\n",
            f"{root}/requirements.txt": "fastapi\nuvicorn\n",
            f"{root}/src/api.py": "from fastapi import FastAPI\napp = FastAPI()\n"}


def test_e4_of_a_template_leads_with_the_variant_its_default_options_keep(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _template_repo(_CC_JSON))
    assert qs["E4"]["answer"] == "yes"
    assert qs["E4"]["evidence"][0]["path"] == "{{ cookiecutter.repo_name }}/dockerfiles/api_uv.dockerfile"
    assert all("api_pip" not in e["path"] and not e["path"].endswith("requirements.txt") for e in qs["E4"]["evidence"])


def test_e4_of_a_template_whose_default_is_the_other_variant_keeps_that_one(tmp_path: Path) -> None:
    qs = _scan(tmp_path, _template_repo(_CC_JSON.replace('["uv", "pip"]', '["pip", "uv"]')))
    assert all("api_uv" not in e["path"] for e in qs["E4"]["evidence"])
    assert "{{ cookiecutter.repo_name }}/dockerfiles/api_pip.dockerfile" in [e["path"] for e in qs["E4"]["evidence"]]


# ---------------------------------------------------------------- T1: set-up and run steps before a test command

_README_TESTS_FIRST = """\
    # Call center classifier

    ## Running Tests

    ```bash
    pytest tests/unit -v
    ```

    ## Docker Usage

    ### Build the image

    ```bash
    docker build -t callcenter:latest .
    ```

    ### Run the container

    ```bash
    docker run -p 8000:8000 callcenter:latest
    ```
    """


def test_t1_leads_with_the_run_steps_not_the_test_command_above_them(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"README.md": _README_TESTS_FIRST, "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
                          "tests/unit/test_app.py": "def test_x():\n    assert True\n"})
    assert qs["T1"]["answer"] == "yes"
    assert _lead(qs["T1"]) == ("README.md", 14)
    assert qs["T1"]["evidence"][0]["snippet"].startswith("docker build")


def test_t1_of_a_readme_whose_only_commands_run_tests_still_cites_them(tmp_path: Path) -> None:
    readme = _README_TESTS_FIRST.split("    ## Docker Usage")[0]
    qs = _scan(tmp_path, {"README.md": readme, "tests/unit/test_app.py": "def test_x():\n    assert True\n"})
    assert _lead(qs["T1"]) == ("README.md", 6)


# ---------------------------------------------------------------- a heading whose section opens with a subsection


def test_a_heading_cited_alone_reads_on_into_its_first_subsection(tmp_path: Path) -> None:
    from mlscan.evidence import _section_body
    from mlscan.model import Evidence

    lines = ["## 6. Retraining", "", "### Check if retraining is needed", "```bash", "# checks if 30 days have passed",
             "python src/retrain_model.py", "```", "", "## 7. Rollback", "", "python src/rollback.py"]
    got = _section_body(lines, Evidence("docs/guide.md", 1, "## 6. Retraining"))
    # the code block's comment is neither a heading that ends the section nor the command shown
    assert got.line == 6 and got.snippet == "python src/retrain_model.py"
    # a heading followed by a sibling section says nothing: it stays (the bare-lead test flags it)
    same = _section_body(lines[:1] + lines[8:], Evidence("docs/guide.md", 1, "## 6. Retraining"))
    assert same.line == 1


# ---------------------------------------------------------------- D4 (the dev-corpus sample): the check on the data itself

_DATA_TEST = """\
    import os

    import pandas as pd

    expected_columns = 10


    def test_check_schema():
        datafile = os.path.join(os.path.dirname(__file__), "diabetes.csv")
        # check that file exists
        assert os.path.exists(datafile)
        dataset = pd.read_csv(datafile)
        header = dataset[dataset.columns[:-1]]
        actual_columns = header.shape[1]
        assert actual_columns == expected_columns
    """


def test_d4_custom_check_is_cited_at_the_test_of_the_table_not_that_the_file_exists(tmp_path: Path) -> None:
    import ast
    import textwrap

    from mlscan.facts.data_checks import check_line

    fn = ast.parse(textwrap.dedent(_DATA_TEST)).body[-1]
    assert check_line(fn) == 15  # type: ignore[arg-type]
    # a check that only asks whether the file is there is still cited at it (nothing else to show)
    only = ast.parse("def test_data():\n    assert os.path.exists('data.csv')\n").body[0]
    assert check_line(only) == 2  # type: ignore[arg-type]


_PANDERA_SCHEMAS = """\
    import pandera as pa


    class InputsSchema(pa.DataFrameModel):
        temp: float = pa.Field(ge=-50, le=60)


    class FeatureImportancesSchema(pa.DataFrameModel):
        importance: float = pa.Field(ge=0)
    """
_PANDERA_MODEL = """\
    import pandas as pd

    from schemas import FeatureImportancesSchema


    def explain(regressor, columns):
        feature_importances_ = pd.DataFrame({"feature": columns, "importance": regressor.feature_importances_})
        return FeatureImportancesSchema.validate(feature_importances_)
    """
_PANDERA_TRAIN = """\
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor

    from model import explain
    from schemas import InputsSchema


    def main():
        inputs = InputsSchema.validate(pd.read_csv("data/inputs.csv"))
        model = RandomForestRegressor().fit(inputs, inputs["temp"])
        explain(model, inputs.columns)


    if __name__ == "__main__":
        main()
    """
_TRAIN_CI = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python train.py\n"


def test_d4_leads_with_the_inputs_schema_not_a_schema_of_model_outputs(tmp_path: Path) -> None:
    qs = _scan(tmp_path, {"schemas.py": _PANDERA_SCHEMAS, "model.py": _PANDERA_MODEL, "train.py": _PANDERA_TRAIN,
                          ".github/workflows/train.yml": _TRAIN_CI})
    assert qs["D4"]["answer"] == "yes"
    assert _lead(qs["D4"]) == ("train.py", 9)
    assert "model.py" in [e["path"] for e in qs["D4"]["evidence"]]


def test_d4_with_only_a_schema_of_model_outputs_still_cites_it(tmp_path: Path) -> None:
    train = _PANDERA_TRAIN.replace("InputsSchema.validate(pd.read_csv(\"data/inputs.csv\"))", "pd.read_csv(\"data/inputs.csv\")") \
                          .replace("from schemas import InputsSchema\n", "")
    qs = _scan(tmp_path, {"schemas.py": _PANDERA_SCHEMAS, "model.py": _PANDERA_MODEL, "train.py": train,
                          ".github/workflows/train.yml": _TRAIN_CI})
    assert qs["D4"]["evidence"] and qs["D4"]["evidence"][0]["path"] == "model.py"
