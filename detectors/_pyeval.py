"""A tiny, safe evaluator for the flags that switch gates on and off (``dry_run = run_mode == "dry_run"``,
``if allow_run_cancel.lower() == "true"``). Values come from literals in the file, argparse/widget/env
defaults, and the parameters a job config passes to the script. Unknown stays unknown (None). Nothing
is executed. Not a detector."""

from __future__ import annotations

import ast
from typing import Any

from mlscan.index import FileEntry, FileIndex
from mlscan.pyast import walk

from ._orchestration import all_strings, config_refs, dotted, kwarg, literal, tail

UNKNOWN: Any = object()
_STR_METHODS = {"lower": str.lower, "upper": str.upper, "strip": str.strip, "casefold": str.casefold}


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


class Env:
    def __init__(self, tree: ast.AST, params: dict[str, Any]) -> None:
        self.params = params
        self.assigns: dict[str, list[tuple[int, ast.expr]]] = {}
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

    def value(self, node: ast.AST, line: int, depth: int = 0) -> Any:
        if depth > 20:
            return UNKNOWN
        d = depth + 1
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.params:
                return self.params[node.id]
            prior = [(ln, x) for ln, x in self.assigns.get(node.id, []) if ln < line]
            return self.value(prior[-1][1], prior[-1][0], d) if prior else UNKNOWN
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("args", "opts", "options", "flags", "config", "cfg", "params"):
            return self._param(node.attr)
        if isinstance(node, ast.Call):
            fn = tail(dotted(node.func))
            if fn in _STR_METHODS and isinstance(node.func, ast.Attribute):
                v = self.value(node.func.value, line, d)
                return _STR_METHODS[fn](v) if isinstance(v, str) else UNKNOWN
            key = literal(node.args[0], None) if node.args else None
            if fn in ("get", "getArgument") and "widgets" in dotted(node.func) or fn == "getArgument":
                return self._param(str(key)) if key else UNKNOWN
            if dotted(node.func) in ("os.environ.get", "os.getenv", "environ.get", "getenv") and key:
                return self.params.get(str(key), literal(node.args[1], UNKNOWN) if len(node.args) > 1 else None)
            if fn in ("bool", "str") and node.args:
                v = self.value(node.args[0], line, d)
                return UNKNOWN if v is UNKNOWN else (bool(v) if fn == "bool" else str(v))
            return UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            v = self.truth(node.operand, line, d)
            return UNKNOWN if v is None else not v
        if isinstance(node, ast.BoolOp):
            vals = [self.truth(v, line, d) for v in node.values]
            if isinstance(node.op, ast.And):
                return False if False in vals else (True if all(v is True for v in vals) else UNKNOWN)
            return True if True in vals else (False if all(v is False for v in vals) else UNKNOWN)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            a, b = self.value(node.left, line, d), self.value(node.comparators[0], line, d)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            op = node.ops[0]
            try:
                if isinstance(op, (ast.Eq, ast.Is)):
                    return a == b
                if isinstance(op, (ast.NotEq, ast.IsNot)):
                    return a != b
                if isinstance(op, ast.In):
                    return a in b
                if isinstance(op, ast.NotIn):
                    return a not in b
            except TypeError:
                return UNKNOWN
        return UNKNOWN

    def truth(self, node: ast.AST, line: int, depth: int = 0) -> bool | None:
        v = self.value(node, line, depth)
        if v is UNKNOWN:
            return None
        if isinstance(v, str) and v.strip().lower() in ("false", "0", "no", "off", ""):
            return False
        return bool(v)
