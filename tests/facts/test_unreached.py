"""facts.unreached: Python code nothing in the repository runs, imports or names."""

from __future__ import annotations

from pathlib import Path

from mlscan.facts.unreached import unreached
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

_MAIN = "import sys\n\n\ndef main():\n    print(sys.argv)\n\n\nif __name__ == '__main__':\n    main()\n"


def _index(root: Path, files: dict[str, str]) -> FileIndex:
    return FileIndex(resolve_target(str(git_repo(root, files))))  # type: ignore[arg-type]


def test_a_script_no_file_names_is_unreached_and_a_named_one_is_not(tmp_path: Path) -> None:
    ix = _index(tmp_path / "a", {"model/run.py": _MAIN, "model/other.py": _MAIN, "README.md": "Run `python model/other.py`.\n"})
    assert unreached(ix, "model/run.py")
    assert not unreached(ix, "model/other.py")


def test_a_script_run_by_ci_or_python_dash_m_or_a_notebook_import_is_reached(tmp_path: Path) -> None:
    ix = _index(tmp_path / "b", {
        "a/ci.py": _MAIN, "b/mod.py": _MAIN, "c/helper.py": "X = 1\n",
        ".github/workflows/t.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python a/ci.py\n",
        "Makefile": "run:\n\tpython -m b.mod\n",
        "serve/app.py": "from flask import Flask\napp = Flask(__name__)\n", "Procfile": "web: gunicorn serve.app:app\n",
        "explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["from c.helper import X"], "metadata": {}, "outputs": []}],'
                         ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    })
    assert not unreached(ix, "a/ci.py")
    assert not unreached(ix, "b/mod.py")
    assert not unreached(ix, "c/helper.py")
    assert not unreached(ix, "serve/app.py")  # a server's ``module:attribute``


def test_a_module_named_only_by_a_disabled_template_is_unreached(tmp_path: Path) -> None:
    handler = "def lambda_handler(event, context):\n    return event\n"
    off = _index(tmp_path / "off", {"fn/schedule.py": handler, "fn/template.yml.txt": "Handler: schedule.lambda_handler\n"})
    on = _index(tmp_path / "on", {"fn/schedule.py": handler, "fn/template.yml": "Handler: schedule.lambda_handler\n"})
    assert unreached(off, "fn/schedule.py")
    assert not unreached(on, "fn/schedule.py")


def test_a_plugin_folder_loaded_by_name_and_a_pipeline_definition_are_not_unreached(tmp_path: Path) -> None:
    ix = _index(tmp_path / "c", {
        "plugins/__init__.py": "from importlib import import_module\nfor n in ('a', 'b'):\n    import_module('plugins.' + n)\n",
        "plugins/a.py": "X = 1\n",
        "pipeline.py": "from kfp import dsl\n\n\n@dsl.pipeline(name='p')\ndef p():\n    pass\n",
        "helpers.py": "from sagemaker.workflow.airflow import training_config\n\nif __name__ == '__main__':\n    training_config()\n",
    })
    assert not unreached(ix, "plugins/a.py")
    assert not unreached(ix, "pipeline.py")  # a pipeline definition is compiled or submitted: the definition is the practice
    assert unreached(ix, "helpers.py")  # only an orchestrator's helper imported, nothing runs or names the script


def test_tests_and_non_python_files_are_never_unreached(tmp_path: Path) -> None:
    ix = _index(tmp_path / "d", {"tests/test_x.py": _MAIN, "conf.yaml": "a: 1\n"})
    assert not unreached(ix, "tests/test_x.py")
    assert not unreached(ix, "conf.yaml")


def test_the_name_search_asks_only_files_holding_every_word_and_answers_as_a_search_of_every_file(tmp_path: Path) -> None:
    from mlscan.facts import unreached as u

    files = {
        "src/pkg/train_model.py": _MAIN, "src/pkg/__init__.py": "", "src/café_run.py": _MAIN, "tools/my-job.py": _MAIN,
        "Makefile": "t:\n\tpython -m src.pkg.train_model\n\tpython tools/my-job.py\n",
        "docs/run.md": "Run `python src/café_run.py`, then `from src.pkg import train_model`.\n",
        "serve.Procfile": "web: gunicorn src.pkg.train_model:app\n", "notes.txt": "trainmodel pkg and src\n",
        "unrelated/a.py": "import os\n", "data.bin": "\0\1\2", "src/other.py": "from ..pkg import (train_model as t, x)\n",
    }
    ix = _index(tmp_path / "w", files)
    ix.register_vocabulary(u.vocabulary(ix))
    every = {x.path: u._file_names(ix, x) for x in u._searched(ix)}
    for vpath in ("src/pkg/train_model.py", "src/café_run.py", "tools/my-job.py", "unrelated/a.py", "src/pkg/__init__.py", "pkg/x.py"):
        parts = vpath[:-3].split("/")
        keys = [vpath.rsplit("/", 1)[-1]] + [".".join(parts[i:]) for i in range(len(parts))]
        for key in keys:
            assert u._naming(ix, key) == tuple(p for p in every if key in every[p])[:2], key
    ix = _index(tmp_path / "w2", files)
    ix.register_vocabulary(u.vocabulary(ix))
    assert u._naming(ix, "train_model") == ("docs/run.md", "serve.Procfile")
    assert ("unreached.names", "unrelated/a.py") not in ix._derived  # holds neither "train" nor "model": not searched
    assert not ix.late_needles
