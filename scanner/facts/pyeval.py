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
from mlscan.index import FileEntry, FileIndex, register_fact

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


def _import_fallbacks(tree: ast.AST) -> set[str]:
    """Names an ``except ImportError``/``ModuleNotFoundError`` handler binds to ``None`` (or ``False``) after its ``try``
    imported them: the package may be missing."""
    out: set[str] = set()
    for n in walk(tree):
        if not isinstance(n, ast.Try):
            continue
        imported = {a.asname or a.name.split(".")[0] for st in n.body if isinstance(st, (ast.Import, ast.ImportFrom)) for a in st.names}
        for h in n.handlers:
            caught = {ops.dotted(x) for x in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type])} if h.type is not None else {""}
            if not caught & {"ImportError", "ModuleNotFoundError", "Exception", ""}:
                continue
            out |= {t.id for st in h.body if isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant) and st.value.value in (None, False)
                    for t in st.targets if isinstance(t, ast.Name) and t.id in imported}
    return out


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
# a project's own name for its settings object (``neox_args``, ``train_config``, ``model_cfg``)
_ROOT_SUFFIX = lazy_re(r"(?:^|_)(?:args|arguments|config|cfg|conf|opts|options|params|hparams|settings)$")


def flag_root(root: str) -> bool:
    """Is ``root`` (a dotted name) the object that holds a program's flags or settings?"""
    last = root.rsplit(".", 1)[-1]
    return root in _FLAG_ROOTS or last in _FLAG_ROOTS or _ROOT_SUFFIX.search(last) is not None


def argparse_default(n: ast.Call) -> tuple[str, Any] | None:
    """(dest, the value argparse gives it when the flag is not passed, or UNKNOWN) of an ``add_argument`` call of an
    optional flag; None for anything else."""
    func = n.func  # the name the call ends with first: ``dotted`` of every call of a module costs more than the rest
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if not (n.args and last.endswith("add_argument") and ops.dotted(func).endswith("add_argument")):
        return None
    flag = ops.literal(n.args[0])
    if not (isinstance(flag, str) and flag.startswith("-")):
        return None
    dest = ops.literal(ops.kwarg(n, "dest")) or flag.lstrip("-").replace("-", "_")
    action = ops.literal(ops.kwarg(n, "action"))
    default = ops.kwarg(n, "default")
    return str(dest), (False if action == "store_true" else True if action == "store_false" else
                       ops.literal(default) if default is not None and ops.literal(default) is not None else
                       # argparse's own default for an optional, valued flag given no default: None
                       None if _none_by_default(n, action, default) else UNKNOWN)


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
        # ``args.wandb = "wandb" in args.report_to``: flags the file derives from others, read after the assignment
        self.attr_assigns: dict[str, list[tuple[int, ast.expr]]] = {}
        # functions: (first line, last line, name, parameters without a default, first parameter is self/cls)
        self.functions: list[tuple[int, int, str, list[str], bool]] = []
        for n in walk(tree):
            if not isinstance(n, _FLAG_NODES):
                continue  # one test for most nodes
            if isinstance(n, ast.Call):
                found = argparse_default(n)
                if found is not None:
                    self.defaults[found[0]] = found[1]
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = [*n.args.posonlyargs, *n.args.args]
                bare = [a.arg for a in positional[:len(positional) - len(n.args.defaults)]]
                self.functions.append((n.lineno, n.end_lineno or n.lineno, n.name, bare, bool(bare) and bare[0] in ("self", "cls")))
                if n.decorator_list:
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
                if not isinstance(n, ast.AugAssign) and n.value is not None and len(targets) == 1 and isinstance(targets[0], ast.Attribute) \
                        and flag_root(ops.dotted(targets[0].value)):
                    self.attr_assigns.setdefault(targets[0].attr, []).append((n.lineno, n.value))
        # a field the file itself sets (``cfg.use_wandb = True``, ``self.tensorboard_dir = path``) is no known default
        for key in self.set_attrs:
            self.fields.pop(key, None)
        # ``try: import wandb`` / ``except ImportError: wandb = None``: the fallback says whether the package is installed
        # (an install question, ``tracking.install_gated``), it is no flag defaulting off
        for name in _import_fallbacks(tree):
            self.assigns.pop(name, None)

    def _key(self, key: str, default: Any, project: bool = True) -> Any:
        cfg = configured(self.index, key)
        if cfg is not None:
            return cfg
        # no default in this file: the project's own (an argparse flag or a settings class field another module declares)
        return project_flag(self.index, key) if default is UNKNOWN and project else default

    def _passed(self, function: str, param: str, position: int) -> Any:
        """The value every caller in the project passes to a function's parameter (``callers_pass``)."""
        return callers_pass(self.index, function, param, position)

    def lookup(self, node: ast.AST, line: int, depth: int) -> Any:
        if isinstance(node, ast.Attribute):
            root = ops.dotted(node.value)
            if flag_root(root):
                before = [(ln, x) for ln, x in self.attr_assigns.get(node.attr, []) if ln < line]
                if before:  # derived in this file before the test (``args.tensorboard = "tensorboard" in args.report_to``)
                    return self.value(before[-1][1], before[-1][0], depth)
                # (a flag the file sets only after the test has no known value there: not the project's default)
                return self._key(node.attr, self.defaults.get(node.attr, self.fields.get(node.attr, UNKNOWN)), project=node.attr not in self.set_attrs)
            if root == "self" and node.attr in self.fields:
                return self._key(node.attr, self.fields[node.attr])
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            key = ops.literal(node.slice)
            return self._key(key, UNKNOWN) if isinstance(key, str) else UNKNOWN
        if isinstance(node, ast.Name):
            if any(ln < line for ln, _ in self.assigns.get(node.id, [])):
                return self.prior(node.id, line, depth)
            if node.id in self.defaults:
                return self.defaults[node.id]
            # a parameter with no default of the function around the test (``def log(..., use_wandb): if use_wandb:``): what
            # its callers pass
            fn = min((f for f in self.functions if f[0] < line <= f[1] and node.id in f[3]), key=lambda f: f[1] - f[0], default=None)
            if fn is not None:
                return self._passed(fn[2], node.id, fn[3].index(node.id) - (1 if fn[4] else 0))
            return UNKNOWN
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
            if on is False and in_body and isinstance(cur, ast.If) and _raises_otherwise(cur, par):
                pass  # a tracker must be chosen: the chain raises when none is (a factory of trackers, not an opt-in)
            elif on is False and in_body or on is True and not in_body:
                return True
        child, cur = cur, par.get(cur)
    return False


# ------------------------------------------------------------------ flags declared in another module of the project

# files that can declare a flag's default or derive a flag: argparse parsers, settings classes, the code right after parsing
_DECL_NEEDLES = (b"add_argument", b"dataclass", b"dataclasses", b"BaseModel", b"BaseSettings", b"attrs", b"attr", b"parse_args",
                 b"parse_known_args")
_MAX_CALLER_FILES = 40  # project files read for the callers of one function


def _decls(index: FileIndex, path: str) -> dict[str, Any] | None:
    """What one module says about flags: argparse defaults (``a``: dest -> [1, value] or [0] when not a literal), constant
    defaults of annotated class fields (``f``: name -> value) and the flags it derives on a settings object (``d``:
    ``args.wandb = ...``). None when the file does not parse."""
    tree = index.python(path)
    if tree is None:
        return None
    args: dict[str, list[Any]] = {}
    fields: dict[str, Any] = {}
    derived: set[str] = set()
    kinds = _DECL_NODES
    for n in walk(tree):
        kind = kinds.get(type(n))  # one look-up for the many nodes that are none of these (names, constants, loads)
        if kind is None:
            continue
        if kind == "call":
            found = argparse_default(n)  # type: ignore[arg-type]
            if found is not None:
                args[found[0]] = [0] if found[1] is UNKNOWN or not _jsonable(found[1]) else [1, found[1]]
        elif kind == "class":
            for f in n.body:  # type: ignore[attr-defined]
                if isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name) and isinstance(f.value, ast.Constant) and _jsonable(f.value.value):
                    fields.setdefault(f.target.id, f.value.value)
        elif n.value is not None:  # type: ignore[attr-defined]
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]  # type: ignore[attr-defined]
            if len(targets) == 1 and isinstance(targets[0], ast.Attribute) and flag_root(ops.dotted(targets[0].value)):
                derived.add(targets[0].attr)
    return {"a": args, "f": fields, "d": sorted(derived)}


# the nodes _decls reads, by their exact type (``ast.parse`` makes no subclasses)
_DECL_NODES: dict[type, str] = {ast.Call: "call", ast.ClassDef: "class", ast.Assign: "assign", ast.AnnAssign: "assign"}


def _jsonable(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) or isinstance(v, list) and all(isinstance(x, (bool, int, float, str)) for x in v)


FLAG_DECLS = register_fact("pyeval.flag_decls", _decls, eager=lambda index, path: index.may_mention(path, _DECL_NEEDLES))


def _decl_table(index: FileIndex) -> dict[str, list[Any]]:
    """flag -> what the project's modules say of it: ``["v", value]`` (a literal default), ``["?"]`` (a default that is not
    a literal) and ``["d", path]`` (a module deriving it)."""
    table: dict[str, list[Any]] = {}
    for e in index.select(("**/*.py",)):
        if e.test or not index.mentions(e.path, _DECL_NEEDLES):
            continue
        d = index.fact(e.path, FLAG_DECLS)
        if not d:
            continue
        for k, v in d["a"].items():
            table.setdefault(k, []).append(["v", v[1]] if v[0] else ["?"])
        for k, v in d["f"].items():
            table.setdefault(k, []).append(["v", v])
        for k in d["d"]:
            table.setdefault(k, []).append(["d", e.path])
    return table


_ACTIVE: set[tuple[int, str]] = set()  # evaluations under way (a flag derived from itself, a function passing its own flag)


def project_flag(index: FileIndex, key: str) -> Any:
    """The default of a flag that the module testing it does not declare: the value every argparse default, settings
    class field and derivation (``args.wandb = "wandb" in args.report_to``, evaluated in its module) of the project agrees
    on; UNKNOWN when they disagree, none is a literal, or nothing declares it."""
    marker = (id(index), key)
    if marker in _ACTIVE:
        return UNKNOWN
    _ACTIVE.add(marker)
    try:
        return index.memo(f"pyeval-project-flag:{key}", lambda: _project_flag(index, key))
    finally:
        _ACTIVE.discard(marker)


def _project_flag(index: FileIndex, key: str) -> Any:
    said = index.memo("pyeval-flag-decls", lambda: _decl_table(index)).get(key)
    if not said:
        return UNKNOWN
    values: list[Any] = []
    for kind, *rest in said:
        if kind == "?":
            return UNKNOWN
        if kind == "v":
            values.append(rest[0])
            continue
        tree = index.python(rest[0])
        if tree is None:
            return UNKNOWN
        flags = Flags(index, tree)
        for line, expr in flags.attr_assigns.get(key, []):
            values.append(flags.value(expr, line))
    if not values or any(v is UNKNOWN for v in values) or any(v != values[0] or type(v) is not type(values[0]) for v in values):
        return UNKNOWN
    return values[0]


def callers_pass(index: FileIndex, function: str, param: str, position: int) -> Any:
    """What the project's calls of ``function`` pass as ``param`` (by keyword, else at ``position``), each evaluated in
    its module: True when one switches it on, False when every call passes a value that is off, else UNKNOWN (no call
    found, one leaves it unknown or passes it on by ``*args``/``**kwargs``)."""
    marker = (id(index), f"{function}({param})")
    if marker in _ACTIVE:
        return UNKNOWN
    _ACTIVE.add(marker)
    try:
        return index.memo(f"pyeval-callers:{function}:{param}:{position}", lambda: _callers_pass(index, function, param, position))
    finally:
        _ACTIVE.discard(marker)


def _callers_pass(index: FileIndex, function: str, param: str, position: int) -> Any:
    needle = (function + "(").encode()
    seen: list[Any] = []
    files = 0
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (needle,)):
            continue
        files += 1
        if files > _MAX_CALLER_FILES:
            return UNKNOWN
        tree = index.python(e.path)
        if tree is None:
            continue
        flags: Flags | None = None
        for n in walk(tree):
            if not (isinstance(n, ast.Call) and (isinstance(n.func, ast.Name) and n.func.id == function
                                                 or isinstance(n.func, ast.Attribute) and n.func.attr == function)):
                continue
            if any(isinstance(a, ast.Starred) for a in n.args) or any(k.arg is None for k in n.keywords):
                return UNKNOWN
            arg = ops.kwarg(n, param)
            if arg is None and 0 <= position < len(n.args):
                arg = n.args[position]
            if arg is None:
                return UNKNOWN  # left to the parameter's default, or passed some way not read here
            flags = flags or Flags(index, tree)
            seen.append(flags.truth(arg, n.lineno))
    if True in seen:
        return True
    return False if seen and all(v is False for v in seen) else UNKNOWN


def _raises_otherwise(node: ast.If, par: dict[ast.AST, ast.AST]) -> bool:
    """Does an ``if``/``elif`` chain raise when none of its tests holds (``else: raise ValueError(...)``, or a ``raise``
    right after a chain whose branches all return), with no branch that does nothing (``elif name == "none": pass``)?"""
    top = node
    while isinstance(par.get(top), ast.If) and par[top].orelse == [top]:  # up to the ``if`` of an ``elif`` chain
        top = par[top]  # type: ignore[assignment]
    branches: list[list[ast.stmt]] = []
    cur: ast.If = top
    while True:
        branches.append(cur.body)
        if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.If):
            cur = cur.orelse[0]
            continue
        last = cur.orelse
        break
    if any(all(isinstance(x, ast.Pass) or isinstance(x, ast.Return) and (x.value is None or ops.literal(x.value) is None
                                                                          and isinstance(x.value, ast.Constant)) for x in b) for b in branches):
        return False
    if last:
        return isinstance(last[0], ast.Raise)
    block = next((getattr(par.get(top), f) for f in ("body", "orelse", "finalbody") if top in (getattr(par.get(top), f, None) or [])), None)
    if not block:
        return False
    after = block[block.index(top) + 1:]
    return bool(after) and isinstance(after[0], ast.Raise) and all(isinstance(b[-1], ast.Return) for b in branches if b)
