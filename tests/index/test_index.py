"""FileIndex: what is listed, skipped, scoped and read, and how safely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlscan import index as index_mod
from mlscan.index import FileIndex, _Matcher
from mlscan.index.formats import LineDict, LineList
from mlscan.target import Target, resolve_target

from tests.conftest import git_repo, write


def plain(root: Path) -> Target:
    return Target(root.resolve(), "", False, None, None)


def paths(ix: FileIndex, include_root: bool = True) -> set[str]:
    return {e.path for e in ix.select(("**",), include_root=include_root)}


# ---------------------------------------------------------------- skipping


def test_vendored_junk_and_template_files_are_skipped(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            "src/train.py": "import mlflow\n",
            "node_modules/pkg/index.py": "import mlflow\n",
            "third_party/lib/mlflow_copy.py": "import mlflow\n",
            "mypkg/_vendor/six.py": "import mlflow\n",
            ".venv/lib/site.py": "x = 1\n",
            "mypkg.egg-info/PKG-INFO": "Name: mypkg\n",
            "src/__pycache__/train.cpython-311.pyc": b"\0\0",
            "notebooks/.ipynb_checkpoints/a-checkpoint.ipynb": "{}",
            "mlruns/0/meta.yaml": "name: x\n",
            "conf/app.yaml.j2": "name: {{ name }}\n",
            "{{cookiecutter.slug}}/x.py": "x = 1\n",
        },
    )
    ix = FileIndex(resolve_target(str(repo)))
    assert paths(ix) == {"src/train.py"}
    skipped = ix.skipped_summary()
    assert skipped["vendored"]["count"] == 5
    assert set(skipped["run-output-or-junk"]["examples"]) == {
        "src/__pycache__/train.cpython-311.pyc",
        "notebooks/.ipynb_checkpoints/a-checkpoint.ipynb",
        "mlruns/0/meta.yaml",
    }
    assert set(skipped["template"]["examples"]) == {"conf/app.yaml.j2", "{{cookiecutter.slug}}/x.py"}
    assert not ix.is_template_repo


def test_upstream_copy_with_license_is_vendored(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"deploy/upstream/manifests/m{i}.yaml": "kind: X\n" for i in range(45)}
    files["deploy/upstream/LICENSE"] = "Apache\n"
    files["train.py"] = "x = 1\n"
    ix = FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))
    assert paths(ix) == {"train.py"}
    assert ix.skipped_summary()["vendored"]["count"] == 46


def test_template_repository_maps_generated_paths(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            "cookiecutter.json": '{"slug": "demo"}',
            "hooks/post_gen_project.py": "print('x')\n",
            "{{cookiecutter.slug}}/src/train.py": "import mlflow\n",
            "{{cookiecutter.slug}}/.github/workflows/ci.yml.tmpl": "on: push\n",
        },
    )
    ix = FileIndex(resolve_target(str(repo)))
    assert ix.is_template_repo
    by_vpath = {e.vpath: e.path for e in ix.select(("**",))}
    assert by_vpath == {
        "src/train.py": "{{cookiecutter.slug}}/src/train.py",
        ".github/workflows/ci.yml": "{{cookiecutter.slug}}/.github/workflows/ci.yml.tmpl",
    }
    assert "hooks/post_gen_project.py" in ix.skipped_summary()["template-source"]["examples"]


def test_chart_dir_is_the_chart_whose_templates_hold_a_path(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            "cookiecutter.json": '{"slug": "demo"}',
            "{{cookiecutter.slug}}/deploy/chart/Chart.yaml": "name: svc\n",
            "{{cookiecutter.slug}}/deploy/chart/templates/deploy.yaml": "kind: Deployment\n",
            "{{cookiecutter.slug}}/deploy/chart/values.yaml": "replicas: 2\n",
            "{{cookiecutter.slug}}/k8s/templates/job.yaml": "kind: Job\n",  # no Chart.yaml: not a chart
        },
    )
    ix = FileIndex(resolve_target(str(repo)))
    real = "{{cookiecutter.slug}}/deploy/chart"
    assert ix.chart_dir(f"{real}/templates/deploy.yaml") == real
    assert ix.chart_dir("deploy/chart/templates/deploy.yaml", virtual=True) == "deploy/chart"
    assert ix.chart_dir("deploy/chart/templates/deploy.yaml") is None  # a vpath is not a real path
    assert ix.chart_dir(f"{real}/values.yaml") is None
    assert ix.chart_dir("k8s/templates/job.yaml", virtual=True) is None
    root = FileIndex(resolve_target(str(git_repo(tmp_path / "root", {"Chart.yaml": "name: x\n", "templates/a.yaml": "kind: Pod\n"}))))
    assert root.chart_dir("templates/a.yaml") == "" and root.chart_dir("templates/a.yaml", virtual=True) == ""


# ---------------------------------------------------------------- subdirectory scope


def test_subdir_scope_keeps_root_applicable_files_only(tmp_path: Path) -> None:
    repo = git_repo(
        tmp_path / "r",
        {
            "README.md": "# monorepo\n",
            "Makefile": "all:\n\techo\n",
            ".github/workflows/ci.yml": "on: push\n",
            ".github/CODEOWNERS": "* @team\n",
            ".dvc/config": "[core]\n",
            "OWNERS": "approvers: [a]\n",
            "course/04-deploy/code/train.py": "x = 1\n",
            "course/04-deploy/code/tests/test_train.py": "def test(): pass\n",
            "course/05-monitor/code/monitor.py": "x = 1\n",
            "course/04-deploy/README.md": "# not in the project\n",
        },
    )
    ix = FileIndex(resolve_target(str(repo / "course" / "04-deploy" / "code")))
    assert ix.target.subdir == "course/04-deploy/code"
    scopes = {e.path: e.scope for e in ix.select(("**",))}
    assert scopes == {
        "course/04-deploy/code/train.py": "project",
        "course/04-deploy/code/tests/test_train.py": "project",
        ".github/workflows/ci.yml": "root",
        ".github/CODEOWNERS": "root",
        ".dvc/config": "root",
        "OWNERS": "root",
    }
    assert paths(ix, include_root=False) == {"course/04-deploy/code/train.py", "course/04-deploy/code/tests/test_train.py"}


def test_subdir_inside_a_vendor_looking_tree_is_still_the_project(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"examples/demo/f{i}.py": "x = 1\n" for i in range(45)}
    files["examples/demo/LICENSE"] = "MIT\n"
    repo = git_repo(tmp_path / "r", files)
    ix = FileIndex(resolve_target(str(repo / "examples" / "demo")))
    assert len(paths(ix)) == 46


# ---------------------------------------------------------------- listing outside git


def test_walk_outside_git_honours_gitignore(tmp_path: Path) -> None:
    root = write(
        tmp_path / "plain",
        {
            ".gitignore": "# build output\n*.log\nbuild/\n/secret.txt\n",
            "keep.py": "x = 1\n",
            "run.log": "log\n",
            "build/lib/x.py": "x = 1\n",
            "secret.txt": "s\n",
            "sub/.gitignore": "local.cfg\n",
            "sub/local.cfg": "a=1\n",
            "sub/other.cfg": "a=1\n",
            "sub/deep/local.cfg": "a=1\n",
            "other/local.cfg": "a=1\n",
        },
    )
    ix = FileIndex(plain(root))
    assert ix.all_paths == {".gitignore", "keep.py", "sub/.gitignore", "sub/other.cfg", "other/local.cfg"}


def test_walk_never_enters_symlinked_directories(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.py": "TOKEN = 'x'\n"})
    root = write(tmp_path / "plain", {"keep.py": "x = 1\n"})
    (root / "linked").symlink_to(outside, target_is_directory=True)
    ix = FileIndex(plain(root))
    assert not any(p.startswith("linked/") for p in ix.all_paths)


# ---------------------------------------------------------------- reading


def test_size_cap_warns_once_and_is_not_read(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"big.json": "[" + "1," * 200 + "1]", "small.json": "[1]"})
    ix = FileIndex(plain(root), max_bytes=100)
    assert ix.json("small.json") == [1]
    assert ix.json("big.json") is None
    assert ix.json("big.json") is None
    assert not ix.contains("big.json", (b"1",))
    assert [w.code for w in ix.warnings] == ["too-large"]
    assert ix.skipped_summary()["too-large"] == {"count": 1, "examples": ["big.json"]}


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.yaml": "token: TOPSECRET\n"})
    repo = git_repo(tmp_path / "r", {"ok.yaml": "a: 1\n"})
    (repo / "link.yaml").symlink_to(outside / "secret.yaml")
    (repo / "dangling.yaml").symlink_to(repo / "nope.yaml")
    ix = FileIndex(resolve_target(str(repo)))
    assert {e.path for e in ix.select(("**/*.yaml",))} == {"ok.yaml"}
    assert ix.raw("link.yaml") is None and ix.text("link.yaml") is None
    assert ix.yaml("link.yaml") == []
    assert not ix.contains("link.yaml", (b"TOPSECRET",))
    assert set(ix.skipped_summary()["symlink"]["examples"]) == {"link.yaml", "dangling.yaml"}


def test_binary_and_non_utf8_text(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"model.pkl": b"\x80\x04\x95\0\0mlflow", "notes.py": "x = 'caf\xe9'\n".encode("latin-1")})
    ix = FileIndex(plain(root))
    assert ix.text("model.pkl") is None
    assert ix.contains("model.pkl", (b"mlflow",))  # a byte check still sees it
    assert ix.python("model.pkl") is None
    assert ix.text("notes.py") == "x = 'caf\ufffd'\n"
    assert ix.python("notes.py") is not None
    assert [w.code for w in ix.warnings] == ["not-utf8"]
    assert "model.pkl" in ix.skipped_summary()["binary"]["examples"]


def test_parse_errors_warn_once(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"bad.yaml": "a: [1, 2\n", "bad.py": "def f(:\n", "bad.toml": "a = \n", "bad.json": "{"})
    ix = FileIndex(plain(root))
    for _ in range(2):
        assert ix.yaml("bad.yaml") == []
        assert ix.python("bad.py") is None
        assert ix.toml("bad.toml") is None
        assert ix.json("bad.json") is None
    assert sorted(w.path for w in ix.warnings if w.code == "parse-error") == ["bad.json", "bad.py", "bad.toml", "bad.yaml"]


def test_contains_remembers_answers(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {f"f{i}.py": f"import mlflow  # {i}\n" for i in range(5)})
    ix = FileIndex(plain(root))
    calls = []
    real_raw = ix.raw

    def counting_raw(path: str, limit: int | None = None) -> bytes | None:
        calls.append(path)
        return real_raw(path, limit)

    ix.raw = counting_raw  # type: ignore[method-assign]
    for _ in range(3):
        assert all(ix.contains(f"f{i}.py", (b"wandb", b"mlflow")) for i in range(5))
        assert not any(ix.contains(f"f{i}.py", (b"wandb",)) for i in range(5))
    assert len(calls) == 5  # each file read once, whatever is asked again
    assert ix.python("f0.py") is not None and len(calls) == 5  # contains' bytes are kept for the parse (HAY_KEPT_BYTES)


def test_contains_keeps_the_first_bytes_within_its_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """contains() keeps the bytes it read (files of at most HAY_KEPT_FILE_BYTES, the first ones up to HAY_KEPT_BYTES):
    a second detector asking other needles of the same files reads nothing; a file over the per-file size, and those
    past the room, are read again; answers are the same either way."""
    import mlscan.index as index_mod

    files = {f"c{i}.yaml": f"image: x{i}\ncommand: run\n" for i in range(6)}
    files["big.yaml"] = "image: y\n" + "# pad\n" * 10  # over the per-file size
    monkeypatch.setattr(index_mod, "HAY_KEPT_BYTES", 3 * len(files["c0.yaml"]))  # room for 3 files
    monkeypatch.setattr(index_mod, "HAY_KEPT_FILE_BYTES", 40)
    root = write(tmp_path / "plain", files)
    ix = FileIndex(plain(root))
    calls: list[str] = []
    real_raw = ix.raw

    def counting_raw(path: str, limit: int | None = None) -> bytes | None:
        calls.append(path)
        return real_raw(path, limit)

    ix.raw = counting_raw  # type: ignore[method-assign]
    names = sorted(files)
    assert [ix.contains(p, (b"image",)) for p in names] == [True] * 7
    assert len(calls) == 7
    assert [ix.contains(p, (b"command",)) for p in names] == [False, True, True, True, True, True, True]
    assert sorted(set(calls[7:])) == ["big.yaml", "c3.yaml", "c4.yaml", "c5.yaml"]  # c0-c2 kept, big too large, c3+ past the room
    assert ix.text("c1.yaml") == files["c1.yaml"] and calls.count("c1.yaml") == 1


def test_contains_keeps_no_bytes_in_a_very_large_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlscan.index as index_mod

    monkeypatch.setattr(index_mod, "YAML_KEPT_MAX_FILES", 3)
    root = write(tmp_path / "plain", {f"c{i}.yaml": "image: x\n" for i in range(5)})
    ix = FileIndex(plain(root))
    calls: list[str] = []
    real_raw = ix.raw
    ix.raw = lambda path, limit=None: calls.append(path) or real_raw(path, limit)  # type: ignore[method-assign]
    for needles in ((b"image",), (b"command",)):
        assert [ix.contains(f"c{i}.yaml", needles) for i in range(5)] == [needles == (b"image",)] * 5
    assert len(calls) == 10


def test_contains_with_many_distinct_needles(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"conf.yaml": "script: src/train_model.py\n"})
    ix = FileIndex(plain(root))
    for i in range(index_mod.MAX_MEMO_NEEDLES + 50):
        assert not ix.contains("conf.yaml", (f"stem_{i}".encode(),))
    assert ix.contains("conf.yaml", (b"train_model",))
    assert len(ix._needle_bits) <= index_mod.MAX_MEMO_NEEDLES


def test_mentions_matches_words_not_substrings(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {
        "train.py": "import mlflow\nfrom evidently.metric_preset import DataDriftPreset\nlogger = TensorBoardLogger('x')\ndata_drift = 1\n",
        "notes.py": "# retrained on drifted data\nx = 'mlflowish'\n",
        "nb.ipynb": json.dumps({"cells": [
            {"cell_type": "markdown", "source": ["wandb is great"]},
            {"cell_type": "code", "source": ["import pandas as pd\n"], "outputs": [{"text": ["wandb mlflow"]}]},
        ]}),
    })
    ix = FileIndex(plain(root))
    ix.register_vocabulary([b"mlflow.log_metric", b"mlflow", b"drift", b"Drift", b"Logger", b"wandb", b"evidently"])
    assert ix.mentions("train.py", (b"mlflow",)) and ix.mentions("train.py", (b"evidently",))
    assert ix.mentions("train.py", (b"drift",))  # data_drift: words split at underscores
    assert ix.mentions("train.py", (b"Drift",)) and ix.mentions("train.py", (b"Logger",))  # capitalised: inside CamelCase
    assert not ix.mentions("train.py", (b"mlflow.log_metric",))  # every word of the needle must occur
    assert not ix.mentions("notes.py", (b"mlflow", b"drift", b"Drift"))  # mlflowish, drifted: other words
    assert not ix.mentions("nb.ipynb", (b"wandb", b"mlflow"))  # notebooks: code cells only, not markdown or outputs
    assert ix.python_files((b"evidently",)) and [e.path for e, _ in ix.python_files((b"evidently",))] == ["train.py"]
    assert not ix.late_needles


def test_capitalised_words_are_found_inside_camel_case_words_wherever_they_start(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {
        "a.py": "out = S3OutputPathConfig()\nx = XGBRegressor\n",
        "b.py": "out = s3_output_path\nx = xgb\nLog = 1\n",
    })
    ix = FileIndex(plain(root))
    ix.register_vocabulary([b"S3OutputPath", b"OutputPath", b"X", b"GBRegressor", b"Logger"])
    for needle in (b"S3OutputPath", b"OutputPath", b"X", b"GBRegressor"):  # a digit second, mid-word, one letter
        assert ix.mentions("a.py", (needle,)), needle
        assert not ix.mentions("b.py", (needle,)), needle
    assert not ix.mentions("b.py", (b"Logger",))  # ``Log``: only the start of it


def test_mentions_reads_each_file_once_for_the_whole_vocabulary(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {f"f{i}.py": f"import mlflow  # {i}\n" for i in range(5)})
    ix = FileIndex(plain(root))
    ix.register_vocabulary([b"mlflow", b"wandb", b"neptune"])
    calls: list[str] = []
    real_raw = ix.raw
    ix.raw = lambda path, limit=None: calls.append(path) or real_raw(path, limit)  # type: ignore[method-assign]
    for needles in ((b"mlflow",), (b"wandb",), (b"neptune", b"wandb")):
        [ix.mentions(f"f{i}.py", needles) for i in range(5)]
    assert len(calls) == 5
    assert ix.mentions("f0.py", (b"comet_ml",)) is False and ix.late_needles == {b"comet_ml"}  # late: split again
    assert len(calls) == 5  # from the bytes contains() and mentions() keep (HAY_KEPT_BYTES)


def test_may_mention_answers_by_the_vocabulary_as_it_grows(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"a.py": "import mlflow\n", "b.py": "import comet_ml\n"})
    ix = FileIndex(plain(root))
    ix.register_vocabulary([b"mlflow"])
    assert ix.may_mention("a.py", (b"mlflow",)) and not ix.may_mention("b.py", (b"mlflow",))
    assert ix.may_mention("a.py", (b"comet_ml",))  # a word outside the vocabulary: unsure, so yes (no late needle)
    assert not ix.late_needles
    ix.register_vocabulary([b"comet_ml"])  # now in it: asked by words
    assert not ix.may_mention("a.py", (b"comet_ml",)) and ix.may_mention("b.py", (b"comet_ml",))
    assert not ix.may_mention("b.py", (b"mlflow",))  # a needle known to be in the vocabulary is still answered per file


def test_parse_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 2000)
    root = write(tmp_path / "plain", {f"m{i}.py": f"def f{i}():\n    return {i}\n" * 20 for i in range(30)})
    ix = FileIndex(plain(root))
    for _ in range(2):
        for i in range(30):
            tree = ix.python(f"m{i}.py")
            assert tree is not None and tree.body[0].name == f"f{i}"
    assert ix._parsed.weight <= 2000
    assert ix.stats.parsed == 30  # distinct files parsed, not parses


def test_first_trees_are_kept_for_passes_over_more_files_than_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passes that walk every Python file in turn, over more source than the parse cache holds, find the first trees
    parsed (up to the cache's size) still parsed: an LRU alone would have evicted each before the next pass came."""
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 2000)
    root = write(tmp_path / "plain", {f"m{i:02}.py": f"def f{i}():\n    return {i}\n" * 20 for i in range(10)})  # 460 chars each
    ix = FileIndex(plain(root))
    for _ in range(3):
        for i in range(10):
            assert ix.python(f"m{i:02}.py").body[0].name == f"f{i}"  # type: ignore[union-attr]
    counts = [ix.parse_counts[(f"m{i:02}.py", "python")] for i in range(10)]
    assert counts[:4] == [1] * 4 and counts[4:] == [3] * 6  # four kept (1,840 chars); the LRU (four) thrashes on six
    assert ix._parsed.weight <= 2000
    ix.share_caches(2)  # a parallel scan keeps none: its workers parse their own files
    ix.python("m00.py")
    assert ix.parse_counts[("m00.py", "python")] == 2
    ix.share_caches(1)
    for _ in range(2):
        for i in range(10):
            ix.python(f"m{i:02}.py")
    assert ix.parse_counts[("m00.py", "python")] == 4  # none kept after the workers either: each pass parses again


# ---------------------------------------------------------------- formats through the index


def test_yaml_line_numbers(tmp_path: Path) -> None:
    root = write(
        tmp_path / "plain",
        {
            "pipe.yaml": "# comment\nstages:\n  train:\n    cmd: python train.py\n    deps:\n      - data.csv\n      - train.py\n---\nkind: Second\n",
        },
    )
    ix = FileIndex(plain(root))
    first, second = ix.yaml("pipe.yaml")
    assert isinstance(first, LineDict)
    assert first.line_of("stages") == 2
    train = first["stages"]["train"]
    assert train.line == 4 and train.line_of("cmd") == 4 and train.line_of("deps") == 5
    deps = train["deps"]
    assert isinstance(deps, LineList) and deps.line_of(0) == 6 and deps.line_of(1) == 7
    assert second.line_of("kind") == 9
    assert ix.snippet("pipe.yaml", 4) == "    cmd: python train.py"


def test_yaml_unsafe_tags_become_plain_data(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"x.yaml": "a: !!python/object/apply:os.system ['echo pwned']\nb: !Ref Bucket\n"})
    ix = FileIndex(plain(root))
    (doc,) = ix.yaml("x.yaml")
    assert doc["a"] == ["echo pwned"] and doc["b"] == "Bucket"


def test_notebook_magics_become_blank_lines(tmp_path: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title\n"]},
            {"cell_type": "code", "source": ["%pip install mlflow\n", "!ls data\n", "import mlflow\n"], "outputs": []},
            {"cell_type": "code", "source": "%%time\nmlflow.log_metric('acc', 0.9)\n", "outputs": []},
            {"cell_type": "code", "source": ["def broken(:\n"], "outputs": []},
            {"cell_type": "code", "source": ["x = 1\n"], "outputs": []},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    root = write(tmp_path / "plain", {"nb.ipynb": json.dumps(nb)})
    ix = FileIndex(plain(root))
    code = ix.notebook("nb.ipynb")
    assert code is not None and code.tree is not None
    lines = code.source.splitlines()
    assert lines[0] == "" and lines[1] == "" and lines[2] == "import mlflow"
    assert "broken" not in code.source  # a cell that cannot parse is left out
    imported = [n for n in code.tree.body if n.__class__.__name__ == "Import"]
    assert imported and imported[0].lineno == 3 and code.cell(3) == 2
    assert ix.python("nb.ipynb") is code.tree


# ---------------------------------------------------------------- selection


@pytest.mark.parametrize(
    "patterns",
    [
        ("**/*.py",),
        ("**/Dockerfile",),
        ("src/train.py",),
        ("train.py",),
        ("**/train.py", "**/Dockerfile"),
        ("src/*.py",),
        (".github/workflows/*.yml", ".github/workflows/*.yaml"),
        ("**/*.yaml", "**/*.yml", "**/Dockerfile"),
        ("**/requirements*.txt",),
        ("**/*.tar.gz",),
        ("**/Dockerfile", "**/Dockerfile.*", "**/*buildspec*.yml", "**/buildspecs/*.yml"),
        ("**/.devcontainer/*/devcontainer.json", "ci/**/*.yml"),
        ("nope.py",),
        ("**/*buildspec*.yaml", "**/Makefile*", "**/[Dd]ockerfile*"),  # literal text absent from every name, a class
        ("**/pkg/util.py", "**/src/pkg/util.py", "**/kg/util.py", "**/src/train.py/__init__.py"),  # a module at any depth
        ("**/workflows/ci.yml", "**/buildspecs/odd\nname.yml", "**/.devcontainer/gpu/devcontainer.json"),
    ],
)
def test_select_fast_paths_match_the_glob_matcher(tmp_path: Path, patterns: tuple[str, ...]) -> None:
    root = write(
        tmp_path / "plain",
        {
            "src/train.py": "",
            "src/pkg/util.py": "",
            "train.py": "",
            "Dockerfile": "",
            "svc/Dockerfile": "",
            "svc/Dockerfile.gpu": "",
            ".github/workflows/ci.yml": "",
            ".github/workflows/cd.yaml": "",
            "k8s/dep.yaml": "",
            "requirements-dev.txt": "",
            "data/a.tar.gz": "",
            "ci/buildspecs/train.yml": "",
            "ci/deep/x/prod-buildspec.yml": "",
            ".devcontainer/gpu/devcontainer.json": "",
            ".py": "",
            # names holding a newline are set aside from the newline-joined name table, not a reason to scan every entry
            "ci/buildspecs/odd\nname.yml": "",
            "requirements\n-odd.txt": "",
            "svc/Dockerfile\n.gpu": "",
        },
    )
    ix = FileIndex(plain(root))
    m = _Matcher(patterns)
    expected = [e for e in ix.entries if m(e.vpath, e.name)]
    assert ix.select(patterns) == expected
    assert ix.select(patterns) is ix.select(patterns)  # cached
    assert any("\n" in e.name for e in ix.entries)
    assert ix._fast_positions(patterns) is not None or any("**" in p.rsplit("/", 1)[-1] for p in patterns)


def test_file_memo_is_bounded_and_rebuilt_after_eviction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 1000)
    root = write(tmp_path / "plain", {f"m{i}.py": f"x = {i}\n" * 50 for i in range(10)})
    ix = FileIndex(plain(root))
    builds: list[str] = []

    def derive(path: str) -> str:
        builds.append(path)
        return (ix.text(path) or "")[:5]

    assert ix.file_memo("head", "m0.py", lambda: derive("m0.py")) == "x = 0"
    assert ix.file_memo("head", "m0.py", lambda: derive("m0.py")) == "x = 0"
    assert builds == ["m0.py"]
    for i in range(10):
        ix.file_memo("head", f"m{i}.py", lambda i=i: derive(f"m{i}.py"))
    assert ix.file_memo("head", "m0.py", lambda: derive("m0.py")) == "x = 0"
    assert builds.count("m0.py") == 2  # evicted by the others, built again
    assert ix._parsed.weight <= 1000


def test_one_value_larger_than_the_cache_is_kept_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "PARSE_CACHE_CHARS", 100)
    monkeypatch.setattr(index_mod, "TEXT_CACHE_CHARS", 100)
    root = write(tmp_path / "plain", {"big.md": "line\n" * 1000, "small.md": "x\n"})
    ix = FileIndex(plain(root))
    first = ix.lines("big.md")
    assert len(first) == 1000 and ix.lines("big.md") is first  # not split again for every snippet
    assert ix.text("big.md") is ix.text("big.md")
    assert ix.snippet("big.md", 10) == "line"
    ix.lines("small.md")
    assert ix.lines("big.md") is first


def test_test_files_are_decided_within_the_scanned_subdirectory(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "mono", {
        "fixtures/proj/src/train.py": "print('train')\n",
        "fixtures/proj/tests/test_train.py": "def test_x():\n    pass\n",
        "fixtures/proj/conftest.py": "\n",
        ".github/workflows/ci.yml": "on: push\n",
    })
    ix = FileIndex(resolve_target(str(root / "fixtures" / "proj")))
    tests = {e.path: e.test for e in ix.entries}
    assert tests["fixtures/proj/src/train.py"] is False  # the project lives under fixtures/: its code is not test data
    assert tests["fixtures/proj/tests/test_train.py"] is True and tests["fixtures/proj/conftest.py"] is True
    whole = FileIndex(resolve_target(str(root)))
    assert {e.path: e.test for e in whole.entries}["fixtures/proj/src/train.py"] is True  # seen from the root: test data


def test_helm_chart_templates_are_rendered_before_parsing(tmp_path: Path) -> None:
    """A chart's templates are Go templates: rendered roughly (placeholders) before the YAML parser sees them;
    one that still is not YAML is a template the scan could not render, not a broken file of the repository."""
    root = write(
        tmp_path / "plain",
        {
            "deploy/chart/Chart.yaml": "apiVersion: v2\nname: churn\n",
            "deploy/chart/templates/deployment.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
                "spec:\n  replicas: {{ .Values.replicas }}\n"
            ),
            "deploy/chart/templates/service.yaml": "{{- include \"svc\" . | nindent 2 }}\n  - a\nb: [\n",
            "other/templates/broken.yaml": "a: [\n",
        },
    )
    ix = FileIndex(plain(root))
    (doc,) = ix.yaml("deploy/chart/templates/deployment.yaml")
    assert doc["kind"] == "Deployment" and doc["metadata"].line_of("name") == 4
    assert ix.yaml("deploy/chart/templates/service.yaml") == []
    assert ix.yaml("other/templates/broken.yaml") == []  # no Chart.yaml: an ordinary broken file
    codes = {(w.code, w.path) for w in ix.warnings}
    assert ("template-unrendered", "deploy/chart/templates/service.yaml") in codes
    assert ("parse-error", "other/templates/broken.yaml") in codes
    assert ix.stats.skipped["helm-template"] == ["deploy/chart/templates/service.yaml"]


def _constructed(text: str) -> list[object]:
    """The documents as PyYAML's constructor (through yaml_load._LineLoader's constructors) builds them."""
    from mlscan.index import yaml_load

    loader = yaml_load._LineLoader(text)
    try:
        out = []
        while loader.check_node():
            doc = loader.construct_document(loader.get_node())
            if doc is not None:
                out.append(doc)
        return out
    finally:
        loader.dispose()


def _same(a: object, b: object) -> bool:
    """Equal values of the same types, with the same key order and line numbers."""
    from mlscan.index import formats

    if type(a) is not type(b):
        return False
    if isinstance(a, formats.LineDict):
        assert isinstance(b, formats.LineDict)
        return (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, formats.LineList):
        assert isinstance(b, formats.LineList)
        return (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or a != a and b != b  # NaN


def test_yaml_direct_conversion_equals_the_line_aware_constructor() -> None:
    """Documents without aliases are built by yaml_load._Converter, not PyYAML's constructor: same values, types,
    key order and line numbers (merge keys, tags, scalars of every resolver type, unhashable keys, nesting)."""
    from mlscan.index import formats

    text = (
        "base: &b {x: 1}\n"  # an anchor without alias: converted directly
        "merged:\n  <<: {y: 2, z: [1, 2]}\n  w: 3\n"
        "scalars: [1, 0x1f, 1.5, .nan, -.inf, true, no, null, ~, '01', 2024-01-01, 2024-01-01T10:00:00Z, !!str 7, !!binary aGk=]\n"
        "? [a, b]\n: unhashable key\n"
        "tagged: !Ref Something\n"
        "custom: !!python/object:os.system {cmd: ls}\n"
        "nested:\n  - {a: {b: [{c: d}]}}\n  - - deep\n"
        "---\n"
        "second: doc\n"
        "---\n"
    )
    assert "*" not in text  # no alias: the direct path is the one under test
    got, want = formats.load_yaml_all(text), _constructed(text)
    assert len(got) == len(want) == 2 and all(_same(g, w) for g, w in zip(got, want))
    assert got[0].line_of("merged") == 2 and got[0]["merged"]["y"] == 2


def test_yaml_ampersands_and_stars_that_are_no_alias_take_the_direct_path() -> None:
    """``&&`` and ``*.py`` in commands, ``*\\n`` and ``\\"`` in quoted scalars are no anchor or alias: such a document is
    built by the direct converter (PyYAML's constructor and the alias check cost kubeflow/pipelines' 198 compiled
    specs 0.5 s) into what the constructor builds. Near miss: an alias in flow context after ``[``, ``,`` or a JSON-like
    key's ``:``, with no space before it, is one, and the alias check still rejects a bomb written that way."""
    from mlscan.index import formats

    text = ('steps:\n  - run: make lint && pytest -q tests/*.py\n  - run: "echo \\"a\\" && cat *\\nls"\n'
            "    with: {glob: 'src/**/*.py', cond: a&b}\n  - cmd: [sh, -c, 'x &&y *z']\n")
    assert not formats.may_alias(text)
    got, want = formats.load_yaml_all(text), _constructed(text)
    assert len(got) == len(want) == 1 and _same(got[0], want[0])
    for aliased in ("a: &x 1\nb: *x\n", "a: [&x 1,*x]\n", '{"a":&x 1,"b":*x}\n', "- &x 1\n-\t*x\n", "? &x k\n: *x\n",
                    "a: &x 1\u2028b: *x\n", "&x a: *x\n"):
        assert formats.may_alias(aliased), aliased
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, n in zip("abcdef", "bcdefg"))
    with pytest.raises(ValueError, match="alias bomb"):
        formats.load_yaml_all(bomb)


def test_yaml_alias_marks_cover_every_alias_pyyaml_reads() -> None:
    """formats.may_alias is a superset of what PyYAML composes as an alias: random documents placing anchors and aliases
    in every kind of spot (block and flow collections, JSON-like keys, complex keys, anchored keys, tags), with random
    separators (none, spaces, tabs, line breaks, PyYAML's NEL/LS/PS) and with noise entries holding ``&&``, ``*.py`` and
    escapes; whenever PyYAML composes one with an alias, may_alias says so."""
    import random

    import yaml
    from mlscan.index import formats

    rng = random.Random(12)
    seps = ["", " ", "  ", "\t", "\n ", "\n  ", " \t"]
    breaks = ["\n", "\r\n", "\x85", "\u2028", "\u2029"]
    names = ["a", "A-1", "x_y", "9"]
    forms = [
        "k1:{s}&{n} v{b}k2:{s}*{n}{b}", "-{s}&{n} v{b}-{s}*{n}{b}", "[{s}&{n} v{s},{s}*{n}{s}]{b}", '{{"k":{s}&{n} v,{s}"j":{s}*{n}}}{b}',
        "{{k: &{n} v, j:{s}*{n}}}{b}", "?{s}&{n} k{b}:{s}*{n}{b}", "&{n} k: *{n}{b}", "k: !!str &{n} v{b}j: [*{n}]{b}",
        "k: &{n} {{a: 1}}{b}j:{b}  <<: *{n}{b}", "- [&{n} v]{b}- {{x: *{n}}}{b}",
    ]
    noise = ["c: 'a && b'{b}", 'c: "x \\" && y *\\n"{b}', "c: ls *.py && true{b}", "# *{n} &{n}{b}", "c: a&{n}*{n}{b}"]
    composed = 0
    for _ in range(4000):
        b, n = rng.choice(breaks), rng.choice(names)
        parts = [rng.choice(forms).format(s=rng.choice(seps), n=n, b=b)]
        parts += [rng.choice(noise).format(n=n, b=b) for _ in range(rng.randint(0, 2))]
        rng.shuffle(parts)
        text = "".join(parts)
        try:
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
            events = list(yaml.parse(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            continue
        if nodes and any(isinstance(ev, yaml.AliasEvent) for ev in events):
            composed += 1
            assert formats.may_alias(text), repr(text)
    assert composed > 1000  # the generator reaches most forms
    assert not formats.may_alias("c: 'a && b'\nd: ls *.py && true\n")


def test_derived_builds_once_and_every_asker_observes_what_building_read(tmp_path: Path) -> None:
    from mlscan.cache.record import Recorder

    root = tmp_path / "r"
    write(root, {"run.sh": "python train.py\n"})
    ix = FileIndex(plain(root))
    ix.recording(True)
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(ix.text("run.sh") or "")

    askers = [Recorder(), Recorder()]
    for rec in askers:
        prev = ix.record_into(rec)
        try:
            assert ix.derived(("len", "run.sh"), build) == 16
        finally:
            ix.record_into(prev)
    assert built == [1]
    assert all("run.sh" in rec.content for rec in askers)  # the second asker read the script too, through the first build


def test_cap_lines_long_piece_check_is_the_split() -> None:
    """cap_lines' window check for a line longer than the limit answers as splitting on "\\n" and measuring each piece."""
    import random

    from mlscan.index.formats import _long_piece, cap_lines

    rng = random.Random(7)
    for _ in range(3000):
        limit = rng.randint(1, 12)
        text = "".join(rng.choice("ab\n\r") for _ in range(rng.randint(0, 60)))
        assert _long_piece(text, limit) is (max(map(len, text.split("\n"))) > limit), (text, limit)
    assert cap_lines("x" * 30 + "\nshort\n", 10) == ("x" * 10 + "\nshort\n", 1)
    assert cap_lines("abc\n" * 100, 10) == ("abc\n" * 100, 0)


def test_azure_ml_studio_autosaves_and_temporary_copies_are_junk(tmp_path: Path) -> None:
    # Azure ML studio's notebook autosaves and temporary copies: what its default .amlignore leaves out of a job snapshot
    repo = git_repo(tmp_path / "r", {
        "src/train.py": "import mlflow\n",
        "nb/.ipynb_aml_checkpoints/tune_.ipynb_aml_checkpoints/2021-10-15-14-17-14.ipynb": "{}",
        "src/train.py.amltmp": "import mlflow\n",
        "src/score.py.amltemp": "import mlflow\n",
        "nb/tune.ipynb": "{}",  # the notebook itself stays
    })
    ix = FileIndex(resolve_target(str(repo)))
    assert paths(ix) == {"src/train.py", "nb/tune.ipynb"}
    assert ix.skipped_summary()["run-output-or-junk"]["count"] == 3
