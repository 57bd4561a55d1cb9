"""Start-up stays light: heavy optional dependencies are never imported by the core or a plain scan."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import FIXTURES, make_repo

HEAVY = ("kubernetes", "boto3", "botocore", "mlflow", "sqlalchemy", "psycopg", "git")

PROBE = """
import json, sys
from click.testing import CliRunner
import mlscan
after_import = sorted(m for m in sys.modules)
from mlscan.cli import main
res = CliRunner().invoke(main, ["scan", sys.argv[1], "-f", "json"])
print(json.dumps({"code": res.exit_code, "import": after_import, "scan": sorted(sys.modules)}))
"""


def test_no_heavy_imports(tmp_path) -> None:
    repo = make_repo(FIXTURES / "levels" / "l4-platform" / "repo", tmp_path / "repo")
    out = subprocess.run([sys.executable, "-c", PROBE, str(repo)], capture_output=True, text=True, timeout=120)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["code"] == 0
    for phase in ("import", "scan"):
        loaded = {m.split(".")[0] for m in data[phase]}
        assert not loaded & set(HEAVY), (phase, sorted(loaded & set(HEAVY)))
    # the JSON path needs neither rich nor jsonschema (validation of bundled packs happens in tests)
    assert "rich" not in {m.split(".")[0] for m in data["scan"]}
