"""Session 13 (issue #12, the 100k regression): checks that answer the same with less work. dvc.data asks the readers of
a repository for the names of its .dvc outputs by a piece the names share (``.csv``), declared_libraries reads no file
whose imports can add no model library not yet found, the evidence pass maps a notebook's code lines to its JSON lines
with one search per line, and the DVC pipeline files are read once for every asker. Each with a near miss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlscan.detectors.dvc_data import DvcData, _pieces
from mlscan.engine import run_detectors
from mlscan.evidence import _notebook_lines
from mlscan.facts.commands import invoked
from mlscan.facts.declared_libraries import imported_model_libraries
from mlscan.facts.dvc_outputs import vocabulary
from mlscan.facts.dvc_stages import dvc_file, dvc_files
from mlscan.facts.ops import automated_commands
from mlscan.facts.wiring import wiring
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from .conftest import git_repo


def _dvc(name: str, md5: str = "d69789eba5bce5bec1544e7ba665ef36") -> str:
    return f"outs:\n- md5: {md5}\n  size: 10\n  path: {name}\n"


# ---------------------------------------------------------------- dvc.data: names looked for by a shared piece

def test_pieces_group_names_that_share_one() -> None:
    groups = _pieces({b"embedding.csv", b"rollout.csv", b"validate.csv", b"raw", b"processed"})
    assert groups[b".csv"] == (b"embedding.csv", b"rollout.csv", b"validate.csv")
    assert groups[b"raw"] == (b"raw",) and groups[b"processed"] == (b"processed",)
    assert sorted(n for members in groups.values() for n in members) == sorted(
        [b"embedding.csv", b"rollout.csv", b"validate.csv", b"raw", b"processed"])


def test_pieces_keep_a_name_that_shares_nothing_whole() -> None:
    # near miss: two names with no common piece of four bytes are each looked for as themselves, not by a fragment
    assert _pieces({b"data", b"models"}) == {b"data": (b"data",), b"models": (b"models",)}
    assert _pieces(set()) == {}


def _tracked(root: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    index = FileIndex(resolve_target(str(git_repo(root, files))))
    return {f.evidence[0].path: dict(f.attrs) for f in run_detectors(index, load_detectors({"dvc.data"}))
            if f.signal == "dvc.tracked_data"}


def test_outputs_sharing_a_piece_are_each_found_where_named(tmp_path: Path) -> None:
    found = _tracked(tmp_path, {
        "data/a.csv.dvc": _dvc("a.csv"), "data/b.csv.dvc": _dvc("b.csv"), "data/c.csv.dvc": _dvc("c.csv"),
        "src/train.py": "import pandas as pd\nb = pd.read_csv('data/b.csv')\n",
        "scripts/fetch.sh": "aws s3 cp s3://bucket/c.csv data/\n",
        "notebooks/look.ipynb": _notebook(["print(1)"]).replace('"metadata": {}', '"metadata": {"about": "a.csv"}', 1),
    })
    assert found["data/b.csv.dvc"].get("unused") is None and found["data/c.csv.dvc"].get("unused") is None
    assert found["data/a.csv.dvc"].get("unused") is None  # a notebook's JSON is searched as text


def test_outputs_sharing_a_piece_named_nowhere_stay_unused(tmp_path: Path) -> None:
    # near miss: the shared piece is in the code (``.csv``) and a name is inside a longer word (``xc.csv`` does not
    # name ``c.csv``), but no name is written: every output stays unused
    found = _tracked(tmp_path, {
        "data/a.csv.dvc": _dvc("a.csv"), "data/c.csv.dvc": _dvc("c.csv"),
        "src/train.py": "import pandas as pd\nx = pd.read_csv('data/other.csv')\n",
        "scripts/fetch.sh": "aws s3 cp s3://bucket/xc.csv data/\n",
    })
    assert found["data/a.csv.dvc"]["unused"] is True and found["data/c.csv.dvc"]["unused"] is True


def test_output_names_are_words_of_the_scan_vocabulary(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, {"data/a.csv.dvc": _dvc("a.csv"), "tests/fixtures/x.csv.dvc": _dvc("x.csv"),
                               "data/plain.dvc": "outs:\n- path: plain\n"})  # near misses: a test's data, no hash
    index = FileIndex(resolve_target(str(repo)))
    assert vocabulary(index) == [b"a.csv"]
    assert list(DvcData().vocabulary(index)) == [b"a.csv"]  # what the engine registers before the words are split
    assert all(not list(d.vocabulary(index)) for d in load_detectors() if d.id != "dvc.data")


# ---------------------------------------------------------------- declared_libraries: no read that can add nothing

def test_a_file_that_can_add_no_library_is_not_parsed(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, {"a.py": "import sklearn\n", "b.py": "from sklearn.linear_model import Ridge\n",
                               "c.py": "import torch\nimport sklearn\n"})
    index = FileIndex(resolve_target(str(repo)))
    assert imported_model_libraries(index) == {"sklearn", "torch"}
    assert ("b.py", "python") not in index.parse_counts  # it names sklearn only, found in a.py
    assert index.parse_counts.get(("c.py", "python")) == 1


def test_a_relative_import_of_a_library_folder_is_still_read(tmp_path: Path) -> None:
    # near miss: ``from . import nn`` in ``torch/x.py`` imports ``torch`` without the word: the file is read
    repo = git_repo(tmp_path, {"a.py": "import sklearn\n", "torch/x.py": "import sklearn\nfrom . import nn\n"})
    assert imported_model_libraries(FileIndex(resolve_target(str(repo)))) == {"sklearn", "torch"}


# ---------------------------------------------------------------- evidence: a notebook's code lines in its JSON

def _notebook(*cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                                 for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_notebook_lines_map_each_code_line_to_its_own_json_line(tmp_path: Path) -> None:
    text = _notebook(["import mlflow\n", "x = 1\n", "print(\"a\\tb\")"], ["x = 1\n", "mlflow.log_metric('x', x)"])
    repo = git_repo(tmp_path, {"nb.ipynb": text})
    code, where, cells = _notebook_lines(FileIndex(resolve_target(str(repo))), "nb.ipynb")
    raw = text.splitlines()
    assert code == ["import mlflow", "x = 1", 'print("a\\tb")', "x = 1", "mlflow.log_metric('x', x)"]
    assert all(json.dumps(c)[1:-1] in raw[w - 1] for c, w in zip(code, where))
    assert where == sorted(where) and len(set(where)) == 5
    assert where[1] < where[3]  # a line repeated in a later cell maps to its own place there
    assert cells == (1, 1, 1, 2, 2)


def test_notebook_line_absent_from_the_json_maps_to_nothing(tmp_path: Path) -> None:
    # near miss: a cell stored as one string (not a list of lines) holds its lines in one JSON line: only the first
    # code line of it is found on its own, the next ones are not and map to 0
    text = json.dumps({"cells": [{"cell_type": "code", "source": "import os\nimport sys", "metadata": {}, "outputs": [],
                                  "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    repo = git_repo(tmp_path, {"nb.ipynb": text})
    _, where, _ = _notebook_lines(FileIndex(resolve_target(str(repo))), "nb.ipynb")
    assert where[0] > 0 and where[1] == 0


# ---------------------------------------------------------------- DVC pipeline files read once

_DVC_YAML = "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - data/raw\n    outs:\n      - model.pkl\n"


def test_dvc_files_hold_every_document_with_stages(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, {"dvc.yaml": _DVC_YAML, "tests/fixtures/dvc.yaml": _DVC_YAML, "train.py": "print(1)\n"})
    index = FileIndex(resolve_target(str(repo)))
    files = dvc_files(index)
    assert [f.entry.path for f in files] == ["dvc.yaml", "tests/fixtures/dvc.yaml"]
    assert files[1].entry.test
    assert list(files[0].first) == ["train"] and files[0].documents[0][1] is files[0].first
    assert dvc_files(index) is files and dvc_file(index, files[0].entry) is files[0]  # read once for every asker


def test_dvc_file_without_stages_in_its_first_document(tmp_path: Path) -> None:
    # near miss: ``dvc repro <stage>`` reads the first document only: stages in a second one are no ``first``
    repo = git_repo(tmp_path, {"dvc.yaml": "vars:\n  - x: 1\n---\n" + _DVC_YAML})
    index = FileIndex(resolve_target(str(repo)))
    f = dvc_files(index)[0]
    assert f.first is None and len(f.documents) == 1 and list(f.documents[0][1]) == ["train"]


def test_dvc_stage_commands_still_reach_their_scripts(tmp_path: Path) -> None:
    repo = git_repo(tmp_path, {"dvc.yaml": _DVC_YAML, "train.py": "import sklearn\nprint('fit')\n"})
    index = FileIndex(resolve_target(str(repo)))
    assert [(c.text, c.root) for c in automated_commands(index)] == [("python train.py", "dvc stage dvc.yaml")]
    reach = wiring(index).of("train.py")
    assert reach is not None and reach.chain[0] == "dvc stage dvc.yaml:2"
    assert [(i.text, i.via) for i in invoked(index, "dvc repro train", ".github/workflows/ci.yml", 5, "")] == [
        ("python train.py", "dvc repro train")]
    assert invoked(index, "dvc repro evaluate", ".github/workflows/ci.yml", 5, "") == []  # near miss: no such stage
