"""Drift reports fed the two halves of one split of the training data through a pipeline (not a detector).

A pipeline (a ZenML ``@pipeline``, a Prefect flow, a plain ``main``) may call a step that splits one frame in two
(``reference, current = train_test_split(df, test_size=0.2)``, returned) and hand both halves to the monitoring step
(``model_monitoring(reference_data=reference, current_data=current, ...)``). The report then compares the training data
with itself, as a report between ``X_train.csv`` and ``X_test.csv`` does (``placeholders.training_splits_only``): no
production data reaches it. ``split_fed_functions`` names the functions so fed, across the repository's modules (matched
by name: the pipeline calls the step it imports)."""

from __future__ import annotations

import ast

from mlscan.index import FileIndex

from .pyast import walk

# the calls that split one dataset in two or more parts
_SPLITS = frozenset({"train_test_split", "random_split", "randomSplit"})
_NEEDLES = tuple(s.encode() for s in _SPLITS)


def _call_name(node: ast.AST) -> str:
    f = node.func if isinstance(node, ast.Call) else None
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for x in node.elts for n in _names(x)]
    return []


def split_steps(tree: ast.AST) -> set[str]:
    """Functions of a module whose every return gives the parts of one split call: ``return train_test_split(df, ...)``
    or ``a, b = train_test_split(df, ...)`` then ``return a, b``."""
    out = set()
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        parts: set[str] = set()
        for st in walk(fn):
            if isinstance(st, ast.Assign) and isinstance(st.value, ast.Call) and _call_name(st.value) in _SPLITS:
                for t in st.targets:
                    parts.update(_names(t))
        returns = [r.value for r in walk(fn) if isinstance(r, ast.Return) and r.value is not None]
        if returns and all(isinstance(v, ast.Call) and _call_name(v) in _SPLITS
                           or len(_names(v)) >= 2 and set(_names(v)) <= parts for v in returns):
            out.add(fn.name)
    return out


def fed_calls(tree: ast.AST, splitters: set[str]) -> set[str]:
    """Names of the functions a module's functions call with two parts of one call of a ``splitters`` function as
    arguments (``reference, current = drift_splitting(df)`` then ``model_monitoring(reference_data=reference,
    current_data=current)``)."""
    out = set()
    for fn in walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            continue
        groups: list[set[str]] = []
        for st in walk(fn):
            if isinstance(st, ast.Assign) and isinstance(st.value, ast.Call) and _call_name(st.value) in splitters:
                for t in st.targets:
                    if len(_names(t)) >= 2:
                        groups.append(set(_names(t)))
        if not groups:
            continue
        for c in walk(fn):
            if isinstance(c, ast.Call) and _call_name(c) not in splitters:
                given = {n for a in (*c.args, *(k.value for k in c.keywords)) if isinstance(a, ast.Name) for n in _names(a)}
                if any(len(given & g) >= 2 for g in groups):
                    out.add(_call_name(c))
    return out


def split_fed_functions(index: FileIndex) -> frozenset[str]:
    """Names of the repository's functions called with two parts of one split of the data (see the module docstring)."""

    def build() -> frozenset[str]:
        splitters: set[str] = set()
        for e in index.select(("**/*.py",)):
            if e.test or not index.contains(e.path, _NEEDLES):
                continue
            tree = index.python(e.path)
            if tree is not None:
                splitters |= split_steps(tree)
        if not splitters:
            return frozenset()
        needles = tuple(s.encode() for s in sorted(splitters))
        fed: set[str] = set()
        for e in index.select(("**/*.py",)):
            if e.test or not index.contains(e.path, needles):
                continue
            tree = index.python(e.path)
            if tree is not None:
                fed |= fed_calls(tree, splitters)
        return frozenset(fed)

    return index.memo("split-fed-functions", build)  # type: ignore[no-any-return]
