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
