"""Tests that never run: pytest/unittest skip marks that always skip, or that skip unless a path exists.

A test function (or class, or module through ``pytestmark``) marked ``@pytest.mark.skip``/``@unittest.skip``, or whose
body starts with an unconditional ``pytest.skip(...)``, never runs its assertions. One marked ``skipif(not
os.path.exists(P))`` (``skipUnless(Path(P).is_dir())``, ``if not os.path.exists(P): pytest.skip(...)`` as its first
statement) runs them only where ``P`` exists: ``gates`` records ``P`` as the string literals its expression is built of
(through the module's names, and as a reference for a name imported from another module of the project), and
``may_exist`` decides whether a CI job could have it. Any other condition (platform, an optional import, an
environment variable) is left as it is: such a test runs somewhere.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..index import FileIndex
from .pyast import nodes_below, statement_walk
from .pycalls import dotted

_EXISTS = frozenset({"exists", "isdir", "isfile", "is_dir", "is_file"})
_SKIPS = frozenset({"skip"})
_SKIP_IF = frozenset({"skipif", "skipIf"})
_SKIP_UNLESS = frozenset({"skipUnless"})
ALWAYS = "always"  # the scope never runs


def _module_names(tree: ast.Module) -> tuple[dict[str, ast.AST], dict[str, list[str]]]:
    """Module-level assignments (name -> value) and names imported from another module (name -> [module, name])."""
    values: dict[str, ast.AST] = {}
    imported: dict[str, list[str]] = {}
    for st in tree.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            values[st.targets[0].id] = st.value
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
            values[st.target.id] = st.value
        elif isinstance(st, ast.ImportFrom) and st.module is not None or isinstance(st, ast.ImportFrom) and st.level:
            mod = "." * st.level + (st.module or "")
            for a in st.names:
                if a.name != "*":
                    imported[a.asname or a.name] = [mod, a.name]
    return values, imported


def literals(expr: ast.AST, values: dict[str, ast.AST], imported: dict[str, list[str]] | None = None,
             refs: list[list[str]] | None = None, seen: frozenset[str] = frozenset()) -> list[str]:
    """The string literals a path expression is built of, in source order, through the module's own names (and the
    names it imports, appended to ``refs``)."""
    out: list[str] = []
    nodes = sorted((n for n in [expr, *nodes_below(expr)] if isinstance(n, (ast.Constant, ast.Name))),
                   key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for n in nodes:
        if isinstance(n, ast.Constant):
            if isinstance(n.value, str):
                out.append(n.value)
        elif n.id in values and n.id not in seen:
            out += literals(values[n.id], values, imported, refs, seen | {n.id})
        elif imported is not None and refs is not None and n.id in imported:
            refs.append(imported[n.id])
    return out


def _exists_path(cond: ast.AST) -> ast.AST | None:
    """``P`` of ``os.path.exists(P)``, ``Path(P).is_dir()``, ``P.exists()``; else None."""
    if not isinstance(cond, ast.Call) or not isinstance(cond.func, ast.Attribute) or cond.func.attr not in _EXISTS:
        return None
    if cond.args:
        return cond.args[0]
    base = cond.func.value
    if isinstance(base, ast.Call) and dotted(base.func).rsplit(".", 1)[-1] in ("Path", "PurePath") and base.args:
        return base.args[0]
    return base


def _mark(node: ast.AST, values: dict[str, ast.AST], seen: frozenset[str] = frozenset()) -> str | ast.AST | None:
    """What a skip mark does: ALWAYS, the path expression it needs to exist, or None (not a skip, or a condition
    that holds somewhere)."""
    if isinstance(node, ast.Name) and node.id in values and node.id not in seen:  # requires_data = pytest.mark.skipif(...)
        return _mark(values[node.id], values, seen | {node.id})
    func = node.func if isinstance(node, ast.Call) else node
    name = dotted(func)
    last = name.rsplit(".", 1)[-1]
    if not name.startswith(("pytest.", "unittest.", "mark.")) and "." in name or not last:
        return None
    if last in _SKIPS:
        return ALWAYS
    if not isinstance(node, ast.Call) or not (last in _SKIP_IF or last in _SKIP_UNLESS):
        return None
    cond = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "condition"), None)
    if isinstance(cond, ast.Constant) and not isinstance(cond.value, str):  # a string is a condition pytest evaluates
        return ALWAYS if bool(cond.value) == (last in _SKIP_IF) else None
    if last in _SKIP_IF:
        if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
            return _exists_path(cond.operand)
        return None
    return _exists_path(cond) if cond is not None else None


def _body_skip(fn: ast.AST) -> str | ast.AST | None:
    """A test body that starts with ``pytest.skip(...)`` (ALWAYS), or with ``if not os.path.exists(P): pytest.skip(...)``."""
    body = getattr(fn, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:  # a docstring
        first = body[1]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Call) and dotted(first.value.func) == "pytest.skip":
        return ALWAYS
    if (isinstance(first, ast.If) and not first.orelse and isinstance(first.test, ast.UnaryOp) and isinstance(first.test.op, ast.Not)
            and len(first.body) == 1 and isinstance(first.body[0], ast.Expr) and isinstance(first.body[0].value, ast.Call)
            and dotted(first.body[0].value.func) == "pytest.skip"):
        return _exists_path(first.test.operand)
    return None


def _gate(path: ast.AST, values: dict[str, ast.AST], imported: dict[str, list[str]], here: str) -> list[Any]:
    """[literals, refs] of a path expression; a relative import's module is written as a path of this repository."""
    refs: list[list[str]] = []
    lits = literals(path, values, imported, refs)
    folder = here.rsplit("/", 1)[0] if "/" in here else ""
    out = []
    for mod, name in refs:
        if mod.startswith("."):
            dots = len(mod) - len(mod.lstrip("."))
            base = folder
            for _ in range(dots - 1):
                base = base.rsplit("/", 1)[0] if "/" in base else ""
            rest = mod.lstrip(".").replace(".", "/")
            mod = "/" + "/".join(x for x in (base, rest) if x)  # a leading slash: a path from the repository root
        out.append([mod, name])
    return [lits, out]


def gates(tree: ast.Module, path: str) -> dict[int, Any]:
    """id of every node inside a test scope that never runs (-> ALWAYS) or runs only where a path exists
    (-> [literals, refs]). Innermost marks are not needed: an ALWAYS scope wins over a path gate."""
    values, imported = _module_names(tree)
    out: dict[int, Any] = {}

    def apply(mark: str | ast.AST | None, scope: list[ast.AST]) -> None:
        if mark is None:
            return
        g = ALWAYS if mark == ALWAYS else _gate(mark, values, imported, path)  # type: ignore[arg-type]
        for x in scope:
            if out.get(id(x)) != ALWAYS:
                out[id(x)] = g

    module_marks = values.get("pytestmark")
    if module_marks is not None:
        for m in module_marks.elts if isinstance(module_marks, (ast.List, ast.Tuple)) else [module_marks]:
            apply(_mark(m, values), nodes_below(tree))
    for n in statement_walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            below: list[ast.AST] | None = None
            for d in n.decorator_list:
                m = _mark(d, values)
                if m is not None:
                    below = below if below is not None else nodes_below(n)
                    apply(m, below)
            if not isinstance(n, ast.ClassDef) and (m := _body_skip(n)) is not None:
                apply(m, below if below is not None else nodes_below(n))
    return out


def _module_file(index: FileIndex, mod: str) -> str | None:
    """The project file of a module named in an import (``tests`` -> ``tests/__init__.py``), or of a path written by
    ``gates`` for a relative import."""
    if mod.startswith("/"):
        cands = [mod[1:] + ".py", mod[1:] + "/__init__.py"] if mod != "/" else ["__init__.py"]
        exact = True
    else:
        stem = mod.replace(".", "/")
        cands = [stem + ".py", stem + "/__init__.py"]
        exact = False
    for e in index.entries:
        v = e.vpath
        if any(v == c or not exact and v.endswith("/" + c) for c in cands):
            return e.path
    return None


def gate_literals(index: FileIndex, gate: list[Any]) -> list[str]:
    """Every string literal of a gated path, with those of the names it imports from the project's modules."""
    lits, refs = list(gate[0]), gate[1]
    for mod, name in refs:
        file = _module_file(index, mod)
        tree = index.python(file) if file else None
        if tree is None:
            continue
        values, _ = _module_names(tree)
        if name in values:
            lits += literals(values[name], values)
    return lits


def may_exist(index: FileIndex, gate: list[Any], job_text: str) -> bool:
    """Could the gated path exist when the CI job runs the tests? Yes unless no part of it (``Data``, ``raw``,
    ``train.csv``) names a file or folder of the repository (case-sensitive, as on a CI runner), a DVC-tracked output,
    or appears in what the job runs (a ``mkdir``, a download, ``dvc pull``). A path built of no literal is unknown: yes."""
    parts = {p for s in gate_literals(index, gate) for p in re.split(r"[/\\]+", s) if p not in ("", ".", "..") and p.strip()}
    if not parts:
        return True
    names: set[str] = set()
    for e in index.entries:
        names.update(e.vpath.split("/"))
    for p in parts:
        if p in names or f"{p}.dvc" in names or re.search(rf"(?<![\w.-]){re.escape(p)}(?![\w-])", job_text):
            return True
    if re.search(r"\bdvc\s+(pull|repro|fetch|checkout|get|import)\b", job_text):  # outputs a DVC pipeline makes or pulls
        dvc = [e.path for e in index.entries if e.name in ("dvc.yaml", "dvc.lock") or e.name.endswith(".dvc")]
        return any(re.search(rf"(?<![\w.-]){re.escape(p)}(?![\w-])", index.text(f) or "") for f in dvc for p in parts)
    return False
