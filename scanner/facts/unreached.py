"""Code that nothing in the repository runs, imports or names: a Python module no automated path, entry point or import
reaches (the wiring graph), or a ``__main__`` script that is its own only root, whose file name, module path or
handler name no other file of the repository mentions (no README step, script, build spec, template, notebook or
import). A template that is switched off by its name (``stack.yml.txt``, ``buildspec.yaml.bak``) names nothing.

Such code may still be run by hand, so it is shown as a caveat; the evidence of code that something runs leads.
"""

from __future__ import annotations

import ast

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
    names = _names(index)
    if names is None:
        return False
    return not _named(names, root, exclude=index.entry(root).path if index.entry(root) else root)


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


def _named(names: dict[str, set[str]], vpath: str, exclude: str) -> bool:
    base = vpath.rsplit("/", 1)[-1]
    parts = vpath[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    keys = [base] + [".".join(parts[i:]) for i in range(len(parts))]
    return any(names.get(k, set()) - {exclude} for k in keys if k)


def _searched(index: FileIndex) -> list[FileEntry]:
    """The files searched for names: all but binaries and configs switched off by their name (listed once a scan)."""
    return index.derived(("unreached.searched",), lambda: [
        x for x in index.entries if not x.path.lower().endswith(_BINARY) and not _DISABLED.search(x.path)])  # type: ignore[no-any-return]


def _names(index: FileIndex) -> dict[str, set[str]] | None:
    """file name / module path -> the files that mention it (at most two each); None for a repository too large."""
    def build() -> dict[str, set[str]] | None:
        entries = _searched(index)
        if len(entries) > MAX_FILES:
            return None
        out: dict[str, set[str]] = {}

        def add(key: str, path: str) -> None:
            seen = out.setdefault(key, set())
            if len(seen) < 2:
                seen.add(path)

        for x in entries:
            if x.path.endswith(".ipynb"):
                nb = index.notebook(x.path)
                text = nb.source if nb is not None else ""
            else:
                text = (index.text(x.path, keep=False) or "")[:MAX_CHARS]
            for m in _FILE.finditer(text):
                add(m.group(1), x.path)
            for m in _IMPORT.finditer(text):
                mod = m.group(1)
                add(mod, x.path)
                for i in range(mod.count(".")):
                    add(mod.split(".", i + 1)[-1], x.path)  # ``import src.pkg.mod`` names ``pkg.mod`` and ``mod`` too
            for m in _FROM_IMPORT.finditer(text):  # ``from model import run, train`` names model.run and run
                for name in m.group(2).replace("(", " ").split(","):
                    name = name.strip().split(" ")[0]
                    if name.isidentifier():
                        add(name, x.path)
                        add(f"{m.group(1).strip('.')}.{name}".strip("."), x.path)
            if x.path.endswith(".py"):
                for m in _RUN_MODULE.finditer(text):
                    add(m.group(1), x.path)
                continue  # a module names others by importing them (or running them by module name)
            for m in _APP_REF.finditer(text):  # ``gunicorn app:app``, ``uvicorn src.api:app``, ``pkg.cli:main``
                add(m.group(1), x.path)
                for i in range(m.group(1).count(".")):
                    add(m.group(1).split(".", i + 1)[-1], x.path)
            for m in _DOTTED.finditer(text):
                dotted = m.group(1)
                if dotted.rsplit(".", 1)[-1].lower() in _EXTENSIONS:
                    continue
                # ``python -m src.train``, ``Handler: monitoring_schedule.lambda_handler``, ``module: pkg.mod:main``
                pieces = dotted.split(".")
                for i in range(1, len(pieces) + 1):
                    add(".".join(pieces[:i]), x.path)
        return out

    return index.derived(("unreached.names",), build)  # type: ignore[no-any-return]
