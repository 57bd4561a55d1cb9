"""Notebook code cells: a cell that does not parse on its own is left out, whether the joined cells parse or not."""

from __future__ import annotations

import ast
import json

from mlscan.index.formats import notebook_code


def _nb(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells] + [{"cell_type": "markdown", "source": "# x"}]})


def test_whole_cells_in_one_parse() -> None:
    nb = notebook_code(_nb("import os", "%matplotlib inline\nif x:\n    y = 1", ""), "n.ipynb")
    assert nb.source == "import os\n\nif x:\n    y = 1\n"
    assert nb.cell_of_line == (1, 2, 2, 2, 3)
    assert nb.tree is not None and [type(s).__name__ for s in nb.tree.body] == ["Import", "If"]
    assert nb.tree.body[1].lineno == 3


def test_statement_across_cells_is_left_out_like_any_cell_that_does_not_parse() -> None:
    nb = notebook_code(_nb("x = (1,", "2)", "y = 3"), "n.ipynb")  # the joined cells parse, the first two alone do not
    assert nb.source == "y = 3" and nb.cell_of_line == (3,)
    nb = notebook_code(_nb("@dec", "def f():\n    pass"), "n.ipynb")  # a decorator alone in its cell
    assert nb.source == "def f():\n    pass" and nb.cell_of_line == (2, 2)
    assert isinstance(nb.tree, ast.Module) and nb.tree.body[0].decorator_list == []


def test_broken_cell_left_out() -> None:
    nb = notebook_code(_nb("a = 1", "def (:", "b = 2"), "n.ipynb")
    assert nb.source == "a = 1\nb = 2" and nb.cell_of_line == (1, 3)
