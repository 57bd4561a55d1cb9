"""Shared helpers for the operations detectors (monitoring, alerting, explainability, data validation,
serving, platform): import-aware call names, notebook locations, Kubernetes documents (Helm templates
rendered), config documents embedded in ConfigMaps, Terraform blocks, commands on automated paths and
declared dependencies. Nothing here reads files except through the index."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

from mlscan.ci import CI_NEEDS, NeedClauses, argv, ci_model
from mlscan.facts.commands import runs_below
from mlscan.facts.dvc_stages import dvc_files
from mlscan.facts.pyast import statement_walk
from mlscan.facts.pyast import statements as statements  # re-exported: detectors read ``ops.statements``
from mlscan.facts.pycalls import Call, aliases_of, dotted, file_calls, qualified
from mlscan.facts.wiring import imported_modules
from mlscan.index import FileEntry, FileIndex, _render_template
from mlscan.index.formats import LineDict, load_yaml_all, normalize_name

from ..lazyre import lazy_re
from ..valueclass import Value, setfield

YAML_GLOBS = ("**/*.yaml", "**/*.yml")
SCRIPT_GLOBS = ("**/*.sh", "**/Makefile", "**/makefile", "**/*.mk")


# ------------------------------------------------------------------ text searches


class AnyOf:
    """A case-insensitive search for any of some literal strings: what ``re.compile("a|b", re.I).search`` finds,
    answered with ``str.find`` on the lower-cased text when it is ASCII (several times faster than a regex
    alternation over a whole file); other text goes to the regex (re.I also equates a few non-ASCII letters with
    ASCII ones, the Kelvin sign with "k" and the long s with "s", which lower-casing does not). The words are ASCII."""

    __slots__ = ("words", "pattern")

    def __init__(self, *words: str) -> None:
        if not all(w.isascii() for w in words):
            raise ValueError("AnyOf words must be ASCII (re.I matches some ASCII letters with non-ASCII pattern letters)")
        self.words = tuple(w.lower() for w in words)
        self.pattern = re.compile("|".join(re.escape(w) for w in words), re.I)

    def search(self, text: str) -> bool:
        if text.isascii():
            low = text.lower()
            return any(w in low for w in self.words)
        return self.pattern.search(text) is not None


# ------------------------------------------------------------------ Python: names through imports


# A Python string literal in source text (any prefix, triple-quoted too): for the text pre-checks detectors run
# before a parse (comments and brackets are added by each caller's pattern).
PY_STRING = r"""(?P<prefix>[rRbBuUfF]{0,2})(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')"""

_NAME_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def names_any(index: FileIndex, e: FileEntry, names: tuple[str, ...]) -> bool:
    """Does the file's text hold one of these identifiers as a whole name (in code, a string or a comment)? The check
    before a parse that looks for a call or keyword ``log_model``: the word pre-filter (``index.mentions``) admits every
    file with ``log`` and ``model`` somewhere, most files of an ML code base. A notebook's text is JSON, whose escapes
    (``\\n``) can run into a name, and a template is parsed as rendered: neither is checked (True)."""
    if e.suffix == ".ipynb" or e.template:
        return True
    pattern = _NAME_PATTERNS.get(names)
    if pattern is None:
        pattern = _NAME_PATTERNS[names] = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
    return pattern.search(index.text(e.path) or "") is not None


def aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> fully qualified imported name (``import numpy as np`` -> ``np: numpy``)."""
    return aliases_of([n for n in statement_walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))])


def qualname(node: ast.AST, al: dict[str, str]) -> str | None:
    """The imported name an expression refers to (``shap.TreeExplainer``), or None for local objects."""
    return qualified(dotted(node), al)


PyCall = Call  # a call of a Python file, from the typed call facts (mlscan.facts.pycalls)


def py_calls(index: FileIndex, e: FileEntry) -> tuple[dict[str, str], list[Call]]:
    """Imports and every call of a Python file or notebook (the ``py.calls`` file fact, typed; sorted by line)."""
    fc = file_calls(index, e)
    return fc.aliases, fc.calls


def local_imports(index: FileIndex, e: FileEntry) -> list[FileEntry]:
    """Project files a Python file imports (matched by module path, any depth)."""
    tree = index.python(e.path)
    return local_files(index, e.path, imported_modules(tree, e.vpath) if tree is not None else [])


def local_files(index: FileIndex, path: str, modules: list[str]) -> list[FileEntry]:
    """The project files (other than ``path``) that these imported module names match, by module path at any depth."""
    out: dict[str, FileEntry] = {}
    for mod in modules:
        rel = mod.replace(".", "/")
        for f in index.select((f"**/{rel}.py", f"**/{rel}/__init__.py")):
            if f.path != path:
                out.setdefault(f.path, f)
    return list(out.values())


def imports_module(al: dict[str, str], *modules: str) -> bool:
    return any(v == m or v.startswith(m + ".") for v in al.values() for m in modules)


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def literal(node: ast.AST | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


# ------------------------------------------------------------------ where a file sits


def locate(index: FileIndex, e: FileEntry, line: int) -> tuple[int | None, str | None]:
    """(line, snippet) for evidence: notebooks map the code line back to its line in the .ipynb JSON."""
    if e.suffix != ".ipynb":
        return line, None
    nb = index.notebook(e.path)
    src = nb.source.splitlines() if nb else []
    code = src[line - 1].strip() if 0 < line <= len(src) else ""
    if not code:
        return None, None
    needle = json.dumps(code)[1:-1]
    for i, raw in enumerate(index.lines(e.path), start=1):
        if needle in raw:
            return i, code
    return None, code


# ------------------------------------------------------------------ Kubernetes documents


def _is_k8s(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    api, kind = doc.get("apiVersion"), doc.get("kind")
    return isinstance(api, str) and isinstance(kind, str) and ("/" in api or api == "v1")


def k8s_docs(index: FileIndex) -> list[tuple[FileEntry, LineDict]]:
    """Every Kubernetes-shaped YAML document (apiVersion + kind); Helm templates are rendered first."""

    def build() -> list[tuple[FileEntry, LineDict]]:
        out: list[tuple[FileEntry, LineDict]] = []
        for e in index.select(YAML_GLOBS):
            if not index.contains(e.path, (b"apiVersion",)) or not index.contains(e.path, (b"kind",)):
                continue
            docs = yaml_docs(index, e, chart=index.chart_dir(e.vpath, virtual=True))
            out += [(e, d) for d in docs if _is_k8s(d)]
        return out

    return index.memo("ops-k8s-docs", build)  # type: ignore[no-any-return]


_VALUES_REF = lazy_re(r"\{\{-?\s*\.Values\.([\w.]+)\s*(\|\s*quote\s*)?-?\}\}")


def yaml_docs(index: FileIndex, e: FileEntry, chart: str | None = None) -> list[Any]:
    """YAML documents of a file; a Helm template (``chart`` = its chart directory) is rendered with the
    chart's scalar values first, other template expressions become placeholders."""
    if chart is None or e.template:
        return index.yaml(e.path)

    def build() -> list[Any]:
        vals = chart_values(index, chart)

        def value(m: re.Match) -> str:
            node = value_at(vals, m.group(1))
            return str(node).lower() if isinstance(node, bool) else str(node) if isinstance(node, (str, int, float)) else m.group(0)

        try:
            return load_yaml_all(_render_template(_VALUES_REF.sub(value, index.text(e.path) or "")))
        except ValueError:
            return []

    return index.file_memo("ops-helm", e.path, build)  # type: ignore[no-any-return]


def chart_values(index: FileIndex, chart: str) -> Any:
    """The first document of a Helm chart's ``values.yaml`` (None without one); ``chart`` is the chart directory."""
    hit = index.select((f"{chart}/values.yaml" if chart else "values.yaml",))
    return next(iter(index.yaml(hit[0].path)), None) if hit else None


def value_at(values: Any, dotted: str) -> Any:
    """The value at a ``.Values`` path (``autoscaling.enabled``) through mappings only; None when a level is missing."""
    node = values
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def embedded_docs(doc: LineDict) -> Iterator[tuple[str, Any, int]]:
    """Config files carried as strings in a ConfigMap/Secret (``data: {prometheus.rules: |-...}``):
    (key, parsed document, line offset to add to the document's own lines)."""
    for section in ("data", "stringData"):
        data = doc.get(section)
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            if isinstance(value, str) and "\n" in value and ":" in value:
                try:
                    docs = load_yaml_all(value)
                except ValueError:
                    continue
                for d in docs:
                    yield str(key), d, data.line_of(key) if isinstance(data, LineDict) else 0


def k8s_name(doc: dict) -> str:
    meta = doc.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, dict) else ""


def walk_dicts(node: Any, depth: int = 0) -> Iterator[dict]:
    """Every mapping in a parsed document, depth first in document order, down to depth 40 (one explicit stack: a
    generator per level cost ~2 M resumptions on a repository of Kubernetes manifests)."""
    if depth > 40:
        return
    stack = [(node, depth)]
    pop, push = stack.pop, stack.append
    while stack:
        n, d = pop()
        if isinstance(n, dict):
            yield n
            kids: Any = n.values()
        elif isinstance(n, list):
            kids = n
        else:
            continue
        if d < 40:
            for v in reversed(list(kids)):
                if isinstance(v, (dict, list)):
                    push((v, d + 1))


# ------------------------------------------------------------------ Terraform (block structure only)

_TF_BLOCK = lazy_re(r'^[ \t]*(resource|data)[ \t]+"([^"]+)"[ \t]+"([^"]+)"[ \t]*\{', re.M)


class TfBlock(Value, frozen=True):
    """A top-level Terraform block found by its header, with its body text."""

    kind: str
    type: str
    name: str
    line: int
    body: str

    _fields = ("kind", "type", "name", "line", "body")
    __slots__ = _fields

    def __init__(self, kind: str, type: str, name: str, line: int, body: str) -> None:
        setfield(self, "kind", kind)
        setfield(self, "type", type)
        setfield(self, "name", name)
        setfield(self, "line", line)
        setfield(self, "body", body)


def tf_blocks(index: FileIndex, e: FileEntry) -> list[TfBlock]:
    def build() -> list[TfBlock]:
        text = index.text(e.path) or ""
        text = re.sub(r"(?m)^[ \t]*(#|//).*$", "", text)
        out = []
        for m in _TF_BLOCK.finditer(text):
            depth, i = 0, m.end() - 1
            while i < len(text):
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                if depth == 0:
                    break
                i += 1
            out.append(TfBlock(m.group(1), m.group(2), m.group(3), text.count("\n", 0, m.start()) + 1, text[m.end() : i]))
        return out

    return index.file_memo("ops-tf", e.path, build)  # type: ignore[no-any-return]


def tf_has(block: TfBlock, attr: str) -> bool:
    """The block sets ``attr`` (argument or nested block) to something non-empty."""
    m = re.search(rf"(?m)^\s*{re.escape(attr)}\s*(=\s*(.+)|\{{)", block.body)
    return bool(m) and (m.group(2) is None or m.group(2).strip() not in ("[]", "null", '""', "false"))


# ------------------------------------------------------------------ commands on automated paths


class Command(Value, frozen=True):
    """A command on an automated path (a CI step or a DVC stage), in the order its root runs them."""

    text: str
    path: str  # file holding the command
    line: int
    root: str  # "ci <path>:<line>" / "dvc stage <path>"
    seq: int  # position in its root's sequence

    _fields = ("text", "path", "line", "root", "seq")
    __slots__ = _fields

    def __init__(self, text: str, path: str, line: int, root: str, seq: int) -> None:
        setfield(self, "text", text)
        setfield(self, "path", path)
        setfield(self, "line", line)
        setfield(self, "root", root)
        setfield(self, "seq", seq)


# What automated_commands reads first, as clauses of a detector's gate (mlscan.detector.Need: globs, words): the CI
# model's files (ci.CI_NEEDS) and DVC's dvc.yaml; what the commands invoke is read only once a command exists.
AUTOMATED_NEEDS: NeedClauses = (*CI_NEEDS, (("**/dvc.yaml",), ()))


def automated_commands(index: FileIndex) -> list[Command]:
    """Shell commands that run on an automated path: active CI steps and DVC stages, with Makefile
    targets, shell scripts and job specs (``entrypoint:``) they invoke expanded in order."""

    def build() -> list[Command]:
        out: list[Command] = []
        for job in ci_model(index).active_jobs():
            for step, cmd in job.commands():
                _expand(index, cmd, step.path, step.line, step.cwd, f"ci {job.path}:{job.line}", out, 0)
        for f in dvc_files(index):
            e = f.entry
            wdir = e.path.rsplit("/", 1)[0] if "/" in e.path else ""  # DVC runs a stage beside its dvc.yaml
            for _, stages in f.documents:
                for name, st in stages.items():
                    cmds = st.get("cmd") if isinstance(st, dict) else None
                    for c in cmds if isinstance(cmds, list) else [cmds]:
                        if isinstance(c, str):
                            _expand(index, c, e.path, stages.line_of(name), wdir, f"dvc stage {e.path}", out, 0)
        return out

    return index.memo("ops-automated-commands", build)  # type: ignore[no-any-return]


def automated_texts(index: FileIndex) -> list[str]:
    """The distinct texts of automated_commands, in order: for checks of the text alone (Azure/azureml-examples runs
    62,821 automated commands of a few thousand texts)."""
    return index.memo("ops-automated-texts", lambda: list(dict.fromkeys(c.text for c in automated_commands(index))))  # type: ignore[no-any-return]


def _expand(index: FileIndex, cmd: str, path: str, line: int, cwd: str, root: str, out: list[Command], depth: int) -> None:
    """Append the command and, depth first to four levels, what it runs (commands.runs_below: the expansion below a
    command is shared by every root that runs it)."""
    out.append(Command(cmd, path, line, root, len(out)))
    for row in runs_below(index, cmd, path, line, cwd, depth):
        out.append(Command(row[0], row[1], row[2], root, len(out)))


# What command_lines reads first, as gate clauses: shell scripts, Makefiles and what automated_commands reads.
COMMAND_LINE_NEEDS: NeedClauses = ((("**/*.sh", "**/Makefile"), ()), *AUTOMATED_NEEDS)


def command_lines(index: FileIndex) -> Iterator[tuple[str, int, str]]:
    """(path, line, text) of every line of shell scripts and Makefiles (recipe prefixes stripped), then every command on an
    automated path (automated_commands)."""
    for e in index.select(("**/*.sh", "**/Makefile")):
        for i, ln in enumerate(index.lines(e.path), start=1):
            yield e.path, i, ln.strip().lstrip("@-\t ")
    for c in automated_commands(index):
        yield c.path, c.line, c.text


def logical_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Shell lines with ``\\`` continuations joined, numbered by their first physical line."""
    buf: list[str] = []
    start = 0
    for i, ln in enumerate(lines, start=1):
        if not buf:
            start = i
        if ln.rstrip().endswith("\\"):
            buf.append(ln.rstrip()[:-1])
            continue
        yield start, " ".join([*buf, ln])
        buf = []
    if buf:
        yield start, " ".join(buf)


def pytest_targets(cmd: str) -> list[str] | None:
    """Paths a test command runs ([] = everything under the working directory), None if not a test run."""
    words = argv(cmd)
    heads = [w.rsplit("/", 1)[-1] for w in words[:4]]
    if not any(h in ("pytest", "py.test", "tox", "nox") for h in heads):
        return None
    if any(h in ("tox", "nox") for h in heads):
        return []
    i = next(i for i, h in enumerate(heads) if h in ("pytest", "py.test"))
    rest = words[i + 1 :]
    # the value of an option written apart (``--ignore temp``, ``-k slow``) is no path to run
    valued = {j + 1 for j, w in enumerate(rest) if w in _VALUED_OPTIONS}
    return [w.rstrip("/") for j, w in enumerate(rest) if j not in valued and not w.startswith(("-", "$", ">", "<", "|", "2>"))
            and "=" not in w and "://" not in w]


_VALUED_OPTIONS = frozenset({"--ignore", "--ignore-glob", "--deselect", "-k", "-m", "-p", "-c", "-o"})


def pytest_ignored(cmd: str) -> list[str]:
    """Paths a pytest command leaves out (``--ignore=temp``, ``--ignore temp``, ``--ignore-glob``)."""
    words = argv(cmd)
    out: list[str] = []
    for j, w in enumerate(words):
        if w in ("--ignore", "--ignore-glob") and j + 1 < len(words):
            out.append(words[j + 1])
        elif w.startswith(("--ignore=", "--ignore-glob=")):
            out.append(w.split("=", 1)[1])
    return [o.strip("'\"").lstrip("./").rstrip("/*") for o in out if o.strip("'\"").lstrip("./").rstrip("/*")]


# pytest plugins that collect and execute notebooks (nbval, nbmake)
_NOTEBOOK_PLUGINS = lazy_re(r"(^|\s)--(nbval|nbval-lax|nbmake)\b")


def covered_by(vpath: str, targets: list[str], cmd: str) -> bool:
    """Does the test command ``cmd``, running ``targets`` (``pytest_targets``), run the file? A notebook only when a
    plugin that executes notebooks is on (``--nbval``, ``--nbmake``): a test runner collects no notebook otherwise."""
    if vpath.endswith(".ipynb") and not _NOTEBOOK_PLUGINS.search(cmd):
        return False
    if any(vpath == i or vpath.startswith(i + "/") or f"/{i}/" in f"/{vpath}" for i in pytest_ignored(cmd)):
        return False  # ``--ignore=temp``: pytest does not collect it
    if not targets:
        return True
    for t in targets:
        t = t.lstrip("./") if t not in (".", "") else ""
        if not t or vpath == t or vpath.startswith(t + "/") or f"/{t}/" in f"/{vpath}" or vpath.endswith("/" + t):
            return True
    return False


# ------------------------------------------------------------------ declared dependencies


def declared(index: FileIndex, names: dict[str, str], requirements: bool = True) -> Iterator[tuple[FileEntry, int | None, str]]:
    """(file, line, tool) for dependency declarations of the given distributions (normalised name -> tool); with
    ``requirements`` False, those of requirements files are left out (a caller that reads them itself)."""
    for e in index.select(("**/requirements*.txt", "**/requirements/*.txt", "**/*requirements.txt")) if requirements else ():
        for r in index.requirements(e.path):
            if r.name in names:
                yield e, r.line, names[r.name]
    for e in index.select(("**/pyproject.toml", "**/Pipfile", "**/environment.yml", "**/environment.yaml", "**/conda.yaml", "**/setup.py")):
        for i, ln in enumerate(index.lines(e.path), start=1):
            s = ln.strip().strip("-").strip().strip("'\",")
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", s)
            if m and not ln.lstrip().startswith("#") and normalize_name(m.group(1)) in names:
                rest = s[m.end() :].lstrip()
                if not rest or rest[0] in "=<>~![;\"'@ ,":
                    yield e, i, names[normalize_name(m.group(1))]
