"""Session 17 (issue #12, real repositories): checks that answer the same with less work. A late needle (a word that
joined the vocabulary after the file was split) that the file does not hold even as a substring is answered without
splitting the file again; a notebook split while it was parsed (an eager fact's predicate asked) is not split again by
the split that parsed it; YAML anchors and aliases are looked for from their mark; a plain YAML scalar's tag is
remembered by its text."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from mlscan import index as index_mod
from mlscan.index import FileIndex, yaml_load
from mlscan.index.yaml_data import may_alias
from mlscan.target import Target

from .conftest import write


def _plain(root: Path) -> Target:
    return Target(root.resolve(), "", False, None, None)


def _count_splits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = index_mod._words

    def counted(data: bytes) -> set[bytes]:
        calls[0] += 1
        return real(data)

    monkeypatch.setattr(index_mod, "_words", counted)
    return calls


def test_a_late_needle_absent_from_the_bytes_splits_nothing_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "r", {
        "train.py": "from store import S3ModelStore\nstore = S3ModelStore(bucket='b')\nimport mlflow\n",
        "other.py": "import mlflow\nx = workflow_id\n",
    })
    ix = FileIndex(_plain(root))
    ix.register_vocabulary([b"mlflow"])
    splits = _count_splits(monkeypatch)
    assert ix.mentions("train.py", (b"mlflow",)) and ix.mentions("other.py", (b"mlflow",))
    assert splits[0] == 2
    # late needles: a repository's own class and helper names
    assert not ix.mentions("other.py", (b"S3ModelStore",))  # not even a substring: answered from the bytes
    assert not ix.mentions("other.py", (b"log_metrics", b"ModelStore"))
    assert splits[0] == 2 and ix.late_needles >= {b"S3ModelStore"}
    assert ix.mentions("train.py", (b"S3ModelStore",))  # there: split again, as before
    assert splits[0] == 3
    # near misses: a substring that is no word of the file is split for, and still not mentioned
    assert not ix.mentions("other.py", (b"flow",))  # inside ``mlflow`` and ``workflow``
    assert splits[0] == 4
    assert ix.mentions("train.py", (b"Store",))  # capitalised: inside ``S3ModelStore``
    assert not ix.mentions("other.py", (b"work_id",))  # ``work`` and ``id`` are substrings, ``work`` no word


def test_late_needles_answer_as_if_registered_first(tmp_path: Path) -> None:
    rnd = random.Random(17)
    words = ["mlflow", "log", "metrics", "Store", "ModelStore", "S3", "flow", "train", "x1", "DataDrift", "drift", "id"]
    files = {f"f{i}.{('py', 'md', 'ts')[i % 3]}": " ".join(rnd.choice(words) + rnd.choice(["", "_", ".", "(", "ish", "X"])
                                                         for _ in range(rnd.randint(0, 12)))
             for i in range(60)}  # Markdown and TypeScript: never split before they are asked
    root = write(tmp_path / "r", files)
    needles = [tuple(("_".join(rnd.sample(words, rnd.randint(1, 2)))).encode() for _ in range(rnd.randint(1, 3))) for _ in range(60)]
    late = FileIndex(_plain(root))
    late.register_vocabulary([b"mlflow"])
    first = FileIndex(_plain(root))
    first.register_vocabulary([b"mlflow", *(n for ns in needles for n in ns)])
    for ns in needles:
        for path in files:
            assert late.mentions(path, ns) == first.mentions(path, ns), (path, ns)


def test_a_file_the_words_phase_does_not_split_is_split_only_when_a_needle_may_be_in_it(tmp_path: Path,
                                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "r", {
        "app.ts": "import * as cdk from 'aws-cdk-lib';\nnew cdk.App();\n",
        "ui.ts": "export const x = 1;\n",
        "near.ts": "// awsome cdkx\n",  # both words as substrings, neither as a word
        "b.py": "import x\n",
    })
    ix = FileIndex(_plain(root))
    ix.register_vocabulary([b"aws-cdk", b"x"])
    splits = _count_splits(monkeypatch)
    assert not ix.mentions("ui.ts", (b"aws-cdk",)) and splits[0] == 0  # neither word in its bytes: read, not split
    assert ix.stats.read == 1  # read as a split reads it
    assert not ix.mentions("near.ts", (b"aws-cdk",)) and splits[0] == 1  # may be: split, and no
    assert ix.mentions("app.ts", (b"aws-cdk",)) and splits[0] == 2
    assert ix.mentions("b.py", (b"x",)) and not ix.mentions("b.py", (b"aws-cdk",)) and splits[0] == 3  # a words-phase file: split
    assert ix.mentions("ui.ts", (b"x",)) and splits[0] == 4  # a word it holds


def test_a_notebook_split_while_parsed_is_split_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = {"cells": [{"cell_type": "code", "source": ["import mlflow\n", "mlflow.log_metric('x', 1)\n"], "metadata": {},
                     "outputs": [], "execution_count": 1}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = write(tmp_path / "r", {"a.ipynb": json.dumps(nb)})
    asked: list[bool] = []
    monkeypatch.setitem(index_mod.FACT_BUILDERS, "test.session17", lambda ix, path: None)
    monkeypatch.setitem(index_mod.EAGER_FACTS, "test.session17", lambda ix, path: asked.append(ix.may_mention(path, (b"mlflow",))) or True)
    ix = FileIndex(_plain(root))
    ix.register_vocabulary([b"mlflow", b"wandb"])
    splits = _count_splits(monkeypatch)
    assert ix.mentions("a.ipynb", (b"mlflow",)) and not ix.mentions("a.ipynb", (b"wandb",))
    assert asked == [True]  # the eager predicate split it while it was parsed
    assert splits[0] == 1  # main: 2
    # near miss: a word that joined the vocabulary while the notebook was parsed: split again, answers right
    ix2 = FileIndex(_plain(root))
    ix2.register_vocabulary([b"wandb"])
    monkeypatch.setitem(index_mod.EAGER_FACTS, "test.session17", lambda ix, path: ix.register_vocabulary([b"log_metric"]) or True)
    assert ix2.mentions("a.ipynb", (b"log_metric",)) and not ix2.mentions("a.ipynb", (b"wandb",))


_OLD_BEFORE = r"(?:^|[\s\x85\u2028\u2029\ufeff\[{,:])"
_OLD_ANCHOR = re.compile(_OLD_BEFORE + r"&[\w-]", re.M | re.A)
_OLD_ALIAS = re.compile(_OLD_BEFORE + r"\*[\w-]", re.M | re.A)


def _old_may_alias(text: str) -> bool:
    return "&" in text and "*" in text and _OLD_ANCHOR.search(text) is not None and _OLD_ALIAS.search(text) is not None


def test_may_alias_answers_as_the_pattern_that_started_with_its_alternation() -> None:
    rnd = random.Random(1717)
    alphabet = ["&", "*", "&", "*", " ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "\u00a0",
                "[", "{", ",", ":", "]", "a", "Z", "0", "_", "-", "é", ".", "\"", "'", "#"]
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        assert may_alias(text) == _old_may_alias(text), repr(text)
    for text in ("a: &x 1\nb: *x\n", "&a\n*b", "- [&a 1, *a]", "{\"k\":&a 1, \"j\":*a}", "\ufeff&a x\n*a"):
        assert may_alias(text), text
    for text in ("run: a && b *.py\n", "x: a&b\ny: a*b\n", "k: '&' \n v: \"*\"\n", "&\n*", "& a * b"):  # near misses
        assert not may_alias(text), text


class _PlainResolve(yaml_load._LineLoader):  # type: ignore[misc,valid-type]
    resolve = yaml_load._BaseLoader.resolve


def _docs(text: str, loader: type) -> list[object]:
    ld = loader(text)
    try:
        out = []
        while ld.check_node():
            out.append(ld.construct_document(ld.get_node()))
        return out
    finally:
        ld.dispose()


def test_plain_scalar_tags_are_the_resolvers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_load, "_PLAIN_TAGS", {})
    scalars = ["yes", "No", "on", "OFF", "true", "False", "~", "null", "Null", "", "1", "-1", "+1", "0x1F", "0o17", "1_000",
               "1.5", "-.5", ".inf", "-.Inf", ".nan", "1e3", "6.8523015e+5", "190:20:30", "2021-01-01", "2001-12-14t21:59:43.10-05:00",
               "=", "<<", "abc", "y", "n", "ok", "x" * 80, "1" * 80, "True ", "0b1010", "!x"]
    doc = "\n".join(f"k{i}: {s}" if s and not s.startswith("!") else f"k{i}: '{s}'" for i, s in enumerate(scalars))
    doc += "\nlist: [yes, '1', \"2\", 3, ~, 2021-01-01]\nblock: |\n  true\n"
    for _ in range(2):  # the second time from the remembered tags
        assert repr(_docs(doc, yaml_load._LineLoader)) == repr(_docs(doc, _PlainResolve))
    assert yaml_load._PLAIN_TAGS and all(len(t) <= yaml_load._PLAIN_TAG_MAX_CHARS for t in yaml_load._PLAIN_TAGS)


def test_pytest_folders_are_told_by_the_python_files_below_them(tmp_path: Path) -> None:
    from mlscan.facts.wiring import wiring
    from mlscan.target import resolve_target

    from .conftest import git_repo

    wf = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest tests/unit tes tests/int\n"
          "      - run: pytest src/pkg/test_a.py::test_x docs\n")
    repo = git_repo(tmp_path / "r", {".github/workflows/ci.yml": wf, "tests/unit/test_a.py": "def test_a():\n    pass\n",
                                     "tests/integration/test_b.py": "def test_b():\n    pass\n", "src/pkg/test_a.py": "def test_x():\n    pass\n",
                                     "docs/index.md": "# docs\n", "tests-old/test_c.py": "def test_c():\n    pass\n"})
    w = wiring(FileIndex(resolve_target(str(repo))))
    # a folder holding Python files and a file are collected; near misses: a prefix of a folder's name (``tes``, ``tests/int``),
    # a folder without Python files (``docs``)
    assert set(w.tests) == {"tests/unit", "src/pkg/test_a.py"}
    assert w.test_run("tests/unit/test_a.py") is not None and w.test_run("tests/integration/test_b.py") is None
    assert w.test_run("tests-old/test_c.py") is None
