"""Which evidence leads an answer: the item that shows the question's deciding fact, ranked before neighbouring
facts of the same repository (session-8 blind audit causes, issue #17). Each case has a near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.facts.placeholders import placeholder_value
from mlscan.report import build_report

from .conftest import git_repo


def _repo(root: Path, files: dict[str, str]) -> Path:
    return git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]


def _question(repo: Path, qid: str) -> dict[str, Any]:
    report = build_report(scan(str(repo), ScanOptions(jobs=1)))
    return next(q for q in report["questions"] if q["id"] == qid)


_ADDONS = """\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: { name: cert-tools, namespace: argocd }
    spec:
      source: { repoURL: https://charts.example.org/stable, chart: cert-tools, targetRevision: 1.2.x }
      destination: { namespace: certs, server: https://kubernetes.default.svc }
      syncPolicy: { automated: { prune: true, selfHeal: true } }
    """
_SERVING = """\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: { name: churn-predictor, namespace: argocd }
    spec:
      source: { repoURL: "REPO", path: deploy/serving, targetRevision: HEAD }
      destination: { namespace: churn, server: https://kubernetes.default.svc }
      syncPolicy: { automated: { prune: true, selfHeal: true } }
    """


def test_m2_leads_with_the_gitops_app_that_syncs_the_model_not_a_third_party_chart(tmp_path: Path) -> None:
    """Argo CD applications listed in one file: a cluster add-on's chart from a Helm repository comes first in the file
    (and by path), the application syncing the project's serving manifests leads M2."""
    serving = _SERVING.replace("REPO", "https://github.com/acme/churn.git")
    repo = _repo(tmp_path / "repo", {"gitops/apps.yaml": textwrap.dedent(_ADDONS) + "---\n" + textwrap.dedent(serving),
                                     "deploy/serving/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n"})
    m2 = _question(repo, "M2")
    assert m2["answer"] == "yes"
    assert (m2["evidence"][0]["path"], m2["evidence"][0]["line"]) == ("gitops/apps.yaml", 15), m2["evidence"][0]
    # near miss: only the add-on is synced: still an automated deploy, cited as it is
    alone = _question(_repo(tmp_path / "addons", {"gitops/apps.yaml": _ADDONS}), "M2")
    assert alone["answer"] == "yes" and alone["evidence"][0]["line"] == 7


def test_a_gitops_app_whose_repository_is_a_placeholder_syncs_nothing(tmp_path: Path) -> None:
    for url in ("https://github.com/USERNAME/churn.git", "https://github.com/<your-user>/churn.git"):
        assert placeholder_value(url), url
    assert not placeholder_value("https://github.com/acme/churn.git")
    repo = _repo(tmp_path / "repo", {"gitops/app.yaml": _SERVING.replace("REPO", "https://github.com/USERNAME/churn.git")})
    m2 = _question(repo, "M2")
    assert m2["answer"] == "partial" and m2["evidence"][0]["caveats"], m2


_ESTIMATOR = """\
    from sagemaker.pytorch import PyTorch
    from sagemaker.sklearn.processing import SKLearnProcessor
    from sagemaker.workflow.parameters import ParameterString
    from sagemaker.workflow.step_collections import RegisterModel


    def get_pipeline(role, bucket, params):
        processor = SKLearnProcessor(framework_version="1.2-1", role=role, instance_type="ml.m5.xlarge", instance_count=1)
        estimator = PyTorch(
            entry_point="train.py",
            role=role,
            framework_version="2.1",
            py_version="py310",
            output_path=f"s3://{bucket}/models",
        )
        register = RegisterModel(
            name="Register",
            estimator=estimator,
            content_types=["text/csv"],
            response_types=["text/csv"],
            model_package_group_name="churn",
            approval_status=params["approval"],
        )
        return processor, register


    def parameters():
        approval = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")
        return {"approval": approval}
    """


def _notebook(code: str) -> str:
    import json

    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                  "source": textwrap.dedent(code).splitlines(keepends=True)}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_e4_cites_the_training_job_s_environment_in_the_module_before_its_notebook_copy(tmp_path: Path) -> None:
    """An exploration notebook that sorts before the module (``pipeline.ipynb`` < ``pipeline.py``) does not lead, and
    the training estimator's framework version is cited, not the processing job's opener."""
    repo = _repo(tmp_path / "repo", {"pipelines/pipeline.py": _ESTIMATOR, "pipelines/pipeline.ipynb": _notebook(_ESTIMATOR)})
    e4 = _question(repo, "E4")
    assert e4["answer"] == "yes"
    assert (e4["evidence"][0]["path"], e4["evidence"][0]["line"]) == ("pipelines/pipeline.py", 12), e4["evidence"][0]
    assert "framework_version=\"2.1\"" in e4["evidence"][0]["snippet"]
    # near miss: a project whose pipeline lives only in a notebook is cited there
    only = _question(_repo(tmp_path / "nb", {"pipelines/pipeline.ipynb": _notebook(_ESTIMATOR)}), "E4")
    assert only["answer"] == "yes" and only["evidence"][0]["path"] == "pipelines/pipeline.ipynb"


def test_t4_cites_the_pending_approval_status_not_only_the_argument_that_passes_it(tmp_path: Path) -> None:
    """Registry approval as a policy: the ``PendingManualApproval`` default leads (the registration passes it by name)."""
    repo = _repo(tmp_path / "repo", {"pipelines/pipeline.py": _ESTIMATOR})
    t4 = _question(repo, "T4")
    assert t4["answer"] == "yes"
    assert (t4["evidence"][0]["path"], t4["evidence"][0]["line"]) == ("pipelines/pipeline.py", 28), t4["evidence"][0]
    assert any("approval_status" in e["snippet"] or "RegisterModel" in e["snippet"] for e in t4["evidence"][1:]), t4["evidence"]
    # near miss: registered as approved, nobody decides: no registry approval policy
    approved = _ESTIMATOR.replace("PendingManualApproval", "Approved")
    assert _question(_repo(tmp_path / "approved", {"pipelines/pipeline.py": approved}), "T4")["answer"] != "yes"


_RUN_PIPELINE = """\
    import google.cloud.aiplatform as aip


    def main():
        job = aip.PipelineJob(
            display_name="churn",
            template_path="pipeline.yaml",
            pipeline_root="gs://acme-churn-pipelines",
            project="acme",
        )
        job.submit()


    if __name__ == "__main__":
        main()
    """
_UPLOAD = """\
    import pickle

    from google.cloud import storage
    from sklearn.linear_model import LogisticRegression


    def main(X, y):
        model = LogisticRegression().fit(X, y)
        with open("model.pkl", "wb") as f:
            pickle.dump(model, f)
        storage.Client().bucket("acme-churn-models").blob("model.pkl").upload_from_filename("model.pkl")


    if __name__ == "__main__":
        main([[0], [1]], [0, 1])
    """
_DOCKER = "FROM python:3.11-slim\nCOPY . .\nCMD [\"python\", \"{script}\"]\n"


def test_t2_leads_with_where_the_model_is_uploaded_not_a_pipeline_root(tmp_path: Path) -> None:
    """A pipeline run's root folder (its steps may write nothing there) sorts first by path; the training job's upload
    of the model file leads T2."""
    files = {"a_run/run_pipeline.py": _RUN_PIPELINE, "a_run/Dockerfile": _DOCKER.format(script="run_pipeline.py"),
             "train/train.py": _UPLOAD, "train/Dockerfile": _DOCKER.format(script="train.py")}
    t2 = _question(_repo(tmp_path / "repo", files), "T2")
    assert t2["answer"] == "yes"
    assert (t2["evidence"][0]["path"], t2["evidence"][0]["line"]) == ("train/train.py", 11), t2["evidence"][0]
    # near miss: with only the pipeline root, it is what T2 cites
    only = _question(_repo(tmp_path / "root", {k: v for k, v in files.items() if k.startswith("a_run/")}), "T2")
    assert only["answer"] == "yes"
    assert (only["evidence"][0]["path"], only["evidence"][0]["line"]) == ("a_run/run_pipeline.py", 8), only["evidence"][0]


_README = """\
    # Churn

    ## Quickstart

    ```bash
    make build
    docker compose up -d
    bash scripts/demo.sh
    ```

    ## Install

    ```bash
    pip install -r requirements.txt
    python src/train.py
    ```
    """


def test_t1_skips_setup_commands_whose_files_define_nothing_to_run(tmp_path: Path) -> None:
    """``make build`` against a placeholder Makefile, ``docker compose up`` against a compose file with no services and
    a demo script that only echoes run nothing: the README is cited at the first step that does something."""
    hollow = {"README.md": _README, "Makefile": "content for makefile...\n", "docker-compose.yaml": "# services go here\n",
              "scripts/demo.sh": "#!/bin/bash\necho 'Run demo'\n", "src/train.py": "print('train')\n"}
    t1 = _question(_repo(tmp_path / "hollow", hollow), "T1")
    assert t1["answer"] == "yes" and t1["evidence"][0]["snippet"].strip() == "pip install -r requirements.txt", t1["evidence"][0]
    # near miss: the same commands with a Makefile that defines the target are the first step
    real = {**hollow, "Makefile": "build:\n\tdocker build -t churn .\n",
            "docker-compose.yaml": "services:\n  api:\n    build: .\n", "scripts/demo.sh": "#!/bin/bash\npython src/train.py\n"}
    t1 = _question(_repo(tmp_path / "real", real), "T1")
    assert t1["answer"] == "yes" and t1["evidence"][0]["snippet"].strip() == "make build", t1["evidence"][0]


def test_e4_leads_with_the_image_that_installs_the_project_s_dependency_file(tmp_path: Path) -> None:
    """A tracking server's image that installs a few tools by name sorts first by path; the model's image that installs
    the project's requirements file leads E4."""
    files = {"a-tracking/Dockerfile": "FROM python:3.11-slim\nRUN pip install mlflow boto3 pymysql\n",
             "serving/Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
             "serving/requirements.txt": "scikit-learn\nfastapi\n"}
    e4 = _question(_repo(tmp_path / "repo", files), "E4")
    assert e4["answer"] == "yes" and e4["evidence"][0]["path"] == "serving/Dockerfile", e4["evidence"][0]
    # near miss: with only the tracking server's image, it is the environment cited
    only = _question(_repo(tmp_path / "only", {"a-tracking/Dockerfile": files["a-tracking/Dockerfile"]}), "E4")
    assert only["answer"] == "yes" and only["evidence"][0]["path"] == "a-tracking/Dockerfile", only["evidence"][0]


def test_t1_does_not_take_what_ci_may_include_for_setup_steps(tmp_path: Path) -> None:
    """A README workflow list that says what CI "may include" (``Running `terraform apply` ``) describes possibilities,
    not steps a newcomer follows; the same command as a step of its own is one."""
    described = """\
        # Churn

        ## Developer workflow

        1. I push my changes to the dev branch
        1. Cloud Build runs the steps in cloudbuild.yaml, which may include:
            1. Running unit tests
            1. Running `terraform apply`
        1. The new model is launched
        """
    t1 = _question(_repo(tmp_path / "described", {"README.md": described, "src/train.py": "print('train')\\n"}), "T1")
    assert t1["answer"] != "yes", t1
    # near miss: the list tells the reader to run it
    steps = described.replace("which may include:", "then:").replace("Running `terraform apply`", "Run `terraform apply`")
    t1 = _question(_repo(tmp_path / "steps", {"README.md": steps, "src/train.py": "print('train')\\n"}), "T1")
    assert t1["answer"] == "yes" and "terraform apply" in t1["evidence"][0]["snippet"], t1["evidence"][:1]
