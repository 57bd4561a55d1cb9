"""The shell commands of a repository's own composite GitHub action (not a detector).

A workflow step ``uses: ./.github/actions/deploy`` (any local directory holding an ``action.yml``/``action.yaml`` whose
``runs.using`` is ``composite``) runs that action's ``run:`` steps in the calling job. ``composite_runs`` gives them
with each ``${{ inputs.<name> }}`` replaced by the calling step's ``with:`` value (else the input's ``default``), so that
``az ml ${{ inputs.deployment_type }}-deployment create`` called with ``deployment_type: batch`` reads as the
``az ml batch-deployment create`` it runs; other expressions are left as written. A ``uses:`` of another local
composite action inside it is followed too (at most ``MAX_NESTING`` levels, never into itself). Nothing is run: the
files are read through the index."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from mlscan.index import FileIndex
from mlscan.index.formats import LineDict, LineList

MAX_NESTING = 3
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z_][\w-]*)\s*\}\}")


class CompositeRun(NamedTuple):
    """One ``run:`` step of a composite action: its text (inputs filled in), where it is written, and its shell."""
    text: str
    written: str  # the text as written (``${{ inputs.x }}`` unfilled): what its lines are found by
    path: str  # the action.yml holding it
    line: int  # its step's line there
    strict: bool  # the shell stops at the first failing command
    blocking: bool  # a failure fails the action (not ``continue-on-error``)


def local_action(index: FileIndex, uses: str) -> str:
    """The path of the ``action.yml`` a step's ``uses: ./dir`` names ('' for a marketplace action, a reusable
    workflow or a directory without an action file)."""
    ref = uses.split("@")[0].strip()
    if not ref.startswith("./") or ref.startswith("./.github/workflows/"):
        return ""
    base = ref[2:].rstrip("/")
    for e in index.select((f"{base}/action.yml", f"{base}/action.yaml")):
        return e.path
    return ""


def _fill(text: str, values: dict[str, str]) -> str:
    return _INPUT.sub(lambda m: values.get(m.group(1), values.get(m.group(1).lower(), m.group(0))), text)


def composite_runs(index: FileIndex, uses: str, with_: tuple[tuple[str, str], ...], depth: int = 0,
                   seen: frozenset[str] = frozenset()) -> list[CompositeRun]:
    """The ``run:`` steps a step ``uses: <local composite action>`` runs, in order (see the module docstring)."""
    path = local_action(index, uses)
    if not path or path in seen or depth >= MAX_NESTING:
        return []
    docs = index.yaml(path)
    doc: Any = docs[0] if docs else None
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(runs, dict) or str(runs.get("using", "")).lower() != "composite" or not isinstance(runs.get("steps"), list):
        return []
    values = {}
    inputs = doc.get("inputs")
    if isinstance(inputs, dict):
        for name, spec in inputs.items():
            if isinstance(spec, dict) and spec.get("default") is not None and not isinstance(spec.get("default"), (dict, list)):
                values[str(name)] = str(spec["default"])
    values.update((str(k), str(v)) for k, v in with_)
    values.update((str(k).lower(), str(v)) for k, v in with_)
    steps = runs["steps"]
    out: list[CompositeRun] = []
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            continue
        line = steps.line_of(i) if isinstance(steps, LineList) else (runs.line_of("steps") if isinstance(runs, LineDict) else 1)
        coe = s.get("continue-on-error")
        blocking = not (coe is True or str(coe).lower() == "true")
        run = s.get("run")
        if isinstance(run, (str, int, float)) and str(run).strip():
            shell = str(s.get("shell") or "")
            out.append(CompositeRun(_fill(str(run), values), str(run), path, line, not shell or shell in ("bash", "sh") or "-e" in shell, blocking))
        elif isinstance(s.get("uses"), str):
            inner_with = s.get("with") if isinstance(s.get("with"), dict) else {}
            filled = tuple((str(k), _fill(str(v), values)) for k, v in inner_with.items())
            for r in composite_runs(index, s["uses"], filled, depth + 1, seen | {path}):
                out.append(r if blocking else r._replace(blocking=False))
    return out
