"""Kedro pipelines: node(func, inputs, outputs) graphs whose datasets connect nodes (lineage through the
Data Catalog); feeds D3. Pipeline-native tracking through kedro-mlflow: a training node's output saved to a
``kedro_mlflow.io`` metric/model/artifact dataset of the catalog is logged to MLflow by every ``kedro run`` (the
plugin's hooks also log the run's parameters); MLflow logging hooks (PipelineX, kedro-mlflow) registered with the
project track every run too; feeds E1, E2."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import call_tail, calls, dotted, imports, kwarg, literal, trainingish
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex
from mlscan.model import Finding, Strength

_DEP_FILES = ("**/requirements*.txt", "**/requirements*.in", "**/pyproject.toml", "**/setup.py", "**/setup.cfg", "**/environment*.yml",
              "**/conda*.yml")


def _names(node: ast.AST | None) -> set[str]:
    if isinstance(node, ast.Call) and dotted(node.func) == "dict" and not node.args:
        # ``inputs=dict(x="x_train", y="y_train")``: the keyword form of a dataset mapping
        return {str(v) for k in node.keywords if k.arg for v in [literal(k.value, None)] if isinstance(v, str)}
    v = literal(node, None)
    if isinstance(v, str):
        return {v}
    if isinstance(v, (list, tuple, set)):
        return {str(x) for x in v}
    if isinstance(v, dict):
        return {str(x) for x in v.values()}
    return set()


def _node_io(c: ast.Call) -> tuple[set[str], set[str], str]:
    args = list(c.args) + [None, None, None]
    ins = _names(kwarg(c, "inputs") or args[1]) - {"parameters"}
    outs = _names(kwarg(c, "outputs") or args[2])
    return {i for i in ins if not i.startswith("params:")}, outs, dotted(kwarg(c, "func") or args[0]) + " " + str(literal(kwarg(c, "name"), ""))


# MLflow logging hooks of PipelineX and kedro-mlflow, and the names Kedro registers hooks under
_MLFLOW_HOOKS = frozenset({"MLflowBasicLoggerHook", "MLflowDataSetsLoggerHook", "MLflowArtifactsLoggerHook", "MlflowHook",
                           "MlflowPipelineHook", "MlflowNodeHook"})
_HOOK_NAMES = frozenset({"HOOKS", "hooks"})


def _assignments(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name, value) of assignments to a plain name or a class attribute name."""
    for n in walk(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    yield t.id, n.value
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            yield n.target.id, n.value


def _registered_names(tree: ast.AST) -> set[str]:
    """Names read in the value Kedro registers hooks from (``HOOKS = (ProjectHooks(),) + mlflow_hooks``,
    ``hooks = (...) + mlflow_hooks`` on a context class)."""
    return {x.id for name, value in _assignments(tree) if name in _HOOK_NAMES for x in walk(value) if isinstance(x, ast.Name)}


class KedroPipeline(Detector):
    """Kedro node graphs with dataset inputs/outputs; feeds D3."""

    id = "kedro.pipeline"
    questions = ("D3", "E1", "E2")
    globs = ("**/*.py", "**/catalog.yml", "**/catalog*.yml", "**/catalog*.yaml")
    needs = ("**/*.py",)
    needs_words = (b"kedro",)
    signals = ("pipeline.dag", "tracking.run")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        catalog = bool(index.select(("**/catalog.yml", "**/catalog*.yml")))
        nodes: list[tuple[str, int, set[str], set[str], str]] = []
        for e, tree in index.python_files((b"kedro",), ("**/*.py",)):
            if e.test or not imports(tree, "kedro"):
                continue
            nodes += [(e.path, c.lineno, *_node_io(c)) for c in calls(tree, "node") if call_tail(c) == "node"]
        produced = {o for *_, outs, _ in nodes for o in outs}
        linked = [(p, ln) for p, ln, ins, _, _ in nodes if ins & produced]
        yield from self._kedro_mlflow(index, nodes)
        if nodes:
            yield from self._tracking_hooks(index, nodes)
        if len(nodes) >= 2 and linked:
            p, ln = min(linked)
            yield self.found("pipeline.dag", index, p, ln, attrs={"tool": "kedro", "steps": len(nodes), "with_io": True, "catalog": catalog,
                                                                   "training": trainingish(*(t for *_, t in nodes))})

    def _tracking_hooks(self, index: FileIndex, nodes: list[tuple[str, int, set[str], set[str], str]]) -> Iterator[Finding]:
        """MLflow logging hooks registered with the project (``HOOKS = (...)`` in settings.py, a ``KedroContext``'s
        ``hooks``, or a tuple of hooks added to them): PipelineX's ``MLflowBasicLoggerHook`` (starts the run, logs the
        parameters) and ``MLflowDataSetsLoggerHook`` (logs every float/int output of a node as a metric), kedro-mlflow's
        ``MlflowHook``/``MlflowPipelineHook``/``MlflowNodeHook`` (log the run's parameters). Every ``kedro run`` of the
        training pipeline is then tracked without MLflow calls in the nodes. ``enable_mlflow=False`` switches them off."""
        if not any(trainingish(text) for *_, text in nodes):
            return
        files = list(index.python_files((b"Hook", b"hooks", b"HOOKS"), ("**/*.py",)))
        registered = {n for _e, tree in files for n in _registered_names(tree)}
        for e, tree in files:
            if e.test:
                continue
            found: dict[str, int] = {}
            for target, value in _assignments(tree):
                if target not in registered and target not in _HOOK_NAMES:
                    continue
                for c in (n for n in walk(value) if isinstance(n, ast.Call)):
                    name = call_tail(c)
                    if name in _MLFLOW_HOOKS and literal(kwarg(c, "enable_mlflow"), True) is not False:
                        found.setdefault(name, c.lineno)
            if not found:
                continue
            metrics = "MLflowDataSetsLoggerHook" in found
            params = bool(set(found) & {"MLflowBasicLoggerHook", "MlflowHook", "MlflowPipelineHook", "MlflowNodeHook"})
            if not (metrics or params):
                continue
            line = found.get("MLflowDataSetsLoggerHook") or min(found.values())
            yield self.found("tracking.run", index, e.path, line, strength=Strength.STRONG,
                             attrs={"tool": "mlflow", "tools": "mlflow", "in_training": True, "params": params, "metrics": metrics,
                                    "optional": False, "tuning_only": False, "pipeline_native": True, "how": "kedro-hooks"})
            return

    def _kedro_mlflow(self, index: FileIndex, nodes: list[tuple[str, int, set[str], set[str], str]]) -> Iterator[Finding]:
        """A training node's output kept in a kedro-mlflow dataset (``kedro_mlflow.io.metrics.MlflowMetricDataset``,
        ``...MlflowMetricHistoryDataset``, ``...models.MlflowModelTrackingDataset``, ``...artifacts.MlflowArtifactDataset``)."""
        trained = {o for _p, _ln, _ins, outs, text in nodes if trainingish(text) for o in outs}
        if not trained:
            return
        installed = any(index.contains(e.path, (b"kedro-mlflow", b"kedro_mlflow")) for e in index.select(_DEP_FILES))
        for e in index.select(("**/catalog*.yml", "**/catalog*.yaml", "**/catalog/**/*.yml")):
            if e.test or not index.contains(e.path, (b"kedro_mlflow",)):
                continue
            for doc in index.yaml(e.path):
                if not isinstance(doc, dict):
                    continue
                hits = [(name, str(spec.get("type", ""))) for name, spec in doc.items()
                        if name in trained and isinstance(spec, dict) and str(spec.get("type", "")).startswith("kedro_mlflow.io.")]
                if hits:
                    line = doc.line_of(hits[0][0]) if hasattr(doc, "line_of") else 1
                    yield self.found("tracking.run", index, e.path, line, strength=Strength.STRONG if installed else Strength.WEAK,
                                     attrs={"tool": "kedro-mlflow", "tools": "kedro-mlflow", "in_training": True, "params": True,
                                            "metrics": any(".metrics." in t for _n, t in hits), "optional": not installed,
                                            "tuning_only": False, "pipeline_native": True})
                    return
