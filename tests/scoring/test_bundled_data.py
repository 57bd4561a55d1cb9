"""Bundled rule packs and data files are validated here, so scans need not validate them at run time."""

from __future__ import annotations

from mlscan.scoring.crosswalk import crosswalk_file
from mlscan.scoring.pitfalls import pitfalls_file
from mlscan.scoring.rulepack import builtin_pack_files, load_pack_file, read_data_file


def test_builtin_packs_validate() -> None:
    names = set()
    for f in builtin_pack_files():
        pack = load_pack_file(f, validate=True)  # None for data files that are not packs
        if pack is not None:
            names.add(pack.framework)
    assert {"checklist20", "mm5", "adoption", "google3", "mlops4"} <= names


def test_bundled_data_files_validate() -> None:
    assert read_data_file(pitfalls_file(), "pitfalls", validate=True)["pitfalls"]
    assert read_data_file(crosswalk_file(), "crosswalk", validate=True)
