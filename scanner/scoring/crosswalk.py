"""The checklist level next to the anchor frameworks (Google, Microsoft, AWS) and every pack scanned.

The table lives in ``rules/crosswalk.yaml`` (reference: signals.md §1.6); this module only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..model import Score
from ..valueclass import Value, setfield
from .rulepack import package_dir, read_data_file


class Crosswalk(Value, frozen=True):
    """How the checklist's levels map onto the published maturity models."""
    basis: str
    source: str
    anchors: Mapping[str, str]
    rows: Mapping[int, Mapping[str, Any]]  # checklist level -> {google: 0, microsoft: 1, aws: "Initial", ...}

    _fields = ("basis", "source", "anchors", "rows")
    __slots__ = _fields

    def __init__(self, basis: str, source: str, anchors: Mapping[str, str], rows: Mapping[int, Mapping[str, Any]]) -> None:
        setfield(self, "basis", basis)
        setfield(self, "source", source)
        setfield(self, "anchors", anchors)
        setfield(self, "rows", rows)

    def anchor_levels(self, level: int) -> dict[str, Any]:
        """The anchor frameworks' levels for a checklist level (names and values as declared)."""
        row = self.rows.get(level)
        if row is None:
            return {}
        return {k: v for k, v in row.items() if k not in ("level", "band", "evidence")}

    def to_json(self, basis_score: Score | None, scores: Mapping[str, Score]) -> dict[str, Any]:
        """``{checklist20: 2, google: 1, google_label: "L1", microsoft: 2, aws: "Repeatable", mm5: 3, ...}``:
        the basis level, its anchors, then the level of every other pack scanned."""
        if basis_score is None:
            return {}
        out: dict[str, Any] = {self.basis: basis_score.level}
        out.update(self.anchor_levels(basis_score.level))
        for name, s in scores.items():
            if name != self.basis and name not in out:
                out[name] = s.level
        return out


def crosswalk_file() -> Path:
    return package_dir("mlscan.rules") / "crosswalk.yaml"


@lru_cache(maxsize=1)
def load_crosswalk() -> Crosswalk:
    data = read_data_file(crosswalk_file(), "crosswalk")
    rows = {int(r["level"]): dict(r) for r in data["levels"]}
    return Crosswalk(data["basis"], data.get("source", ""), dict(data.get("anchors", {})), rows)
