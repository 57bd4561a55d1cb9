"""Scanner errors of session 15's blind samples (issue #13, part 1: training schedules, deploys, deployed refs), fixed
generally: a nightly task named for tests is no retraining and ``continue-on-error`` on a scheduled training caps it;
deploys over ssh/sshpass (here-documents, ``docker restart``, a model refresh in the serving container) from CI and from
an Airflow BashOperator; a Hugging Face Space upload deploys a model only when the Space's app serves one; tests that
never run on the ref a workflow deploys do not gate it. Each positive has its near miss."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from mlscan.engine import ScanOptions, scan
from mlscan.report import build_report

from .conftest import git_repo


def _report(root: Path, files: dict[str, str]) -> dict[str, Any]:
    repo = git_repo(root, {rel: textwrap.dedent(text) for rel, text in files.items()})  # type: ignore[arg-type]
    return build_report(scan(str(repo), ScanOptions(jobs=1)))


def _answers(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in _report(root, files)["questions"]}


# ---------------------------------------------------------------- M1: a nightly task named for tests is no retraining

_TRAIN = """\
import argparse

import torch


def train(config):
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters())
    for _ in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(model.state_dict(), "model.pt")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="configs/base.yaml")
    train(p.parse_args().config)
"""
_LIB_MAKEFILE = """\
.PHONY: test {target}

test:
\tpython -m pytest -n 3 tests/

{target}:
\taccelerate launch --config_file {cfg} {program}
\ttorchrun --nproc_per_node 2 {program}
"""
_NIGHTLY_GPU = """\
name: Nightly GPU
on:
  workflow_dispatch:
  schedule:
    - cron: "0 2 * * *"
jobs:
  run_training_tests:
    runs-on: [self-hosted, multi-gpu]
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e .[test]
      - name: Run distributed training
{coe}        run: make {target}
"""


def _m1(root: Path, target: str, program: str, coe: bool) -> dict[str, Any]:
    cfg = "tests/training/fsdp_config.yaml" if program.startswith("tests/") else "configs/fsdp.yaml"
    return _answers(root, {
        "Makefile": _LIB_MAKEFILE.format(target=target, cfg=cfg, program=program),
        ".github/workflows/nightly.yml": _NIGHTLY_GPU.format(target=target, coe="        continue-on-error: true\n" if coe else ""),
        "mylib/__init__.py": "", program: _TRAIN, cfg: "distributed_type: FSDP\n",
        "tests/__init__.py": "", "tests/test_core.py": "from mylib import *\n\n\ndef test_x():\n    assert 1 + 1 == 2\n",
    })["M1"]


def test_m1_a_nightly_make_target_named_for_tests_is_no_retraining(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "tests_training", "tests/training/training.py", coe=True)
    assert m1["answer"] == "no", m1


def test_m1_a_nightly_training_of_the_test_tree_is_no_retraining(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "distributed", "tests/training/training.py", coe=False)
    assert m1["answer"] == "no", m1


def test_m1_near_miss_a_nightly_retraining_target_stays_yes(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "retrain", "scripts/train.py", coe=False)
    assert m1["answer"] == "yes", m1


def test_m1_a_word_inside_the_target_name_is_no_test(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "train_test_split_retrain", "scripts/train.py", coe=False)
    assert m1["answer"] == "yes", m1


def test_m1_continue_on_error_on_a_scheduled_retraining_is_a_caveat(tmp_path: Path) -> None:
    m1 = _m1(tmp_path, "retrain", "scripts/train.py", coe=True)
    assert m1["answer"] == "partial", m1
    assert "failures ignored" in m1["reason"], m1
