"""The stages of DVC pipelines (``dvc.yaml``), read once per scan for everyone who asks: the commands an automated path
runs (``ops.automated_commands``, the wiring graph's roots, ``dvc repro <stage>`` in ``commands.invoked``), the paths
stages depend on (dvc.data) and the pipeline itself (dvc.pipeline). Each asker keeps its own rule for test files."""

from __future__ import annotations

from typing import Any

from ..index import FileEntry, FileIndex
from ..valueclass import Value, setfield


class DvcFile(Value, frozen=True, eq=False):
    """A dvc.yaml: for each YAML document whose ``stages:`` is a mapping, (the document, that mapping), both line-aware;
    ``first`` is the first document's mapping of stages (None when it has none): the one ``dvc repro <stage>`` reads."""

    entry: FileEntry
    documents: tuple[tuple[Any, Any], ...]
    first: Any

    _fields = ("entry", "documents", "first")
    __slots__ = _fields

    def __init__(self, entry: FileEntry, documents: tuple[tuple[Any, Any], ...], first: Any) -> None:
        setfield(self, "entry", entry)
        setfield(self, "documents", documents)
        setfield(self, "first", first)


def dvc_file(index: FileIndex, e: FileEntry) -> DvcFile:
    """The stages of one DVC pipeline file (kept for the scan)."""

    def build() -> DvcFile:
        docs = index.yaml(e.path)
        documents: list[tuple[Any, Any]] = []
        for doc in docs:
            stages = doc.get("stages") if isinstance(doc, dict) else None
            if isinstance(stages, dict):
                documents.append((doc, stages))
        first = documents[0][1] if documents and documents[0][0] is docs[0] else None
        return DvcFile(e, tuple(documents), first)

    return index.derived(("dvc-file", e.path), build)  # type: ignore[no-any-return]


def dvc_files(index: FileIndex) -> list[DvcFile]:
    """Every ``dvc.yaml`` of the scan (test fixtures included), in listing order."""
    return index.memo("dvc-files", lambda: [dvc_file(index, e) for e in index.select(("**/dvc.yaml",))])  # type: ignore[no-any-return]
