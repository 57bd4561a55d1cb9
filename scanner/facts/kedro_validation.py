"""Kedro catalog entries validated when a pipeline loads them.

kedro-pandera (its docs: "Data will be validated every time you use ``kedro run``") reads a dataset's
``metadata: pandera: schema: ${pa.python:pkg.schemas.Schema}`` (or ``${pa.yaml:...}``) and validates the data when a node
loads it; Kedro's own dataset validation does the same for a ``validator:`` key (``kedro[pandera-pandas]``). Such an
entry checks the data only when the plugin (or Kedro's Pandera extra) is installed by default, and only for datasets a
node of the project's pipelines takes as input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from ..index import FileIndex
from . import ops
from .pyast import walk

_CATALOGS = ("**/catalog*.yml", "**/catalog*.yaml", "**/catalog/*.yml", "**/catalog/*.yaml")
_TRAINING = re.compile(r"train|fit\b|retrain")


def _name(spec: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?", spec)
    return (m.group(1).lower().replace("_", "-") + (m.group(2) or "").lower()) if m else ""


def core_requirements(index: FileIndex) -> set[str]:
    """Distributions a default install brings (``name`` and ``name[extra, ...]`` as written): requirements files (not
    test ones), ``[project] dependencies`` and Poetry dependencies."""
    out: set[str] = set()
    for e in index.select(("**/requirements*.txt", "**/requirements/*.txt")):
        if e.test or any(w in e.name for w in ("test", "dev", "doc", "lint")):
            continue
        for ln in index.lines(e.path):
            s = ln.strip()
            if s and not s.startswith(("#", "-")):
                out.add(_name(s))
    for e in index.select(("**/pyproject.toml",)):
        doc = index.toml(e.path) or {}
        proj = doc.get("project") if isinstance(doc.get("project"), dict) else {}
        out |= {_name(x) for x in proj.get("dependencies") or [] if isinstance(x, str)}
        tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        deps = poetry.get("dependencies")
        out |= {_name(str(k)) for k in deps} if isinstance(deps, dict) else set()
    return out


def _installed(core: set[str], kind: str) -> bool:
    names = {n.split("[", 1)[0] for n in core}
    if kind == "kedro-pandera":
        return "kedro-pandera" in names
    return any(n.startswith("kedro[") and "pandera" in n for n in core) or "pandera" in names


def node_inputs(index: FileIndex) -> dict[str, bool]:
    """Dataset name -> whether a node of the same pipeline trains: the names Kedro ``node(...)`` calls take as inputs
    (``inputs="x"``, ``["x", "params:p"]``, ``{"arg": "x"}``, or the second positional argument)."""
    out: dict[str, bool] = {}
    for e in index.select(("**/*.py",)):
        if e.test or not index.contains(e.path, (b"kedro",)) or not index.contains(e.path, (b"node(",)):
            continue
        tree = index.python(e.path)
        if tree is None:
            continue
        nodes = [n for n in walk(tree) if isinstance(n, ast.Call) and ops.dotted(n.func).rsplit(".", 1)[-1] == "node"]
        if not nodes:
            continue
        funcs = [ops.dotted(n.args[0] if n.args else ops.kwarg(n, "func") or ast.Constant(None)) for n in nodes]
        trains = any(_TRAINING.search(f.rsplit(".", 1)[-1]) for f in funcs if f)
        for n in nodes:
            spec = n.args[1] if len(n.args) > 1 else ops.kwarg(n, "inputs")
            for x in walk(spec) if spec is not None else ():
                if isinstance(x, ast.Constant) and isinstance(x.value, str) and not x.value.startswith("params:") and x.value != "parameters":
                    out[x.value] = out.get(x.value, False) or trains
    return out


def validated_datasets(index: FileIndex) -> Iterator[tuple[str, int, str, str, bool, Any]]:
    """(catalog path, line, dataset, kind, installed, trains) of each catalog entry a schema validates on load: kind
    ``kedro-pandera`` (``metadata.pandera.schema``) or ``kedro-validator`` (``validator:``); ``trains`` is None when no
    node takes the dataset, else whether a node of its pipeline trains."""
    catalogs = [e for e in index.select(_CATALOGS) if index.contains(e.path, (b"pandera", b"validator"))]
    if not catalogs:
        return
    core = core_requirements(index)
    inputs = node_inputs(index)
    for e in catalogs:
        for doc in index.yaml(e.path):
            if not isinstance(doc, dict):
                continue
            for name, entry in doc.items():
                if not isinstance(entry, dict) or str(name).startswith("_"):
                    continue
                meta = entry.get("metadata")
                pandera = meta.get("pandera") or meta.get("kedro-pandera") if isinstance(meta, dict) else None
                if isinstance(pandera, dict) and pandera.get("schema"):
                    kind, line = "kedro-pandera", meta.line_of("pandera" if "pandera" in meta else "kedro-pandera")
                elif isinstance(entry.get("validator"), (str, dict)):
                    kind, line = "kedro-validator", entry.line_of("validator")
                else:
                    continue
                yield e.path, line, str(name), kind, _installed(core, kind), inputs.get(str(name))
