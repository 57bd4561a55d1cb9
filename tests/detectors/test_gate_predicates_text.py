"""gate.metric's metric verdicts (gates.metric_predicates) of a Python file whose text holds no ordering operator are
known without parsing it: every verdict rests on an ordering comparison of a metric."""

from __future__ import annotations

import ast
import random
import warnings
from pathlib import Path

from mlscan.detectors.gate_metric import _ORDERING, PREDICATES
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

_ORDER_OPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def test_ordering_operator_text_covers_every_ordering_comparison() -> None:
    """Random expressions and statements from comparisons, shifts, arrows, subtraction, strings and comments: whenever
    the parsed tree holds an ordering comparison, _ORDERING finds one in the text."""
    rng = random.Random(5)
    atoms = ["a", "b.c", "1", "-1", "'<'", '">>"', "(a)", "f(x)", "x[0]"]
    ops = ["<", ">", "<=", ">=", "<<", ">>", "-", "- >", "==", "!=", " < ", ">-", "<-", "is", "in"]
    shapes = ["{e}\n", "def f(x) -> {e}: pass\n", "x >>= {e}\n", "y <<= {e}\n", "z = {e}  # a -> b, c >> d\n",
              "lambda: {e}\n", "f'{{{e}}}'\n"]
    parsed = ordered = 0
    for _ in range(6000):
        expr = rng.choice(atoms)
        for _ in range(rng.randint(0, 3)):
            expr += rng.choice(ops) + rng.choice(atoms)
        src = rng.choice(shapes).format(e=expr)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # ``1is b``
                tree = ast.parse(src)
        except SyntaxError:
            continue
        parsed += 1
        if any(isinstance(n, ast.Compare) and any(isinstance(o, _ORDER_OPS) for o in n.ops) for n in ast.walk(tree)):
            ordered += 1
            assert _ORDERING.search(src), src
    assert parsed > 2000 and ordered > 500
    assert not _ORDERING.search("def f(x) -> int:\n    return x >> 2 << 1\n")


def test_verdicts_of_a_module_without_ordering_operator_need_no_parse(tmp_path: Path) -> None:
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", {
        "checks/model_checks.py": "class ModelChecks:\n    @property\n    def accurate(self) -> bool:\n        return self.accuracy >= 0.85\n",
        "checks/helpers.py": "def scale(x: int) -> int:\n    return x >> 1\n\ndef ok(m) -> bool:\n    return m.accuracy == 1\n",
        "notebooks/check.ipynb": '{"cells": [{"cell_type": "code", "source": ["def good(m):\\n", "    return m.f1 \\u003e 0.5\\n"]}],'
                                 ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    }))))
    assert ix.fact("checks/model_checks.py", PREDICATES) == ["accurate"]
    assert ix.fact("checks/helpers.py", PREDICATES) == []  # arrows and a shift, no ordering comparison
    assert ("checks/helpers.py", "python") not in ix.parse_counts
    assert ix.fact("notebooks/check.ipynb", PREDICATES) == ["good"]  # its code is not its JSON text as written: parsed
