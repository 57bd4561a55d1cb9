"""A third-party detector plugin, pip-installed next to mlscan, is listed and scanned like a built-in
one; a broken plugin entry point is a one-line configuration error (exit 2), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git_repo, write
from tests.venvtools import build_wheel, make_venv, pip_install, run_in

PLUGIN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
description = "ACME detectors for mlscan"
requires-python = ">=3.11"

[project.entry-points."mlscan.detectors"]
{entry_points}

[tool.setuptools]
py-modules = ["{module}"]
"""

PLUGIN_MODULE = '''\
"""ACME's mlscan detectors."""

from mlscan.detector import Detector
from mlscan.model import Strength


class Thing(Detector):
    """ACME thing files that declare an approval policy."""

    id = "acme.thing"
    questions = ("T4",)
    globs = ("**/acme.toml",)
    signals = ("acme.thing",)

    def detect(self, index):
        for e in index.select(self.globs):
            data = index.toml(e.path) or {}
            if data.get("approval"):
                line = next((i for i, ln in enumerate(index.lines(e.path), 1) if ln.startswith("approval")), 1)
                yield self.found("acme.thing", index, e.path, line, strength=Strength.STRONG,
                                 attrs={"vendor": "acme", "approvers": len(data["approval"].get("approvers", []))})
'''


def make_plugin(dest: Path, name: str, module: str, entry_points: str, source: str) -> Path:
    return write(
        dest,
        {
            "pyproject.toml": PLUGIN_PYPROJECT.format(name=name, module=module, entry_points=entry_points),
            f"{module}.py": source,
        },
    )


def test_third_party_plugin(tmp_path: Path) -> None:
    py = make_venv(tmp_path / "venv")
    pip_install(py, "--no-deps", "--no-index", str(build_wheel()))
    good = make_plugin(tmp_path / "acme", "acme-mlscan", "acme_mlscan", '"acme.thing" = "acme_mlscan:Thing"', PLUGIN_MODULE)
    pip_install(py, "--no-deps", str(good))

    repo = git_repo(tmp_path / "repo", {"acme.toml": '# ACME\napproval = {approvers = ["a", "b"]}\n', "src/train.py": "x = 1\n"})

    listed = run_in(py, "mlscan", "detectors")
    assert listed.returncode == 0, listed.stderr
    row = next((ln for ln in listed.stdout.splitlines() if ln.split()[:1] == ["acme.thing"]), None)
    assert row is not None, listed.stdout
    assert "T4" in row and "ACME thing files that declare an approval policy." in row

    scan = run_in(py, "mlscan", "scan", str(repo), "--format", "json")
    assert scan.returncode == 0, scan.stderr
    report = json.loads(scan.stdout)
    mine = [f for f in report["findings"] if f["detector"] == "acme.thing"]
    assert len(mine) == 1
    f = mine[0]
    assert f["signal"] == "acme.thing" and f["strength"] == "strong"
    assert f["attrs"] == {"vendor": "acme", "approvers": 2}
    assert f["evidence"][0]["path"] == "acme.toml" and f["evidence"][0]["line"] == 2
    assert "approval" in f["evidence"][0]["snippet"]

    # a broken entry point: one line naming the plugin, exit 2, for every command that loads detectors
    broken = make_plugin(
        tmp_path / "broken", "acme-broken", "acme_broken", '"acme.broken" = "acme_broken:DoesNotExist"', "X = 1\n"
    )
    pip_install(py, "--no-deps", str(broken))
    for args in (("scan", str(repo), "--format", "json"), ("detectors",), ("scan", str(repo))):
        cp = run_in(py, "mlscan", *args)
        assert cp.returncode == 2, (args, cp.stdout, cp.stderr)
        lines = cp.stderr.strip().splitlines()
        assert len(lines) == 1, cp.stderr
        assert "Traceback" not in cp.stderr and cp.stdout == ""
        assert "acme" in lines[0] and ("acme.broken" in lines[0] or "acme_broken" in lines[0]), lines[0]

    # a plugin whose module fails at import time is reported the same way
    crashing = make_plugin(
        tmp_path / "crashing", "acme-broken", "acme_broken", '"acme.broken" = "acme_broken:Thing"', "raise RuntimeError('boom at import')\n"
    )
    pip_install(py, "--no-deps", "--force-reinstall", str(crashing))
    cp = run_in(py, "mlscan", "detectors")
    assert cp.returncode == 2 and len(cp.stderr.strip().splitlines()) == 1 and "boom at import" in cp.stderr

    # an entry point that is not a Detector
    not_detector = make_plugin(
        tmp_path / "notdet", "acme-broken", "acme_broken", '"acme.broken" = "acme_broken:Thing"', "class Thing:\n    id = 'x'\n"
    )
    pip_install(py, "--no-deps", "--force-reinstall", str(not_detector))
    cp = run_in(py, "mlscan", "scan", str(repo), "--format", "json")
    assert cp.returncode == 2 and len(cp.stderr.strip().splitlines()) == 1 and "not a Detector" in cp.stderr

    # removing the broken plugin restores the scan
    cp = run_in(py, "python", "-m", "pip", "uninstall", "-y", "-q", "acme-broken")
    assert cp.returncode == 0, cp.stderr
    scan = run_in(py, "mlscan", "scan", str(repo), "--format", "json")
    assert scan.returncode == 0, scan.stderr
    assert any(f["detector"] == "acme.thing" for f in json.loads(scan.stdout)["findings"])
