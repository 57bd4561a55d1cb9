"""The wheel is complete: built from the sources, installed into a fresh venv, it scans and its
report validates against the schema it ships (rule packs and schemas are package data)."""

from __future__ import annotations

import json
import tomllib
import zipfile
from pathlib import Path

import jsonschema

from .conftest import FIXTURES, ROOT, make_repo
from .venvtools import build_wheel, make_venv, pip_install, run_in


def _declared_detectors() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data["project"]["entry-points"]["mlscan.detectors"]


def test_wheel_contents() -> None:
    whl = build_wheel()
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        ep_text = z.read(entry_points).decode()
    for required in (
        "mlscan/__init__.py",
        "mlscan/cli.py",
        "mlscan/py.typed",
        "mlscan/schemas/report.schema.json",
        "mlscan/schemas/rulepack.schema.json",
        "mlscan/rules/checklist20.yaml",
        "mlscan/reporters/json_report.py",
        "mlscan/detectors/__init__.py",
    ):
        assert required in names, f"{required} missing from {whl.name}"
    for pack in (ROOT / "rules").glob("*.yaml"):
        assert f"mlscan/rules/{pack.name}" in names
    for schema in (ROOT / "scanner" / "schemas").glob("*.json"):
        assert f"mlscan/schemas/{schema.name}" in names
    for module in {t.split(":")[0] for t in _declared_detectors().values()}:
        assert module.replace(".", "/") + ".py" in names, module
    assert "[mlscan.detectors]" in ep_text and "[console_scripts]" in ep_text
    assert not any(n.startswith(("tests/", "fixtures/", "benchmarks/")) for n in names)


def test_installed_wheel_scans_and_validates(tmp_path: Path) -> None:
    whl = build_wheel()
    py = make_venv(tmp_path / "venv")
    pip_install(py, "--no-deps", "--no-index", str(whl))

    where = run_in(py, "python", "-c", "import json, mlscan, importlib.resources as r; "
                   "print(json.dumps([mlscan.__file__, str(r.files('mlscan') / 'schemas' / 'report.schema.json'), "
                   "str(r.files('mlscan.rules') / 'checklist20.yaml')]))")
    assert where.returncode == 0, where.stderr
    module_file, schema_path, pack_path = json.loads(where.stdout)
    assert module_file.startswith(str(tmp_path / "venv")), f"mlscan imported from {module_file}, not the wheel"
    assert Path(schema_path).is_file() and Path(pack_path).is_file()

    version = run_in(py, "mlscan", "--version")
    assert version.returncode == 0 and "mlscan" in version.stdout

    frameworks = run_in(py, "mlscan", "frameworks")
    assert frameworks.returncode == 0, frameworks.stderr
    assert "checklist20" in frameworks.stdout

    detectors = run_in(py, "mlscan", "detectors")
    assert detectors.returncode == 0, detectors.stderr
    listed = {line.split()[0] for line in detectors.stdout.splitlines() if line.strip()}
    assert set(_declared_detectors()) <= listed

    repo = make_repo(FIXTURES / "levels" / "l2-pipelines" / "repo", tmp_path / "repo")
    scan = run_in(py, "mlscan", "scan", str(repo), "--format", "json")
    assert scan.returncode == 0, scan.stderr
    assert "Traceback" not in scan.stderr
    report = json.loads(scan.stdout)
    schema = json.loads(Path(schema_path).read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)
    assert len(report["questions"]) == 20 and report["findings"]
    assert report["stats"]["detectors"] == len(listed)

    for fmt in ("markdown", "html", "sarif", "terminal", "badge-svg"):
        other = run_in(py, "mlscan", "scan", str(repo), "--format", fmt)
        assert other.returncode == 0 and other.stdout, (fmt, other.stderr)
