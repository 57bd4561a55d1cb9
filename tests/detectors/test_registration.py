"""Every detector class in detectors/ is registered through the mlscan.detectors entry-point group."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import mlscan.detectors as pkg
from mlscan.detector import Detector
from mlscan.plugins import load_detectors


def test_every_builtin_detector_is_registered() -> None:
    classes = set()
    for mod in pkgutil.iter_modules(pkg.__path__):
        m = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        for _, obj in inspect.getmembers(m, inspect.isclass):
            if issubclass(obj, Detector) and obj is not Detector and obj.__module__ == m.__name__ and obj.id:
                classes.add(obj.id)
    registered = {d.id for d in load_detectors()}
    assert classes <= registered, f"not registered in pyproject.toml: {sorted(classes - registered)}"


def test_detectors_declare_metadata() -> None:
    for d in load_detectors():
        assert d.id == d.id.lower() and "." in d.id, d.id
        assert d.describe(), f"{d.id} needs a one-line docstring"
        assert d.questions or d.signals, f"{d.id} must declare questions or signals"


def test_a_detector_is_its_module_its_fixtures_and_one_entry_point_line() -> None:
    """docs/architecture.md: adding a detector touches detectors/<module>.py, fixtures/detectors/<id>/ and one line
    of pyproject.toml. Each module holds one registered recogniser, each entry point line names the class of its
    id, every built-in detector has its fixtures, no engine module keeps a list of detectors or imports one, and no
    detector imports another (so removing or adding one touches nothing else)."""
    import re
    import tomllib

    from tests.conftest import FIXTURES, ROOT

    lines = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]["mlscan.detectors"]
    modules: dict[str, list[str]] = {}
    for mod in pkgutil.iter_modules(pkg.__path__):
        m = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        modules[m.__name__] = [o.id for _, o in inspect.getmembers(m, inspect.isclass)
                               if issubclass(o, Detector) and o is not Detector and o.__module__ == m.__name__ and o.id]
    assert {m: ids for m, ids in modules.items() if len(ids) != 1} == {}, "one detector per module"
    for det_id, target in lines.items():
        module, _, cls = target.partition(":")
        assert modules.get(module) == [det_id] and getattr(importlib.import_module(module), cls).id == det_id, (det_id, target)
        assert (FIXTURES / "detectors" / det_id / "expected.yaml").is_file(), f"{det_id}: fixtures/detectors/{det_id}/ is missing"
    assert sorted(lines) == sorted(i for ids in modules.values() for i in ids)
    names = "|".join(re.escape(m.rsplit(".", 1)[1]) for m in modules)
    mention = re.compile(rf"\bdetectors\.({names})\b|from \.\.detectors import|\b({names})\.py\b")
    for py in (ROOT / "scanner").rglob("*.py"):
        hit = mention.search(py.read_text("utf-8"))
        assert hit is None, f"{py.relative_to(ROOT)} names a detector module ({hit.group(0)}): detectors register only in pyproject.toml"
    # what two detectors share lives in mlscan.facts: no detector imports another
    sibling = re.compile(r"^\s*(from \.|from mlscan\.detectors[. ]|import mlscan\.detectors\.)", re.M)
    for py in (ROOT / "detectors").glob("*.py"):
        hit = sibling.search(py.read_text("utf-8"))
        assert hit is None, f"detectors/{py.name} imports another detector ({hit.group(0).strip()}): move the shared part to scanner/facts/"
