"""Drift-triggered retraining in code: a drift/violation check whose branch starts training (a train
call, a pipeline run, a workflow dispatch); feeds the Automation/Observability top rungs."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

from ._orchestration import at, dotted, drift_test, is_test_path, reach_strength, strings, tail, trainingish

_SAYS = ("print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "write", "notify", "send_message")


def _starts_training(stmts: list[ast.stmt]) -> bool:
    """A call in the branch starts training (``train_model()``, ``pipeline.start()`` of a training
    pipeline, a dispatch whose payload says retrain); messages that only talk about it do not count."""
    for s in stmts:
        for c in ast.walk(s):
            if isinstance(c, ast.Call) and tail(dotted(c.func)) not in _SAYS and trainingish(dotted(c.func), *strings(c)):
                return True
    return False


class RetrainTrigger(Detector):
    """Drift or metric-violation checks that start a training run or pipeline; feeds the L4 automation rung."""

    id = "retrain.trigger"
    questions = ()
    globs = ("**/*.py", "**/*.ipynb")
    signals = ("retrain.trigger",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e, tree in index.python_files((b"drift", b"Drift", b"violat", b"psi", b"p_value", b"pvalue")):
            if is_test_path(e.vpath):
                continue
            hits = [n for n in ast.walk(tree) if isinstance(n, ast.If) and drift_test(n.test) and (_starts_training(n.body) or _starts_training(n.orelse))]
            if not hits:
                continue
            strength, how = reach_strength(index, e)
            active = strength != Strength.WEAK
            for n in hits:
                yield self.found("retrain.trigger", index, e.path, **at(index, e, n.lineno), strength=strength,
                                 attrs={"tool": "python", "kind": "drift", "active": active, "reached": how})
