"""Rule packs: schema cases (tests/rulepacks/*.ok.yaml and *.fail.yaml), one-line `file:line:col: message`
errors with exit 2 and no traceback, and packs installed by a package through the `mlscan.rules` entry point."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.errors import RulePackError
from mlscan.scoring.rulepack import builtin_pack_files, load_pack_file, load_packs, load_schema

HERE = Path(__file__).parent.parent / "rulepacks"
OK = sorted(HERE.glob("*.ok.yaml"))
FAIL = sorted(HERE.glob("*.fail.yaml"))


def _expected_error(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# error: "), f"{path.name}: first line must be '# error: LINE:COL: message'"
    return first.removeprefix("# error: ")


@pytest.mark.parametrize("path", OK, ids=[p.name for p in OK])
def test_ok_packs_load(path: Path) -> None:
    pack = load_pack_file(path)
    assert pack is not None and pack.questions


@pytest.mark.parametrize("path", FAIL, ids=[p.name for p in FAIL])
def test_fail_packs_report_file_line_col(path: Path) -> None:
    with pytest.raises(RulePackError) as e:
        load_pack_file(path)
    assert str(e.value) == f"{path}:{_expected_error(path)}"


def test_schemas_are_valid() -> None:
    for name in ("rulepack", "pitfalls", "crosswalk", "config", "report"):
        jsonschema.Draft202012Validator.check_schema(load_schema(name))


def test_builtin_packs_validate() -> None:
    packs = load_packs(validate_builtin=True)
    assert {"checklist20", "mm5", "adoption", "google3", "mlops4"} <= set(packs)
    # the data files next to the packs are not packs
    assert {p.name for p in builtin_pack_files()} >= {"pitfalls.yaml", "crosswalk.yaml"}


@pytest.mark.parametrize("path", FAIL[:4], ids=[p.name for p in FAIL[:4]])
def test_cli_malformed_pack_exit_2_one_line(path: Path, repo_from) -> None:
    repo = repo_from("levels/l0-notebook-only/repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "--rules", str(path), "-f", "json"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert f"{path}:{_expected_error(path)}" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_cli_frameworks_and_explain_with_rules_dir(tmp_path: Path) -> None:
    d = tmp_path / "packs"
    d.mkdir()
    shutil.copy(HERE / "cascade-guidance.ok.yaml", d / "acme.yaml")
    r = CliRunner()
    out = r.invoke(main, ["frameworks", "--rules", str(d)])
    assert out.exit_code == 0 and "acme-cascade" in out.output and f"--rules {d}" in out.output
    ex = r.invoke(main, ["explain", "A2", "--framework", "acme-cascade", "--rules", str(d)])
    assert ex.exit_code == 0, ex.output
    assert "at least 2 of:" in ex.output and "required for: level 2 (Guarded)" in ex.output


def test_rules_dir_without_packs_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="no \\*.yaml rule packs"):
        load_packs([str(tmp_path)])
    with pytest.raises(RulePackError, match="does not exist"):
        load_packs([str(tmp_path / "nope")])


def test_extends_merges_and_checks_references(tmp_path: Path) -> None:
    packs = load_packs([str(HERE / "extends.ok.yaml")])
    merged = packs["checklist20"]
    assert merged.question("T1").yes == {"signal": "docs.taskrunner"}
    assert len(merged.questions) == 20
    bad = tmp_path / "bad-extends.yaml"
    bad.write_text(
        "schema: mlscan.rules/v1\nframework: x\nextends: checklist20\ntitle: x\n"
        "scoring: {method: bands, bands: [{min: 0, max: 1, level: 0, name: x}]}\n"
        "questions:\n  - {id: T1, text: x, yes_if: {answer: Z9}}\n"
    )
    with pytest.raises(RulePackError, match="unknown question 'Z9'"):
        load_packs([str(bad)])


# ------------------------------------------------------------------ packs from an installed package


def _install_tiny_package(site: Path, *, broken: bool = False) -> None:
    """What `pip install acme-mlscan-rules` leaves in site-packages: the package with its rules/ directory and a
    .dist-info carrying the `mlscan.rules` entry point."""
    pkg = site / "acme_mlscan_rules"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Acme rule packs for mlscan."""\n')
    (pkg / "rules" / "acme.yaml").write_text((HERE / "cascade-guidance.ok.yaml").read_text())
    if broken:
        (pkg / "rules" / "broken.yaml").write_text((HERE / "unknown-key.fail.yaml").read_text())
    info = site / "acme_mlscan_rules-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mlscan-rules\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[mlscan.rules]\nacme = acme_mlscan_rules\n")
    (info / "RECORD").write_text("")


def test_entry_point_package_exposes_rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_from) -> None:
    site = tmp_path / "site-packages"
    _install_tiny_package(site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "acme_mlscan_rules", raising=False)
    packs = load_packs()
    assert "acme-cascade" in packs
    assert packs["acme-cascade"].origin == "entry point acme-mlscan-rules[acme]"
    out = CliRunner().invoke(main, ["frameworks"])
    assert "acme-cascade" in out.output and "entry point acme-mlscan-rules[acme]" in out.output
    repo = repo_from("levels/l1-scripted/repo")
    res = CliRunner().invoke(main, ["scan", str(repo), "--framework", "acme-cascade", "-f", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["framework"] == "acme-cascade" and {q["id"] for q in report["questions"]} >= {"A1", "A5"}


def test_entry_point_with_broken_pack_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    _install_tiny_package(site, broken=True)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "acme_mlscan_rules", raising=False)  # imported from another tmp dir before
    res = CliRunner().invoke(main, ["frameworks"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "broken.yaml:" in res.output and "'yes_iff' was unexpected" in res.output
