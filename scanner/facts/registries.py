"""Components a project registers under a name for its configs to pick: a class or function registered by a decorator
that takes the name (``@register("tensorboard")``, ``@CALLBACKS.register_module("tb")``) or kept in a table keyed by names
(``{"csv": CSVLogger, "tensorboard": TensorBoardPlugin}``). Such a component runs only when something selects it: a run
config naming it (``plugins: [tensorboard]``, ``tensorboard: true``), a default in code (``cfg.get("plugins",
["tensorboard"])``), an automated command (``--plugins tensorboard``), or code making it directly. A component nothing
selects is opt-in: off in the runs the project ships (a TensorBoard plugin while the default runs write plain CSV logs)."""

from __future__ import annotations

import ast
import re

from mlscan.index import FileIndex

from .pyast import walk
from .pycalls import dotted

_CONFIGS = ("**/*.yaml", "**/*.yml", "**/*.json", "**/*.toml")


def _owner(tree: ast.AST, line: int) -> ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The outermost class holding ``line``, else the outermost function."""
    classes = [n for n in walk(tree) if isinstance(n, ast.ClassDef) and n.lineno <= line <= (n.end_lineno or n.lineno)]
    if classes:
        return min(classes, key=lambda n: n.lineno)
    funcs = [n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return min(funcs, key=lambda n: n.lineno) if funcs else None


def _decorator_key(owner: ast.AST) -> str:
    for d in getattr(owner, "decorator_list", ()):
        if isinstance(d, ast.Call) and "regist" in dotted(d.func).rsplit(".", 1)[-1].lower():
            name = d.args[0] if d.args else next((k.value for k in d.keywords if k.arg in ("name", "key")), None)
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value:
                return name.value
    return ""


def _table_key(index: FileIndex, name: str) -> tuple[str, str, int]:
    """(key, file, line) of the table of the project that keys the component by a name (``{"tensorboard":
    TensorBoardPlugin}``), or ('', '', 0)."""
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (name.encode(),)):
            continue
        tree = index.python(e.path)
        for d in walk(tree) if tree is not None else ():
            if isinstance(d, ast.Dict) and len(d.keys) > 1:
                for k, v in zip(d.keys, d.values, strict=True):
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and dotted(v).rsplit(".", 1)[-1] == name:
                        return k.value, e.path, k.lineno
    return "", "", 0


def _made_directly(index: FileIndex, name: str) -> bool:
    """Does project code call the component by its own name (``TensorBoardPlugin(run_dir)``)?"""
    for e in index.select(("**/*.py", "**/*.ipynb")):
        if e.test or not index.contains(e.path, (name.encode(),)):
            continue
        tree = index.python(e.path)
        if tree is not None and any(isinstance(c, ast.Call) and dotted(c.func).rsplit(".", 1)[-1] == name for c in walk(tree)):
            return True
    return False


def _code_strings(index: FileIndex, key: str) -> set[tuple[str, int]]:
    """(file, line) of each string of the project's code that is the key."""
    out: set[tuple[str, int]] = set()
    for e in index.select(("**/*.py", "**/*.ipynb")):
        if e.test or not index.contains(e.path, (key.encode(),)):
            continue
        tree = index.python(e.path)
        out |= {(e.path, n.lineno) for n in walk(tree) if isinstance(n, ast.Constant) and n.value == key} if tree is not None else set()
    return out


def _configs_or_commands_select(index: FileIndex, key: str) -> bool:
    """Does a run config name the key (a value, or a switch set on) or an automated command pass it?"""
    for e in index.select(_CONFIGS):
        if e.test or not index.contains(e.path, (key.encode(),)):
            continue
        docs = [index.json(e.path)] if e.suffix == ".json" else [index.toml(e.path)] if e.suffix == ".toml" else index.yaml(e.path)
        todo: list[object] = list(docs)
        while todo:
            d = todo.pop()
            if d == key:
                return True
            if isinstance(d, dict):
                if key in d and d[key] not in (False, None, "false", "off"):
                    return True
                todo += list(d.values())
            elif isinstance(d, list):
                todo += d
    from .ops import automated_texts  # imported where a registered component is asked about

    pattern = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])")
    return any(pattern.search(t) for t in automated_texts(index))


def unselected_component(index: FileIndex, path: str, tree: ast.AST, line: int) -> str:
    """The name the component holding ``line`` is registered under when nothing selects it ('' when it is not a registered
    component, or something selects it or makes it directly)."""
    owner = _owner(tree, line)
    if owner is None:
        return ""
    key = _decorator_key(owner)
    registration = {(path, d.lineno) for d in getattr(owner, "decorator_list", ()) if isinstance(d, ast.Call)}
    if not key:
        key, table, at = _table_key(index, owner.name)
        if not key:
            return ""
        registration = {(table, at)}
    if _made_directly(index, owner.name) or _code_strings(index, key) - registration or _configs_or_commands_select(index, key):
        return ""
    return key
