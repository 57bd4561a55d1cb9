"""Experiment grids that tabulate runs by their metrics, read from Dora's own API (facebookresearch/dora: README "dora
grid", ``dora.Explorer``): a grid file holds an ``explorer(launcher)`` function decorated by an ``Explorer`` class, whose
``get_grid_metrics`` names the metrics ``dora grid`` shows for every XP of the grid, from the history each XP's training
pushes to Dora (``xp.link.push_metrics(...)``, ``xp.link.update_history(...)``, a flashy ``BaseSolver``'s commits, Dora's
Lightning trainer)."""

from __future__ import annotations

import ast

from .pyast import walk
from .pycalls import dotted, qualified

# how training hands its metrics to the XP's history
_PUSHES = frozenset({"push_metrics", "update_history"})
_SOLVERS = ("flashy.BaseSolver", "flashy.solver.BaseSolver")
_DORA_TRAINERS = ("dora.lightning.get_trainer", "dora.lightning.trainer_from_argparse_args")


def _base_names(cls: ast.ClassDef, al: dict[str, str]) -> list[str]:
    return [qualified(dotted(b), al) or dotted(b) for b in cls.bases]


def _empty(node: ast.AST | None) -> bool:
    return node is None or isinstance(node, (ast.List, ast.Tuple)) and not node.elts or isinstance(node, ast.Constant) and not node.value


def explorer_classes(tree: ast.Module, al: dict[str, str]) -> list[tuple[str, int]]:
    """(class name, line) of the ``get_grid_metrics`` of each explorer class: derived from ``dora.Explorer`` or from a
    project class named ``*Explorer``, returning metrics (``[tt.leaf("valid", ".4f"), ...]``, ``tt.group(...)``), not an
    empty list."""
    out = []
    for cls in walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        if not any(b in ("dora.Explorer", "dora.explore.Explorer") or b.rsplit(".", 1)[-1].endswith("Explorer")
                   for b in _base_names(cls, al)):
            continue
        for fn in cls.body:
            if isinstance(fn, ast.FunctionDef) and fn.name == "get_grid_metrics":
                returns = [r.value for r in walk(fn) if isinstance(r, ast.Return)]
                if returns and not all(_empty(r) for r in returns):
                    out.append((cls.name, fn.lineno))
    return out


def grid_functions(tree: ast.Module) -> list[tuple[str, int]]:
    """(decorator's last name, line) of each grid: a function of one launcher argument decorated by a class named
    ``*Explorer`` (``@LMExplorer`` over ``def explorer(launcher):``)."""
    out = []
    for fn in walk(tree):
        if isinstance(fn, ast.FunctionDef) and len(fn.args.args) == 1:
            for d in fn.decorator_list:
                name = dotted(d).rsplit(".", 1)[-1]
                if name.endswith("Explorer"):
                    out.append((name, fn.lineno))
    return out


def pushes_metrics(tree: ast.Module, al: dict[str, str]) -> int:
    """The line where training hands its metrics to the XP's history, 0 when it never does."""
    for n in walk(tree):
        if isinstance(n, ast.Call):
            text = dotted(n.func)
            if text.endswith(tuple(f"link.{p}" for p in _PUSHES)) or (qualified(text, al) or "") in _DORA_TRAINERS:
                return n.lineno
        elif isinstance(n, ast.ClassDef) and any(b in _SOLVERS for b in _base_names(n, al)):
            return n.lineno
    return 0
