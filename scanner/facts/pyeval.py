"""The one static evaluator of the flags that switch code on and off, with its two sources of values.

``Evaluator`` folds literals, ``not``/``and``/``or``, one comparison, string methods and casts; a subclass says
where names get their values:
- ``Env``: gate flags (``dry_run = run_mode == "dry_run"``, ``if allow_run_cancel.lower() == "true"``) from the
  file's assignments, argparse/widget/env defaults and the parameters a job config passes to the script;
- ``Flags``: opt-in flags that default off (``if args.use_wandb:``) from argparse defaults and actions,
  decorated functions' defaults, and the configs or automated commands that switch them (``configured``).
Unknown stays unknown (None). Nothing is executed. Not a detector."""

from __future__ import annotations

import ast
import re
from typing import Any

from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from ..lazyre import lazy_re
from . import ops
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
        self.fields: dict[str, Any] = {}  # class fields defaulting off, read through a flag root or ``self``
        self.set_attrs: set[str] = set()
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


# ------------------------------------------------------------------ opt-in flags that default off

_FLAG_ROOTS = frozenset({"args", "opts", "options", "flags", "config", "cfg", "conf", "params", "hparams", "hp", "settings", "opt",
                         "self.args", "self.config", "self.cfg", "self.hparams", "self.opts", "self.params", "training_args"})


# the nodes Flags reads: argparse calls, decorated functions' defaults, class fields (dataclass/config), assignments
_FLAG_NODES = (ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AugAssign, ast.AnnAssign)
_OFF_FIELD = (False, None, "")  # a class field with one of these defaults is an opt-in switch that is off by default


class Flags(Evaluator):
    """Evaluates ``if`` tests on CLI/config flags to their default value (or the value a project config
    or an automated command sets); anything else is unknown."""

    max_depth = 12
    compare_ops = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)
    str_methods = {m: (lambda v: v.lower().strip()) for m in ("lower", "strip", "casefold")}

    def __init__(self, index: FileIndex, tree: ast.AST) -> None:
        super().__init__()
        self.index = index
        self.casts = {"bool": bool, "str": str, "int": _int}
        self.defaults: dict[str, Any] = {}
        self.fields: dict[str, Any] = {}  # class fields defaulting off, read through a flag root or ``self``
        self.set_attrs: set[str] = set()
        for n in walk(tree):
            if not isinstance(n, _FLAG_NODES):
                continue  # one test for most nodes
            if isinstance(n, ast.Call) and ops.dotted(n.func).endswith("add_argument") and n.args:
                flag = ops.literal(n.args[0])
                if isinstance(flag, str) and flag.startswith("-"):
                    dest = ops.literal(ops.kwarg(n, "dest")) or flag.lstrip("-").replace("-", "_")
                    action = ops.literal(ops.kwarg(n, "action"))
                    default = ops.kwarg(n, "default")
                    self.defaults[dest] = (False if action == "store_true" else True if action == "store_false" else
                                           ops.literal(default) if default is not None and ops.literal(default) is not None else
                                           # argparse's own default for an optional, valued flag given no default: None
                                           None if _none_by_default(n, action, default) else UNKNOWN)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.decorator_list:
                args = n.args.args[len(n.args.args) - len(n.args.defaults):] if n.args.defaults else []
                for a, d in zip(args, n.args.defaults):
                    if isinstance(ops.literal(d), bool):
                        self.defaults.setdefault(a.arg, ops.literal(d))
            elif isinstance(n, ast.ClassDef):
                for f in n.body:  # ``use_wandb: bool = False`` / ``tensorboard_dir: Optional[str] = None``
                    if isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name) and isinstance(f.value, ast.Constant):
                        if f.value.value in _OFF_FIELD and type(f.value.value) in (bool, type(None), str):
                            self.fields.setdefault(f.target.id, f.value.value)
            elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                self.assigns.setdefault(n.targets[0].id, []).append((n.lineno, n.value))
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                self.set_attrs.update(t.attr for t in targets if isinstance(t, ast.Attribute))
        # a field the file itself sets (``cfg.use_wandb = True``, ``self.tensorboard_dir = path``) is no known default
        for key in self.set_attrs:
            self.fields.pop(key, None)

    def _key(self, key: str, default: Any) -> Any:
        cfg = configured(self.index, key)
        return cfg if cfg is not None else default

    def lookup(self, node: ast.AST, line: int, depth: int) -> Any:
        if isinstance(node, ast.Attribute):
            root = ops.dotted(node.value)
            if root in _FLAG_ROOTS or root.split(".")[-1] in _FLAG_ROOTS:
                return self._key(node.attr, self.defaults.get(node.attr, self.fields.get(node.attr, UNKNOWN)))
            if root == "self" and node.attr in self.fields:
                return self._key(node.attr, self.fields[node.attr])
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            key = ops.literal(node.slice)
            return self._key(key, UNKNOWN) if isinstance(key, str) else UNKNOWN
        if isinstance(node, ast.Name):
            if any(ln < line for ln, _ in self.assigns.get(node.id, [])):
                return self.prior(node.id, line, depth)
            return self.defaults.get(node.id, UNKNOWN)
        if isinstance(node, ast.Call):
            name = ops.dotted(node.func)
            key = ops.literal(node.args[0]) if node.args else None
            if name.endswith(("getenv", "environ.get")):
                return ops.literal(node.args[1]) if len(node.args) > 1 and isinstance(key, str) else UNKNOWN
            if name.endswith(".get") and isinstance(key, str) and len(node.args) > 1:
                return self._key(key, ops.literal(node.args[1]))
        return UNKNOWN


def _none_by_default(call: ast.Call, action: Any, default: ast.expr | None) -> bool:
    """Does argparse give this ``add_argument`` the value None when the flag is not passed? An optional flag that takes
    a value (``--report_to`` with ``nargs="+"``, ``--tensorboard`` with ``type=str``), no default and not required."""
    unset = default is None or (isinstance(default, ast.Constant) and default.value is None)
    return (unset and action in (None, "store") and ops.literal(ops.kwarg(call, "required")) is not True
            and ops.kwarg(call, "const") is None)


def _int(v: Any) -> Any:
    try:
        return int(v)
    except (TypeError, ValueError):
        return UNKNOWN


_FLAG_FILES = ("**/*.yaml", "**/*.yml", "**/*.json")
# ``key: true`` / ``"key": "false"`` / ``key: on`` as YAML 1.1 and JSON write booleans (and their strings)
_BOOLISH_RE = r"""([\w.-]+)["']?\s*:\s*["']?(?:true|false|yes|no|on|off)\b"""
_BOOLISH = lazy_re(_BOOLISH_RE, re.IGNORECASE)
# the same, only where a key can start (not inside a run of key characters): finditer of _BOOLISH tries every position of
# every run of key characters, each time running to the run's end and back (quadratic in the run's length)
_BOOLISH_AT_START = lazy_re(r"(?<![\w.-])" + _BOOLISH_RE, re.IGNORECASE)


def _boolish_keys(text: str) -> set[str]:
    """``{m.group(1) for m in _BOOLISH.finditer(text)}``, ~5x faster. A match of _BOOLISH starts inside a run of key
    characters only where the search starts (the end of the previous match, which may be followed by ``.`` or ``-``):
    further into a run it fails wherever it failed at the run's first character (the same run end, the same text after
    it). So: _BOOLISH at the search start, else the first match of _BOOLISH_AT_START."""
    out: set[str] = set()
    pos, end = 0, len(text)
    while pos <= end:
        m = _BOOLISH.match(text, pos) if pos else None
        if m is None:
            m = _BOOLISH_AT_START.search(text, pos)
            if m is None:
                break
        out.add(m.group(1))
        pos = m.end()
    return out


def _flag_table(index: FileIndex) -> dict[str, set[str]]:
    """Keys that configs (outside tests) set to a boolean-looking value -> the files: one read of each
    config instead of one per flag ``configured`` is asked about."""
    table: dict[str, set[str]] = {}
    for e in index.select(_FLAG_FILES):
        if e.test or not (text := index.text(e.path)):
            continue
        for key in _boolish_keys(text):
            table.setdefault(key, set()).add(e.path)
    return table


def configured(index: FileIndex, key: str) -> bool | None:
    """Is a flag switched on (True) or off (False) by a project config file or an automated command?
    None when nothing sets it."""

    def build() -> bool | None:
        dashed = key.replace("_", "-")
        # compiled once: a CI-heavy repository has tens of thousands of automated commands
        switch = re.compile(rf"--({re.escape(key)}|{re.escape(dashed)})\b(?!\s*[= ]\s*(false|False|0)\b)|\b{re.escape(key)}=(true|True|1)\b")
        for text in ops.automated_texts(index):
            if switch.search(text):
                return True
        found: bool | None = None
        candidates = index.memo("tracking-flag-table", lambda: _flag_table(index)).get(key, set())
        for e in index.select(_FLAG_FILES):
            if e.path not in candidates:
                continue
            docs = [index.json(e.path)] if e.suffix == ".json" else index.yaml(e.path)
            for doc in docs:
                for d in ops.walk_dicts(doc):
                    v = d.get(key)
                    if isinstance(v, bool) or (isinstance(v, str) and v.lower() in ("true", "false")):
                        on = v is True or (isinstance(v, str) and v.lower() == "true")
                        if on:
                            return True
                        found = False
        return found

    return index.memo(f"tracking-flag:{key}", build)  # type: ignore[no-any-return]


def guarded_off(node: ast.AST, par: dict[ast.AST, ast.AST], flags: Flags) -> bool:
    """Is the node only reached when an opt-in flag that defaults off is set (``if args.use_wandb:``)?"""
    child, cur = node, par.get(node)
    while cur is not None:
        if isinstance(cur, (ast.If, ast.IfExp)) and child is not cur.test:
            on = flags.truth(cur.test, getattr(cur, "lineno", 0))
            in_body = child in cur.body if isinstance(cur, ast.If) else child is cur.body
            if on is False and in_body or on is True and not in_body:
                return True
        child, cur = cur, par.get(cur)
    return False
