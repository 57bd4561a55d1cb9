"""A notebook's code is rebuilt from its JSON and the cells its parse kept (``kept_code``, ``FileIndex.notebook_source``):
the same source and cell map as ``notebook_code``, and no second parse when the tree has left the parse cache."""

from __future__ import annotations

import json
import random
from pathlib import Path

import mlscan.index as index_mod
import pytest
from mlscan.index import NOTEBOOK_KEPT, FileIndex
from mlscan.index.formats import kept_code, notebook_code
from mlscan.target import resolve_target

from tests.conftest import git_repo

CELLS = ["import os", "%matplotlib inline\nif x:\n    y = 1", "", "x = (1,", "2)", "def (:", "@dec", "def f():\n    pass",
         "!pip install a\nb = 2", 'print(f"{d["k"]}")', "for i in r:\n    pass", "class A:\n    z = 1", "  indented = 1"]


def _nb(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells] + [{"cell_type": "markdown", "source": "# x"}]})


@pytest.mark.parametrize("seed", range(200))
def test_kept_code_rebuilds_what_notebook_code_gives(seed: int) -> None:
    rnd = random.Random(seed)
    text = _nb(*rnd.choices(CELLS, k=rnd.randint(0, 8)))
    nb = notebook_code(text, "n.ipynb")
    assert kept_code(text, nb.kept) == (nb.source, nb.cell_of_line)


def test_whole_notebooks_keep_every_cell_and_others_name_theirs() -> None:
    assert notebook_code(_nb("a = 1", "b = 2"), "n.ipynb").kept is None  # parsed whole: every cell as written
    assert notebook_code(_nb("a = 1", "def (:", "b = 2"), "n.ipynb").kept == (1, 3)
    nb = notebook_code(_nb("def (:", 'print(f"{d["k"]}")'), "n.ipynb")  # a 3.12 f-string rewritten for this interpreter
    assert nb.kept in ((-2,), (2,)) and kept_code(_nb("def (:", 'print(f"{d["k"]}")'), nb.kept) == (nb.source, nb.cell_of_line)


def test_notebook_source_needs_no_second_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 1)  # every tree leaves the parse cache at once
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "a.ipynb": _nb("a = 1", "def (:", "b = 2"), "b.ipynb": _nb("import os"), "c.ipynb": "not json"}))))
    for path in ("a.ipynb", "b.ipynb", "c.ipynb"):
        ix.notebook(path)  # a detector parsed it: its kept cells are a fact of that parse
    want = {p: notebook_code(ix.text(p) or "", p) for p in ("a.ipynb", "b.ipynb")}
    assert ix.fact("a.ipynb", NOTEBOOK_KEPT) == [1, 3] and ix.fact("b.ipynb", NOTEBOOK_KEPT) is True
    assert ix.fact("c.ipynb", NOTEBOOK_KEPT) is False
    for p, nb in want.items():
        assert ix.notebook_source(p) == (nb.source, nb.cell_of_line)
    assert ix.notebook_source("c.ipynb") is None
    assert all(n == 1 for (p, kind), n in ix.parse_counts.items() if kind == "notebook")


def test_notebook_source_of_a_notebook_never_parsed_parses_it_once(tmp_path: Path) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {"a.ipynb": _nb("a = 1", "def (:", "b = 2")}))))
    assert ix.notebook_source("a.ipynb") == ("a = 1\nb = 2", (1, 3))
    assert ix.parse_counts[("a.ipynb", "notebook")] == 1
