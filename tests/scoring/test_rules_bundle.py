"""The parsed form of the bundled rule files (rules/_parsed.json) is current and gives exactly what YAML gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlscan.scoring import rulepack

ROOT = Path(__file__).resolve().parents[2]


def test_bundle_is_current() -> None:
    cp = subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle_rules.py"), "--check"], capture_output=True, text=True,
                        timeout=60, check=False)
    assert cp.returncode == 0, f"{cp.stdout}{cp.stderr}: run scripts/bundle_rules.py after editing rules/"


def test_bundled_data_equals_yaml() -> None:
    files = sorted((ROOT / "rules").glob("*.yaml"))
    assert files
    for f in files:
        text = f.read_text("utf-8")
        assert rulepack.bundle_entry(text) in rulepack._bundle(), f.name
        assert rulepack._safe_yaml(text, str(f)) == rulepack._parse_yaml(text, str(f)), f.name


def test_an_edited_file_is_parsed_from_yaml(tmp_path: Path) -> None:
    src = (ROOT / "rules" / "checklist20.yaml").read_text("utf-8")
    edited = src.replace("title:", "title: Edited", 1) if "title:" in src else src + "\n# edited\n"
    assert rulepack.bundle_entry(edited) not in rulepack._bundle()
    assert rulepack._safe_yaml(edited, "x.yaml") == rulepack._parse_yaml(edited, "x.yaml")
