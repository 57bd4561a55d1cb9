"""Calls and imports of a Python file or notebook, typed: what detectors ask of calls without walking a tree.

One walk of a parsed module gives its imports (local name -> qualified name) and every call (``Call``): line, the
callee as written and resolved through the imports, the called attribute, the object it is called on, and typed
questions about its arguments (``kw``, ``has_kw``, ``kw_value``, ``arg_value``: a literal value or the dotted name an
argument is written as, ``Arg``). ``file_calls`` keeps them while the parse cache keeps the file. They are the
material of small per-file facts (``register_fact``): a detector family derives from them the few values it needs
(``tracking.calls``: the tracker calls of a file), which outlive the parse and are kept between scans by the facts
cache, so the detector asks again without a parse. ``Arg.to_json``/``arg_from_json`` store arguments in such facts
exactly (tuples, sets, bytes as tagged JSON). Every call of a large repository would not fit in memory as facts (the
calls of PrefectHQ/prefect take ~20 M characters as JSON), hence one small fact per question.
"""

from __future__ import annotations

import ast
from typing import Any

from mlscan.facts.pyast import walk
from mlscan.index import FileEntry, FileIndex

from ..valueclass import Value, setfield

_CALLS_ATTR = "_mlscan_calls"


def calls_of(tree: ast.AST) -> list[ast.Call]:
    """The ``Call`` nodes of a module in ``walk`` order (computed once per tree, kept on a ``Module``)."""
    hit = tree.__dict__.get(_CALLS_ATTR) if isinstance(tree, ast.Module) else None
    if hit is None:
        hit = [n for n in walk(tree) if n.__class__ is ast.Call]  # exact class: the parser makes no subclasses
        if isinstance(tree, ast.Module):
            setattr(tree, _CALLS_ATTR, hit)
    return hit  # type: ignore[return-value]


# ------------------------------------------------------------------ names


def aliases_of(imports: list[ast.Import | ast.ImportFrom]) -> dict[str, str]:
    """Local name -> fully qualified imported name of import statements in walk order (a later binding wins;
    ``import numpy as np`` -> ``np: numpy``)."""
    out: dict[str, str] = {}
    for node in imports:
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and node.level == 0:
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def dotted(node: ast.AST) -> str:
    """``a.b.c`` as written ('' when the chain does not start at a name; ``f().x`` for a call in the chain)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        return dotted(node.func) + "()." + ".".join(reversed(parts)) if parts else dotted(node.func) + "()"
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


def qualified(text: str, al: dict[str, str]) -> str | None:
    """The imported name an expression written ``text`` (its ``dotted`` form) refers to, or None."""
    if not text or "()" in text:
        return None
    head, _, rest = text.partition(".")
    if head not in al:
        return None
    return f"{al[head]}.{rest}" if rest else al[head]


def receiver(call: ast.Call) -> str:
    """The object a method is called on, without subscripts: ``run["acc"].append(...)`` -> ``run``."""
    f = call.func
    base = f.value if isinstance(f, ast.Attribute) else None
    while isinstance(base, ast.Subscript):
        base = base.value
    return dotted(base) if base is not None else ""


# ------------------------------------------------------------------ literal values as JSON


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def encode_literal(v: Any) -> Any:
    """A value ``ast.literal_eval`` returns as JSON that ``decode_literal`` turns back into an equal value of the same
    types (tuples, sets, dicts with any keys, bytes, complex numbers and ``...`` as tagged objects)."""
    t = v.__class__
    if t is str or t is int or t is bool or t is float or v is None:
        return v
    if t is list:
        return [encode_literal(x) for x in v]
    if t is tuple:
        return {"t": [encode_literal(x) for x in v]}
    if t is dict:
        return {"d": [[encode_literal(k), encode_literal(x)] for k, x in v.items()]}
    if t is set:
        return {"s": [encode_literal(x) for x in v]}
    if t is bytes:
        return {"b": v.decode("latin-1")}
    if t is complex:
        return {"c": [v.real, v.imag]}
    if v is Ellipsis:
        return {"e": 0}
    raise TypeError(f"not a literal: {t.__name__}")


def decode_literal(v: Any) -> Any:
    t = v.__class__
    if t is list:
        return [decode_literal(x) for x in v]
    if t is not dict:
        return v
    tag, body = next(iter(v.items()))
    if tag == "t":
        return tuple(decode_literal(x) for x in body)
    if tag == "d":
        return {decode_literal(k): decode_literal(x) for k, x in body}
    if tag == "s":
        return {decode_literal(x) for x in body}
    if tag == "b":
        return body.encode("latin-1")
    if tag == "c":
        return complex(body[0], body[1])
    return Ellipsis


# ------------------------------------------------------------------ typed calls


class Arg(Value, frozen=True):
    """An argument: its literal value (``literal`` says whether it is one: ``value`` None is also the literal
    ``None``), else the dotted name it is written as (``text``, '' for other expressions)."""

    literal: bool
    value: Any
    text: str

    _fields = ("literal", "value", "text")
    __slots__ = _fields

    def __init__(self, literal: bool, value: Any, text: str) -> None:
        setfield(self, "literal", literal)
        setfield(self, "value", value)
        setfield(self, "text", text)

    def to_json(self) -> Any:
        """``[literal]`` or the text: what a file fact stores (``arg_from_json`` reads it back)."""
        return [encode_literal(self.value)] if self.literal else self.text


def arg_from_json(a: Any) -> Arg:
    if a.__class__ is list:
        return Arg(True, decode_literal(a[0]), "")
    return Arg(False, None, a)


# expressions ``ast.literal_eval`` never accepts (a call only as ``set()``)
_NEVER_LITERAL = frozenset({ast.Name, ast.Attribute, ast.Subscript, ast.Starred, ast.Lambda, ast.JoinedStr, ast.Compare,
                            ast.BoolOp, ast.IfExp, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await,
                            ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.FormattedValue, ast.Slice})


def typed_arg(node: ast.AST) -> Arg:
    """An argument's literal value (what ``ast.literal_eval`` accepts), else its dotted text."""
    cls = node.__class__
    if cls is ast.Constant:
        return Arg(True, node.value, "")  # type: ignore[attr-defined]
    if cls not in _NEVER_LITERAL and not (cls is ast.Call and not _is_set_call(node)):
        ok, value = _literal(node)
        if ok:
            return Arg(True, value, "")
    return Arg(False, None, dotted(node))


def _is_set_call(node: Any) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == "set" and not node.args and not node.keywords


class Call:
    """One call of a file: where (``line``; ``ordinal``, its place in ``calls_of``), what it calls (``qual`` through
    imports, '' for local objects; ``attr`` the called attribute or name; ``text`` the callee as written) and typed
    questions about its arguments. ``node`` is the syntax node, for what these do not answer."""

    __slots__ = ("line", "qual", "attr", "text", "ordinal", "node")

    def __init__(self, node: ast.Call, ordinal: int, al: dict[str, str]) -> None:
        f = node.func
        self.line: int = node.lineno
        self.attr: str = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else "")
        self.text: str = dotted(f)
        self.qual: str = qualified(self.text, al) or ""
        self.ordinal = ordinal
        self.node = node

    @property
    def recv(self) -> str:
        """The object a method is called on, without subscripts (``run["acc"].append`` -> ``run``)."""
        return receiver(self.node)

    @property
    def nargs(self) -> int:
        return len(self.node.args)

    def arg(self, i: int) -> Arg | None:
        args = self.node.args
        return typed_arg(args[i]) if i < len(args) else None

    @property
    def args(self) -> list[Arg]:
        return [typed_arg(a) for a in self.node.args]

    @property
    def kwargs(self) -> list[tuple[str | None, Arg]]:
        """Keyword arguments in order (name None for ``**mapping``)."""
        return [(k.arg, typed_arg(k.value)) for k in self.node.keywords]

    def kw(self, name: str) -> Arg | None:
        """The first keyword argument called ``name`` (None when not passed)."""
        for k in self.node.keywords:
            if k.arg == name:
                return typed_arg(k.value)
        return None

    def has_kw(self, name: str) -> bool:
        return any(k.arg == name for k in self.node.keywords)

    def kw_value(self, name: str) -> Any:
        """The literal value of keyword argument ``name`` (None when not passed or not a literal)."""
        a = self.kw(name)
        return a.value if a is not None else None

    def arg_value(self, i: int) -> Any:
        """The literal value of positional argument ``i`` (None when missing or not a literal)."""
        a = self.arg(i)
        return a.value if a is not None else None

    def __repr__(self) -> str:
        return f"Call({self.line}, {self.text!r})"


class FileCalls(Value, frozen=True):
    """The typed calls of one Python module, with the import aliases used to resolve their names."""

    aliases: dict[str, str]
    calls: list[Call]  # sorted by line (walk order within a line)

    _fields = ("aliases", "calls")
    __slots__ = _fields

    def __init__(self, aliases: dict[str, str], calls: list[Call]) -> None:
        setfield(self, "aliases", aliases)
        setfield(self, "calls", calls)


_EMPTY = FileCalls({}, [])


def module_calls(tree: ast.AST) -> FileCalls:
    """The imports and calls of a parsed module (one walk)."""
    imports: list[ast.Import | ast.ImportFrom] = []
    nodes: list[ast.Call] = []
    for node in walk(tree):  # one pass for both
        cls = node.__class__
        if cls is ast.Call:
            nodes.append(node)  # type: ignore[arg-type]
        elif cls is ast.Import or cls is ast.ImportFrom:
            imports.append(node)  # type: ignore[arg-type]
    if isinstance(tree, ast.Module) and _CALLS_ATTR not in tree.__dict__:
        setattr(tree, _CALLS_ATTR, nodes)
    al = aliases_of(imports)
    out = [Call(n, k, al) for k, n in enumerate(nodes)]
    out.sort(key=lambda c: c.line)
    return FileCalls(al, out)


def file_calls(index: FileIndex, e: FileEntry) -> FileCalls:
    """The imports and calls of a Python file or notebook (empty when it does not parse), kept as long as the parse
    cache keeps them. What a detector needs of them across scans goes into a small file fact of its own."""

    def build() -> FileCalls:
        tree = index.python(e.path)
        return _EMPTY if tree is None else module_calls(tree)

    return index.file_memo("ops-calls", e.path, build)  # type: ignore[no-any-return]
