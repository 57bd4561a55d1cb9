"""The detector manifest: what each of mlscan's own detectors needs from a repository, readable without importing it.

``scripts/build_manifest.py`` writes ``detectors/_manifest.json`` from the detectors' declarations (``Detector.needs``,
``needs_words``, ``needs_text``); a scan reads it and imports a detector's module only when the repository holds a file
the detector needs (``gate_open``), so a repository without notebooks, DAGs or Kubernetes files never imports those
detectors (plugins.DetectorPlan). tests/test_manifest.py fails when the file is stale, or when a detector whose gate is
closed on a fixture reads a file or finds anything there.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .index import FileIndex

MANIFEST_NAME = "_manifest.json"


class Gate:
    """A detector's needs: a file matching ``globs`` (mentioning one of ``words``, containing one of ``text``)."""

    __slots__ = ("name", "value", "id", "globs", "words", "text")

    def __init__(self, name: str, value: str, id: str, globs: tuple[str, ...], words: tuple[bytes, ...] = (),
                 text: tuple[bytes, ...] = ()) -> None:
        self.name, self.value, self.id, self.globs, self.words, self.text = name, value, id, globs, words, text

    @property
    def reads_words(self) -> bool:
        return bool(self.words or self.text)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "id": self.id, "needs": list(self.globs),
                "words": [w.decode("latin-1") for w in self.words], "text": [w.decode("latin-1") for w in self.text]}

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> Gate:
        return cls(name, str(data["value"]), str(data["id"]), tuple(map(str, data["needs"])),
                   tuple(str(w).encode("latin-1") for w in data.get("words", ())),
                   tuple(str(w).encode("latin-1") for w in data.get("text", ())))


def gate_of(name: str, value: str, cls: Any) -> Gate | None:
    """The gate a detector class declares (None: it may find something in any repository)."""
    needs = getattr(cls, "needs", None)
    if needs is None:
        return None
    return Gate(name, value, cls.id, tuple(needs), tuple(cls.needs_words), tuple(cls.needs_text))


def gate_open(index: FileIndex, gate: Gate) -> bool:
    """Does the repository hold a file the detector needs? (A word check reads only files the detector would ask.)"""
    for e in index.select(gate.globs):
        if not gate.reads_words:
            return True
        if gate.words and index.mentions(e.path, gate.words):
            return True
        if gate.text and index.contains(e.path, gate.text):
            return True
    return False


def manifest_path() -> str:
    from . import detectors  # type: ignore[attr-defined]  # mlscan.detectors: its __init__ is a docstring

    return os.path.join(os.path.dirname(detectors.__file__ or ""), MANIFEST_NAME)


_READ: dict[str, tuple[dict[str, Gate | None], dict[str, str]] | None] = {}


def read_manifest() -> tuple[dict[str, Gate | None], dict[str, str]] | None:
    """(entry-point name -> its gate, None: always needed; entry-point name -> ``module:Class``), or None when the
    manifest is missing or unreadable."""
    path = manifest_path()
    if path in _READ:
        return _READ[path]
    got: tuple[dict[str, Gate | None], dict[str, str]] | None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)["detectors"]
        got = ({name: Gate.from_json(name, v) if v.get("needs") is not None else None for name, v in data.items()},
               {name: str(v["value"]) for name, v in data.items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        got = None
    _READ[path] = got
    return got
