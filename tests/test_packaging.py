"""The wheel is complete: built from the sources, installed into a fresh venv, it scans and its
report validates against the schema it ships (rule packs and schemas are package data); a third-party
plugin package adds detectors through the ``mlscan.detectors`` entry-point group. No editable install
can hide a packaging mistake here. The wheel is built once per session and the venv once per module."""

from __future__ import annotations

import json
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, git_repo, make_repo, write
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


def _declared_detectors() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data["project"]["entry-points"]["mlscan.detectors"]


@pytest.fixture(scope="module")
def venv_py(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with only the wheel installed (dependencies come from the running env)."""
    py = make_venv(tmp_path_factory.mktemp("wheel") / "venv")
    pip_install(py, "--no-deps", "--no-index", str(build_wheel()))
    return py


def test_wheel_contents() -> None:
    whl = build_wheel()
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        ep_text = z.read(entry_points).decode()
    for required in (
        "mlscan/__init__.py",
        "mlscan/cli.py",
        "mlscan/facts/hcl.py",
        "mlscan/py.typed",
        "mlscan/schemas/report.schema.json",
        "mlscan/schemas/rulepack.schema.json",
        "mlscan/rules/checklist20.yaml",
        "mlscan/reporters/json_report.py",
        "mlscan/detectors/__init__.py",
        "mlscan/org/cli.py",
        "mlscan/org/migrations/env.py",
        "mlscan/org/migrations/script.py.mako",
        "mlscan/org/migrations/versions/0001_initial.py",
    ):
        assert required in names, f"{required} missing from {whl.name}"
    for pack in (ROOT / "rules").glob("*.yaml"):
        assert f"mlscan/rules/{pack.name}" in names
    for module in (ROOT / "scanner").rglob("*.py"):  # every subpackage is listed in pyproject.toml
        assert "mlscan/" + module.relative_to(ROOT / "scanner").as_posix() in names, module
    for schema in (ROOT / "scanner" / "schemas").glob("*.json"):
        assert f"mlscan/schemas/{schema.name}" in names
    for module in {t.split(":")[0] for t in _declared_detectors().values()}:
        assert module.replace(".", "/") + ".py" in names, module
    assert "[mlscan.detectors]" in ep_text and "[console_scripts]" in ep_text
    assert not any(n.startswith(("tests/", "fixtures/", "benchmarks/")) for n in names)


def test_installed_wheel_scans_and_validates(venv_py: Path, tmp_path: Path) -> None:
    py = venv_py
    where = run_in(py, "python", "-c", "import json, mlscan, importlib.resources as r; "
                   "print(json.dumps([mlscan.__file__, str(r.files('mlscan') / 'schemas' / 'report.schema.json'), "
                   "str(r.files('mlscan.rules') / 'checklist20.yaml')]))")
    assert where.returncode == 0, where.stderr
    module_file, schema_path, pack_path = json.loads(where.stdout)
    assert module_file.startswith(str(py.parent.parent)), f"mlscan imported from {module_file}, not the wheel"
    assert Path(schema_path).is_file() and Path(pack_path).is_file()

    version = run_in(py, "mlscan", "--version")
    assert version.returncode == 0 and "mlscan" in version.stdout

    frameworks = run_in(py, "mlscan", "frameworks")
    assert frameworks.returncode == 0, frameworks.stderr
    assert "checklist20" in frameworks.stdout and "mm5" in frameworks.stdout

    detectors = run_in(py, "mlscan", "detectors")
    assert detectors.returncode == 0, detectors.stderr
    listed = {line.split()[0] for line in detectors.stdout.splitlines() if line.strip()}
    assert set(_declared_detectors()) <= listed

    level = FIXTURES / "levels" / "l2-pipelines"
    repo = make_repo(level / "repo", tmp_path / "repo")
    scan = run_in(py, "mlscan", "scan", str(repo), "--format", "json")
    assert scan.returncode == 0, scan.stderr
    assert "Traceback" not in scan.stderr
    report = json.loads(scan.stdout)
    schema = json.loads(Path(schema_path).read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)
    assert len(report["questions"]) == 20 and report["findings"]
    assert report["level"] == yaml.safe_load((level / "expected.yaml").read_text("utf-8"))["level"]
    assert report["stats"]["detectors"] == len(listed)

    for fmt in ("markdown", "html", "sarif", "terminal", "badge-svg"):
        other = run_in(py, "mlscan", "scan", str(repo), "--format", fmt)
        assert other.returncode == 0 and other.stdout, (fmt, other.stderr)

    # org scans: the Alembic migrations ship with the wheel and create the database
    pytest.importorskip("sqlalchemy", reason="the org extra (in the test extra)")
    org = run_in(py, "mlscan", "org", "scan", "--dir", str(tmp_path), "--db", str(tmp_path / "org.sqlite"), "--workers", "1")
    assert org.returncode == 0, org.stderr
    assert "1 repositories: 1 scanned" in org.stdout


def test_third_party_plugin(venv_py: Path, tmp_path: Path) -> None:
    """A third-party detector plugin, pip-installed next to mlscan, is listed and scanned like a built-in one; a broken
    plugin entry point is a one-line configuration error (exit 2), never a traceback."""
    try:
        _plugin_checks(venv_py, tmp_path)
    finally:  # the venv is shared by the module: leave it as the other tests expect it
        run_in(venv_py, "python", "-m", "pip", "uninstall", "-q", "-y", "acme-mlscan", "acme-broken")


def _plugin_checks(py: Path, tmp_path: Path) -> None:
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
