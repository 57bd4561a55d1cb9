"""Scanner errors of session 16's blind samples (issue #13, part 2: deploys, gates, lineage, stores, rollback,
approvals), fixed generally, each positive with its near miss: tests run by CircleCI through ``invoke`` tasks before a
deploy job that requires them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.facts.commands import invoked
from mlscan.index import FileIndex
from mlscan.report import build_report
from mlscan.target import resolve_target

from .conftest import git_repo


def _report(root: Path, files: dict[str, str]) -> dict[str, Any]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return build_report(scan(str(repo), ScanOptions(jobs=1)))


def _answers(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _report(root, files)["questions"]}


# ---------------------------------------------------------------- M3: CircleCI jobs running invoke tasks

_CIRCLE = """\
version: 2.1
jobs:
  test:
    docker:
      - image: cimg/python:3.11
    steps:
      - checkout
      - run: pip install -r requirements.txt
      - run:
          name: Run tests
          command: inv tests
  deploy:
    docker:
      - image: cimg/python:3.11
    steps:
      - checkout
      - run: pip install -r requirements.txt
      - run: invoke deploy --env prod
workflows:
  build-deploy:
    jobs:
      - test
      - deploy:
{requires}          filters:
            branches:
              only: main
"""
_REQUIRES = "          requires:\n            - test\n"
_TASKS = """\
from invoke import task


@task
def lint(c):
    c.run("ruff check src", warn=True)


@task(pre=[lint])
def tests(c, cov=False):
    \"\"\"Run the test suite.\"\"\"
    c.run(f"pytest tests -q {'--cov' if cov else ''}")


@task
def upload(c):
    c.run("aws s3 cp model.joblib s3://models/model.joblib")


@task(upload, name="deploy")
def deploy_model(c, env="staging"):
    c.run("python -m src.train")
    c.run(f"aws sagemaker update-endpoint --endpoint-name churn-{env} --endpoint-config-name churn-v2")
"""
_TEST = """\
from src.model import predict


def test_predict():
    assert predict([1, 2]) in (0, 1)
"""


def _invoke_repo(requires: str = _REQUIRES, tests_task: str = _TASKS) -> dict[str, str]:
    return {".circleci/config.yml": _CIRCLE.format(requires=requires), "tasks.py": tests_task,
            "tests/test_model.py": _TEST, "src/__init__.py": "", "src/model.py": "def predict(x):\n    return 0\n",
            "src/train.py": "print('train')\n", "requirements.txt": "invoke==2.2.0\n"}


def test_invoke_tasks_expand_to_their_commands_pre_tasks_first(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, _invoke_repo())
    index = FileIndex(resolve_target(str(repo)))
    subs = invoked(index, "inv tests", ".circleci/config.yml", 11)
    assert [(s.text, s.file.path, s.line, s.ignored, s.via) for s in subs] == [
        ("ruff check src", "tasks.py", 6, True, "invoke tests"),  # warn=True: its failure fails nothing
        ("pytest tests -q $X", "tasks.py", 12, False, "invoke tests"),
    ]
    deploy = invoked(index, "invoke deploy --env prod", ".circleci/config.yml", 18)
    assert [s.text for s in deploy] == ["aws s3 cp model.joblib s3://models/model.joblib", "python -m src.train",
                                        "aws sagemaker update-endpoint --endpoint-name churn-$X --endpoint-config-name churn-v2"]
    assert invoked(index, "inv nothing", ".circleci/config.yml", 11) == []


def test_circleci_invoke_tests_required_by_the_deploy_job_gate_it(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo())
    assert answers["M3"]["answer"] == "yes"
    assert answers["M2"]["answer"] == "yes"


def test_a_deploy_job_not_requiring_the_test_job_is_not_gated(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo(requires=""))
    assert answers["M3"]["answer"] == "partial"


def test_an_invoke_task_named_tests_that_only_lints_is_no_test(tmp_path: Path) -> None:
    answers = _answers(tmp_path, _invoke_repo(tests_task=_TASKS.replace('c.run(f"pytest tests -q {\'--cov\' if cov else \'\'}")',
                                                                          'c.run("flake8 src")')))
    assert answers["M3"]["answer"] == "no"
