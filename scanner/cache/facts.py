"""Per-file facts keyed by content: what a file's bytes alone determine (``FileIndex.fact``: the imports and
``__main__`` guard of a Python module), stored under the file's content id, the fact's name and the code fingerprint,
with what deriving it did to the index (the file read and parsed, a parse error's warning), replayed when the stored
fact is used. Two scans, two branches or two clones holding the same blob share them."""

from __future__ import annotations

from typing import Any

from ..digest import sha256
from .blobs import ContentIds
from .store import Store


class FactCache:
    """Facts of this scan's files: read from the store on first use, new ones written with the store's flush."""

    def __init__(self, store: Store, fingerprint: str, ids: ContentIds) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.ids = ids
        self.hits = 0
        self.misses = 0

    def _key(self, name: str, content_id: str) -> str:
        return sha256(f"{self.fingerprint}|{name}|{content_id}".encode()).hexdigest()[:40]

    def get(self, name: str, path: str) -> Any:
        """The stored [fact, effects] of the file at ``path`` as it is now, or None."""
        content_id = self.ids.get(path)
        if not content_id or content_id in ("l", "o") or content_id.startswith("big:"):
            return None
        got = self.store.get("fact", self._key(name, content_id))
        if got is None:
            self.misses += 1
        else:
            self.hits += 1
        return got

    def put(self, name: str, path: str, value: Any, effects: list[Any]) -> None:
        content_id = self.ids.get(path)
        if content_id and content_id not in ("l", "o") and not content_id.startswith("big:"):
            self.store.put("fact", self._key(name, content_id), [value, effects])
