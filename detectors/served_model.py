"""The model that is served: each model load in serving code (a registry stage/alias/version, a run artifact, or a
file path), so a report says which artifact the data-version, code-version and deploy links must be about; feeds D2,
E3 (the links themselves read ``mlscan.facts.served``)."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector, Need
from mlscan.facts.served import NEEDLES, served_models
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


class ServedModel(Detector):
    """What serving code loads: ``models:/name/stage|@alias``, ``runs:/...``, or a model file; feeds D2, E3."""

    id = "serving.model"
    questions = ("D2", "E3")
    globs = ("**/*.py",)
    signals = ("serving.model",)
    needs_any = (Need(("**/*.py",), words=NEEDLES),)  # served_models reads only modules mentioning these

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        seen: set[tuple[str, str, str]] = set()
        for load in served_models(index):
            key = (load.path, load.kind, load.ref)
            if key in seen:
                continue
            seen.add(key)
            yield self.found("serving.model", index, load.path, load.line, strength=Strength.MEDIUM,
                             attrs={"kind": load.kind, "ref": load.ref, "stage": load.stage})
