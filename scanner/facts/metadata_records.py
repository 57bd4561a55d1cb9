"""The commit a script writes into the record it keeps of a model or a deployment: a metadata mapping (``{"model":
name, "git_sha": repo.head.commit.hexsha}``) dumped to a JSON/YAML file or handed to an API as metadata, tags or a
description, or release notes whose text names the commit (``f"Model {v} from commit {sha}"``) written out. The commit
must be the one at run time (GitPython's ``hexsha``, ``git rev-parse`` through subprocess, a CI variable, a name bound to
one: ``lineage_facets.commit_value``); a literal sha versions nothing. Whether the record is a model's is told by the
function that writes it (else the module): it names a model (a model word, a model file) or fits one."""

from __future__ import annotations

import ast

from .lineage_facets import commit_value
from .orchestration import fits_model, words
from .pyast import walk
from .pycalls import dotted

_COMMIT_WORDS = frozenset({"git", "commit", "sha", "revision", "githash", "gitsha", "hexsha", "gitcommit"})
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "input", "file", "table"})
# calls that write a record out or hand it to a service (a file, an object store, a release, a registry's metadata)
_WRITES = frozenset({"dump", "dumps", "safe_dump", "write", "write_text", "writelines", "put_object", "upload_fileobj", "create_release",
                     "update_release", "create_git_release", "set_tags", "update", "create", "register", "post", "put"})
_RECORD_KWARGS = frozenset({"metadata", "tags", "labels", "description", "notes", "release_notes", "body", "message", "properties"})
_MODEL_WORDS = frozenset({"model", "models", "checkpoint", "weights", "predictor", "classifier", "regressor", "estimator", "onnx"})
_MODEL_FILE = (".pkl", ".joblib", ".pt", ".pth", ".onnx", ".h5", ".keras", ".safetensors", ".cbm", ".ubj", "model.tar.gz")


def _code_key(key: str) -> bool:
    w = words(key)
    return bool(w & _COMMIT_WORDS) and not w & _DATA_WORDS


def _records(tree: ast.Module) -> list[tuple[ast.AST, int, str]]:
    """(record node, line, how): dicts with a commit-named key whose value is the run-time commit, and f-strings naming it."""
    out: list[tuple[ast.AST, int, str]] = []
    for n in walk(tree):
        if isinstance(n, ast.Dict):
            for k, v in zip(n.keys, n.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and _code_key(k.value) and (how := commit_value(tree, v)):
                    out.append((n, v.lineno, how))
                    break
        elif isinstance(n, ast.JoinedStr):
            for part in n.values:
                if isinstance(part, ast.FormattedValue) and (how := commit_value(tree, part.value)):
                    out.append((n, n.lineno, how))
                    break
        elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Subscript):
            t = n.targets[0]  # ``meta["git_sha"] = sha``: the mapping named by ``t.value`` carries it
            key = t.slice.value if isinstance(t.slice, ast.Constant) else None
            if isinstance(key, str) and _code_key(key) and (how := commit_value(tree, n.value)):
                out.append((t.value, n.lineno, how))
    return out


def _names_of(tree: ast.Module, node: ast.AST) -> set[str]:
    """The names a record is bound to (``meta = {...}``, ``notes = f"..."``), and what is built from them (one step:
    ``body = json.dumps(meta)``)."""
    if isinstance(node, ast.Name):
        return {node.id}
    names = {t.id for a in walk(tree) if isinstance(a, ast.Assign) and a.value is node for t in a.targets if isinstance(t, ast.Name)}
    names |= {t.id for a in walk(tree) if isinstance(a, ast.Assign) and names and any(isinstance(x, ast.Name) and x.id in names for x in walk(a.value))
              for t in a.targets if isinstance(t, ast.Name)}
    return names


def _written(tree: ast.Module, node: ast.AST) -> bool:
    """Is the record (or a name bound to it) an argument of a call that writes it out or hands it to a service?"""
    names = _names_of(tree, node)
    for c in walk(tree):
        if not isinstance(c, ast.Call):
            continue
        tail = dotted(c.func).rsplit(".", 1)[-1]
        args = [*c.args, *(k.value for k in c.keywords if tail in _WRITES or k.arg in _RECORD_KWARGS)]
        if tail not in _WRITES and not any(k.arg in _RECORD_KWARGS for k in c.keywords):
            continue
        for a in args:
            if any(x is node or isinstance(x, ast.Name) and x.id in names for x in walk(a)):
                return True
    return False


def _about_model(scope: ast.AST) -> bool:
    """Does the scope name a model (a model word in its names or strings, a model file) or fit one?"""
    said: set[str] = set()
    for n in walk(scope):
        if isinstance(n, ast.Name):
            said |= words(n.id)
        elif isinstance(n, ast.Attribute):
            said |= words(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 200:
            if n.value.lower().endswith(_MODEL_FILE):
                return True
            said |= words(n.value)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            said |= words(n.name)
    return bool(said & _MODEL_WORDS) or fits_model(scope)


def commit_records(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """(line, how, about a model) of each record written out with the run-time commit, the model's first."""
    funcs = [f for f in walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    out: list[tuple[int, str, bool]] = []
    for node, line, how in _records(tree):
        if not _written(tree, node):
            continue
        owner = min((f for f in funcs if f.lineno <= line <= (f.end_lineno or f.lineno)), key=lambda f: (f.end_lineno or f.lineno) - f.lineno,
                    default=None)
        out.append((line, how, _about_model(owner) if owner is not None else _about_model(tree)))
    return sorted(out, key=lambda r: (not r[2], r[0]))
