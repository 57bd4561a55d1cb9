"""A tiny, safe evaluator for the flags that switch gates on and off (``dry_run = run_mode == "dry_run"``,
``if allow_run_cancel.lower() == "true"``). Values come from literals in the file, argparse/widget/env
defaults, and the parameters a job config passes to the script. Unknown stays unknown (None). Nothing
is executed. Not a detector."""

from __future__ import annotations

import ast
from typing import Any

from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from .orchestration import all_strings, config_refs, dotted, kwarg, literal, tail

UNKNOWN: Any = object()
_FALSY = ("false", "0", "no", "off", "")


class Evaluator:
    """Static evaluation of the expressions that switch code on and off: literals, ``not``/``and``/``or``,
    one comparison, string methods and casts. Subclasses say where names, attributes, subscripts and
    other calls get their values (``lookup``); anything else is ``UNKNOWN``. Nothing is executed."""

    max_depth = 20
    compare_ops: tuple[type[ast.cmpop], ...] = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)
    str_methods: dict[str, Any] = {"lower": str.lower, "upper": str.upper, "strip": str.strip, "casefold": str.casefold}
    casts: dict[str, Any] = {"bool": bool, "str": str}

    def __init__(self) -> None:
        self.assigns: dict[str, list[tuple[int, ast.expr]]] = {}

    def lookup(self, node: ast.AST, line: int, depth: int) -> Any:  # pragma: no cover - interface
        return UNKNOWN

    def prior(self, name: str, line: int, depth: int) -> Any:
        """The value of the last assignment to ``name`` before ``line``."""
        before = [(ln, x) for ln, x in self.assigns.get(name, []) if ln < line]
        return self.value(before[-1][1], before[-1][0], depth) if before else UNKNOWN

    def value(self, node: ast.AST, line: int, depth: int = 0) -> Any:
        if depth > self.max_depth:
            return UNKNOWN
        d = depth + 1
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            t = self.truth(node.operand, line, d)
            return UNKNOWN if t is None else not t
        if isinstance(node, ast.BoolOp):
            vals = [self.truth(v, line, d) for v in node.values]
            if isinstance(node.op, ast.And):
                return False if False in vals else (True if all(v is True for v in vals) else UNKNOWN)
            return True if True in vals else (False if all(v is False for v in vals) else UNKNOWN)
        if isinstance(node, ast.Compare):
            return self._compare(node, line, d)
        if isinstance(node, ast.Call):
            fn = dotted(node.func)
            if isinstance(node.func, ast.Attribute) and node.func.attr in self.str_methods:
                v = self.value(node.func.value, line, d)
                return self.str_methods[node.func.attr](v) if isinstance(v, str) else UNKNOWN
            if fn in self.casts and node.args:
                v = self.value(node.args[0], line, d)
                return UNKNOWN if v is UNKNOWN else self.casts[fn](v)
        return self.lookup(node, line, d)

    def _compare(self, node: ast.Compare, line: int, depth: int) -> Any:
        if len(node.ops) != 1 or not isinstance(node.ops[0], self.compare_ops):
            return UNKNOWN
        a, b = self.value(node.left, line, depth), self.value(node.comparators[0], line, depth)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        op = node.ops[0]
        try:
            if isinstance(op, (ast.Eq, ast.Is)):
                return a == b
            if isinstance(op, (ast.NotEq, ast.IsNot)):
                return a != b
            return (a in b) if isinstance(op, ast.In) else (a not in b)
        except TypeError:
            return UNKNOWN

    def truth(self, node: ast.AST, line: int, depth: int = 0) -> bool | None:
        v = self.value(node, line, depth)
        if v is UNKNOWN:
            return None
        if isinstance(v, str):
            return v.strip().lower() not in _FALSY
        return bool(v)


def _norm(key: str) -> str:
    return key.lstrip("-").replace("-", "_")


def caller_params(index: FileIndex, e: FileEntry) -> dict[str, Any]:
    """Parameters that job/pipeline configs pass to this file (``base_parameters``, ``--flag value`` args)."""
    out: dict[str, Any] = {}
    for _, d in config_refs(index, e):
        for key in ("base_parameters", "parameters", "named_parameters"):
            if isinstance(d.get(key), dict):
                out.update({_norm(str(k)): v for k, v in d[key].items()})
        words = [w for k in ("args", "arguments", "parameters", "command", "cmd") for s in all_strings(d.get(k)) for w in str(s).split()]
        for i, w in enumerate(words):
            if w.startswith("--"):
                k, _, v = w.partition("=")
                out[_norm(k)] = v if v else (words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else "true")
    return out


class Env(Evaluator):
    """Gate flags: values from the file's assignments, argparse and notebook-widget defaults, the
    environment defaults and the parameters a job config passes to the script."""

    def __init__(self, tree: ast.AST, params: dict[str, Any]) -> None:
        super().__init__()
        self.params = params
        self.defaults: dict[str, Any] = {}
        for n in walk(tree):
            if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
                for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                    if isinstance(t, ast.Name):
                        self.assigns.setdefault(t.id, []).append((n.lineno, n.value))
            elif isinstance(n, ast.Call) and n.args and isinstance(literal(n.args[0], None), str):
                name, fn = literal(n.args[0]), tail(dotted(n.func))
                if fn == "add_argument" and name.startswith("-"):
                    self.defaults[str(literal(kwarg(n, "dest"), _norm(name)))] = literal(kwarg(n, "default"), None)
                elif fn in ("text", "dropdown", "combobox", "multiselect") and "widgets" in dotted(n.func) and len(n.args) > 1:
                    self.defaults[name] = literal(n.args[1], UNKNOWN)
        for v in self.assigns.values():
            v.sort(key=lambda x: x[0])

    def _param(self, key: str, default: Any = UNKNOWN) -> Any:
        if key in self.params:
            return self.params[key]
        return self.defaults.get(key, default)

    def lookup(self, node: ast.AST, line: int, depth: int) -> Any:
        if isinstance(node, ast.Name):
            return self.params[node.id] if node.id in self.params else self.prior(node.id, line, depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("args", "opts", "options", "flags", "config", "cfg", "params"):
            return self._param(node.attr)
        if isinstance(node, ast.Call):
            fn = tail(dotted(node.func))
            key = literal(node.args[0], None) if node.args else None
            if fn in ("get", "getArgument") and "widgets" in dotted(node.func) or fn == "getArgument":
                return self._param(str(key)) if key else UNKNOWN
            if dotted(node.func) in ("os.environ.get", "os.getenv", "environ.get", "getenv") and key:
                return self.params.get(str(key), literal(node.args[1], UNKNOWN) if len(node.args) > 1 else None)
        return UNKNOWN
