"""What a cookiecutter template's post-generation hook deletes under the template's default options.

A template repository's product is the project it generates with its defaults (the index's "rendered-defaults" policy).
A ``hooks/post_gen_project.py`` often ships variants side by side and deletes the ones the options do not choose
(``if deps_manager == "uv": Path("requirements.txt").unlink()``); those files are not in the generated project. The hook
is read with ``ast`` and followed statically with the defaults of ``cookiecutter.json`` (a list's first choice, as
cookiecutter asks): assignments, ``if``/``else`` on known values, ``for`` over literal lists and calls of the hook's own
functions; a removal (``Path(p).unlink()``, ``os.remove``, ``os.unlink``, ``shutil.rmtree``, ``os.rmdir``) of a path
known there is collected, and so is a rename (``Path("tasks_uv.py").rename("tasks.py")``, ``os.rename``, ``shutil.move``):
the variant the defaults choose lands under its generated name. Anything unknown removes and renames nothing. Nothing is
imported or executed."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

_VAR = re.compile(r"^\{\{\s*cookiecutter\.(\w+)\s*\}\}$")
_REMOVE_FUNCS = {("os", "remove"), ("os", "unlink"), ("os", "rmdir"), ("shutil", "rmtree")}
_MOVE_FUNCS = {("os", "rename"), ("os", "replace"), ("shutil", "move")}
_EXISTS = ("os.path.exists", "os.path.isfile", "os.path.isdir", "path.exists", "path.isfile", "path.isdir")
_MAX_DEPTH = 4
_MAX_STEPS = 5000  # statements followed in all: a hook is short; a pathological one stops early

_UNKNOWN = object()


def defaults(manifest: str) -> dict[str, Any]:
    """The default of each option of a ``cookiecutter.json``: a list's first choice, a value itself (Jinja renders a
    boolean as ``True``/``False``)."""
    try:
        data = json.loads(manifest)
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    for k, v in data.items() if isinstance(data, dict) else ():
        if isinstance(v, list):
            v = v[0] if v else ""
        if isinstance(v, bool):
            out[k] = "True" if v else "False"
        elif isinstance(v, (str, int, float)):
            out[k] = str(v)
    return out


def removed_paths(manifest: str, hook: str) -> tuple[str, ...]:
    """Paths relative to the generated project that the hook deletes under the defaults (files or directories)."""
    return hook_effects(manifest, hook)[0]


def hook_effects(manifest: str, hook: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """What the hook does to the generated project under the defaults: the paths it deletes (files or directories), and
    the paths it renames (old -> new, files or directories), both relative to the project."""
    opts = defaults(manifest)
    try:
        tree = ast.parse(hook)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return (), {}
    state = _Walk(opts)
    state.block(tree.body, {"__name__": "__main__"}, 0)
    return tuple(sorted(state.removed)), dict(sorted(state.renamed.items()))


class _Walk:
    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = opts
        self.funcs: dict[str, ast.FunctionDef] = {}
        self.removed: set[str] = set()
        self.renamed: dict[str, str] = {}
        self.steps = 0

    def block(self, body: list[ast.stmt], env: dict[str, Any], depth: int) -> None:
        for st in body:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                return
            self.stmt(st, env, depth)

    def stmt(self, st: ast.stmt, env: dict[str, Any], depth: int) -> None:
        if isinstance(st, ast.FunctionDef):
            self.funcs[st.name] = st
        elif isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            env[st.targets[0].id] = self.value(st.value, env)
        elif isinstance(st, ast.If):
            test = self.value(st.test, env)
            if test is not _UNKNOWN:  # Python's truth: a rendered ``"False"`` string is true, as when the hook runs
                self.block(st.body if test else st.orelse, env, depth)
        elif isinstance(st, ast.For) and isinstance(st.target, ast.Name):
            items = self.value(st.iter, env)
            if isinstance(items, list):
                for item in items:
                    env[st.target.id] = item
                    self.block(st.body, env, depth)
        elif isinstance(st, (ast.With, ast.Try)):
            self.block(st.body, env, depth)
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            self.call(st.value, env, depth)

    def call(self, c: ast.Call, env: dict[str, Any], depth: int) -> None:
        target = self.removal(c, env)
        if target:
            self.removed.add(target)
            return
        moved = self.rename(c, env)
        if moved:
            self.renamed[moved[0]] = moved[1]
            return
        fn = self.funcs.get(c.func.id) if isinstance(c.func, ast.Name) else None
        if fn is None or depth >= _MAX_DEPTH:
            return
        local: dict[str, Any] = dict(env)
        params = [a.arg for a in fn.args.args]
        for name, arg in zip(params, c.args, strict=False):
            local[name] = self.value(arg, env)
        for k in c.keywords:
            if k.arg:
                local[k.arg] = self.value(k.value, env)
        self.block(fn.body, local, depth + 1)

    def removal(self, c: ast.Call, env: dict[str, Any]) -> str:
        """The path a call deletes, '' when it deletes nothing known."""
        f = c.func
        if isinstance(f, ast.Attribute) and f.attr in ("unlink", "rmdir") and isinstance(f.value, ast.Call) and _name(f.value.func) in (
                "Path", "pathlib.Path") and f.value.args:
            return _clean(self.path(f.value.args[0], env))
        if isinstance(f, ast.Attribute) and f.attr in ("unlink", "rmdir") and isinstance(f.value, (ast.Name, ast.BinOp)):
            return _clean(self.path(f.value, env))
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in _REMOVE_FUNCS and c.args:
            return _clean(self.path(c.args[0], env))
        return ""

    def rename(self, c: ast.Call, env: dict[str, Any]) -> tuple[str, str] | None:
        """(old, new) of a call that renames a known path to a known path (``Path(a).rename(b)``, ``Path(a).replace(b)``,
        ``os.rename(a, b)``, ``shutil.move(a, b)``), None otherwise."""
        f = c.func
        if isinstance(f, ast.Attribute) and f.attr in ("rename", "replace") and isinstance(f.value, ast.Call) and _name(
                f.value.func) in ("Path", "pathlib.Path") and f.value.args and len(c.args) == 1:
            old, new = _clean(self.path(f.value.args[0], env)), _clean(self.path(c.args[0], env))
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in _MOVE_FUNCS and len(c.args) == 2:
            old, new = _clean(self.path(c.args[0], env)), _clean(self.path(c.args[1], env))
        else:
            return None
        return (old, new) if old and new and old != new else None

    def path(self, node: ast.expr, env: dict[str, Any]) -> str:
        """A path expression's value; leading parts that are not known (the project directory, ``os.getcwd()``) are
        dropped, as the hook runs in the generated project."""
        if isinstance(node, ast.Call) and _name(node.func) in ("Path", "pathlib.Path") and node.args:
            return "/".join(p for p in (self.path(a, env) for a in node.args) if p)
        if isinstance(node, ast.Call) and _name(node.func) == "os.path.join":
            parts = [self.path(a, env) for a in node.args]
            return "/".join(p for p in parts if p)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return "/".join(p for p in (self.path(node.left, env), self.path(node.right, env)) if p)
        v = self.value(node, env)
        return v if isinstance(v, str) else ""

    def value(self, node: ast.expr, env: dict[str, Any]) -> Any:
        """A value known statically (str, bool, number, list), else _UNKNOWN."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return self.render(node.value)
            return node.value
        if isinstance(node, ast.Name):
            return env.get(node.id, _UNKNOWN)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.value(e, env) for e in node.elts]
            return items if all(i is not _UNKNOWN for i in items) else _UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            v = self.value(node.operand, env)
            return _UNKNOWN if v is _UNKNOWN else not v
        if isinstance(node, ast.BoolOp):
            vals = [v if v is _UNKNOWN else bool(v) for v in (self.value(x, env) for x in node.values)]
            if isinstance(node.op, ast.And):
                return False if any(v is False for v in vals) else (True if all(v is True for v in vals) else _UNKNOWN)
            return True if any(v is True for v in vals) else (False if all(v is False for v in vals) else _UNKNOWN)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.value(node.left, env), self.value(node.comparators[0], env)
            if left is _UNKNOWN or right is _UNKNOWN:
                return _UNKNOWN
            op = node.ops[0]
            try:
                if isinstance(op, ast.Eq):
                    return left == right
                if isinstance(op, ast.NotEq):
                    return left != right
                if isinstance(op, ast.In):
                    return left in right
                if isinstance(op, ast.NotIn):
                    return left not in right
            except TypeError:
                return _UNKNOWN
            return _UNKNOWN
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("lower", "upper", "strip") \
                and not node.args:
            v = self.value(node.func.value, env)
            return getattr(v, node.func.attr)() if isinstance(v, str) else _UNKNOWN
        if isinstance(node, ast.Call) and (_name(node.func) in _EXISTS or isinstance(node.func, ast.Attribute) and node.func.attr in (
                "exists", "is_file", "is_dir") and isinstance(node.func.value, ast.Call) and _name(node.func.value.func) in ("Path", "pathlib.Path")):
            return True  # ``if Path(f).exists():`` guards a removal against a file already gone: the template ships it
        if isinstance(node, ast.Call) and _name(node.func) == "str" and len(node.args) == 1:
            v = self.value(node.args[0], env)
            return v if isinstance(v, str) else _UNKNOWN
        return _UNKNOWN

    def render(self, text: str) -> Any:
        """A string literal as cookiecutter renders it: ``{{cookiecutter.x}}`` is the option's default; other template
        text is not known."""
        m = _VAR.match(text.strip())
        if m:
            return self.opts.get(m.group(1), _UNKNOWN)
        return _UNKNOWN if "{{" in text or "{%" in text else text


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _clean(path: str) -> str:
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    p = p.strip("/")
    return "" if not p or p in (".", "..") or ".." in p.split("/") else p
