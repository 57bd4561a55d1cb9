"""Semaphore pipelines and their promotions (session 12, issue #13): ``.semaphore/semaphore.yml`` runs on every push, a
pipeline that a ``promotions:`` entry names runs after it (by a button press, or on its own with ``auto_promote``), and
a promoted pipeline that runs a deploy script deploys. A git push to a hosting service counts when the script set its
remote up from a Space/Heroku URL (an argument of the script, a job variable); a pipeline file no promotion names, a
clone of an ordinary repository, and a push back to the project itself deploy nothing."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from mlscan.ci import ci_model
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

ROOT = """\
version: v1.0
name: Train and test
agent:
  machine:
    type: e1-standard-2
global_job_config:
  prologue:
    commands: [checkout, pip install -r requirements.txt]
blocks:
  - name: Train
    task:
      jobs:
        - name: train
          commands: [python train.py]
  - name: Test
    task:
      jobs:
        - name: tests
          commands: [pytest tests]
promotions:
  - name: Deploy
    pipeline_file: deploy.yml
{auto}"""

DEPLOY = """\
version: v1.0
name: Deploy
blocks:
  - name: Deploy
    task:
      env_vars:
        - name: SPACE_REPO
          value: {url}
      jobs:
        - name: push
          commands:
            - checkout
            - ./deploy.sh "$SPACE_REPO"
"""

SCRIPT = """\
#!/usr/bin/env bash
repo=$1
shift
set -e
tmp=$(mktemp -d)
git clone "$repo" "$tmp"
cp -r models app.py requirements.txt "$tmp"
cd "$tmp"
git add . && git commit -m "deploy"
git push origin main
"""


def _index(tmp: Path, files: dict[str, str]) -> FileIndex:
    repo = git_repo(tmp, {k: dedent(v) for k, v in files.items()}, commit=False)  # type: ignore[arg-type]
    return FileIndex(resolve_target(str(repo)))


def _deploys(index: FileIndex) -> list[dict]:
    return [dict(f.attrs) for f in run_detectors(index, load_detectors({"ci.deploy"})) if f.signal == "deploy.automated"]


def test_promoted_pipelines_wait_for_the_blocks_and_keep_their_trigger(tmp_path: Path) -> None:
    ix = _index(tmp_path, {".semaphore/semaphore.yml": ROOT.format(auto="    auto_promote:\n      when: \"result = 'passed' and branch = 'main'\"\n"),
                           ".semaphore/deploy.yml": DEPLOY.format(url="https://huggingface.co/spaces/acme/cats"),
                           ".semaphore/unused.yml": DEPLOY.format(url="https://huggingface.co/spaces/acme/dogs"),
                           "deploy.sh": SCRIPT})
    jobs = {j.name: j for j in ci_model(ix).jobs if j.system == "semaphore"}
    assert set(jobs) == {"train", "tests", "push"}  # unused.yml: no promotion names it
    assert [s.command for s in jobs["tests"].steps] == ["checkout", "pip install -r requirements.txt", "pytest tests"]
    assert jobs["tests"].needs == ("Train",) and jobs["tests"].triggers == {"push", "pull_request"}
    assert jobs["push"].needs == ("Train", "Test") and jobs["push"].triggers == {"pipeline"}
    assert dict(jobs["push"].env) == {"SPACE_REPO": "https://huggingface.co/spaces/acme/cats"}


@pytest.mark.parametrize(("auto", "url", "expected"), [
    # a Space cloned from the script's argument, pushed after the tests: an automatic deploy
    ("    auto_promote:\n      when: \"result = 'passed'\"\n", "https://huggingface.co/spaces/acme/cats", [("hf-spaces", True, False)]),
    # the default promotion is a button: a deploy dispatched by hand, fully scripted
    ("", "https://huggingface.co/spaces/acme/cats", [("hf-spaces", True, True)]),
    ("", "https://git.heroku.com/acme-api.git", [("paas", True, True)]),
    # near misses: a model repository on the Hub, an ordinary GitHub repository
    ("", "https://huggingface.co/acme/cats-model", []),
    ("", "https://github.com/acme/site.git", []),
])
def test_a_promoted_script_pushing_to_a_hosting_service_deploys(tmp_path: Path, auto: str, url: str, expected: list) -> None:
    ix = _index(tmp_path, {".semaphore/semaphore.yml": ROOT.format(auto=auto), ".semaphore/deploy.yml": DEPLOY.format(url=url),
                           "deploy.sh": SCRIPT})
    found = _deploys(ix)
    assert [(a["target"], a["active"], a["manual_dispatch"]) for a in found] == expected
    if found:
        assert all(a["system"] == "semaphore" for a in found)


def test_a_remote_added_by_name_and_a_push_back_to_the_project(tmp_path: Path) -> None:
    script = "#!/bin/sh\nset -e\ngit remote add space https://huggingface.co/spaces/acme/cats\ngit push space HEAD:main\n"
    ix = _index(tmp_path, {".semaphore/semaphore.yml": ROOT.format(auto=""), ".semaphore/deploy.yml": DEPLOY.format(url="x"),
                           "deploy.sh": script})
    assert [a["target"] for a in _deploys(ix)] == ["hf-spaces"]
    back = "#!/bin/sh\nset -e\ngit commit -am bump\ngit push origin main\n"  # no clone, no remote added: the project's own origin
    ix = _index(tmp_path / "b", {".semaphore/semaphore.yml": ROOT.format(auto=""), ".semaphore/deploy.yml": DEPLOY.format(url="x"),
                                 "deploy.sh": back})
    assert _deploys(ix) == []


def test_no_root_pipeline_no_semaphore_jobs(tmp_path: Path) -> None:
    ix = _index(tmp_path, {".semaphore/deploy.yml": DEPLOY.format(url="https://huggingface.co/spaces/acme/cats"), "deploy.sh": SCRIPT})
    assert [j for j in ci_model(ix).jobs if j.system == "semaphore"] == []


@pytest.mark.parametrize(("files", "expected"), [
    ({".github/workflows/space.yml": """\
        on: {push: {branches: [main]}}
        env:
          SPACE: https://huggingface.co/spaces/acme/cats
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: git push --force "$SPACE" HEAD:main
        """}, [("github", "hf-spaces")]),
    ({".gitlab-ci.yml": """\
        variables:
          HEROKU_GIT: https://git.heroku.com/acme-api.git
        deploy:
          script: [./deploy.sh "$HEROKU_GIT"]
        """, "deploy.sh": SCRIPT}, [("gitlab", "paas")]),
    ({".github/workflows/mirror.yml": """\
        on: {push: {branches: [main]}}
        jobs:
          mirror:
            runs-on: ubuntu-latest
            env:
              MIRROR: https://gitlab.com/acme/mirror.git
            steps:
              - run: git push "$MIRROR" HEAD:main
        """}, []),
])
def test_job_variables_resolve_the_remote_in_every_dialect(tmp_path: Path, files: dict[str, str], expected: list) -> None:
    assert [(a["system"], a["target"]) for a in _deploys(_index(tmp_path, files))] == expected


def test_a_nested_semaphore_pipeline_cannot_run(tmp_path: Path) -> None:
    ix = _index(tmp_path, {"services/api/.semaphore/semaphore.yml": ROOT.format(auto=""), "services/api/.semaphore/deploy.yml": DEPLOY.format(url="x")})
    assert [j for j in ci_model(ix).jobs if j.system == "semaphore"] == []
    (warning,) = [w for w in ix.warnings if w.code == "ci-not-run"]
    assert "Semaphore" in warning.message and "services/api --as-root" in warning.message


def test_a_parameterized_promotion_to_a_deployment_target(tmp_path: Path) -> None:
    root = ROOT.format(auto="") + """\
    deployment_target: production
    parameters:
      env_vars:
        - name: SPACE_REPO
          default_value: https://huggingface.co/spaces/acme/cats
"""
    deploy = DEPLOY.format(url="x").replace("      env_vars:\n        - name: SPACE_REPO\n          value: x\n", "")
    ix = _index(tmp_path, {".semaphore/semaphore.yml": root, ".semaphore/deploy.yml": deploy, "deploy.sh": SCRIPT})
    (job,) = [j for j in ci_model(ix).jobs if j.stage == "Deploy"]
    assert job.environment == "production" and dict(job.env) == {"SPACE_REPO": "https://huggingface.co/spaces/acme/cats"}
    found = run_detectors(ix, load_detectors({"ci.deploy"}))
    assert [f.attrs["target"] for f in found if f.signal == "deploy.automated"] == ["hf-spaces"]
    # who may promote is configured in Semaphore: an environment whose rules live outside the repository (weak)
    assert [(f.strength.value, f.attrs["kind"]) for f in found if f.signal == "governance.approval"] == [("weak", "environment")]


def test_root_semaphore_pipelines_apply_to_the_subdirectory_they_name(tmp_path: Path) -> None:
    root = ROOT.replace("commands: [pytest tests]", "commands: [cd services/churn && pytest tests]")
    files = {".semaphore/semaphore.yml": root.format(auto=""), "services/churn/tests/test_model.py": "def test_x():\n    assert f() == 1\n",
             "services/fraud/app.py": "print('fraud')\n"}
    repo = git_repo(tmp_path, {k: dedent(v) for k, v in files.items()}, commit=False)  # type: ignore[arg-type]
    churn = FileIndex(resolve_target(str(repo / "services/churn")))
    fraud = FileIndex(resolve_target(str(repo / "services/fraud")))
    assert [j.name for j in ci_model(churn).active_jobs() if j.system == "semaphore"] == ["tests"]
    assert [j.name for j in ci_model(fraud).active_jobs() if j.system == "semaphore"] == []
