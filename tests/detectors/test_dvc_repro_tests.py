"""``dvc repro <stage>`` in a CI step runs that stage's ``cmd`` (session 12, issue #13): a stage whose command is a test
script that fails the step (``sys.exit(1)`` on a wrong prediction, an assertion, pytest) is a test run by CI. A script
that only prints, one that exits 0, and a bare ``dvc repro`` (no stage named) test nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

DVC = """\
stages:
  train:
    cmd: python src/train.py
    deps: [data/raw.csv, src/train.py]
    outs: [models/model.pkl]
  test:
    cmd: python src/test_model.py
    deps: [models/model.pkl, src/test_model.py]
"""

GITLAB = """\
stages: [train, test, deploy]
train:
  stage: train
  script: [dvc repro train]
test:
  stage: test
  script: ["{repro}"]
deploy:
  stage: deploy
  script: [kubectl apply -f k8s/]
"""

CHECK = {
    "exit": "import sys\nfrom model import predict\nif predict('cat.jpg') != 'cat':\n    print('wrong')\n    sys.exit(1)\n",
    "assert": "from model import predict\nassert predict('cat.jpg') == 'cat'\n",
    "message": "import sys\nfrom model import predict\nif predict('cat.jpg') != 'cat':\n    sys.exit('cat.jpg labelled wrong')\n",
    "print": "from model import predict\nprint(predict('cat.jpg'))\n",
    "exit0": "import sys\nfrom model import predict\nprint(predict('cat.jpg'))\nsys.exit(0)\n",
    "computed": "import sys\nfrom model import check\nsys.exit(check())\n",
}


def _tests(tmp: Path, check: str, repro: str = "dvc repro test") -> list[dict]:
    repo = git_repo(tmp, {"dvc.yaml": DVC, ".gitlab-ci.yml": GITLAB.replace("{repro}", repro), "src/test_model.py": CHECK[check],
                          "src/train.py": "print('train')\n", "k8s/app.yaml": "kind: Deployment\n"}, commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [dict(f.attrs, path=f.evidence[0].path) for f in run_detectors(index, load_detectors({"ci.tests"})) if f.signal == "ci.tests"]


@pytest.mark.parametrize(("check", "asserts"), [("exit", True), ("assert", True), ("message", True),
                                                 ("print", False), ("exit0", False), ("computed", False)])
def test_a_stage_run_by_dvc_repro_is_a_test_when_its_script_can_fail(tmp_path: Path, check: str, asserts: bool) -> None:
    found = _tests(tmp_path, check)
    assert [(a["runner"], a["asserts"], a["path"], a["via"]) for a in found] == [("python", asserts, "dvc.yaml", "dvc.yaml")]


def test_bare_dvc_repro_names_no_stage(tmp_path: Path) -> None:
    assert _tests(tmp_path, "exit", repro="dvc repro") == []
    assert _tests(tmp_path / "b", "exit", repro="dvc repro train") == []  # the training stage is not a test
