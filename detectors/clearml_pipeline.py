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
from collections.abc import Callable, Iterable, Iterator

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
from mlscan.facts.training_entries import FIT_FACT
from mlscan.facts.wiring import file_imports
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
    base: str  # the base task's name: a literal, or the source of the expression that computes it (``cfg.train_task``)

    _fields = ("name", "path", "line", "text", "parents", "refs", "returns", "function", "base")

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
        base: str = "",
    ) -> None:
        self.name = name
        self.path = path
        self.line = line
        self.text = text
        self.parents = set() if parents is None else parents
        self.refs = [] if refs is None else refs
        self.returns = [] if returns is None else returns
        self.function = function
        self.base = base


def _name_of(node: ast.AST | None) -> str | None:
    """A step or task name: the literal, or the source of a name computed at run time (``cfg.experiment_name``,
    ``prep_task_name``), so that steps, their ``parents`` and the ``Task.init`` of their base tasks can be matched when a
    pipeline takes its names from configuration; None for anything else."""
    value = literal(node, None)
    if isinstance(value, str):
        return value
    if isinstance(node, (ast.Name, ast.Attribute)) and dotted(node):
        return dotted(node)
    return None


def _strings_at(node: ast.AST | None) -> list[tuple[str, int]]:
    return [(n.value, n.lineno) for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)] if node is not None else []


def _controller_steps(e: FileEntry, tree: ast.Module) -> list[_Step]:
    steps: list[_Step] = []
    for c in calls(tree, "add_step", "add_function_step"):
        name = _name_of(kwarg(c, "name"))
        if name is None:
            continue
        func = dotted(kwarg(c, "function"))
        base = _name_of(kwarg(c, "base_task_name")) or ""
        text = " ".join(str(t) for t in (name, base, func) if t)
        parents = kwarg(c, "parents")
        names = [_name_of(p) for p in parents.elts] if isinstance(parents, (ast.List, ast.Tuple)) else []
        s = _Step(name, e.path, c.lineno, text, {p for p in names if p}, function=tail(dotted(c.func)) == "add_function_step",
                  base=base)
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
    needs = ("**/*.py",)
    needs_words = (b"clearml",)
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
                bt = _name_of(kwarg(c, "base_task_name"))
                if bt:
                    members.add(bt)
        yield from self._controller(index, steps, trees)
        yield from self._decorated(index, trees)
        yield from self._step_outputs(index, trees, steps, members)

    def _controller(self, index: FileIndex, steps: list[_Step], trees: list[tuple[FileEntry, ast.Module]]) -> Iterator[Finding]:
        handoff = _dataset_handoff(trees)
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
            if fed:
                line, _s = min(fed, key=lambda x: x[0])
                yield self.found("pipeline.dag", index, path, line, attrs={"tool": "clearml", "steps": len(mine), "with_io": True,
                                                                          "training": bool(training)})
                continue
            # no ``${step.x}`` reference feeds training: the steps may still hand their data on as ClearML dataset
            # versions, an upstream step publishing (``Dataset.create`` ... ``finalize``/``upload``) what the training
            # step's task reads back by project and name (``Dataset.get(dataset_project=..., dataset_name=...)``); a
            # training step reading a fixed dataset id loads its own data (no lineage)
            if not handoff:
                continue
            tasks = _task_files(trees)
            # the training step's own task (matched by its ``Task.init`` name) trains and reads a dataset by name,
            # itself or through the project modules it imports
            trainers = [s for s in mine if any(_trains(index, e) and _reaches(index, e, lambda p: p in handoff) for e in tasks.get(s.base or s.name, ()))]
            for s in sorted(trainers, key=lambda t: t.line):
                ups = [by_name[p] for p in s.parents if p in by_name and p != s.name]
                if any(_dataish(u.text) or any(_publishes(t) for t in _trees_of(trees, tasks.get(u.base or u.name, ()))) for u in ups):
                    yield self.found("pipeline.dag", index, path, s.line, attrs={"tool": "clearml", "steps": len(mine), "with_io": True,
                                                                                "training": True, "via": "dataset"})
                    break

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
            names = {_name_of(kwarg(c, "task_name")) for c in inits} | {_name_of(c.args[1]) for c in inits if len(c.args) > 1}
            member = bool(names & members)
            for c in inits:  # ``output_uri=True`` (the files server) or a storage URL: the task's models are uploaded there
                uri = kwarg(c, "output_uri")
                if store_done or not member or uri is None or literal(uri, None) in (False, None, "") and not isinstance(uri, ast.Name | ast.Attribute):
                    continue
                if _trains(index, e):
                    store_done = True
                    yield self.found("artifact.store", index, e.path, c.lineno, attrs={"kind": "clearml", "how": "output_uri"})
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
        # ``Dataset.get(..., alias="train_data")`` in the code a member training task runs: ClearML records the alias and the
        # dataset version's id in that task's "Datasets" hyperparameters, beside the model the task outputs (D2)
        aliased = _alias_reads(trees)
        if aliased:
            for e, tree in trees:
                inits = [c for c in calls(tree, "init") if dotted(c.func).endswith("Task.init")]
                names = {_name_of(kwarg(c, "task_name")) for c in inits} | {_name_of(c.args[1]) for c in inits if len(c.args) > 1}
                if not names & members or not _trains(index, e):
                    continue
                path = _reach(index, e, lambda p: p in aliased)
                if path is not None:
                    yield self.found("data.version_logged", index, path, aliased[path], attrs={"tool": "clearml", "pinned": True, "how": "alias",
                                                                                            "linked_to_model": True, "per_run": True})
                    break
        for s in steps:  # a data function step's return values are stored as artifacts of each run and read by the next step
            if not data_done and s.function and s.name in consumed and (_dataish(s.text) or any(_dataish(r) for r in s.returns)):
                data_done = True
                yield self.found("data.version_logged", index, s.path, s.line, attrs={"tool": "clearml", "pinned": True, "how": "artifact",
                                                                                     "per_run": True})


def _task_files(trees: list[tuple[FileEntry, ast.Module]]) -> dict[str, list[FileEntry]]:
    """Task name (literal or expression source) -> the files whose ``Task.init`` creates a task of that name."""
    out: dict[str, list[FileEntry]] = {}
    for e, tree in trees:
        for c in calls(tree, "init"):
            if not dotted(c.func).endswith("Task.init"):
                continue
            name = _name_of(kwarg(c, "task_name") or (c.args[1] if len(c.args) > 1 else None))
            if name:
                out.setdefault(name, []).append(e)
    return out


def _trees_of(trees: list[tuple[FileEntry, ast.Module]], entries: Iterable[FileEntry]) -> list[ast.Module]:
    paths = {e.path for e in entries}
    return [tree for e, tree in trees if e.path in paths]


def _trains(index: FileIndex, e: FileEntry) -> bool:
    """The task file fits a model, itself or through the project modules it imports."""
    return _reaches(index, e, lambda p: bool(index.fact(p, FIT_FACT)))


def _publishes(tree: ast.Module) -> bool:
    """The file creates a ClearML dataset version (``Dataset.create``)."""
    return any(dotted(c.func).endswith("Dataset.create") for c in calls(tree, "create"))


def _alias_reads(trees: list[tuple[FileEntry, ast.Module]]) -> dict[str, int]:
    """Path -> line of the first ``Dataset.get(..., alias=...)`` of each ClearML file that has one."""
    out: dict[str, int] = {}
    for e, tree in trees:
        for c in calls(tree, "get"):
            alias = kwarg(c, "alias")
            if dotted(c.func).endswith("Dataset.get") and alias is not None and literal(alias, None) not in (None, ""):
                out.setdefault(e.path, c.lineno)
    return out


def _dataset_handoff(trees: list[tuple[FileEntry, ast.Module]]) -> frozenset[str]:
    """The files that read a ClearML dataset back by project and name (the latest version a step published), when the
    project's ClearML code also publishes dataset versions; empty otherwise. A read by a literal ``dataset_id`` pins
    one fixed dataset instead."""
    publishes = False
    readers: set[str] = set()
    for e, tree in trees:
        publishes = publishes or _publishes(tree)
        for c in calls(tree, "get"):
            if not dotted(c.func).endswith("Dataset.get"):
                continue
            if isinstance(literal(kwarg(c, "dataset_id"), None), str) or (c.args and isinstance(literal(c.args[0], None), str)):
                continue
            if kwarg(c, "dataset_name", "dataset_project") is not None:
                readers.add(e.path)
    return frozenset(readers) if publishes else frozenset()


def _reaches(index: FileIndex, e: FileEntry, hit: Callable[[str], bool], limit: int = 200) -> bool:
    """``hit`` holds for ``e``'s path or for a project module it imports, directly or through others (at most ``limit``)."""
    return _reach(index, e, hit, limit) is not None


def _modules(index: FileIndex) -> dict[str, list[FileEntry]]:
    """Last module name -> the project's Python files of that name (a package by its ``__init__``)."""
    modules: dict[str, list[FileEntry]] = {}
    for f in index.select(("**/*.py",)):
        parts = f.vpath.rsplit(".", 1)[0].split("/")
        modules.setdefault(parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1], []).append(f)
    return modules


def _reach(index: FileIndex, e: FileEntry, hit: Callable[[str], bool], limit: int = 200) -> str | None:
    """The first path of ``e`` and the project modules it imports (breadth first, at most ``limit``) for which ``hit`` holds."""
    modules: dict[str, list[FileEntry]] = index.memo("clearml-pipeline:modules", lambda: _modules(index))
    seen = {e.path}
    todo = [e]
    while todo and len(seen) <= limit:
        cur = todo.pop(0)
        if hit(cur.path):
            return cur.path
        for dotted_name in file_imports(index, cur) or ():
            want = dotted_name.split(".")
            for f in modules.get(want[-1], ()):
                parts = f.vpath.rsplit(".", 1)[0].split("/")
                key = parts[:-1] if parts[-1] == "__init__" else parts
                if f.path not in seen and key[-len(want):] == want:
                    seen.add(f.path)
                    todo.append(f)
    return None


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
