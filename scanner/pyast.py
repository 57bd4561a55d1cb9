"""Shared traversal of parsed Python: a module's nodes are listed once, then every detector reuses the list.

``ast.walk`` costs far more than ``ast.parse`` (a Python-level generator per node); detectors walk the
same module many times (calls, imports, assignments, tracker objects), so the breadth-first list of a
``Module`` is kept on the tree itself and lives exactly as long as the index's parse cache keeps the tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

_ATTR = "_mlscan_nodes"


def walk(node: ast.AST) -> Iterable[ast.AST]:
    """``ast.walk`` order; for a ``Module`` the list is computed once and reused."""
    if not isinstance(node, ast.Module):
        return ast.walk(node)
    nodes: list[ast.AST] | None = node.__dict__.get(_ATTR)
    if nodes is None:
        nodes = list(ast.walk(node))
        setattr(node, _ATTR, nodes)
    return nodes
