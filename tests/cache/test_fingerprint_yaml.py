"""The code fingerprint covers PyYAML (its version and LibYAML extension) by its package's files, without importing it:
a scan of a repository that holds no YAML never loads PyYAML (~5 ms), cache or not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mlscan.cache import run as cache_run


def test_an_upgraded_pyyaml_changes_the_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "yaml"
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = '6.0.1'\n")
    monkeypatch.setattr(cache_run, "_yaml_dir", lambda: str(fake))
    before = cache_run._fingerprint([])
    assert cache_run._fingerprint([]) == before
    (fake / "__init__.py").write_text("__version__ = '6.0.2'\n")  # an upgrade: another size
    assert cache_run._fingerprint([]) != before
    after = cache_run._fingerprint([])
    (fake / "_yaml.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\0")  # LibYAML's extension arrives
    assert cache_run._fingerprint([]) != after
    (fake / "README.txt").write_text("not code")  # near miss: a file PyYAML does not run
    monkeypatch.setattr(cache_run, "_yaml_dir", lambda: str(fake))
    with_readme = cache_run._fingerprint([])
    (fake / "README.txt").write_text("still not code, longer")
    assert cache_run._fingerprint([]) == with_readme


def test_the_fingerprint_finds_pyyaml_without_importing_it() -> None:
    code = ("import sys; from mlscan.cache.run import _fingerprint, _yaml_dir; import os; d = _yaml_dir(); _fingerprint([]); "
            "print('yaml' in sys.modules, d is not None and os.path.isfile(os.path.join(d, '__init__.py')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == ["False", "True"]
    import yaml

    assert cache_run._yaml_dir() == str(Path(yaml.__file__).parent)  # the loaded package once imported
