"""Python 3.12 f-strings (PEP 701) under the 3.11 parser: an inner string quoted like its f-string is requoted, every
position kept; what 3.11 cannot express stays a parse error. End to end: a training script written for 3.12 is read."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlscan.cli import main
from mlscan.index.formats import notebook_code, parse_python
from mlscan.index.fstrings import older_fstrings

from tests.conftest import git_repo


@pytest.mark.parametrize(("src", "want"), [
    ('x = f"{d["k"]}"\n', "x = f\"{d['k']}\"\n"),
    ("y = f'{a['b']} and {c}'\n", "y = f'{a[\"b\"]} and {c}'\n"),
    ('p = f"saved to {os.path.join(d, "model.pkl")}"\n', "p = f\"saved to {os.path.join(d, 'model.pkl')}\"\n"),
    ('z = f"{x!r:>{w}} {y["a"]}"\n', "z = f\"{x!r:>{w}} {y['a']}\"\n"),
    ('n = f"{f"{x}"}"\n', "n = f\"{f'{x}'}\"\n"),
    ('r = rf"{d["k"]}\\d"\n', "r = rf\"{d['k']}\\d\"\n"),
])
def test_inner_string_takes_the_other_quote(src: str, want: str) -> None:
    got = older_fstrings(src)
    assert got == want and len(got) == len(src)
    assert ast.dump(parse_python(src, "m.py")) == ast.dump(ast.parse(want))


@pytest.mark.parametrize("src", [
    'ok = f"{x}" + "y"  # f"{d["k"]}"\n',  # only in a comment
    'w = f"""{d["k"]}\n{e}"""\n',  # 3.11 already reads a single quote inside a triple-quoted f-string
    "s = 'f\"{d[\"k\"]}\"'\n",  # inside a plain string
])
def test_nothing_to_requote(src: str) -> None:
    assert older_fstrings(src) == src


@pytest.mark.parametrize("src", [
    'bad = f"{d["it\'s"]}"\n',  # the inner string holds the other quote
    'esc = f"{d[\\"k\\"]}"\n',  # a backslash in a replacement field
    'f"{x\n}"\n',  # a replacement field over two lines of a one-line f-string
    'f"{x  # note\n}"\n',
    'u = f"{d["k"]\n',  # unterminated
])
def test_what_311_cannot_express_stays_unparsed(src: str) -> None:
    with pytest.raises(ValueError, match="syntax error"):
        parse_python(src, "m.py")


def test_positions_hold() -> None:
    tree = parse_python('import os\n\nname = f"{cfg["name"]}"\nprint(f"{name}")\n', "m.py")
    assert [type(s).__name__ for s in tree.body] == ["Import", "Assign", "Expr"]
    assert (tree.body[1].lineno, tree.body[2].lineno, tree.body[2].value.col_offset) == (3, 4, 0)


def test_notebook_cell_written_for_312_is_kept() -> None:
    nb = json.dumps({"cells": [{"cell_type": "code", "source": "import mlflow"},
                               {"cell_type": "code", "source": 'print(f"{run.info["id"]}")\nmlflow.log_metric("a", 1)'}]})
    code = notebook_code(nb, "n.ipynb")
    assert code.tree is not None and code.cell_of_line == (1, 2, 2)


TRAIN_312 = """import mlflow
from sklearn.linear_model import LogisticRegression

params = {"C": 1.0}
with mlflow.start_run():
    model = LogisticRegression(**params).fit(X, y)
    mlflow.log_params(params)
    mlflow.log_metric("accuracy", model.score(X, y))
    mlflow.sklearn.log_model(model, name="model")
    print(f"saved run with C={params["C"]}")
"""


def test_training_script_written_for_312_is_read(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "r", {"src/train.py": TRAIN_312, "requirements.txt": "mlflow\nscikit-learn\n"})
    res = CliRunner().invoke(main, ["scan", str(root), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    answers = {q["id"]: q["answer"] for q in report["questions"]}
    assert answers["E1"] == "yes"
    assert not [w for w in report["warnings"] if w.get("code") == "parse-error"]
