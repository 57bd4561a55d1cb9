"""Shared traversal of parsed Python: a module's nodes are listed once, then every detector reuses the list.

``ast.walk`` costs far more than ``ast.parse`` (a Python-level generator per node); detectors walk the
same module many times (calls, imports, assignments, tracker objects), so the breadth-first list of a
``Module`` is kept on the tree itself and lives exactly as long as the index's parse cache keeps the tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from itertools import chain

_ATTR = "_mlscan_nodes"


def walk(node: ast.AST) -> Iterable[ast.AST]:
    """``ast.walk`` order; for a ``Module`` the list is computed once and reused. The list leaves the
    module itself out: a module holding a list that holds it would be a reference cycle, freed only by
    the cyclic collector (which the engine slows down during detection)."""
    if not isinstance(node, ast.Module):
        return ast.walk(node)
    below: list[ast.AST] | None = node.__dict__.get(_ATTR)
    if below is None:
        nodes = ast.walk(node)
        next(nodes)
        below = list(nodes)
        setattr(node, _ATTR, below)
    return chain((node,), below)
