"""``python -m mlscan`` run inside an untrusted checkout: Python puts the working directory first on ``sys.path``, and
the scanned repository's modules and plug-in metadata must not be imported through it (SECURITY.md, threat model)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import git_repo

_MARKER = "open({path!r}, 'w').write('ran')\n"


def _hostile(tmp_path: Path) -> tuple[Path, Path, Path]:
    shadow, plugin = tmp_path / "shadow_ran", tmp_path / "plugin_ran"
    repo = git_repo(tmp_path / "repo", {
        # a stdlib name the package imports after start-up, and one imported before any mlscan code runs
        "json.py": _MARKER.format(path=str(shadow)) + "from _json import *\n",
        "evil.py": _MARKER.format(path=str(plugin)) + "D = None\n",
        "evil-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n",
        "evil-0.1.dist-info/entry_points.txt": "[mlscan.detectors]\nevil = evil:D\n[mlscan.rules]\nevil = evil:D\n",
        "train.py": "import mlflow\nmlflow.log_metric('acc', 1.0)\n",
    })
    return repo, shadow, plugin


def test_python_m_inside_a_checkout_imports_none_of_its_modules(tmp_path: Path) -> None:
    repo, shadow, plugin = _hostile(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-m", "mlscan", "scan", ".", "--format", "json", "--no-cache"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"questions"' in done.stdout
    assert not shadow.exists() and not plugin.exists()


def test_the_check_sees_what_python_m_would_import(tmp_path: Path) -> None:
    """The same checkout run as a plain ``-m`` module of another name does import its ``json.py`` (the hazard is real,
    so the test above can fail)."""
    repo, shadow, _plugin = _hostile(tmp_path)
    (repo / "probe.py").write_text("import json\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    subprocess.run([sys.executable, "-m", "probe"], cwd=repo, env=env, capture_output=True, timeout=60)
    assert shadow.exists()
