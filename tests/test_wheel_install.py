"""The built wheel, installed into a fresh virtualenv, scans a repository; a third-party plugin package
adds detectors through the ``mlscan.detectors`` entry-point group. No editable install can hide a
packaging mistake here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, make_repo
from .test_report_schema import validate_report

PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-mlscan-plugin"
version = "0.1.0"

[project.entry-points."mlscan.detectors"]
"acme.runbook_owner" = "acme_mlscan:RunbookOwner"
"""

PLUGIN_MODULE = '''
"""A third-party detector: OWNERS.txt files name who is on call for a model."""
from mlscan.detector import Detector
from mlscan.model import Strength


class RunbookOwner(Detector):
    """On-call owners listed in OWNERS.txt; feeds T4."""

    id = "acme.runbook_owner"
    questions = ("T4",)
    globs = ("**/OWNERS.txt",)

    def detect(self, index):
        for e in index.select(self.globs):
            lines = index.lines(e.path)
            if lines:
                yield self.found("acme.oncall_owner", index, e.path, 1, strength=Strength.MEDIUM, attrs={"owners": len(lines)})
'''

BROKEN_PYPROJECT = PLUGIN_PYPROJECT.replace("acme-mlscan-plugin", "acme-broken").replace(
    '"acme.runbook_owner" = "acme_mlscan:RunbookOwner"', '"acme.broken" = "acme_broken:Missing"'
)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)])
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("mlscan-*.whl"))
    env = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(env)]).returncode == 0
    inst = _run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])
    assert inst.returncode == 0, inst.stderr
    return env


def test_wheel_scans_from_a_fresh_venv(venv: Path, tmp_path: Path) -> None:
    repo = make_repo(FIXTURES / "levels" / "l1-scripted" / "repo", tmp_path / "repo")
    res = _run([str(venv / "bin" / "mlscan"), "scan", str(repo), "--format", "json"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    validate_report(report)
    assert report["level"] == 1 and report["stats"]["detectors"] > 30
    where = _run([str(venv / "bin" / "python"), "-c", "import mlscan, os; print(os.path.dirname(mlscan.__file__))"]).stdout.strip()
    assert str(ROOT) not in where, "the wheel must be used, not the source tree"
    packs = _run([str(venv / "bin" / "mlscan"), "frameworks"])
    assert "checklist20" in packs.stdout and "mm5" in packs.stdout


def test_third_party_plugin_adds_findings(venv: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "plugin"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (pkg / "acme_mlscan.py").write_text(PLUGIN_MODULE)
    inst = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(pkg)])
    assert inst.returncode == 0, inst.stderr
    listed = _run([str(venv / "bin" / "mlscan"), "detectors"])
    assert "acme.runbook_owner" in listed.stdout
    repo = make_repo(FIXTURES / "levels" / "l1-scripted" / "repo", tmp_path / "repo")
    (repo / "OWNERS.txt").write_text("alice\nbob\n")
    res = _run([str(venv / "bin" / "mlscan"), "scan", str(repo), "-f", "json"])
    assert res.returncode == 0, res.stderr
    found = [f for f in json.loads(res.stdout)["findings"] if f["signal"] == "acme.oncall_owner"]
    assert found and found[0]["evidence"][0]["path"] == "OWNERS.txt" and found[0]["attrs"] == {"owners": 2}

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken / "acme_broken.py").write_text("X = 1\n")
    assert _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(broken)]).returncode == 0
    res = _run([str(venv / "bin" / "mlscan"), "scan", str(repo), "-f", "json"])
    assert res.returncode == 2
    assert "acme-broken[acme.broken]" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
