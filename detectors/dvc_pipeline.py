"""DVC pipelines: dvc.yaml stages with deps/outs, metrics and plots; feeds D3, E1, E2."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


class DvcPipeline(Detector):
    """DVC stages in dvc.yaml (a DAG with declared inputs/outputs); feeds D3."""

    id = "dvc.pipeline"
    questions = ("D3",)
    globs = ("**/dvc.yaml",)
    signals = ("dvc.pipeline",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(self.globs):
            for doc in index.yaml(e.path):
                stages = doc.get("stages") if isinstance(doc, dict) else None
                if not isinstance(stages, dict) or not stages:
                    continue
                with_io = [n for n, st in stages.items() if isinstance(st, dict) and st.get("deps") and (st.get("outs") or st.get("metrics"))]
                metrics = any(isinstance(st, dict) and st.get("metrics") for st in stages.values())
                yield self.found(
                    "dvc.pipeline", index, e.path, doc.line_of("stages"), strength=Strength.STRONG,
                    attrs={"stages": len(stages), "with_io": len(with_io) >= 2 or (len(stages) == 1 and bool(with_io)), "metrics": metrics},
                )
