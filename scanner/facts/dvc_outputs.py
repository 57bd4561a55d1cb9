"""The data that ``.dvc`` files track with a hash (``dvc add``): each file's outputs, and their names as words of the
scan's vocabulary (dvc.data's ``Detector.vocabulary``, registered before files are split into words), so that dvc.data
asks which files hold every word of a name before it searches any file for the name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..index import FileEntry, FileIndex
from .commands import normpath


def hashed(entry: object) -> bool:
    """A tracked output or a locked dep/out with its content hash (``md5:``, ``etag:``, ``checksum:``, ``hash:``)."""
    return isinstance(entry, dict) and any(k in entry for k in ("md5", "etag", "checksum", "hash"))


def tracked_outputs(index: FileIndex) -> Iterator[tuple[FileEntry, Any, list[str], list[str]]]:
    """The project's .dvc files with a hashed output (a test's fixture data, ``tests/fixtures/x.dvc``, is not the data
    the project's models learn from), each document as (entry, its ``outs``, their paths as written, the paths from
    the repository's root)."""
    for e in index.select(("**/*.dvc",)):
        if e.test:
            continue
        for doc in index.yaml(e.path):
            outs = doc.get("outs") if isinstance(doc, dict) else None
            if isinstance(outs, list) and any(hashed(o) for o in outs):
                paths = [str(o.get("path", "")) for o in outs if isinstance(o, dict)]
                folder = e.path.rsplit("/", 1)[0] if "/" in e.path else ""
                yield e, outs, paths, [normpath(f"{folder}/{p}") for p in paths if p]


def output_name(out: str) -> bytes:
    """What names a tracked output in code or a config: its last part (code joins paths)."""
    return out.rsplit("/", 1)[-1].encode()


def vocabulary(index: FileIndex) -> list[bytes]:
    """The names of the tracked outputs, as needles for the scan's words vocabulary (registered before files are split
    into words): dvc.data asks which files hold every word of a name before it searches them for the name."""
    return sorted({output_name(o) for _, _, _, outs_at in tracked_outputs(index) for o in outs_at})
