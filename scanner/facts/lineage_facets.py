"""The code version an OpenLineage job records for its runs: the ``sourceCodeLocation`` job facet (OpenLineage spec,
``SourceCodeLocationJobFacet``: ``type``, ``url``, ``repoUrl``, ``path``, ``version`` "the git sha of the source code
... the actual unique version", ``tag``, ``branch``), built with the Python client's class (``facet_v2
.source_code_location_job.SourceCodeLocationJobFacet`` or the older ``facet.SourceCodeLocationJobFacet``) or written as
the event's JSON (``{"sourceCodeLocation": {"type": "git", "version": sha}}``), and whether the job it describes builds a
model."""

from __future__ import annotations

import ast

from .orchestration import fits_model, trainingish, words
from .pyast import walk
from .pycalls import dotted
from .tracking import CODE_EXPR, code_expr

_FACET = "SourceCodeLocationJobFacet"
_FIELDS = ("type", "url", "repoUrl", "path", "version", "tag", "branch")  # the class's fields, in order
_COMMIT_WORDS = frozenset({"git", "commit", "sha", "revision", "githash", "gitsha", "hexsha", "gitcommit"})
# files of a model, as a job's outputs or the paths it writes
_MODEL_FILE = (".pkl", ".joblib", ".pt", ".pth", ".onnx", ".h5", ".keras", ".bin", ".safetensors", "model.tar.gz", ".cbm", ".ubj")


# the last trees' name -> bound values tables: ``commit_value`` asks for names once per expression it reads (every
# f-string part of a module), and one walk of the module per question made a module of many f-strings quadratic
_BOUND_TABLES: list[tuple[ast.Module, dict[str, list[ast.AST]]]] = []


def _bound(tree: ast.Module, name: str) -> list[ast.AST]:
    """The values a module assigns to ``name`` (``name = v``, ``name: T = v``), in the module's walk order."""
    table = next((t for m, t in _BOUND_TABLES if m is tree), None)
    if table is None:
        table = {}
        for a in walk(tree):
            if isinstance(a, (ast.Assign, ast.AnnAssign)) and a.value is not None:
                seen: set[str] = set()
                for t in a.targets if isinstance(a, ast.Assign) else [a.target]:
                    if isinstance(t, ast.Name) and t.id not in seen:
                        seen.add(t.id)
                        table.setdefault(t.id, []).append(a.value)
        _BOUND_TABLES[:] = [(tree, table), *_BOUND_TABLES[:3]]  # bounded: the trees a fact pass is reading now
    return table.get(name, [])


def commit_value(tree: ast.Module, node: ast.AST, depth: int = 0) -> str:
    """How an expression carries the code version at run time, or '': ``git rev-parse HEAD`` run by ``subprocess``, GitPython's
    ``repo.head.commit.hexsha``, a CI variable of the environment (``os.environ["GITHUB_SHA"]``), or a name bound to one of
    these. A literal (``version="abc1234"``) is no run-time version."""
    for n in walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 80:
            if "rev-parse" in n.value or n.value.startswith("git describe"):
                return "git-sha"
            if CODE_EXPR.fullmatch(n.value):
                return code_expr(n.value) or ""
        elif isinstance(n, ast.Attribute) and n.attr == "hexsha":
            return "git-sha"
        elif isinstance(n, ast.Name) and depth < 2 and isinstance(n.ctx, ast.Load):
            values = _bound(tree, n.id)
            how = next((h for v in values if (h := commit_value(tree, v, depth + 1))), "")
            if how:
                return how
            if words(n.id) & _COMMIT_WORDS and values and not all(isinstance(v, ast.Constant) for v in values):
                return "git-sha"
    return ""


def _version_of(n: ast.AST) -> ast.AST | None:
    if isinstance(n, ast.Call) and dotted(n.func).rsplit(".", 1)[-1] == _FACET:
        kw = next((k.value for k in n.keywords if k.arg == "version"), None)
        i = _FIELDS.index("version")
        return kw if kw is not None else n.args[i] if len(n.args) > i else None
    if isinstance(n, ast.Dict):
        for k, v in zip(n.keys, n.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == "sourceCodeLocation" and isinstance(v, ast.Dict):
                return next((vv for kk, vv in zip(v.keys, v.values, strict=True) if isinstance(kk, ast.Constant) and kk.value == "version"), None)
    return None


def _builds_model(scope: ast.AST, al: dict[str, str]) -> bool:
    """Does the job the facet describes make a model: the function emitting it fits one or is named for training, its job
    name says so, or a model file is among the paths it names."""
    names = [scope.name] if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    for n in walk(scope):
        if isinstance(n, ast.Call) and dotted(n.func).rsplit(".", 1)[-1] == "Job":
            names += [k.value.value for k in n.keywords if k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
            names += [a.value for a in n.args[1:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if trainingish(*names) or fits_model(scope, al):
        return True
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower().endswith(_MODEL_FILE) for n in walk(scope))


def source_code_versions(tree: ast.Module, al: dict[str, str]) -> list[tuple[int, str, bool]]:
    """(line of the facet's version, how, builds a model) for each ``sourceCodeLocation`` facet whose version is the commit
    at run time. The scope read for the model is the function holding the facet (the task emitting the event), else the
    module."""
    owners: dict[int, ast.AST] = {}
    for fn in walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in walk(fn):
                owners[id(n)] = fn  # (walk goes outside in: the innermost function wins)
    out = []
    for n in walk(tree):
        v = _version_of(n) if isinstance(n, (ast.Call, ast.Dict)) else None
        if v is None:
            continue
        how = commit_value(tree, v)
        if how:
            scope = owners.get(id(n), tree)
            out.append((v.lineno, how, _builds_model(scope, al) or _called_for_model(tree, scope, owners, al)))
    return out


def _called_for_model(tree: ast.Module, scope: ast.AST, owners: dict[int, ast.AST], al: dict[str, str]) -> bool:
    """A helper emitting the event for the job it is given (``emit_lineage("train_model", ...)``): is it called for a job
    named for training, or from a function that builds a model?"""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for c in walk(tree):
        if isinstance(c, ast.Call) and dotted(c.func).rsplit(".", 1)[-1] == scope.name:
            literals = [a.value for a in (*c.args, *(k.value for k in c.keywords)) if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            caller = owners.get(id(c))
            if trainingish(*literals) or any(x.lower().endswith(_MODEL_FILE) for x in literals) \
                    or caller is not None and caller is not scope and _builds_model(caller, al):
                return True
    return False
