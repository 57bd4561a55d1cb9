"""Which evidence leads, and what it shows: the not-shown causes of a blind evidence audit of six unseen repositories
(session 12, issue #17). Each case has a positive scan and a near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo


def _repo(root: Path, files: dict[str, str]) -> Path:
    return git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]


def _question(repo: Path, qid: str) -> dict[str, Any]:
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return next(q for q in report["questions"] if q["id"] == qid)


_DEVCONTAINER = {
    ".devcontainer/devcontainer.json": '{\n  "name": "Robot dev",\n  "build": {\n    "dockerfile": "Dockerfile"\n  }\n}\n',
    ".devcontainer/Dockerfile": "FROM ros:jazzy-ros-base\nRUN apt-get update\n",
    "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1"\ndependencies = ["fastapi>=0.110"]\n',
}


def _service_image(install: str) -> str:
    return ("FROM python:3.12-slim AS runtime\nRUN pip install --no-cache-dir uv\nCOPY pyproject.toml ./\n"
            f"RUN {install}\nCMD [\"uvicorn\", \"app:app\"]\n")


def test_e4_an_image_that_installs_the_project_with_uv_pip_leads_before_a_devcontainer(tmp_path: Path) -> None:
    """``uv pip install -e ".[api]"`` installs what the project's metadata declares, like ``pip install .``: the service
    image is the project's environment and leads E4 before an editor's dev container (whose own image installs nothing)."""
    files = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image('uv pip install -e ".[api]"')}
    e4 = _question(_repo(tmp_path / "uv", files), "E4")
    assert e4["answer"] == "yes"
    assert (e4["evidence"][0]["path"], e4["evidence"][0]["line"]) == ("deployment/docker/Dockerfile", 1), e4["evidence"][0]
    # plain pip installing the project folder reads the same way
    plain = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image("python -m pip install .")}
    assert _question(_repo(tmp_path / "pip", plain), "E4")["evidence"][0]["path"] == "deployment/docker/Dockerfile"
    # near miss: an image that only compiles a lock (``uv pip compile``) installs nothing of the project: the dev
    # container, the only environment left that declares anything, stays first
    near = {**_DEVCONTAINER, "deployment/docker/Dockerfile": _service_image("uv pip compile pyproject.toml -o req.txt")}
    assert _question(_repo(tmp_path / "near", near), "E4")["evidence"][0]["path"].startswith(".devcontainer/")


def _sm_pipeline(param: str, define: str) -> str:
    """A SageMaker pipeline registering the model version with the evaluation report attached as model metrics."""
    return (
        "from sagemaker.model_metrics import MetricsSource, ModelMetrics\n"
        "from sagemaker.workflow.pipeline import Pipeline\n"
        "from sagemaker.workflow.step_collections import RegisterModel\n\n\n"
        f"def get_pipeline(estimator, step_train, step_eval, group: str{param}) -> Pipeline:\n"
        f"{define}"
        "    step_register = RegisterModel(\n"
        "        name=\"RegisterModel\",\n"
        "        estimator=estimator,\n"
        "        model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,\n"
        "        content_types=[\"text/csv\"],\n"
        "        model_package_group_name=group,\n"
        "        model_metrics=model_metrics,\n"
        "    )\n"
        "    return Pipeline(name=\"abalone\", steps=[step_train, step_eval, step_register])\n"
    )


_SM_METRICS = (
    "    model_metrics = ModelMetrics(\n"
    "        model_statistics=MetricsSource(\n"
    "            s3_uri=f\"{step_eval.properties.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri}/evaluation.json\",\n"
    "            content_type=\"application/json\",\n"
    "        )\n"
    "    )\n"
)


def test_e1_a_pass_through_argument_is_cited_where_its_value_is_built(tmp_path: Path) -> None:
    """``model_metrics=model_metrics`` says nothing on its own: E1 and E2 cite the ``ModelMetrics(...)`` it passes, built
    above in the same function (the evaluation report attached to the registered model version); no yes lead of a scan is
    such an argument alone (``leading_problem``)."""
    src = _sm_pipeline("", _SM_METRICS)
    repo = _repo(tmp_path / "built", {"pipelines/pipeline.py": src})
    for qid in ("E1", "E2"):
        q = _question(repo, qid)
        assert q["answer"] == "yes", q
        lead = q["evidence"][0]
        assert lead["snippet"].startswith("model_metrics = ModelMetrics("), lead
        assert "evaluation.json" in lead["snippet"], lead
    # near miss: a name bound on one line (a helper's result) is not where the value is said: the argument is shown with
    # the call it is passed to instead
    one = _sm_pipeline("", "    model_metrics = ModelMetrics(model_statistics=report)\n").replace("group: str", "group: str, report")
    lead = _question(_repo(tmp_path / "one", {"pipelines/pipeline.py": one}), "E1")["evidence"][0]
    assert lead["snippet"].splitlines() == ["step_register = RegisterModel(", "    model_metrics=model_metrics,"], lead


_CLOUDBUILD = """\
    steps:
      - name: 'gcr.io/cloud-builders/docker'
        id: 'Build image'
        args: ['build', '-t', 'europe-west1-docker.pkg.dev/acme/images/churn-api', '-f', 'dockerfiles/api.dockerfile', '.']
      - name: 'gcr.io/cloud-builders/gcloud'
        id: 'Deploy to Cloud Run'
        args: [
          'run',
          'deploy',
          'churn-api',
          '--image',
          'europe-west1-docker.pkg.dev/acme/images/churn-api',
          '--region',
          'europe-west1'
        ]
    """


def test_m2_a_deploy_written_as_a_list_of_words_shows_the_command(tmp_path: Path) -> None:
    """A Cloud Build step's ``args: [`` list spread over lines: the deploy is cited at its first word and shows the words
    of the command (``'run', 'deploy', 'churn-api', '--image', ...``), not ``'run',`` alone."""
    files = {"cloudbuild.yaml": _CLOUDBUILD, "dockerfiles/api.dockerfile": "FROM python:3.12-slim\nCOPY model.pkl /m/\n",
             "src/train.py": "import joblib\nfrom sklearn.linear_model import LogisticRegression\n"
                             "joblib.dump(LogisticRegression().fit([[0], [1]], [0, 1]), 'model.pkl')\n"}
    m2 = _question(_repo(tmp_path / "flow", files), "M2")
    assert m2["answer"] == "yes", m2
    lead = m2["evidence"][0]
    assert (lead["path"], lead["line"]) == ("cloudbuild.yaml", 8), lead
    assert lead["end_line"] > 8 and "'deploy'" in lead["snippet"] and "'churn-api'" in lead["snippet"], lead


def test_only_a_command_s_word_list_is_read_as_one_command() -> None:
    """The words of ``args:``/``command:`` lists extend the cited line; a list of files or of whole commands does not."""
    from mlscan.evidence import argument_list_end

    block = ["steps:", "- name: gcr.io/cloud-builders/gcloud", "  args:", "  - run", "  - deploy", "  - churn-api", "- name: x"]
    assert argument_list_end(block, 4) == 6
    outs = ["stages:", "  train:", "    outs:", "    - model.pkl", "    - metrics.json", "    - plots/"]
    assert argument_list_end(outs, 4) is None  # a stage's outputs are files, each its own fact
    scripts = ["ci:", "  commands:", "  - uv sync", "  - uv run pytest"]
    assert argument_list_end(scripts, 3) is None  # a list of whole commands: each line is one command
    mapping = ["args:", "- name: a", "- name: b"]
    assert argument_list_end(mapping, 2) is None


def test_e4_a_base_tag_read_from_an_arg_is_shown_with_the_arg_default(tmp_path: Path) -> None:
    """``FROM python:${PYTHON_VERSION}-slim`` pins nothing a reader can see: the ARG's default (``3.13``) is the pin, cited
    with the FROM like an image taken whole from an ARG."""
    image = ("ARG PYTHON_VERSION=3.13\n\nFROM python:${PYTHON_VERSION}-slim AS runtime\nCOPY pyproject.toml ./\n"
             "RUN pip install --no-cache-dir .\nCMD [\"uvicorn\", \"app:app\"]\n")
    e4 = _question(_repo(tmp_path / "arg", {"Dockerfile": image, "pyproject.toml": _DEVCONTAINER["pyproject.toml"]}), "E4")
    assert e4["answer"] == "yes"
    lead = e4["evidence"][0]
    assert (lead["path"], lead["line"]) == ("Dockerfile", 1) and "3.13" in lead["snippet"] and "FROM" in lead["snippet"], lead
    # near miss: an ARG without a default pins nothing (the base floats, E4 partial): the FROM is cited alone
    bare = image.replace("ARG PYTHON_VERSION=3.13", "ARG PYTHON_VERSION")
    e4 = _question(_repo(tmp_path / "bare", {"Dockerfile": bare, "pyproject.toml": _DEVCONTAINER["pyproject.toml"]}), "E4")
    assert e4["answer"] == "partial" and e4["evidence"][0]["line"] == 3, e4


def test_leading_problem_sees_a_pass_through_argument_and_a_lone_list_word() -> None:
    from mlscan.evidence import leading_problem

    assert leading_problem({"path": "train.py", "snippet": "model_metrics=model_metrics"})
    assert not leading_problem({"path": "train.py", "snippet": "model_metrics=evaluation_metrics"})  # names what it passes
    assert not leading_problem({"path": "train.py", "snippet": "step = RegisterModel(\n    model_metrics=model_metrics,"})
    assert leading_problem({"path": "cloudbuild.yaml", "snippet": "      'run',"})
    assert not leading_problem({"path": "cloudbuild.yaml", "snippet": "'run', 'deploy', 'churn-api'"})
