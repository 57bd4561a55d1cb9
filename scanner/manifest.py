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


Clause = tuple[tuple[str, ...], tuple[bytes, ...], tuple[bytes, ...]]  # (globs, words, text): one of a gate's needs


class Gate:
    """A detector's needs: any one of its ``clauses``, each a file matching its globs (mentioning one of its words,
    containing one of its text needles, when it has any). ``globs``, ``words`` and ``text`` are those of a gate of one
    clause (``globs``: every clause's, for a gate of several)."""

    __slots__ = ("name", "value", "id", "globs", "words", "text", "clauses")

    def __init__(self, name: str, value: str, id: str, globs: tuple[str, ...], words: tuple[bytes, ...] = (),
                 text: tuple[bytes, ...] = (), clauses: tuple[Clause, ...] | None = None) -> None:
        self.name, self.value, self.id = name, value, id
        if clauses is None:
            clauses = ((globs, words, text),)
        elif len(clauses) > 1:
            globs = tuple(dict.fromkeys(g for c in clauses for g in c[0]))
            words, text = (), ()
        else:
            globs, words, text = clauses[0]
        self.globs, self.words, self.text, self.clauses = globs, words, text, clauses

    @property
    def reads_words(self) -> bool:
        """Does some clause need a word or text check (a file read)?"""
        return any(c[1] or c[2] for c in self.clauses)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "id": self.id, "needs": list(self.globs),
                               "words": [w.decode("latin-1") for w in self.words], "text": [w.decode("latin-1") for w in self.text]}
        if len(self.clauses) > 1:
            out["any"] = [{"needs": list(g), "words": [x.decode("latin-1") for x in w], "text": [x.decode("latin-1") for x in t]}
                          for g, w, t in self.clauses]
        return out

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> Gate:
        def clause(d: dict[str, Any]) -> Clause:
            return (tuple(map(str, d["needs"])), tuple(str(w).encode("latin-1") for w in d.get("words", ())),
                    tuple(str(w).encode("latin-1") for w in d.get("text", ())))

        if "any" in data:
            return cls(name, str(data["value"]), str(data["id"]), (), clauses=tuple(clause(c) for c in data["any"]))
        return cls(name, str(data["value"]), str(data["id"]), *clause(data))


def gate_of(name: str, value: str, cls: Any) -> Gate | None:
    """The gate a detector class declares (None: it may find something in any repository)."""
    any_of = getattr(cls, "needs_any", None)
    needs = getattr(cls, "needs", None)
    if any_of is not None:
        if needs is not None:
            raise ValueError(f"{name}: declare needs or needs_any, not both")
        return Gate(name, value, cls.id, (), clauses=tuple((n.globs, n.words, n.text) for n in any_of))
    if needs is None:
        return None
    return Gate(name, value, cls.id, tuple(needs), tuple(cls.needs_words), tuple(cls.needs_text))


def gate_open_by_name(index: FileIndex, gate: Gate) -> bool:
    """Does the repository hold a file that a clause without words needs? (Reads no file.)"""
    return any(not words and not text and index.select(globs) for globs, words, text in gate.clauses)


def gate_open(index: FileIndex, gate: Gate, asked: list[str] | None = None) -> bool:
    """Does the repository hold a file the detector needs? (A word check reads only files the detector would ask;
    ``asked`` receives their paths, up to the one that opened the gate: the answer holds while none of them changes
    and no file appears or goes, which the engine checks by name each scan.)"""
    if gate_open_by_name(index, gate):
        return True
    for globs, words, text in gate.clauses:
        if not words and not text:
            continue
        for e in index.select(globs):
            if asked is not None:
                asked.append(e.path)
            if _meets(index, words, text, e.path):
                return True
    return False


def gate_meets(index: FileIndex, gate: Gate, path: str) -> bool:
    """Does this file (asked by one of the gate's word clauses) mention or contain one of that clause's words?"""
    word_clauses = [c for c in gate.clauses if c[1] or c[2]]
    if len(word_clauses) == 1:
        return _meets(index, word_clauses[0][1], word_clauses[0][2], path)
    return any(_meets(index, words, text, path) for globs, words, text in word_clauses if path in _selected(index, globs))


def _selected(index: FileIndex, globs: tuple[str, ...]) -> frozenset[str]:
    """The paths ``index.select(globs)`` gives, as a set kept for the scan (a rescan asks once per changed file)."""
    return index.derived(("gate-clause-paths", globs), lambda: frozenset(e.path for e in index.select(globs)))  # type: ignore[no-any-return]


def _meets(index: FileIndex, words: tuple[bytes, ...], text: tuple[bytes, ...], path: str) -> bool:
    return bool(words and index.mentions(path, words) or text and index.contains(path, text))


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
