"""Edges between the steps of Python-defined pipelines (KFP v2 and the like): a step's call whose ``.outputs[...]`` /
``.output`` is an argument of another step's call, directly or through a name it was assigned to. Used to tell a
component whose output artifact feeds training from one whose output nothing trains on."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mlscan.facts.orchestration import trainingish
from mlscan.facts.pyast import walk
from mlscan.index import FileIndex, register_fact

_NEEDLES = (b"outputs", b"output")


def _callee(node: ast.AST) -> str:
    f = node.func if isinstance(node, ast.Call) else None
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _producers(expr: ast.AST, tasks: dict[str, str], refs: dict[str, str]) -> set[str]:
    """Steps whose output an expression reads: ``step(...).outputs["x"]``, ``task.output`` of a task assigned from a
    step's call, or a name assigned such an output."""
    out: set[str] = set()
    for n in walk(expr):
        if isinstance(n, ast.Attribute) and n.attr in ("outputs", "output"):
            base = n.value
            while isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr not in ("outputs", "output") \
                    and isinstance(base.func.value, ast.Call):
                base = base.func.value  # ``step(...).after(x).set_display_name(...)``: the step's own call
            if isinstance(base, ast.Call) and _callee(base):
                out.add(_callee(base))
            elif isinstance(base, ast.Name) and base.id in tasks:
                out.add(tasks[base.id])
        elif isinstance(n, ast.Name) and n.id in refs:
            out.add(refs[n.id])
    return out


def _step_call(expr: ast.AST) -> str:
    """The step a task expression calls (``step(...)``, ``step(...).after(x).set_display_name(...)``), or ''."""
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and isinstance(expr.func.value, ast.Call):
        expr = expr.func.value
    return _callee(expr) if isinstance(expr, ast.Call) else ""


def _edges(tree: ast.Module) -> Iterator[tuple[str, str]]:
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        tasks: dict[str, str] = {}  # name -> the step whose task it holds
        refs: dict[str, str] = {}  # name -> the step whose output it holds
        for st in sorted((n for n in walk(fn) if isinstance(n, (ast.Assign, ast.Call))), key=lambda n: (n.lineno, n.col_offset)):
            if isinstance(st, ast.Assign):
                names = [t.id for t in st.targets if isinstance(t, ast.Name)]
                top = st.value.value if isinstance(st.value, ast.Subscript) else st.value
                made = _producers(top, tasks, refs) if isinstance(top, ast.Attribute) and top.attr in ("outputs", "output") else set()
                step = _step_call(st.value)
                for name in names:
                    if made:
                        refs[name] = min(made)  # ``data = step(...).outputs["dataset"]``
                    elif step:
                        tasks[name] = step  # ``task = step(...)``, read later as ``task.outputs[...]``
                continue
            consumer = _callee(st)
            for a in [*st.args, *(k.value for k in st.keywords)]:
                for producer in _producers(a, tasks, refs):
                    if producer != consumer:
                        yield producer, consumer


def _file_edges(index: FileIndex, path: str) -> list[list[str]] | None:
    """``_edges`` of one file as sorted [producer, consumer] pairs; None when it does not parse. A file fact, derived as a
    file naming ``outputs``/``output`` is parsed: step_edges is asked once a scan, of every such file, long after most
    trees have left the parse cache (kubeflow/pipelines: 251 files parsed again)."""
    tree = index.python(path)
    if tree is None:
        return None
    if not any(n.__class__ is ast.Attribute and n.attr in ("outputs", "output") for n in walk(tree)):  # type: ignore[attr-defined]
        return []  # no step's output is read: no edge (the module's node list is at hand; functions are not walked)
    return [[p, c] for p, c in sorted(set(_edges(tree)))]


FILE_EDGES = register_fact("step_edges.file", _file_edges, eager=lambda index, path: index.may_mention(path, _NEEDLES))


def step_edges(index: FileIndex) -> frozenset[tuple[str, str]]:
    """(producing step, consuming step) name pairs of every pipeline in the repository's Python files."""
    def build() -> frozenset[tuple[str, str]]:
        return frozenset((p, c) for e in index.select(("**/*.py", "**/*.ipynb")) if index.mentions(e.path, _NEEDLES)
                         for p, c in index.fact(e.path, FILE_EDGES) or ())
    return index.memo("step_edges", build)  # type: ignore[no-any-return]


def feeds_training(index: FileIndex, step: str) -> bool:
    """Does the step's output reach a training step, directly or through the steps that consume it?"""
    edges = step_edges(index)
    seen, todo = {step}, [step]
    while todo:
        cur = todo.pop()
        for p, c in edges:
            if p == cur and c not in seen:
                if trainingish(c):
                    return True
                seen.add(c)
                todo.append(c)
    return False
