"""Which top-level Python packages the repository itself defines (and where): the packages its packaging manifests
declare (``pyproject.toml``'s ``[project] name``, Poetry's name and ``packages``, Hatch's wheel ``packages``, setuptools'
``packages``, ``setup.cfg``'s ``[metadata] name``, a literal ``setup(name=...)``), found as a directory with an
``__init__.py`` beside the manifest or in its ``src/``.

An import of such a package is the repository's code importing its own code, not a use of the tool of that name:
the repository of an orchestrator (``src/prefect/`` defining ``prefect``, its tests, integrations and examples importing
it) defines no pipeline of its own by importing it (facts.wiring). A project that uses an orchestrator installs it and
does not define its package."""

from __future__ import annotations

import ast
from typing import Any

from ..index import FileIndex
from .pyast import walk

MANIFESTS = ("**/pyproject.toml", "**/setup.cfg", "**/setup.py")


def own_packages(index: FileIndex) -> tuple[tuple[str, str], ...]:
    """(package name, package directory as the project sees it) of each top-level package a manifest of the repository
    declares and the repository holds (``src/prefect``: ``("prefect", "src/prefect")``), sorted."""
    return index.memo("own-packages", lambda: _build(index))  # type: ignore[no-any-return]


def own_names(index: FileIndex) -> frozenset[str]:
    """The names of the repository's own top-level packages."""
    return frozenset(name for name, _where in own_packages(index))


def _build(index: FileIndex) -> tuple[tuple[str, str], ...]:
    out: set[tuple[str, str]] = set()
    for e in index.select(MANIFESTS):
        base = e.vpath.rsplit("/", 1)[0] if "/" in e.vpath else ""
        names, dirs = _declared(index, e.path, e.name)
        cands = [f"{d}/{n}" if d else n for n in names for d in (base, f"{base}/src" if base else "src")]
        cands += [f"{base}/{d}" if base else d for d in dirs]
        for where in cands:
            where = where.strip("/")
            name = where.rsplit("/", 1)[-1]
            if name.isidentifier() and index.select((f"{where}/__init__.py",)):
                out.add((name, where))
    return tuple(sorted(out))


def _declared(index: FileIndex, path: str, file_name: str) -> tuple[list[str], list[str]]:
    """(package names, package directories relative to the manifest) one manifest declares."""
    names: list[str] = []
    dirs: list[str] = []
    if file_name == "pyproject.toml":
        doc = index.toml(path) or {}
        proj = doc.get("project")
        if isinstance(proj, dict) and isinstance(proj.get("name"), str):
            names.append(proj["name"])
        tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        if isinstance(poetry.get("name"), str):
            names.append(poetry["name"])
        for p in poetry.get("packages") or () if isinstance(poetry.get("packages"), list) else ():
            if isinstance(p, dict) and isinstance(p.get("include"), str):
                inc = p["include"]
                dirs.append(f"{p['from']}/{inc}" if isinstance(p.get("from"), str) else inc)
        wheel = _get(tool, "hatch", "build", "targets", "wheel", "packages")
        dirs += [d for d in wheel if isinstance(d, str)] if isinstance(wheel, list) else []
        st = _get(tool, "setuptools", "packages")
        names += [n for n in st if isinstance(n, str) and "." not in n] if isinstance(st, list) else []
    elif file_name == "setup.cfg":
        import configparser  # here: few repositories have a setup.cfg, and a scan's start-up need not pay for it

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(index.text(path) or "")
            names.append(parser.get("metadata", "name", fallback=""))
        except (configparser.Error, ValueError):
            pass
    else:
        tree = index.python(path)
        for node in walk(tree) if tree is not None else ():
            if isinstance(node, ast.Call) and _callee(node.func) == "setup":
                for kw in node.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        names.append(kw.value.value)
    return [n.strip().lower().replace("-", "_").replace(".", "_") for n in names if n.strip()], [d.strip("./") for d in dirs if d.strip("./")]


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return d


def _callee(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
