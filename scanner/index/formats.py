"""Safe, line-aware parsers for the formats the index serves. Nothing here executes scanned content."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..lazyre import lazy_re
from ..valueclass import Value, setfield
from .fstrings import older_fstrings

# the YAML values and pre-load checks, without PyYAML (yaml_data.py); readers import them from here
from .yaml_data import MAX_YAML_ALIASES, MAX_YAML_EXPANDED_NODES, LineDict, LineList, may_alias  # noqa: F401

MAX_LINE_CHARS = 10_000


def cap_lines(text: str, limit: int = MAX_LINE_CHARS) -> tuple[str, int]:
    """``text`` with every line longer than ``limit`` characters cut to ``limit`` (line ends and line numbers
    kept), and how many lines were cut."""
    if len(text) <= limit or not _long_piece(text, limit):  # no "\n"-separated piece is longer: no line is
        return text, 0
    lines = text.splitlines(keepends=True)
    cut = 0
    for i, ln in enumerate(lines):
        if len(ln) > limit:
            body = ln.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
            if len(body) > limit:
                lines[i] = body[:limit] + ln[len(body) :]
                cut += 1
    return ("".join(lines), cut) if cut else (text, 0)


def _long_piece(text: str, limit: int) -> bool:
    """Is some "\\n"-separated piece of ``text`` longer than ``limit``? By the last line break of each window of ``limit`` + 1
    characters (a window without one is such a piece): about len / limit steps, no copy of every line."""
    pos, n = 0, len(text)
    while n - pos > limit:
        nl = text.rfind("\n", pos, pos + limit + 1)
        if nl < 0:
            return True
        pos = nl + 1
    return False


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream, safely. Raises ValueError on malformed or hostile input. (PyYAML is imported
    by the first call, index/yaml_load.py: a repository without YAML never pays for it.)"""
    from .yaml_load import load_yaml_all as load

    return load(text)


def check_aliases(text: str) -> None:
    """Raise ValueError when a YAML text's aliases expand to a huge tree or refer to their own anchor. For loaders that
    construct with libyaml directly (rule packs): the documents they build are walked by the schema validator."""
    if "&" not in text or "*" not in text:
        return
    from .yaml_load import check_aliases as check

    check(text)


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(str(e).splitlines()[0] if str(e) else "invalid JSON") from None


def load_toml(text: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        raise ValueError(str(e)) from None


# What ``ast.parse`` raises on hostile source besides SyntaxError: ValueError (NUL bytes), RecursionError (deep
# nesting) and MemoryError (CPython's parser gives up on some long invalid lines, e.g. ``a a a ...``).
_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
# A MemoryError says as much about this process's memory (an org worker's limit) as about the file: the facts
# cache stores nothing from a scan in which one happened (cache.units reads this count).
_memory_failures = 0


def memory_failures() -> int:
    """How many parses in this process gave up for want of memory."""
    return _memory_failures


def _noted(e: BaseException) -> BaseException:
    global _memory_failures
    if isinstance(e, MemoryError):
        _memory_failures += 1
    return e


def parse_python(text: str, filename: str) -> ast.Module:
    """``ast`` of a Python source. Source-format notebooks (Databricks, Jupytext) may hold raw
    ``%magic``/``!shell`` lines: on a syntax error they are blanked (line numbers kept) and parsing is
    tried once more."""
    try:
        return ast.parse(text, filename=filename)
    except _PARSE_ERRORS as e:
        first = _noted(e)
    retry = _newer_syntax(text)
    if retry is not None:
        try:
            return ast.parse(retry, filename=filename)
        except _PARSE_ERRORS as e:
            _noted(e)
    text = retry or text
    if _MAGIC_LINE.search(text):
        try:
            return ast.parse(_MAGIC_LINE.sub("", text), filename=filename)
        except _PARSE_ERRORS as e:
            _noted(e)
    raise ValueError(f"Python syntax error: {getattr(first, 'msg', first)}") from None


_FSTRING = lazy_re(r"(?i)(?<![\w])[rb]?f[rb]?['\"]")


def _newer_syntax(text: str) -> str | None:
    """A source that failed to parse, rewritten for this interpreter when it uses Python 3.12 f-strings (an inner
    string quoted like the f-string around it, ``fstrings.older_fstrings``); None when that changes nothing."""
    if not _FSTRING.search(text):
        return None
    fixed = older_fstrings(text)
    return fixed if fixed is not None and fixed != text else None


_MAGIC_LINE = lazy_re(r"^[ \t]*[%!].*$", re.M)


# ---------------------------------------------------------------- notebooks

_MAGIC = lazy_re(r"^\s*[%!?]")


class NotebookCode(Value, frozen=True):
    """Code cells joined into one Python source; ``cell_of_line[i]`` is the cell of source line i+1. ``kept``: None when
    every code cell is in the source as written, else the numbers of the cells kept (negative: rewritten for this
    interpreter's f-strings), what ``kept_code`` rebuilds the source from without parsing."""

    source: str
    cell_of_line: tuple[int, ...]
    tree: ast.Module | None
    kept: tuple[int, ...] | None

    _fields = ("source", "cell_of_line", "tree", "kept")
    __slots__ = _fields

    def __init__(self, source: str, cell_of_line: tuple[int, ...], tree: ast.Module | None, kept: tuple[int, ...] | None = None) -> None:
        setfield(self, "source", source)
        setfield(self, "cell_of_line", cell_of_line)
        setfield(self, "tree", tree)
        setfield(self, "kept", kept)

    def cell(self, line: int) -> int:
        return self.cell_of_line[line - 1] if 0 < line <= len(self.cell_of_line) else 0


def _whole_notebook(cells: list[tuple[int, str, int]], filename: str) -> NotebookCode | None:
    """``notebook_code`` in one parse when every cell parses on its own, which is known without parsing each cell
    when the joined cells parse and no top-level statement (decorators included) runs from one cell into the next:
    each cell then holds whole statements only. None when that is not so (the cells are then parsed one by one)."""
    source = "\n".join(code for _, code, _ in cells)
    try:
        tree = ast.parse(source, filename=filename)
    except _PARSE_ERRORS as e:
        if isinstance(e, MemoryError):
            _noted(e)
        return None
    cell_lines: list[int] = []
    for n, _, count in cells:
        cell_lines.extend([n] * (count or 1))
    last = len(cell_lines)
    for st in tree.body:
        first = min([st.lineno, *(d.lineno for d in getattr(st, "decorator_list", ()))])
        end = st.end_lineno or st.lineno
        if not (0 < first <= end <= last) or cell_lines[first - 1] != cell_lines[end - 1]:
            return None
    return NotebookCode(source, tuple(cell_lines), tree)


def notebook_cells(text: str) -> list[tuple[int, str, int]]:
    """The code cells of an .ipynb's JSON: (cell number, code with magics and shell escapes blanked, its lines)."""
    data = load_json(text)
    if not isinstance(data, dict):
        raise ValueError("notebook is not a JSON object")
    cells = data.get("cells")
    if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in data["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise ValueError("notebook has no cells list")
    cells_code: list[tuple[int, str, int]] = []  # (cell number, code, lines)
    for n, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        lines = ["" if _MAGIC.match(ln) else ln[:MAX_LINE_CHARS] for ln in src.splitlines()]
        cells_code.append((n, "\n".join(lines), len(lines)))
    return cells_code


def notebook_code(text: str, filename: str) -> NotebookCode:
    """Code cells of an .ipynb as Python; magics and shell escapes become blank lines, so they never
    break parsing. Cells that still fail to parse are left out one by one."""
    cells_code = notebook_cells(text)
    whole = _whole_notebook(cells_code, filename)
    if whole is not None:
        return whole
    parts: list[str] = []
    cell_lines: list[int] = []
    kept: list[int] = []
    for n, code, count in cells_code:
        rewritten = False
        try:
            ast.parse(code)
        except _PARSE_ERRORS as e:
            _noted(e)
            retry = _newer_syntax(code)
            if retry is None:
                continue
            try:
                ast.parse(retry)
            except _PARSE_ERRORS:
                continue
            code, rewritten = retry, True
        parts.append(code)
        cell_lines.extend([n] * (count or 1))
        kept.append(-n if rewritten else n)
    source = "\n".join(parts)
    try:
        tree = ast.parse(source, filename=filename)
    except _PARSE_ERRORS as e:
        _noted(e)
        tree = None
    return NotebookCode(source, tuple(cell_lines), tree, tuple(kept))


def kept_code(text: str, kept: Sequence[int] | None) -> tuple[str, tuple[int, ...]]:
    """``notebook_code``'s source and ``cell_of_line`` rebuilt from the notebook's text and the cells its parse kept
    (``NotebookCode.kept``), without parsing any Python."""
    wanted = None if kept is None else {abs(n): n < 0 for n in kept}
    parts: list[str] = []
    cell_lines: list[int] = []
    for n, code, count in notebook_cells(text):
        if wanted is not None:
            if n not in wanted:
                continue
            if wanted[n]:
                code = _newer_syntax(code) or code
        parts.append(code)
        cell_lines.extend([n] * (count or 1))
    return "\n".join(parts), tuple(cell_lines)


# ---------------------------------------------------------------- Dockerfiles


class DockerInstruction(Value, frozen=True):
    """One Dockerfile instruction: its line, upper-case keyword and value."""
    line: int
    instruction: str  # upper-case, e.g. FROM
    value: str

    _fields = ("line", "instruction", "value")
    __slots__ = _fields

    def __init__(self, line: int, instruction: str, value: str) -> None:
        setfield(self, "line", line)
        setfield(self, "instruction", instruction)
        setfield(self, "value", value)


def blank_c_comments(text: str, quotes: str, string_end: Callable[[str, int], int]) -> str:
    """``text`` with its ``//`` and ``/* */`` comments blanked, keeping offsets and newlines, for the C-like languages
    read as text (Groovy Jenkinsfiles, TypeScript/JavaScript CDK apps). A string literal starts at a character of
    ``quotes`` and ``string_end(text, i)`` says where the one starting at ``i`` ends: the languages differ in their
    literals, not in their comments."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text[i] in quotes:
            i = string_end(text, i)
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [ch if ch == "\n" else " " for ch in text[i:j]]
            i = j
        else:
            i += 1
    return "".join(out)


def parse_dockerfile(text: str) -> list[DockerInstruction]:
    """Instructions with line continuations joined; comments dropped."""
    out: list[DockerInstruction] = []
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if not buf:
            start = i
        if line.endswith("\\"):
            buf.append(line[:-1].strip())
            continue
        buf.append(line)
        joined = " ".join(b for b in buf if b)
        buf = []
        word, _, rest = joined.partition(" ")
        out.append(DockerInstruction(start, word.upper(), rest.strip()))
    if buf:
        joined = " ".join(buf)
        word, _, rest = joined.partition(" ")
        out.append(DockerInstruction(start, word.upper(), rest.strip()))
    return out


# ---------------------------------------------------------------- requirements


class Requirement(Value, frozen=True):
    """One requirement line of a requirements file: the package and its version specifier."""
    line: int
    name: str  # normalised (lower-case, - for _ and .)
    spec: str  # version specifier text, "" when unpinned
    raw: str

    _fields = ("line", "name", "spec", "raw")
    __slots__ = _fields

    def __init__(self, line: int, name: str, spec: str, raw: str) -> None:
        setfield(self, "line", line)
        setfield(self, "name", name)
        setfield(self, "spec", spec)
        setfield(self, "raw", raw)

    @property
    def pinned(self) -> bool:
        return self.spec.startswith("==") or self.spec.startswith("===") or "@" in self.raw.split(";")[0]


_REQ = lazy_re(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(text: str) -> list[Requirement]:
    out: list[Requirement] = []
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:", ".")):
            continue
        m = _REQ.match(line)
        if not m:
            continue
        spec = m.group(3).split(";", 1)[0].strip()
        out.append(Requirement(i, normalize_name(m.group(1)), spec, line))
    return out
