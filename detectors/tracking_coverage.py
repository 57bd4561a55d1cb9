"""Training entry points that reach no experiment tracker while another one does: several independent flows,
scripts or notebooks train models and only some log to a tracker, so not every training run is tracked; feeds E1."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.training_entries import training_entries, untracked
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

MAX_CITED = 5  # untracked entries cited as evidence (the count says how many there are)


class TrackingCoverage(Detector):
    """Independent training entry points (scripts, flows, DAGs, notebooks) left untracked beside tracked ones; feeds E1."""

    id = "tracking.coverage"
    questions = ("E1",)
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("tracking.coverage",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        entries = training_entries(index)
        left = untracked(entries)
        if not left:
            return
        floor = max(t.tier for t in entries if t.tracked)
        on_path = [t for t in entries if t.independent and t.tier >= floor]
        first, *rest = left
        extra = [self.evidence(index, t.path, t.line, strength=Strength.MEDIUM) for t in rest[: MAX_CITED - 1]]
        yield self.found("tracking.coverage", index, first.path, first.line, strength=Strength.MEDIUM, extra=extra,
                         attrs={"complete": False, "entries": len(on_path), "tracked": len(on_path) - len(left),
                                "untracked": len(left)})
