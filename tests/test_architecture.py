"""The layout docs/architecture.md describes, checked on the source: no import cycles between mlscan's
modules (lazy imports inside functions included), the engine imports no front-end, and only the index and the
target read the scanned repository (detectors, facts, CI dialects and the rule evaluator open no files and
start no processes)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = {"scanner": "mlscan", "detectors": "mlscan.detectors"}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods: dict[str, tuple[Path, bool]] = {}
    for folder, package in PACKAGE_DIRS.items():
        for f in sorted((ROOT / folder).rglob("*.py")):
            parts = f.relative_to(ROOT / folder).with_suffix("").parts
            is_pkg = parts[-1] == "__init__"
            mods[".".join([package, *(parts[:-1] if is_pkg else parts)])] = (f, is_pkg)
    return mods


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The mlscan modules ``name`` imports anywhere in its source (module level or inside functions)."""
    path, is_pkg = MODULES[name]
    base = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
            if target in MODULES:
                found.add(target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
    found.discard(name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_graph_is_read() -> None:
    assert "mlscan.parallel" in GRAPH["mlscan.engine"]  # a lazy import inside a function counts
    assert "mlscan.detection" in GRAPH["mlscan.parallel"]
    assert "mlscan.facts.ops" in GRAPH["mlscan.detectors.serving_k8s"]  # `from mlscan.facts import ops`


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


FRONT_ENDS = ("mlscan.cli", "mlscan.report", "mlscan.reporters", "mlscan.explain", "mlscan.__main__", "mlscan.diff", "mlscan.pr", "mlscan.org")


def _reach(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for m in GRAPH[todo.pop()] - seen:
            seen.add(m)
            todo.append(m)
    return seen


def test_engine_imports_no_front_end() -> None:
    reached = _reach("mlscan.engine")
    assert not [m for m in reached if m.startswith(FRONT_ENDS)]


# Reading the scanned repository is the index's job (listing, size caps, symlink checks, caches); these stages
# get text and parses from it.
PURE = ("mlscan.detectors", "mlscan.facts", "mlscan.ci", "mlscan.scoring.conditions", "mlscan.scoring.score")
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "listdir", "scandir", "walk",
              "glob", "rglob", "stat", "lstat", "exists", "is_file", "is_dir"}
PROCESS_MODULES = {"subprocess", "os", "pathlib", "shutil", "io", "glob", "tempfile", "socket", "urllib", "http"}


def _file_access(path: Path) -> list[str]:
    bad: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            bad += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in PROCESS_MODULES]
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in PROCESS_MODULES:
            bad.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else None
            # index.glob(...)/index.read_text(...) are the index's own methods: allowed
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
            if name == "open" or (isinstance(f, ast.Attribute) and f.attr in FILE_CALLS and owner not in ("index", "self", "idx")):
                bad.append(f"line {node.lineno}: {ast.unparse(f)}(...)")
    return bad


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PURE)))
def test_stage_reads_no_files(module: str) -> None:
    assert _file_access(MODULES[module][0]) == []


def test_file_access_check_catches_reads(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("import subprocess\nfrom pathlib import Path\n\ndef f(p):\n    return Path(p).read_text() + open(p).read()\n")
    assert len(_file_access(src)) == 4


def _is_dataclass(node: ast.ClassDef) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if (isinstance(target, ast.Name) and target.id == "dataclass") or (
            isinstance(target, ast.Attribute) and target.attr == "dataclass"
        ):
            return True
    return False


def test_facts_records_say_what_they_hold() -> None:
    """Every record type of the facts layer carries a docstring: detectors read these types, not the code that
    fills them, so each says what one instance stands for."""
    missing = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in sorted((ROOT / "scanner" / "facts").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and _is_dataclass(node) and not ast.get_docstring(node)
    ]
    assert not missing, missing



def _code_execution(path: Path) -> list[int]:
    """Lines of ``path`` that call exec, eval, compile (but regular expressions': ``re``, ``lazyre`` and the regular
    expression engine ``_sre``, which validates the code it is given), make_dataclass or marshal.load*, or
    assign a module's ``exec``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if name in ("exec", "eval", "compile", "make_dataclass") and owner not in ("re", "lazyre", "_sre") or (
                owner == "marshal" and name.startswith("load")
            ):
                lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "exec" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
    return lines


def test_no_module_compiles_runs_or_unmarshals_code() -> None:
    """Nothing a scan reads can reach code execution: no module of mlscan compiles, runs or unmarshals code, and none
    replaces a module's exec."""
    root = Path(__file__).resolve().parent.parent
    found = [f"{p.relative_to(root)}:{n}" for base in (root / "scanner", root / "detectors")
             for p in sorted(base.rglob("*.py")) for n in _code_execution(p)]
    assert found == []


# modules whose load runs code a file names (pickle's __reduce__): a scan reads model files' *names* from the syntax
# tree (facts.served, facts.orchestration.scores_only, facts.training_entries) and never opens them with these
_DESERIALISERS = ("pickle", "cPickle", "_pickle", "joblib", "dill", "cloudpickle", "torch", "shelve", "marshal", "np", "numpy")


def _deserialisation(path: Path) -> list[int]:
    """Lines of ``path`` that call a deserialiser on a module name (``pickle.load``, ``joblib.load``, ``torch.jit.load``,
    ``pickle.Unpickler``, ``shelve.open``, ``np.load``, ``pd.read_pickle``). A subclass of ``pickle.Unpickler`` whose
    ``find_class`` allows only mlscan's own types (scanner/parallel.py, for its workers' results) is called on an
    instance, not on a module, and is not flagged."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        parts, f = [node.func.attr], node.func.value
        while isinstance(f, ast.Attribute):
            parts.append(f.attr)
            f = f.value
        if not isinstance(f, ast.Name):
            continue
        name = node.func.attr
        if name == "read_pickle" or f.id in _DESERIALISERS and (name.startswith("load") or name in ("Unpickler", "open")):
            lines.append(node.lineno)
    return sorted(lines)


def test_no_module_deserialises_scanned_files() -> None:
    """The scanner names model loaders (``facts.orchestration.MODEL_FILE_LOADS``) only to recognise them in a scanned
    repository's syntax tree: no module of mlscan calls one."""
    root = Path(__file__).resolve().parent.parent
    found = [f"{p.relative_to(root)}:{n}" for base in (root / "scanner", root / "detectors")
             for p in sorted(base.rglob("*.py")) for n in _deserialisation(p)]
    assert found == []


def test_the_deserialisation_check_catches_each_form(tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text("import pickle, joblib, torch, shelve, numpy as np, pandas as pd\npickle.loads(b'')\njoblib.load('m')\n"
                   "torch.jit.load('m')\npickle.Unpickler(f).load()\nshelve.open('db')\nnp.load('a', allow_pickle=True)\n"
                   "pd.read_pickle('p')\nUnpickler(f).load()\nnames = {'joblib.load'}\n")
    assert _deserialisation(src) == [2, 3, 4, 5, 6, 7, 8]


def test_the_code_execution_check_catches_each_form(tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text("import marshal, dataclasses, re\nmarshal.loads(b'')\nexec('x')\ndataclasses.exec = print\n"
                   "eval('1')\ncompile('x', 'f', 'exec')\nre.compile('x')\n")
    assert _code_execution(src) == [2, 3, 4, 5, 6]


# the one deserialiser mlscan imports: pickle, for its own workers' results, through an Unpickler whose find_class allows
# only mlscan's types (scanner/parallel.py); no other module imports one in any form
_DESERIALISER_IMPORTS = {("scanner/parallel.py", "pickle")}


def _deserialiser_imports(path: Path, rel: str) -> list[str]:
    """``import joblib``, ``from pickle import load``, ``importlib.import_module("dill")``, ``__import__("torch")``:
    every way ``path`` could reach a deserialiser module by name."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) \
                and (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")
                     or isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"):
            names = [node.args[0].value]
        for name in names:
            top = name.split(".")[0]
            if top in (*_DESERIALISERS, "pandas", "tensorflow", "keras") and (rel, top) not in _DESERIALISER_IMPORTS:
                out.append(f"{rel}:{node.lineno} {name}")
    return out


def test_no_module_imports_a_deserialiser() -> None:
    root = Path(__file__).resolve().parent.parent
    found = [hit for base in (root / "scanner", root / "detectors") for p in sorted(base.rglob("*.py"))
             for hit in _deserialiser_imports(p, str(p.relative_to(root)))]
    assert found == []


def test_the_deserialiser_import_check_catches_each_form(tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text("import joblib\nfrom pickle import load\nimport torch.jit as tj\nimport importlib\n"
                   "importlib.import_module('dill')\n__import__('cloudpickle')\nimport json\nfrom . import pickle\n")
    assert [h.split(":")[1].split()[0] for h in _deserialiser_imports(src, "x.py")] == ["1", "2", "3", "5", "6"]


# first segments of the dotted names a loader vocabulary holds (``joblib.load``, ``tf.saved_model.load``, ``gr.load`` ...)
_LOADER_MODULES = frozenset({*_DESERIALISERS, "cPickle", "tf", "tensorflow", "keras", "gr", "gradio", "mlflow"})
# ... and their last segments: what loads a file or a model (``mlflow.load_prompt`` reads a registry text, not a file)
_LOADER_TAILS = frozenset({"load", "loads", "load_model", "load_learner", "load_state_dict"})


def _loader_vocabularies(trees: dict[str, ast.Module]) -> set[str]:
    """The names bound to a vocabulary of model/deserialiser loaders: an assignment whose value holds a string
    constant ``<loader module>....load*`` (``MODEL_FILE_LOADS``, ``spaces._APP_LOADS``)."""
    out = set()
    for tree in trees.values():
        for a in ast.walk(tree):
            if isinstance(a, ast.Assign) and any(
                    isinstance(c, ast.Constant) and isinstance(c.value, str) and "." in c.value
                    and c.value.split(".")[0] in _LOADER_MODULES and c.value.rsplit(".", 1)[-1] in _LOADER_TAILS
                    for c in ast.walk(a.value)):
                out.update(t.id for t in a.targets if isinstance(t, ast.Name))
    return out


def _loader_name_uses(trees: dict[str, ast.Module]) -> list[tuple[str, int, str, bool]]:
    """Every use of a loader vocabulary outside its definition and imports: (file, line, name, only compared)."""
    vocab = _loader_vocabularies(trees)
    uses = []
    for rel, tree in trees.items():
        compared = {id(c.comparators[i]) for c in ast.walk(tree) if isinstance(c, ast.Compare)
                    for i, op in enumerate(c.ops) if isinstance(op, (ast.In, ast.NotIn))}
        defined = {id(t) for a in ast.walk(tree) if isinstance(a, ast.Assign) for t in a.targets}
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id in vocab and id(n) not in defined:
                uses.append((rel, n.lineno, n.id, id(n) in compared))
    return uses


def test_model_loader_names_are_only_compared() -> None:
    """Loader vocabularies (``MODEL_FILE_LOADS``: ``joblib.load``, ``torch.load`` ...; a Space app's ``gr.load``) are
    names: every use outside its definition is the right side of an ``in`` test against a dotted name read from a scanned
    file's syntax tree, never a call, an attribute, an argument or an iteration that could reach a loader."""
    root = Path(__file__).resolve().parent.parent
    trees = {str(p.relative_to(root)): ast.parse(p.read_text(encoding="utf-8"))
             for base in (root / "scanner", root / "detectors") for p in sorted(base.rglob("*.py"))}
    assert {"MODEL_FILE_LOADS", "_APP_LOADS"} <= _loader_vocabularies(trees)
    uses = _loader_name_uses(trees)
    assert uses and all(ok for *_w, ok in uses), [u for u in uses if not u[-1]]


def test_the_loader_vocabulary_check_catches_other_uses() -> None:
    src = ("LOADS = frozenset({'torch.load', 'gr.load'})\nOTHER = {'json.load'}\nok = name in LOADS\n"
           "for f in LOADS:\n    pass\ngetattr(mod, sorted(LOADS)[0])\nfine = x in OTHER\n")
    uses = _loader_name_uses({"bad.py": ast.parse(src)})
    assert sorted((line, ok) for _f, line, name, ok in uses if name == "LOADS") == [(3, True), (4, False), (6, False)]
    assert all(name != "OTHER" for _f, _l, name, _ok in uses)
