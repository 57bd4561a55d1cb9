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

from tests.conftest import FIXTURES, ROOT, make_repo
from tests.venvtools import build_wheel, make_venv, pip_install, run_in

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


def test_third_party_plugin_adds_findings(venv_py: Path, tmp_path: Path) -> None:
    py = venv_py
    pkg = tmp_path / "plugin"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (pkg / "acme_mlscan.py").write_text(PLUGIN_MODULE)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken / "acme_broken.py").write_text("X = 1\n")
    try:
        pip_install(py, str(pkg))
        listed = run_in(py, "mlscan", "detectors")
        assert "acme.runbook_owner" in listed.stdout
        repo = make_repo(FIXTURES / "levels" / "l1-scripted" / "repo", tmp_path / "repo")
        (repo / "OWNERS.txt").write_text("alice\nbob\n")
        res = run_in(py, "mlscan", "scan", str(repo), "-f", "json")
        assert res.returncode == 0, res.stderr
        found = [f for f in json.loads(res.stdout)["findings"] if f["signal"] == "acme.oncall_owner"]
        assert found and found[0]["evidence"][0]["path"] == "OWNERS.txt" and found[0]["attrs"] == {"owners": 2}

        pip_install(py, str(broken))
        res = run_in(py, "mlscan", "scan", str(repo), "-f", "json")
        assert res.returncode == 2
        assert "acme-broken[acme.broken]" in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    finally:  # the venv is shared by the module: leave it as the other tests expect it
        run_in(py, "python", "-m", "pip", "uninstall", "-q", "-y", "acme-mlscan-plugin", "acme-broken")
