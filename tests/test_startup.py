"""Start-up stays light: neither importing the CLI nor a JSON scan imports the heavy optional libraries
(nor GitPython: git runs as a subprocess), and the CLI module loads no detector until a command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, git_repo, make_repo

HEAVY = ("kubernetes", "boto3", "botocore", "mlflow", "sqlalchemy", "psycopg", "git")

PROBE = """
import contextlib, io, json, sys
import mlscan.cli
after_import = sorted(sys.modules)
questions = []
for repo in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            mlscan.cli.main(["scan", repo, "--format", "json"], standalone_mode=False)
        except SystemExit as e:
            if e.code:
                raise
    questions.append(len(json.loads(out.getvalue())["questions"]))
print(json.dumps({"after_import": after_import, "after_scan": sorted(sys.modules), "questions": questions}))
"""


def test_json_scan_imports_no_heavy_library(tmp_path: Path) -> None:
    # a tiny repository that itself uses the heavy libraries, and a platform-level fixture that wakes most detectors
    tiny = git_repo(
        tmp_path / "tiny",
        {
            "src/train.py": "import mlflow\nimport boto3\nfrom kubernetes import client\nimport sqlalchemy\n\nif __name__ == '__main__':\n    mlflow.log_metric('a', 1)\n",
            "requirements.txt": "mlflow==2.9.2\nboto3==1.34.0\nkubernetes==29.0.0\nsqlalchemy==2.0.25\n",
            "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model\n",
            "README.md": "# tiny\n",
        },
    )
    platform = make_repo(FIXTURES / "levels" / "l4-platform" / "repo", tmp_path / "platform")
    cp = subprocess.run([sys.executable, "-c", PROBE, str(tiny), str(platform)], capture_output=True, text=True, timeout=120, check=False)
    assert cp.returncode == 0, cp.stderr
    got = json.loads(cp.stdout.strip().splitlines()[-1])
    assert got["questions"] == [20, 20]
    for phase in ("after_import", "after_scan"):
        heavy = sorted(m for m in got[phase] if m.split(".")[0] in HEAVY)
        assert not heavy, f"{phase}: {heavy}"
    # the CLI module itself stays small: the engine and detectors load only when a command runs
    assert not any(m.startswith("mlscan.detectors.") for m in got["after_import"])
    # the JSON path needs neither rich (terminal output) nor jsonschema (bundled packs are validated in tests)
    assert not {"rich", "jsonschema"} & {m.split(".")[0] for m in got["after_scan"]}
    # scans that start no worker process load neither the worker protocol nor pickle
    assert not {"mlscan.parallel", "pickle"} & set(got["after_scan"])
    # no dataclass on a scan's path: @dataclass compiles each class's methods at import (mlscan.valueclass instead)
    assert "dataclasses" not in got["after_scan"]
