"""lineage_facets._bound answers from one table per module: the same values, in the same order, as a walk per name."""

from __future__ import annotations

import ast

from mlscan.facts import lineage_facets
from mlscan.facts.pyast import walk

SOURCE = '''
import git
sha = git.Repo(".").head.commit.hexsha
a = b = sha
a: str = "literal"
x = 1
notes = [f"model {i} from {sha}" for i in range(3)]
def f():
    sha = "inner"
    return {"git_sha": sha}
'''


def _naive(tree: ast.Module, name: str) -> list[ast.AST]:
    return [a.value for a in walk(tree) if isinstance(a, (ast.Assign, ast.AnnAssign)) and a.value is not None
            and any(isinstance(t, ast.Name) and t.id == name for t in (a.targets if isinstance(a, ast.Assign) else [a.target]))]


def test_the_table_answers_like_a_walk_per_name() -> None:
    tree = ast.parse(SOURCE)
    for name in ("sha", "a", "b", "x", "notes", "missing"):
        assert lineage_facets._bound(tree, name) == _naive(tree, name), name
    assert [ast.unparse(v) for v in lineage_facets._bound(tree, "sha")] == ["git.Repo('.').head.commit.hexsha", "'inner'"]


def test_the_tables_are_bounded_and_per_tree() -> None:
    trees = [ast.parse(f"v = {i}") for i in range(10)]
    for t in trees:
        assert [ast.unparse(v) for v in lineage_facets._bound(t, "v")] == [ast.unparse(t.body[0].value)]  # type: ignore[attr-defined]
    assert len(lineage_facets._BOUND_TABLES) <= 4
    assert lineage_facets._BOUND_TABLES[0][0] is trees[-1]
