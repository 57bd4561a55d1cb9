"""Docs/governance/project-shape behaviour the fixture trees cannot show: subdir scans, vendored
upstream OWNERS, template and language shapes."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex, _render_template, _vendored_roots
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import make_repo


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def _scan(path: Path, detector: str) -> list[tuple[str, str, int | None, dict]]:
    index = FileIndex(resolve_target(str(path)))
    return [(f.signal, f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, load_detectors({detector}))]


def test_codeowners_subdir_scan_counts_only_rules_covering_it(tmp_path: Path) -> None:
    src = _tree(tmp_path / "src", {
        ".github/CODEOWNERS": "/course-01/ @teach/one\n/course-02/code/ @teach/two\n",
        "course-01/README.md": "# one\n",
        "course-02/code/train.py": "print('x')\n",
    })
    repo = make_repo(src, tmp_path / "repo")
    assert _scan(repo / "course-02" / "code", "governance.owners") == [
        ("governance.codeowners", ".github/CODEOWNERS", 2, {"kind": "codeowners", "rules": 1, "covers_subdir": True, "teams": True})
    ]
    # a sibling subproject's owners do not govern this one
    src2 = _tree(tmp_path / "src2", {".github/CODEOWNERS": "/course-01/ @teach/one\n", "course-02/code/train.py": "x = 1\n"})
    repo2 = make_repo(src2, tmp_path / "repo2")
    assert _scan(repo2 / "course-02" / "code", "governance.owners") == []
    # a repo-wide rule covers every subproject
    src3 = _tree(tmp_path / "src3", {"CODEOWNERS": "* @acme/all\n", "course-02/code/train.py": "x = 1\n"})
    repo3 = make_repo(src3, tmp_path / "repo3")
    assert [f[3]["covers_subdir"] for f in _scan(repo3 / "course-02" / "code", "governance.owners")] == [False]


def test_vendored_owners_tree_is_cut_at_its_own_root_not_a_parent() -> None:
    paths = [f"deploy/own/k{i}.yaml" for i in range(10)]
    paths += [f"deploy/kubeflow/manifests/{app}/upstream/f{i}.yaml" for app in ("a", "b", "c", "d") for i in range(12)]
    paths += [f"deploy/kubeflow/manifests/{app}/OWNERS" for app in ("a", "b", "c")]
    assert _vendored_roots(paths) == {"deploy/kubeflow/manifests"}
    # a Prow project (its own top-level OWNERS) owns its nested OWNERS files
    assert _vendored_roots(["OWNERS", *paths]) == set()


def test_template_inline_control_actions_render_no_text() -> None:
    text = "a: 1{{end}}\n  {{ if (eq .x `no`) }}models:\n    n: {{ .input_name }}\n"
    assert _render_template(text) == "a: 1\n  models:\n    n: input_name"


def test_project_language_and_template(tmp_path: Path) -> None:
    src = _tree(tmp_path / "r", {"README.md": "# prices\n", "clean.R": "x <- 1\n", "model.R": "fit <- lm(y ~ x)\n", "plot.py": "print(1)\n"})
    found = _scan(make_repo(src, tmp_path / "rrepo"), "project.shape")
    assert ("project.language", "clean.R", None, {"language": "r", "files": {"r": 2, "python": 1}}) in found
    tpl = _tree(tmp_path / "t", {
        "cookiecutter.json": '{"project_slug": "churn"}\n',
        "{{cookiecutter.project_slug}}/src/train.py": "def main():\n    model.fit(x, y)\n\n\nif __name__ == '__main__':\n    main()\n",
    })
    found = _scan(make_repo(tpl, tmp_path / "trepo"), "project.shape")
    signals = {f[0]: f for f in found}
    assert signals["project.template"][1:3] == ("cookiecutter.json", 1)
    assert signals["project.template"][3]["policy"] == "rendered-defaults"
    assert signals["project.scripts"][1] == "{{cookiecutter.project_slug}}/src/train.py"


def test_taskrunner_readers(tmp_path: Path) -> None:
    src = _tree(tmp_path / "tr", {
        "justfile": "set dotenv-load\n\n# build everything\ntrain:\n    python -m churn.train\n\nhello:\n    echo hi\n",
        "Taskfile.yml": "version: '3'\ntasks:\n  deploy:\n    cmds:\n      - helm upgrade --install churn charts/churn\n  noop:\n    cmds: [echo nothing]\n",
        "tasks.py": "from invoke import task\n\n\n@task\ndef run_tests(c):\n    c.run('pytest')\n",
        "noxfile.py": "import nox\n\n\n@nox.session(name='tests')\ndef t(session):\n    session.run('pytest')\n",
        "tox.ini": "[tox]\nenvlist = py311, lint\n\n[testenv]\ncommands = pytest\n",
        "package.json": '{\n  "scripts": {\n    "start": "node server.js",\n    "fmt": "prettier -w ."\n  }\n}\n',
    })
    found = {f[1]: f for f in _scan(make_repo(src, tmp_path / "trrepo"), "docs.taskrunner")}
    assert found["justfile"][2:] == (4, {"tool": "just", "targets": ["train"], "categories": ["train"], "root": True})
    assert found["Taskfile.yml"][2:] == (3, {"tool": "task", "targets": ["deploy"], "categories": ["deploy"], "root": True})
    # ``run-tests`` runs the tests: "run" beside a test word names no training (session 13)
    assert found["tasks.py"][2:] == (5, {"tool": "invoke", "targets": ["run-tests"], "categories": ["test"], "root": True,
                                          "tests_only": True})
    assert found["noxfile.py"][2:] == (5, {"tool": "nox", "targets": ["tests"], "categories": ["test"], "root": True,
                                            "tests_only": True})
    assert found["tox.ini"][3] == {"tool": "tox", "targets": ["lint", "py311"], "categories": ["test"], "root": True, "tests_only": True}
    assert found["package.json"][2:] == (3, {"tool": "npm", "targets": ["start"], "categories": ["deploy"], "root": True})
