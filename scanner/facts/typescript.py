"""A small reader for AWS CDK apps written in TypeScript/JavaScript (no TypeScript parser in Python).

It reads the text the way the Jenkins reader does: comments are blanked outside string literals (``'``, ``"`` and
template literals), then ``new ns.Class(...)`` expressions are found with their bracket-matched arguments, the
variable they are bound to (``const train = new tasks.SageMakerCreateTrainingJob(this, 'Train', {...})``), and the
top-level properties of an object-literal argument. Nothing is executed or evaluated; a value is the text written.
"""

from __future__ import annotations

import re

from ..index import FileEntry, FileIndex
from ..index.formats import blank_c_comments
from ..lazyre import lazy_re
from ..valueclass import Value, setfield

CDK_MODULES = ("aws-cdk-lib", "@aws-cdk/", "aws-cdk/")
_IMPORT = lazy_re(r"""\bfrom\s*(['"])([^'"\n]+)\1|\brequire\s*\(\s*(['"])([^'"\n]+)\3\s*\)""")
_NEW = lazy_re(r"\bnew\s+([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*(?:<[^<>()]*>)?\s*\(")
_BOUND = lazy_re(r"(?:\b(?:const|let|var)\s+|\bthis\.)([A-Za-z_$][\w$]*)\s*(?::\s*[\w$.<>\[\], ]+)?=\s*$")
_STRING = lazy_re(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`""", re.S)
_OPEN = {"(": ")", "[": "]", "{": "}"}


class TsNew(Value, frozen=True):
    """A ``new X(...)`` construction in TypeScript (CDK constructs), with its arguments as written."""

    name: str  # as written, dots without spaces: ``tasks.SageMakerCreateTrainingJob``
    line: int
    start: int  # offset of ``new``
    end: int  # offset just past the closing parenthesis
    args: tuple[str, ...]  # the top-level arguments as written
    var: str  # the variable or ``this.`` field it is assigned to, or ""

    _fields = ("name", "line", "start", "end", "args", "var")
    __slots__ = _fields

    def __init__(self, name: str, line: int, start: int, end: int, args: tuple[str, ...], var: str) -> None:
        setfield(self, "name", name)
        setfield(self, "line", line)
        setfield(self, "start", start)
        setfield(self, "end", end)
        setfield(self, "args", args)
        setfield(self, "var", var)

    @property
    def tail(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def props(self) -> str:
        """The last object-literal argument (a construct's props), or ""."""
        return next((a for a in reversed(self.args) if a.startswith("{")), "")


class TsFile(Value, frozen=True):
    """A TypeScript file read for CDK constructs: imports and ``new`` expressions, comments blanked."""

    path: str
    code: str  # comments blanked, offsets kept
    imports: frozenset[str]
    news: tuple[TsNew, ...]
    _starts: tuple[int, ...]

    _fields = ("path", "code", "imports", "news", "_starts")

    def __init__(self, path: str, code: str, imports: frozenset[str], news: tuple[TsNew, ...], _starts: tuple[int, ...]) -> None:
        setfield(self, "path", path)
        setfield(self, "code", code)
        setfield(self, "imports", imports)
        setfield(self, "news", news)
        setfield(self, "_starts", _starts)

    def line_at(self, offset: int) -> int:
        lo, hi = 0, len(self._starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._starts[mid] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def cdk(self) -> bool:
        return any(m.startswith(CDK_MODULES) for m in self.imports)


def ts_file(index: FileIndex, e: FileEntry) -> TsFile | None:
    """The read file (memoised per scan), or None when it has no text."""

    def build() -> TsFile | None:
        text = index.text(e.path)
        if not text:
            return None
        code = strip_comments(text)
        starts = (0, *(m.end() for m in re.finditer("\n", code)))
        imports = frozenset(m.group(2) or m.group(4) for m in _IMPORT.finditer(code))
        f = TsFile(e.path, code, imports, (), starts)
        return TsFile(e.path, code, imports, tuple(_news(f)), starts)

    return index.memo(f"ts-file:{e.path}", build)  # type: ignore[no-any-return]


def strip_comments(text: str) -> str:
    """Blank ``//`` and ``/* */`` comments outside string and template literals, keeping offsets and newlines."""
    return blank_c_comments(text, "'\"`", _string_end)


def _string_end(code: str, i: int) -> int:
    """Offset just past the string literal starting at ``code[i]`` (template literals may span lines)."""
    q, j, n = code[i], i + 1, len(code)
    while j < n and code[j] != q and (q == "`" or code[j] != "\n"):
        j += 2 if code[j] == "\\" else 1
    return j + 1


def matching_end(code: str, start: int) -> int:
    """Offset just past the bracket that closes ``code[start]`` (``(``, ``[`` or ``{``), skipping strings; the end
    of the code when unbalanced."""
    stack: list[str] = []
    i, n = start, len(code)
    while i < n:
        c = code[i]
        if c in "'\"`":
            i = _string_end(code, i)
            continue
        if c in _OPEN:
            stack.append(_OPEN[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return n


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets and strings, each part stripped (empty parts dropped)."""
    parts: list[str] = []
    i, n, last = 0, len(text), 0
    while i < n:
        c = text[i]
        if c in "'\"`":
            i = _string_end(text, i)
            continue
        if c in _OPEN:
            i = matching_end(text, i)
            continue
        if c == sep:
            parts.append(text[last:i].strip())
            last = i + 1
        i += 1
    parts.append(text[last:].strip())
    return [p for p in parts if p]


def prop(obj: str, key: str) -> str | None:
    """The value written for ``key`` at the top level of an object literal ``{ ... }`` (``key: value`` or the
    shorthand ``key``), or None."""
    obj = obj.strip()
    if not obj.startswith("{"):
        return None
    for part in split_top(obj[1 : matching_end(obj, 0) - 1]):
        m = re.match(r"""(?:(['"])([^'"]+)\1|([A-Za-z_$][\w$]*))\s*(:|$)""", part)
        if m and (m.group(2) or m.group(3)) == key:
            return part[m.end() :].strip() if m.group(4) == ":" else part
    return None


def strings(text: str) -> list[str]:
    """The string and template literals written in ``text`` (their contents)."""
    return [next(g for g in m.groups() if g is not None) for m in _STRING.finditer(text)]


def names(text: str) -> set[str]:
    """Identifiers written in ``text`` outside string literals."""
    return set(re.findall(r"[A-Za-z_$][\w$]*", _STRING.sub(" ", text)))


def calls(f: TsFile, method: str) -> list[tuple[str, str, int]]:
    """``receiver.method(args)`` calls: (receiver as written, argument text, offset); the receiver is the dotted name
    or the ``)`` -ended expression right before the dot (its last identifier is what :func:`receiver_name` gives)."""
    out: list[tuple[str, str, int]] = []
    for m in re.finditer(r"\.\s*" + re.escape(method) + r"\s*\(", f.code):
        open_ = m.end() - 1
        end = matching_end(f.code, open_)
        before = f.code[max(0, m.start() - 200) : m.start()]
        rm = re.search(r"([A-Za-z_$][\w$.]*)\s*$", before)
        out.append((rm.group(1) if rm else "", f.code[open_ + 1 : end - 1], m.start()))
    return out


def _news(f: TsFile) -> list[TsNew]:
    out: list[TsNew] = []
    code = f.code
    for m in _NEW.finditer(code):
        if _inside_string(code, m.start()):
            continue
        open_ = m.end() - 1
        end = matching_end(code, open_)
        line_start = code.rfind("\n", 0, m.start()) + 1
        bound = _BOUND.search(code[max(line_start - 200, 0) : m.start()])
        out.append(TsNew(re.sub(r"\s+", "", m.group(1)), f.line_at(m.start()), m.start(), end,
                         tuple(split_top(code[open_ + 1 : end - 1])), bound.group(1) if bound else ""))
    return out


def _inside_string(code: str, at: int) -> bool:
    """Is offset ``at`` inside a string literal of its line (a cheap check: quotes before it on the line)?"""
    line = code[code.rfind("\n", 0, at) + 1 : at]
    for q in "'\"":
        if line.count(q) - line.count("\\" + q) & 1:
            return True
    return False


def in_cdk_app(index: FileIndex, path: str) -> bool:
    """Is the file part of a CDK app the repository declares? With a ``cdk.json`` whose ``app`` command names a
    TypeScript/JavaScript entry file, only the files that entry reaches through relative imports are synthesised
    (a construct library nobody imports is not deployed); without one every file counts."""
    return cdk_app_of(index, path) is not None


def cdk_app_of(index: FileIndex, path: str) -> str | None:
    """The ``cdk.json`` whose app reaches the file ("" when the repository declares no app: every file counts), or
    None when the repository declares apps and none of them reaches it."""
    apps = index.memo("ts-cdk-apps", lambda: _cdk_apps(index))
    if apps is None:
        return ""
    return next((app for app, files in apps.items() if path in files), None)


def _cdk_apps(index: FileIndex) -> dict[str, frozenset[str]] | None:
    files = {e.vpath: e.path for e in index.select(("**/*.ts", "**/*.tsx", "**/*.js", "**/*.mjs"))}
    apps: dict[str, frozenset[str]] = {}
    for e in index.select(("**/cdk.json",)):
        doc = index.json(e.path)
        app = doc.get("app") if isinstance(doc, dict) else None
        if not isinstance(app, str):
            continue
        base = e.vpath.rsplit("/", 1)[0] + "/" if "/" in e.vpath else ""
        entries = [hit for word in app.split() if not word.startswith("-") and (re.search(r"\.(ts|js|mjs|cjs)$", word) or "/" in word)
                   if (hit := _resolve(files, _norm(base + word)))]
        if entries:
            apps[e.path] = _reached(index, files, entries)
    return apps or None


def _reached(index: FileIndex, files: dict[str, str], entries: list[str]) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        vpath = todo.pop()
        if vpath in seen:
            continue
        seen.add(vpath)
        for m in _IMPORT.finditer(strip_comments(index.text(files[vpath]) or "")):
            spec = m.group(2) or m.group(4)
            if spec.startswith("."):
                hit = _resolve(files, _norm((vpath.rsplit("/", 1)[0] + "/" if "/" in vpath else "") + spec))
                if hit:
                    todo.append(hit)
    return frozenset(files[v] for v in seen)


def _norm(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _resolve(files: dict[str, str], stem: str) -> str | None:
    """The file an import specifier or app command names (``lib/x`` -> ``lib/x.ts`` or ``lib/x/index.ts``)."""
    for cand in (stem, *(stem + ext for ext in (".ts", ".tsx", ".js", ".mjs")), *(f"{stem}/index{ext}" for ext in (".ts", ".js"))):
        if cand in files:
            return cand
    return None


_NUMBER = lazy_re(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_KEY = lazy_re(r"""(?:(['"])((?:[^'"\\]|\\.)*)\1|([A-Za-z_$][\w$]*))\s*:""")


def literal(text: str, depth: int = 0) -> object:
    """The value an object/array literal writes, read without evaluating anything: objects become dicts (quoted or
    bare keys; shorthand and spread entries left out), arrays lists, string literals their contents (a template
    literal as written, ``${...}`` kept), numbers and ``true``/``false``/``null`` themselves; any other expression
    (a variable, a call) stays as its text."""
    text = re.sub(r"\s+as\s+const\s*$", "", text.strip())
    if depth > 30 or not text:
        return text
    if text[0] in "{[" and matching_end(text, 0) == len(text):
        inner = split_top(text[1:-1])
        if text[0] == "[":
            return [literal(p, depth + 1) for p in inner]
        out: dict[str, object] = {}
        for part in inner:
            m = _KEY.match(part)
            if m:
                out[m.group(2) if m.group(2) is not None else m.group(3)] = literal(part[m.end() :], depth + 1)
        return out
    if text[0] in "'\"`" and _string_end(text, 0) == len(text):
        return text[1:-1]
    if _NUMBER.fullmatch(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    return {"true": True, "false": False, "null": None}.get(text, text)


def object_literals(code: str, key: str) -> list[tuple[int, str]]:
    """(offset, text) of each object literal ``{...}`` in ``code`` that holds ``key`` as one of its own top-level
    keys (quoted or bare), innermost first; strings are skipped, so a key inside a string does not count."""
    out: list[tuple[int, str]] = []
    for m in re.finditer(r"""(?:(['"])""" + re.escape(key) + r"""\1|\b""" + re.escape(key) + r""")\s*:""", code):
        if _inside_string(code, m.start()):
            continue
        depth, i = 0, m.start() - 1
        while i >= 0:  # back to the brace that opens the object holding the key (brackets balanced on the way)
            c = code[i]
            if c in ")]}":
                depth += 1
            elif c in "([{":
                if depth == 0:
                    break
                depth -= 1
            i -= 1
        if i >= 0 and code[i] == "{":
            out.append((i, code[i : matching_end(code, i)]))
    return out
