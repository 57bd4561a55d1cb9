"""Code that nothing in the repository runs, imports or names: a Python module no automated path, entry point or import
reaches (the wiring graph), or a ``__main__`` script that is its own only root, whose file name, module path or
handler name no other file of the repository mentions (no README step, script, build spec, template, notebook or
import). A template that is switched off by its name (``stack.yml.txt``, ``buildspec.yaml.bak``) names nothing.

Such code may still be run by hand, so it is shown as a caveat; the evidence of code that something runs leads.
"""

from __future__ import annotations

import ast
import re

from ..index import FileEntry, FileIndex
from ..lazyre import lazy_re
from .pyast import walk
from .wiring import AUTOMATED, FILE_FACTS, wiring

MAX_FILES = 3000  # above this the repository is not searched for names (nothing is called unreached): the size where
# the wiring graph stops too (facts.wiring.MAX_FILES); the search reads every file (kubeflow/pipelines, 4,396 files: 6.5 s)
MAX_CHARS = 512 * 1024  # what is read of a file for names
_MAIN = "__main__ script "
_PIPELINE = "pipeline definition "
# orchestrators that find their definitions themselves (a scheduler reads the DAG folder, a workspace loads the
# definitions): a definition of another (a SageMaker, Kubeflow or Azure ML pipeline) runs when something submits it
_DISCOVERED = ("airflow", "dagster", "kedro", "mage_ai", "prefect")  # (a Prefect flow served or deployed by its own script)
# a config or script switched off by a second suffix: what it names runs nothing
_DISABLED = lazy_re(r"(?i)\.(ya?ml|json|tf|sh|cfg|toml|ini|py)\.(txt|bak|old|orig|disabled|off)$")
_BINARY = (".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip", ".gz", ".tar", ".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth",
           ".h5", ".onnx", ".parquet", ".csv", ".tsv", ".npy", ".npz", ".so", ".whl", ".ico", ".svg", ".lock")
_EXTENSIONS = frozenset({"py", "ipynb", "sh", "txt", "md", "yaml", "yml", "json", "cfg", "toml", "ini", "csv", "pkl", "log", "html"})
_FILE = lazy_re(r"(?<![\w\-])([\w\-]+\.py)\b")
_IMPORT = lazy_re(r"\b(?:from|import)\s+([A-Za-z_][\w.]*)")
_FROM_IMPORT = lazy_re(r"\bfrom\s+([\w.]+)\s+import\s+\(?\s*([\w ,]+)")
_APP_REF = lazy_re(r"(?<![\w.:/])([A-Za-z_][\w.]*):[A-Za-z_]\w*\b")
_DOTTED = lazy_re(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
# a module a Python file runs by name: ``"python -m pkg.mod"``, ``["python", "-m", "pkg.mod"]``, ``[sys.executable, "-m",
# "pkg.mod"]`` (a subprocess, a container spec's command)
_RUN_MODULE = lazy_re(r"""(?:python[\d.]*|executable)['"]?\s*,?\s*['"]?-m['"]?\s*,?\s*['"]?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)""")


def unreached(index: FileIndex, path: str) -> bool:
    """A Python module nothing in the repository runs, imports or names (see the module docstring); False when the
    repository is too large to search, for tests, and for anything that is not a ``.py`` module."""
    if not path.endswith(".py"):
        return False
    e = index.entry(path)
    if e is None or e.test:
        return False
    if len(_searched(index)) > MAX_FILES:
        return False  # too large to search for names: nothing is called unreached (told before any folder is walked)
    reach = wiring(index).of(e.vpath)
    root = e.vpath
    if reach is None:
        if _package_used(index, e.vpath):
            return False
    else:
        start = reach.chain[0] if reach.chain else ""
        # a module that only imports an orchestrator's helpers: what it defines is no pipeline a scheduler or a submit runs
        submitted = start.startswith(_PIPELINE) and not _discovered(index, start[len(_PIPELINE):]) \
            and not _defines_pipeline(index, start[len(_PIPELINE):])
        if not (start.startswith(_MAIN) or submitted) or (reach.kind == AUTOMATED and not submitted):
            return False
        root_path = start[len(_MAIN if start.startswith(_MAIN) else _PIPELINE):]
        root_entry = index.entry(root_path)
        root = root_entry.vpath if root_entry is not None else root_path
    _read_as_text(index)
    root_entry = index.entry(root)
    return not _named(index, root, exclude=root_entry.path if root_entry is not None else root)


_DYNAMIC = (b"import_module", b"__import__", b"entry_points", b"load_source", b"spec_from_file_location")
_PIPELINE_NAMES = frozenset({"pipeline", "Pipeline", "PipelineJob", "workflow", "flow", "dag", "DAG", "job", "graph", "FlowSpec",
                             "Workflow", "Flow", "component", "step", "task", "asset", "Definitions"})


def _package_used(index: FileIndex, vpath: str) -> bool:
    """A module no import reaches whose folder holds reached code, or code that loads modules by name (a plugin folder
    whose ``__init__`` imports every file): something may well load it."""
    folder = vpath.rsplit("/", 1)[0] + "/" if "/" in vpath else ""
    users = index.derived(("unreached.folder", folder), lambda: _folder_users(index, folder))
    return any(u != vpath for u in users)


def _folder_users(index: FileIndex, folder: str) -> list[str]:
    """The first two modules of a folder that are reached or load modules by name (once per folder: two are enough to
    tell, for any module of it, whether another one is)."""
    w = wiring(index)
    out: list[str] = []
    for x in index.select((f"{folder}*.py",) if folder else ("*.py",), include_root=False):
        if w.of(x.vpath) is not None or index.contains(x.path, _DYNAMIC):
            out.append(x.vpath)
            if len(out) == 2:
                break
    return out


def _defines_pipeline(index: FileIndex, path: str) -> bool:
    """The file defines a pipeline, flow or DAG (a decorator, base class or constructor of that name) rather than only
    using an orchestrator's helpers; True when it does not parse."""
    tree = index.python(path)
    if tree is None:
        return True
    for node in walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [_last(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]
            if isinstance(node, ast.ClassDef):
                names += [_last(b) for b in node.bases]
            if any(n in _PIPELINE_NAMES for n in names):
                return True
        elif isinstance(node, ast.Call) and _last(node.func) in _PIPELINE_NAMES:
            return True
    return False


def _last(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _discovered(index: FileIndex, path: str) -> bool:
    """The file imports an orchestrator that discovers its definitions (or does not parse: assume so)."""
    facts = index.fact(path, FILE_FACTS)
    if facts is None:
        return True
    mods = [m for level, mod, names in facts[2] for m in ([mod] if level != -1 else names) if level in (0, -1) and m]
    return any(m.split(".")[0] in _DISCOVERED for m in mods)


def _named(index: FileIndex, vpath: str, exclude: str) -> bool:
    """Does a file other than ``exclude`` name the module at ``vpath`` (its file name or a dotted module path)?"""
    base = vpath.rsplit("/", 1)[-1]
    parts = vpath[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    keys = [base] + [".".join(parts[i:]) for i in range(len(parts))]
    return any(set(_naming(index, k)) - {exclude} for k in keys if k)


def _naming(index: FileIndex, key: str) -> tuple[str, ...]:
    """The first two searched files (in listing order) that name ``key``. A file names a key only where every word of
    it occurs (``FileIndex.mentions``: the words phase split the files with the module paths' words, ``vocabulary``),
    so only those files are read and searched."""
    def build() -> tuple[str, ...]:
        needle = (key.encode("utf-8", "replace"),)
        out: list[str] = []
        head, _, last = key.rpartition(".")
        # ``\bfrom\s+\.*pkg\.*\s+import\b`` as _FROM_IMPORT reads it, searched from its literal ``from`` (``_from_import``)
        from_head = re.compile(r"from\s+\.*" + re.escape(head) + r"\.*\s+import\b") if head else None
        for x in _searched(index):
            if not index.mentions(x.path, needle):
                continue
            # every name found is text of the file but ``from pkg import mod``'s ``pkg.mod``
            text = _text(index, x)
            if (key in text or (from_head is not None and last in text and head in text and _from_import(from_head, text))) \
                    and key in _file_names(index, x):
                out.append(x.path)
                if len(out) == 2:
                    break
        return tuple(out)

    return index.derived(("unreached.naming", key), build)  # type: ignore[no-any-return]


_WORD_CHAR = lazy_re(r"\w")


def _from_import(pattern: re.Pattern[str], text: str) -> bool:
    r"""``pattern`` (``from\s+...``) found where a word starts (``\b`` before it): the regular expression engine searches a
    pattern that starts with a literal for that literal, one that starts with ``\b`` position by position."""
    at = 0
    while (m := pattern.search(text, at)) is not None:
        start = m.start()
        if start == 0 or not _WORD_CHAR.match(text, start - 1):
            return True
        at = start + 1
    return False


def _read_as_text(index: FileIndex) -> None:
    """Every searched file read once as text, as the search did when it read each one for names (~50 ms for 2,500
    files; the names themselves are searched only in the files that hold their words): what reading reports stays
    reported (files skipped as binary, undecodable bytes, long lines). Notebooks are read for their words anyway."""
    def build() -> bool:
        for x in _searched(index):
            if not x.path.endswith(".ipynb"):
                index.text(x.path, keep=False)
        return True

    index.derived(("unreached.read",), build)


def vocabulary(index: FileIndex) -> list[bytes]:
    """The module paths of the repository's Python files, as needles for the scan's words vocabulary (registered before
    files are split into words): the name search asks, for a module, which files hold every word of its names. Empty for a
    repository too large to search."""
    if len(index.entries) > MAX_FILES and len(_searched(index)) > MAX_FILES:
        return []
    return [x.vpath.encode("utf-8", "replace") for x in index.entries if x.path.endswith((".py", ".ipynb"))]


def _searched(index: FileIndex) -> list[FileEntry]:
    """The files searched for names: all but binaries and configs switched off by their name (listed once a scan)."""
    return index.derived(("unreached.searched",), lambda: [
        x for x in index.entries if not x.path.lower().endswith(_BINARY) and not _DISABLED.search(x.path)])  # type: ignore[no-any-return]


def _text(index: FileIndex, x: FileEntry) -> str:
    """What is searched of a file for names: a notebook's code cells, any other file's text ("" when it has none)."""
    if x.path.endswith(".ipynb"):
        nb = index.notebook_source(x.path)
        return nb[0] if nb is not None else ""
    return index.text(x.path, keep=False) or ""


def _file_names(index: FileIndex, x: FileEntry) -> set[str]:
    """The file names and module paths one file names (imports, ``python -m``, ``module:attribute``, handlers)."""
    def build() -> set[str]:
        out: set[str] = set()
        add = out.add
        text = _text(index, x)[:MAX_CHARS]
        for m in _FILE.finditer(text):
            add(m.group(1))
        for m in _IMPORT.finditer(text):
            mod = m.group(1)
            add(mod)
            for i in range(mod.count(".")):
                add(mod.split(".", i + 1)[-1])  # ``import src.pkg.mod`` names ``pkg.mod`` and ``mod`` too
        for m in _FROM_IMPORT.finditer(text):  # ``from model import run, train`` names model.run and run
            for name in m.group(2).replace("(", " ").split(","):
                name = name.strip().split(" ")[0]
                if name.isidentifier():
                    add(name)
                    add(f"{m.group(1).strip('.')}.{name}".strip("."))
        if x.path.endswith(".py"):
            for m in _RUN_MODULE.finditer(text):
                add(m.group(1))
            return out  # a module names others by importing them (or running them by module name)
        for m in _APP_REF.finditer(text):  # ``gunicorn app:app``, ``uvicorn src.api:app``, ``pkg.cli:main``
            add(m.group(1))
            for i in range(m.group(1).count(".")):
                add(m.group(1).split(".", i + 1)[-1])
        for m in _DOTTED.finditer(text):
            dotted = m.group(1)
            if dotted.rsplit(".", 1)[-1].lower() in _EXTENSIONS:
                continue
            # ``python -m src.train``, ``Handler: monitoring_schedule.lambda_handler``, ``module: pkg.mod:main``
            pieces = dotted.split(".")
            for i in range(1, len(pieces) + 1):
                add(".".join(pieces[:i]))
        return out

    return index.derived(("unreached.names", x.path), build)  # type: ignore[no-any-return]
