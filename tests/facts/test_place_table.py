"""place(): one Place per file and scan, kept in one table (not one memo and key string per file: session 17, speedM)."""

from __future__ import annotations

from pathlib import Path

from mlscan.facts.place import place
from mlscan.index import FileIndex
from mlscan.target import resolve_target

L3 = Path(__file__).resolve().parents[2] / "fixtures" / "levels" / "l3-platform" / "repo"


def test_one_place_per_file_in_one_table() -> None:
    index = FileIndex(resolve_target(str(L3)))
    files = index.select(("**/*.py",))
    assert len(files) >= 2
    first = [place(index, e) for e in files]
    assert [place(index, e) for e in files] == first  # the same objects again
    assert first[0] is not first[1]  # near miss: another file has its own
    assert not [k for k in index._memo if k.startswith("place:") and k != "place:files"]
    assert [p.kind for p in first] == [place(FileIndex(resolve_target(str(L3))), e).kind for e in files]
