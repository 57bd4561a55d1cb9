"""ClearML pipelines: ``PipelineController`` graphs of task steps (``add_step(base_task_name=..., parents=[...],
parameter_override={"General/dataset_task_id": "${stage_data.id}"})``) and function steps (``add_function_step(function=...,
function_kwargs=dict(data_frame="${step_one.data_frame}"), function_return=[...])``), and ``PipelineDecorator``
pipelines whose ``@PipelineDecorator.component`` results feed later components. A pipeline declares lineage (D3) when
a training step receives data from an upstream step: a step's artifact or return value, or the id/parameters of a data
step; a training step that only gets a fixed dataset id or a tuning step's id loads its own data (no lineage). A data
step's output kept by the pipeline run (an artifact a later step reads back, a function step's return value) is a
per-run data version (D1), like Metaflow/KFP/ZenML artifacts, and it is shared through the ClearML server's store, as
are model files a pipeline step uploads (``upload_artifact``, ``OutputModel``) and ClearML datasets it uploads (T2)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.detector import Detector
from mlscan.facts.orchestration import (
    calls,
    dataflow,
    decorator,
    dotted,
    functions,
    imports,
    kwarg,
    literal,
    tail,
    trainingish,
    unfed_training,
    words,
)
from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex
from mlscan.lazyre import lazy_re
from mlscan.model import Finding
from mlscan.valueclass import Value

_REF = lazy_re(r"\$\{([A-Za-z_][\w-]*)\.([\w.-]+)\}")
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "preprocess", "preprocessing", "prep", "prepare", "preparation", "split", "etl",
                         "ingest", "ingestion", "load", "loader", "features", "feature", "clean", "cleaning", "raw", "frame", "df", "table"})
_MODEL_WORDS = frozenset({"model", "models", "weights", "checkpoint", "ckpt", "h5", "pt", "pth", "pkl", "joblib", "onnx", "keras",
                          "safetensors", "pickle"})


def _dataish(text: str) -> bool:
    return bool(words(text) & _DATA_WORDS)


class _Step(Value):
    name: str
    path: str
    line: int
    text: str  # name, base task name and function: what the step is called
    parents: set[str]
    refs: list[tuple[str, str, int]]  # (step, what, line) of each ``${step.what}`` passed in
    returns: list[str]
    function: bool

    _fields = ("name", "path", "line", "text", "parents", "refs", "returns", "function")

    def __init__(
        self,
        name: str,
        path: str,
        line: int,
        text: str,
        parents: set[str] | None = None,
        refs: list[tuple[str, str, int]] | None = None,
        returns: list[str] | None = None,
        function: bool = False,
    ) -> None:
        self.name = name
        self.path = path
        self.line = line
        self.text = text
        self.parents = set() if parents is None else parents
        self.refs = [] if refs is None else refs
        self.returns = [] if returns is None else returns
        self.function = function


def _strings_at(node: ast.AST | None) -> list[tuple[str, int]]:
    return [(n.value, n.lineno) for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)] if node is not None else []


def _controller_steps(e: FileEntry, tree: ast.Module) -> list[_Step]:
    steps: list[_Step] = []
    for c in calls(tree, "add_step", "add_function_step"):
        name = literal(kwarg(c, "name"), None)
        if not isinstance(name, str):
            continue
        func = dotted(kwarg(c, "function"))
        text = " ".join(str(t) for t in (name, literal(kwarg(c, "base_task_name"), ""), func) if t)
        parents = literal(kwarg(c, "parents"), None)
        s = _Step(name, e.path, c.lineno, text, {str(p) for p in parents} if isinstance(parents, (list, tuple)) else set(),
                  function=tail(dotted(c.func)) == "add_function_step")
        for value, line in _strings_at(kwarg(c, "parameter_override", "function_kwargs")):
            s.refs += [(m.group(1), m.group(2), line) for m in _REF.finditer(value)]
        ret = literal(kwarg(c, "function_return"), None)
        s.returns = [str(r) for r in ret] if isinstance(ret, (list, tuple)) else []
        steps.append(s)
    return steps


def _data_edge(step: _Step, by_name: dict[str, _Step]) -> int:
    """The line of the first data reference into ``step``: another step's artifact (``${s.artifacts.dataset.url}``), a
    function step's return value (``${s.data_frame}``), or the id/parameters of a step named for data (``${stage_data.id}``,
    ``${prep.parameters.dataset_id}``); 0 when it takes none."""
    for ref, what, line in step.refs:
        up = by_name.get(ref)
        if up is None or up is step:
            continue
        head = what.split(".", 1)[0]
        if head == "artifacts" or up.function and head not in ("id", "parameters") or head in ("id", "parameters") and _dataish(up.text):
            return line
    return 0


class ClearmlPipeline(Detector):
    """ClearML PipelineController and PipelineDecorator pipelines, their per-run data artifacts and uploads; feeds D3, D1, T2."""

    id = "clearml.pipeline"
    questions = ("D3", "D1", "T2")
    globs = ("**/*.py",)
    signals = ("pipeline.dag", "data.version_logged", "artifact.store")

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        trees: list[tuple[FileEntry, ast.Module]] = []
        for e, tree in index.python_files((b"clearml",), ("**/*.py",)):
            if not e.test and imports(tree, "clearml"):
                trees.append((e, tree))
        if not trees:
            return
        steps = [s for e, tree in trees for s in _controller_steps(e, tree)]
        members: set[str] = set()  # task names run as steps of a controller
        for _e, tree in trees:
            for c in calls(tree, "add_step"):
                bt = literal(kwarg(c, "base_task_name"), None)
                if isinstance(bt, str):
                    members.add(bt)
        yield from self._controller(index, steps)
        yield from self._decorated(index, trees)
        yield from self._step_outputs(index, trees, steps, members)

    def _controller(self, index: FileIndex, steps: list[_Step]) -> Iterator[Finding]:
        by_path: dict[str, list[_Step]] = {}
        for s in steps:
            by_path.setdefault(s.path, []).append(s)
        for path, mine in sorted(by_path.items()):
            by_name = {s.name: s for s in mine}
            edges = sum(1 for s in mine for p in s.parents | {r for r, _w, _ln in s.refs} if p in by_name and p != s.name)
            if len(mine) < 2 or not edges:
                continue
            training = [s for s in mine if trainingish(s.text)]
            fed = [(ln, s) for s in (training or mine) for ln in [_data_edge(s, by_name)] if ln]
            if not fed:  # training steps load their own data (a fixed dataset id): the edges carry no lineage
                continue
            line, _s = min(fed, key=lambda x: x[0])
            yield self.found("pipeline.dag", index, path, line, attrs={"tool": "clearml", "steps": len(mine), "with_io": True,
                                                                      "training": bool(training)})

    def _decorated(self, index: FileIndex, trees: list[tuple[FileEntry, ast.Module]]) -> Iterator[Finding]:
        components = {fn.name for _e, tree in trees for fn in functions(tree).values() if decorator(fn, "component")}
        if not components:
            return
        for e, tree in trees:
            for fn in functions(tree).values():
                if decorator(fn, "pipeline") is None or decorator(fn, "component") is not None:
                    continue
                n, edges = dataflow(fn, components)
                if n >= 2 and edges and not unfed_training(fn, components):
                    yield self.found("pipeline.dag", index, e.path, fn.lineno, attrs={"tool": "clearml", "steps": n, "with_io": True,
                                                                                     "training": trainingish(*components)})

    def _step_outputs(self, index: FileIndex, trees: list[tuple[FileEntry, ast.Module]], steps: list[_Step], members: set[str]) -> Iterator[Finding]:
        """Per-run data artifacts (D1) and uploads to the ClearML server (T2) of the pipeline's steps."""
        read_back = {what.split(".")[1] for s in steps for _r, what, _ln in s.refs if what.startswith("artifacts.") and "." in what}
        consumed = {r for s in steps for r, _w, _ln in s.refs}
        readers = {_dir(s.path) for s in steps if any(w.startswith("artifacts.") for _r, w, _ln in s.refs)}
        for e, tree in trees:
            for n in walk(tree):  # ``task.artifacts["dataset"]`` / ``.artifacts.get("dataset")`` read back by a step
                key = None
                if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Attribute) and n.value.attr == "artifacts":
                    key = literal(n.slice, None)
                elif isinstance(n, ast.Call) and dotted(n.func).endswith("artifacts.get") and n.args:
                    key = literal(n.args[0], None)
                if isinstance(key, str):
                    read_back.add(key)
                    readers.add(_dir(e.path))
        data_done = store_done = False
        # the steps beside the step that reads an artifact back first (one repository may hold several pipelines)
        for e, tree in sorted(trees, key=lambda t: _dir(t[0].path) not in readers):
            inits = [c for c in calls(tree, "init") if dotted(c.func).endswith("Task.init")]
            names = {literal(kwarg(c, "task_name"), None) for c in inits} | {literal(c.args[1], None) for c in inits if len(c.args) > 1}
            member = bool(names & members)
            for c in calls(tree, "upload_artifact"):
                name = literal(kwarg(c, "name"), None) or (literal(c.args[0], None) if c.args else None)
                obj = kwarg(c, "artifact_object") or (c.args[1] if len(c.args) > 1 else None)
                obj_text = str(literal(obj, "")) + " " + dotted(obj)
                if not isinstance(name, str) or not member:
                    continue
                if _dataish(name) and name in read_back and not data_done:
                    data_done = True
                    yield self.found("data.version_logged", index, e.path, c.lineno, attrs={"tool": "clearml", "pinned": True, "how": "artifact",
                                                                                           "per_run": True})
                if not store_done and (_dataish(name) and name in read_back or words(name + " " + obj_text) & _MODEL_WORDS):
                    store_done = True
                    yield self.found("artifact.store", index, e.path, c.lineno, attrs={"kind": "clearml", "how": "upload_artifact"})
            for c in calls(tree, "OutputModel", "upload"):
                if store_done or not member:
                    continue
                if tail(dotted(c.func)) == "OutputModel" or _dataset_upload(tree, c):
                    store_done = True
                    yield self.found("artifact.store", index, e.path, c.lineno, attrs={"kind": "clearml",
                                                                                      "how": "output_model" if tail(dotted(c.func)) == "OutputModel" else "dataset"})
        for s in steps:  # a data function step's return values are stored as artifacts of each run and read by the next step
            if not data_done and s.function and s.name in consumed and (_dataish(s.text) or any(_dataish(r) for r in s.returns)):
                data_done = True
                yield self.found("data.version_logged", index, s.path, s.line, attrs={"tool": "clearml", "pinned": True, "how": "artifact",
                                                                                     "per_run": True})


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _dataset_upload(tree: ast.Module, c: ast.Call) -> bool:
    """``ds.upload()`` on a ``Dataset.create(...)`` of the same file: the dataset version goes to the ClearML server."""
    if not isinstance(c.func, ast.Attribute) or not isinstance(c.func.value, ast.Name):
        return False
    var = c.func.value.id
    for n in walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and dotted(n.value.func).endswith("Dataset.create") \
                and any(isinstance(t, ast.Name) and t.id == var for t in n.targets):
            return True
    return False
