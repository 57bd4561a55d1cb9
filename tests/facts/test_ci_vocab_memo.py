"""Per-command classifications memoised by command text (a CI-heavy repository's jobs run the same script lines again
and again): what depends on the job, the file or the working directory is still decided for each."""

from __future__ import annotations

from pathlib import Path

from mlscan.ci import CiJob, make_step
from mlscan.facts.ci_vocab import image_push_command, python_deploy
from mlscan.facts.commands import Cmd
from mlscan.facts.tracking import image_refs
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo


def _job(uses: str = "") -> CiJob:
    step = make_step(".github/workflows/ci.yml", 5, "push", "docker push team/app:1", uses=uses)
    return CiJob(system="github", path=".github/workflows/ci.yml", line=3, name="build", steps=(step,), triggers=frozenset({"push"}))


def test_the_registry_of_a_pushed_image_is_still_the_jobs() -> None:
    text = "docker push team/app:${{ github.sha }}"
    assert image_push_command(text, _job()) == "dockerhub"
    assert image_push_command(text, _job("aws-actions/amazon-ecr-login@v2")) == "ecr"  # same text, the job logs in to ECR
    assert image_push_command("az acr build -t app:1 .", _job()) == "acr"
    assert image_push_command("docker build -t app:1 .", _job()) is None
    assert image_push_command("docker buildx build --push -t ghcr.io/o/app:1 .", _job()) == "ghcr"


def test_image_refs_are_the_same_when_asked_again() -> None:
    cmd = "docker build -t registry.example.com/app:${GIT_SHA} ."
    assert image_refs(cmd) == ("registry.example.com/app:${GIT_SHA}",)
    assert image_refs(cmd) == image_refs(cmd) and list(image_refs("echo build")) == []


def test_python_deploy_is_decided_per_file_the_command_runs(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {
        "a/deploy.py": "import sagemaker\nfrom sagemaker.model import Model\nModel('img').deploy(initial_instance_count=1)\n",
        "b/deploy.py": "print('no deploy here')\n",
    })
    index = FileIndex(resolve_target(str(repo)))
    job = _job()

    def cmd(cwd: str) -> Cmd:
        return Cmd(job, job.steps[0], "python deploy.py", ".github/workflows/ci.yml", 5, True, False, (".github/workflows/ci.yml:5",), cwd, True)

    assert python_deploy(index, cmd("a")) == "sagemaker"
    assert python_deploy(index, cmd("b")) is None  # same text, another working directory: another file
    assert python_deploy(index, cmd("a")) == "sagemaker"
