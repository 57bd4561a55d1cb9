"""Files a notebook writes with the IPython cell magic ``%%writefile [-a] PATH``: the body of such a cell is the whole
file (``-a`` appends to what an earlier cell wrote). A notebook that is a project's workflow often writes its pipeline
definition, training script or monitoring job this way (``%%writefile pipeline.py`` then ``python pipeline.py``, a
scheduled ``scripts/monitor.py``), so the index lists each written file as a file of the repository (``FileIndex``'s
virtual files), read from the notebook, never run.

The path is relative to the notebook's directory (the kernel's working directory when Jupyter starts it). Paths built
from variables (``$folder/x.py``, ``{folder}/x.py``), absolute paths (files inside a container or on a cluster) and
paths leaving the repository are not files of the repository and are skipped."""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from .formats import load_json

MAGIC = b"%%writefile"
# the real path of a written file: the notebook's path, this separator and the written path (``nb.ipynb#scripts/m.py``);
# evidence citing it says where the text lives
SEPARATOR = "#"


def written_files(text: str, notebook: str) -> dict[str, str]:
    """{path relative to the repository root: text} of the files ``notebook`` (its repository path) writes, in cell
    order; {} when the notebook is no JSON notebook."""
    try:
        data = load_json(text)
    except ValueError:
        return {}
    cells: Any = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return {}
    base = posixpath.dirname(notebook)
    out: dict[str, str] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str) or "%%writefile" not in src:
            continue
        head, _, body = src.lstrip("\n").partition("\n")
        target = _target(head, base)
        if target is None:
            continue
        path, append = target
        if body and not body.endswith("\n"):
            body += "\n"
        out[path] = out.get(path, "") + body if append else body
    return out


def _target(head: str, base: str) -> tuple[str, bool] | None:
    """(repository path, append?) of a ``%%writefile`` line, or None when it writes nowhere in the repository."""
    head = head.strip()
    if not head.startswith("%%writefile"):
        return None
    try:
        words = shlex.split(head[len("%%writefile") :])
    except ValueError:
        return None
    append = False
    rest: list[str] = []
    for w in words:
        if w in ("-a", "--append"):
            append = True
        else:
            rest.append(w)
    if len(rest) != 1:
        return None
    name = rest[0]
    if not name or any(c in name for c in "$%{}*?~\\") or name.startswith("/") or name.endswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(base, name))
    if path == "." or path.startswith("../") or path == ".." or SEPARATOR in path:
        return None
    return path, append
