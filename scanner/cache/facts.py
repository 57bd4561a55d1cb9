"""Per-file facts keyed by content: what a file's bytes alone determine (its YAML documents with their line numbers,
the imports and ``__main__`` guard of a Python module), stored under the file's content id, the fact's name and the
code fingerprint. Two scans, two branches or two clones holding the same blob share them.

A fact is JSON; YAML documents keep their types exactly (``LineDict``/``LineList`` with every line number, keys of
any scalar type); a document holding anything else (``!!binary`` bytes, ``!!set``) is not stored."""

from __future__ import annotations

import hashlib
from typing import Any

from ..index.formats import LineDict, LineList
from .codec import Uncacheable
from .store import Store


class FactCache:
    """Facts of this scan's files: read from the store on first use, new ones written with the store's flush."""

    def __init__(self, store: Store, fingerprint: str) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.hits = 0
        self.misses = 0

    def _key(self, name: str, content_id: str) -> str:
        return hashlib.sha256(f"{self.fingerprint}|{name}|{content_id}".encode()).hexdigest()[:40]

    def get(self, name: str, content_id: str) -> Any:
        """The stored fact (a one-item list around it) or None."""
        if not content_id or content_id in ("l", "o") or content_id.startswith("big:"):
            return None
        got = self.store.get("fact", self._key(name, content_id))
        if got is None:
            self.misses += 1
        else:
            self.hits += 1
        return got

    def put(self, name: str, content_id: str, value: Any) -> None:
        if content_id and content_id not in ("l", "o") and not content_id.startswith("big:"):
            self.store.put("fact", self._key(name, content_id), [value])


# ---------------------------------------------------------------- YAML documents


def yaml_to_json(value: Any) -> Any:
    """A JSON form of line-aware YAML data: mappings ["M", line, [[key, key line, value]...]], sequences
    ["S", line, item lines, items]; scalars as they are (a JSON list is always a collection)."""
    t = type(value)
    if t is str or t is int or t is float or t is bool or value is None:
        return value
    if t is LineDict:
        return ["M", value.line, [[yaml_to_json(k), value.key_lines.get(k), yaml_to_json(v)] for k, v in value.items()]]
    if t is LineList:
        return ["S", value.line, value.item_lines, [yaml_to_json(v) for v in value]]
    if t is list:
        return ["L", [yaml_to_json(v) for v in value]]
    if t is dict:
        return ["D", [[yaml_to_json(k), yaml_to_json(v)] for k, v in value.items()]]
    raise Uncacheable(f"YAML value of type {t.__name__}")


def yaml_from_json(value: Any) -> Any:
    if value.__class__ is not list:
        return value
    tag = value[0]
    if tag == "M":
        d = LineDict()
        d.line = value[1]
        lines = d.key_lines
        for k, line, v in value[2]:
            key = yaml_from_json(k) if k.__class__ is list else k
            d[key] = yaml_from_json(v) if v.__class__ is list else v
            if line is not None:
                lines[key] = line
        return d
    if tag == "S":
        seq = LineList([yaml_from_json(v) if v.__class__ is list else v for v in value[3]])
        seq.line = value[1]
        seq.item_lines = value[2]
        return seq
    if tag == "L":
        return [yaml_from_json(v) for v in value[1]]
    if tag == "D":
        return {yaml_from_json(k): yaml_from_json(v) for k, v in value[1]}
    raise ValueError(f"unknown YAML fact tag {tag!r}")
