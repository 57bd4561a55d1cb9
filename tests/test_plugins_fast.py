"""mlscan's own entry points read straight from its ``entry_points.txt`` equal what ``importlib.metadata`` gives, and
any plug-in on the path hands the answer back to ``importlib.metadata``."""

from __future__ import annotations

import sys
import sysconfig
from importlib.machinery import PathFinder
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from mlscan import plugins


def _pairs(eps: list) -> list[tuple[str, str, str]]:
    return [(ep.name, ep.value, ep.dist.name if ep.dist else "?") for ep in eps]


@pytest.mark.parametrize("group", [plugins.DETECTOR_GROUP, plugins.RULES_GROUP])
def test_own_entry_points_equal_importlib_metadata(group: str) -> None:
    assert _pairs(plugins.entry_points_of(group)) == _pairs(list(entry_points(group=group)))


def test_fast_path_is_taken_in_a_plain_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # only the environment's site-packages, where pip installed mlscan (the source tree's own egg-info, on the path
    # when tests run from it, would be a second distribution)
    site = Path(sysconfig.get_paths()["purelib"])
    monkeypatch.setattr(sys, "path", [str(site)])
    # and only the standard distribution finder (a test that imported setuptools or pip may have added its own)
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if getattr(f, "find_distributions", None) is None or f is PathFinder])
    got = plugins._own_groups()
    if got is None:
        pytest.skip(f"{site} holds an mlscan plug-in or a second mlscan distribution")
    assert got[plugins.DETECTOR_GROUP], "mlscan's own detectors"
    assert all(isinstance(ep, plugins.OwnEntryPoint) for ep in plugins.entry_points_of(plugins.DETECTOR_GROUP))


def test_a_plugin_on_the_path_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "acme_mlscan-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mlscan\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[mlscan.detectors]\nacme.thing = acme_mlscan:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugins._own_groups() is None
    names = [ep.name for ep in plugins.entry_points_of(plugins.DETECTOR_GROUP)]
    assert "acme.thing" in names and "ci.workflow" in names


def test_sections_reader() -> None:
    text = "# c\n[console_scripts]\nmlscan = mlscan.cli:main\n\n[ mlscan.detectors ]\n a.b = m.x:Y \n"
    assert plugins._sections(text) == {"console_scripts": [("mlscan", "mlscan.cli:main")], "mlscan.detectors": [("a.b", "m.x:Y")]}


def test_the_answer_is_stored_beside_the_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from mlscan.bytecode_store import stored_path

    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(plugins, "_OWN", None)
    first = plugins._own_groups()
    where = Path(stored_path(plugins.__file__, ".entry-points.json") or "")
    assert where.is_file() and str(where).startswith(str(tmp_path))
    data = json.loads(where.read_text())
    assert plugins._stored_groups(data["key"]) == first  # read back: no distribution is listed again
    assert plugins._stored_groups([*data["key"][:2], ["other.Finder"]]) is False
    if first is not None:  # mlscan's own entry_points.txt rewritten since: read again
        where.write_text(json.dumps({**data, "own_mtime": 1}))
        assert plugins._stored_groups(data["key"]) is False
        monkeypatch.setattr(plugins, "_OWN", None)
        assert plugins._own_groups() == first


def _stored_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, work: Path) -> object:
    """The answer stored for a path of ``work`` (the working directory) and the environment's site-packages, with the
    standard distribution finder only (as test_fast_path_is_taken_in_a_plain_install)."""
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "path", [str(work), sysconfig.get_paths()["purelib"]])
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if getattr(f, "find_distributions", None) is None or f is PathFinder])
    monkeypatch.setattr(plugins, "_OWN", None)
    first = plugins._own_groups()
    if first is None:
        pytest.skip("site-packages holds an mlscan plug-in or a second mlscan distribution")
    return first


def test_a_changed_directory_without_distributions_keeps_the_stored_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    work = tmp_path / "work"  # the working directory `python -m mlscan` puts first on the path
    work.mkdir()
    first = _stored_first(tmp_path, monkeypatch, work)
    (work / "new.txt").write_text("x")  # its modification time changes
    os.utime(work, ns=(1, 1))
    other = tmp_path / "elsewhere"  # and another directory replaces it
    other.mkdir()
    monkeypatch.setattr(plugins, "_OWN", None)
    monkeypatch.setattr(plugins, "_read_own_groups", lambda own_file=None: pytest.fail("listed every distribution again"))
    assert plugins._own_groups() == first
    monkeypatch.setattr(sys, "path", [str(other), *sys.path[1:]])
    monkeypatch.setattr(plugins, "_OWN", None)
    assert plugins._own_groups() == first


def test_a_changed_directory_that_now_holds_a_plugin_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _stored_first(tmp_path, monkeypatch, work)
    info = work / "acme_mlscan-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mlscan\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[mlscan.detectors]\nacme.thing = acme_mlscan:Thing\n")
    monkeypatch.setattr(plugins, "_OWN", None)
    assert plugins._own_groups() is None  # the plug-in hands the answer to importlib.metadata
