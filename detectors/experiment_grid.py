"""Experiment grids that tabulate tracked runs by their metrics: Dora grid explorers (``get_grid_metrics`` of an
``Explorer`` decorating a grid's ``explorer(launcher)``) over training that pushes its metrics to each XP's history; feeds
E2 (runs compared across experiments in the tool that tracked them)."""

from __future__ import annotations

from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts import ops
from mlscan.facts.experiment_grids import explorer_classes, grid_functions, pushes_metrics
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_PY = ("**/*.py",)


class ExperimentGrid(Detector):
    """Dora grid explorers showing the metrics every XP of a grid pushed to its history; feeds E2."""

    id = "experiment.grid"
    questions = ("E2",)
    globs = _PY
    signals = ("tracking.comparison",)
    needs = _PY
    needs_words = (b"Explorer",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        explorers: dict[str, tuple[str, int]] = {}
        grids: dict[str, tuple[str, int]] = {}
        for e in index.select(_PY):
            if e.test or not index.mentions(e.path, (b"Explorer",)):
                continue
            tree = index.python(e.path)
            if tree is None:
                continue
            if index.contains(e.path, (b"get_grid_metrics",)):
                for name, line in explorer_classes(tree, ops.aliases(tree)):
                    explorers.setdefault(name, (e.path, line))
            for name, line in grid_functions(tree):
                grids.setdefault(name, (e.path, line))
        used = [(name, at) for name, at in explorers.items() if name in grids]
        if not used:
            return  # no grid runs through an explorer that shows metrics
        push = _metrics_pushed(index)
        if push is None:
            return  # the grid's table would show no metric: nothing in training reports one to the XPs
        name, (path, line) = used[0]
        grid_path, grid_line = grids[name]
        extra = [self.evidence(index, grid_path, grid_line, strength=Strength.MEDIUM),
                 self.evidence(index, push[0], push[1], strength=Strength.MEDIUM)]
        yield self.found("tracking.comparison", index, path, line, strength=Strength.MEDIUM, extra=extra,
                         attrs={"tool": "dora", "tracked_runs": True, "grids": sum(1 for n in grids if n in explorers)})


_PUSH_TEXT = (b"push_metrics", b"update_history", b"BaseSolver", b"dora.lightning")


def _metrics_pushed(index: FileIndex) -> tuple[str, int] | None:
    """Where training reports its metrics to the XP's history (the first such line), or None."""
    for e in index.select(_PY):
        if e.test or not (index.mentions(e.path, (b"link",)) or index.mentions(e.path, (b"BaseSolver",))
                          or index.mentions(e.path, (b"dora",))) or not index.contains(e.path, _PUSH_TEXT):
            continue
        tree = index.python(e.path)
        line = pushes_metrics(tree, ops.aliases(tree)) if tree is not None else 0
        if line:
            return e.path, line
    return None
