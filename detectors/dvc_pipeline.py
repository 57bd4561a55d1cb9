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
                # one stage declares lineage only when data goes in: a stage whose deps are all its own source files
                # (``- src/model/train.py``) reads data it does not declare
                single = len(stages) == 1 and bool(with_io) and any(_data_dep(d) for d in _deps(stages[with_io[0]]))
                yield self.found(
                    "dvc.pipeline", index, e.path, doc.line_of("stages"), strength=Strength.STRONG,
                    attrs={"stages": len(stages), "with_io": len(with_io) >= 2 or single, "metrics": metrics},
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


_CODE_SUFFIXES = (".py", ".ipynb", ".r", ".sh", ".bash", ".jl", ".scala", ".java", ".js", ".ts", ".go", ".rs", ".cpp", ".c")


def _deps(stage: object) -> list[str]:
    deps = stage.get("deps") if isinstance(stage, dict) else None
    if isinstance(deps, str):
        deps = [deps]
    return [str(d) for d in deps] if isinstance(deps, list) else []


def _data_dep(path: str) -> bool:
    """A dependency that is data (a file or folder of inputs), not a source file of the stage's own code."""
    return not path.strip().lower().endswith(_CODE_SUFFIXES)
