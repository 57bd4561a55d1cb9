"""``statement_walk`` is ``walk`` restricted to statements; readers of imports and definitions use it instead of a walk."""

from __future__ import annotations

import ast

from mlscan.facts.ops import aliases
from mlscan.facts.orchestration import functions
from mlscan.facts.pyast import statement_walk, statements, walk
from mlscan.facts.wiring import imported_modules, imports_any

SOURCE = '''
import os, numpy as np
from . import sibling
if __name__ == "__main__":
    from prefect import flow as f
class A:
    def m(self):
        import torch
        async def inner():
            return [x for x in (lambda y: y)(1)]
        return inner
try:
    from kfp import dsl
except ImportError:
    import json as kfp
else:
    pass
finally:
    import sys
match os.name:
    case "nt":
        from airflow import DAG
        def m(): ...
    case _:
        with open("f") as fh:
            import mlflow.sklearn
async def g():
    async with x:
        import a.b.c as abc
    for i in range(3):
        def m(): return 2
'''


def test_statement_walk_is_walk_restricted_to_statements() -> None:
    tree = ast.parse(SOURCE)
    stmt = (ast.stmt, ast.excepthandler, ast.match_case)
    assert list(statement_walk(tree))[1:] == [n for n in walk(tree) if isinstance(n, stmt)]
    assert statements(tree) is statements(tree)  # a module's list is kept on it
    fn = tree.body[4]  # class A: the node itself first, as walk gives it
    assert list(statement_walk(fn)) == [n for n in walk(fn) if isinstance(n, stmt)]


def test_import_and_definition_readers_answer_as_a_walk_would() -> None:
    tree, ref = ast.parse(SOURCE), ast.parse(SOURCE)
    assert imported_modules(tree, "pkg/mod.py")[:4] == ["os", "numpy", "pkg", "pkg.sibling"]
    assert aliases(tree)["abc"] == "a.b.c" and aliases(tree)["kfp"] == "json"  # the later import wins, as in walk order
    assert imports_any(tree, ("mlflow",)) and imports_any(tree, ("airflow",)) and not imports_any(tree, ("dagster",))
    fns = functions(tree)
    assert "_mlscan_nodes" not in tree.__dict__  # none of them listed the module's nodes
    imports = [n for n in walk(ref) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [(n.lineno, n.col_offset) for n in statement_walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] == \
        [(n.lineno, n.col_offset) for n in imports]
    last_m = [n for n in walk(ref) if isinstance(n, ast.FunctionDef) and n.name == "m"][-1]
    assert sorted(fns) == ["g", "inner", "m"] and fns["m"].lineno == last_m.lineno


_SCALAR_TYPES = {"identifier", "int", "string", "constant", "expr_context"}


def test_scalar_fields_never_hold_a_node_to_walk() -> None:
    """Every field ``nodes_below`` does not look at is, in each ``ast`` class that has it, a name, number, string or the
    context marker (the classes' own signatures: ``Attribute(expr value, identifier attr, expr_context ctx)``)."""
    import re

    from mlscan.facts.pyast import SCALAR_FIELDS

    checked = 0
    for cls in vars(ast).values():
        if not (isinstance(cls, type) and issubclass(cls, ast.AST) and cls._fields and cls.__doc__):
            continue
        sig = re.match(r"\w+\((.*)\)$", cls.__doc__.strip().splitlines()[0])
        if sig is None:  # a deprecated alias (``Num``, ``Str``): never made by ast.parse
            continue
        types = {name: kind.rstrip("?*") for kind, name in (p.split() for p in sig.group(1).split(", "))}
        for field in set(cls._fields) & SCALAR_FIELDS:
            assert types[field] in _SCALAR_TYPES, (cls.__name__, field, types[field])
            checked += 1
    assert checked > 20


def test_walk_lists_what_ast_walk_does_without_context_markers() -> None:
    src = SOURCE + '''
match p:
    case {"k": v, **rest}:
        pass
    case Point(x=0, y=yy) as pt:
        pass
    case [1, *others]:
        pass
global_names = {**d, "a": 1}
print(f"{x!r:>{width}}", a < b <= c, -x + y * z, not q)
'''
    tree = ast.parse(src)
    want = [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]
    got = list(walk(tree))
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
