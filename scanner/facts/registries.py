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


def _decorator_key(owner: ast.AST) -> str:
    """The name a registering decorator gives the component (``@register("tensorboard")``; ``@HOOKS.register_module()``
    registers it by its class name), or ''."""
    for d in getattr(owner, "decorator_list", ()):
        call = d if isinstance(d, ast.Call) else None
        if "regist" not in dotted(call.func if call is not None else d).rsplit(".", 1)[-1].lower():
            continue
        name = (call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("name", "key")), None)) if call else None
        if isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value:
            return name.value
        if name is None and isinstance(owner, ast.ClassDef):
            return owner.name
    return ""


def _tables(tree: ast.AST) -> dict[str, tuple[str, int]]:
    """Component name -> (key, line) of the module's tables keying components by names (``{"csv": CSVLogger,
    "tensorboard": TensorBoardPlugin}``)."""
    out: dict[str, tuple[str, int]] = {}
    for d in walk(tree):
        if isinstance(d, ast.Dict) and len(d.keys) > 1:
            for k, v in zip(d.keys, d.values, strict=True):
                name = dotted(v).rsplit(".", 1)[-1]
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and name:
                    out.setdefault(name, (k.value, k.lineno))
    return out


def registered_components(tree: ast.AST) -> list[list[object]]:
    """[first line, last line, key, name, registration lines] of each top-level class or function of the module registered
    under a name, by a decorator or a table of the same module (a JSON-able file fact)."""
    tables: dict[str, tuple[str, int]] | None = None
    out: list[list[object]] = []
    for n in getattr(tree, "body", ()):
        if not isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        key = _decorator_key(n)
        lines = [d.lineno for d in n.decorator_list]
        if not key:
            tables = _tables(tree) if tables is None else tables
            key, at = tables.get(n.name, ("", 0))
            lines = [at]
        if key:
            out.append([n.lineno, n.end_lineno or n.lineno, key, n.name, lines])
    return out


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


def selected(index: FileIndex, path: str, key: str, name: str, registration: list[int]) -> bool:
    """Does anything select a registered component: code making it by its name, a string of the code that is its key
    (a default) other than its registration, a run config naming it, an automated command passing it?"""
    if _made_directly(index, name) or _code_strings(index, key) - {(path, ln) for ln in registration}:
        return True
    return _configs_or_commands_select(index, key)
