"""DVC pipelines: dvc.yaml stages with deps/outs, metrics and plots; feeds D3, E1, E2. A pipeline that trains and
declares a stage's ``metrics:`` file has DVC track every run's metrics next to its code and data hashes (each
``dvc repro``/``dvc exp run`` records them, ``dvc metrics diff``/``dvc exp show`` compare them): run tracking."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import trainingish
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength


class DvcPipeline(Detector):
    """DVC stages in dvc.yaml (a DAG with declared inputs/outputs), and the metrics a training pipeline declares; feeds
    D3, E1."""

    id = "dvc.pipeline"
    questions = ("D3", "E1")
    globs = ("**/dvc.yaml",)
    signals = ("dvc.pipeline", "tracking.run")

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
                trains = any(isinstance(st, dict) and trainingish(str(name), str(st.get("cmd", ""))) for name, st in stages.items())
                declared = next((st for st in stages.values() if isinstance(st, dict) and st.get("metrics")), None)
                if trains and declared is not None:
                    yield self.found(
                        "tracking.run", index, e.path, declared.line_of("metrics") if hasattr(declared, "line_of") else 1,
                        strength=Strength.MEDIUM,
                        attrs={"tool": "dvc", "tools": "dvc", "in_training": True, "metrics": True, "params": bool(
                            any(isinstance(st, dict) and st.get("params") for st in stages.values())), "optional": False,
                               "tuning_only": False, "pipeline_native": True},
                    )
