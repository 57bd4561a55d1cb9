"""A repository that defines an orchestrator's package (its own source, tests, integrations and examples importing it)
defines no pipeline by importing it: only an orchestrator it does not define, or a ``__main__`` guard, makes a file a root
of the wiring graph, and files naming only their own package are not parsed for the graph."""

from __future__ import annotations

from pathlib import Path

from mlscan.facts.own_packages import own_names, own_packages
from mlscan.facts.wiring import AUTOMATED, ENTRYPOINT, wiring
from mlscan.index import FileIndex
from mlscan.target import resolve_target

from tests.conftest import git_repo

_FLOW = "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n"
_FILES = {
    "src/prefect/__init__.py": "from prefect.flows import flow\n",
    "src/prefect/flows.py": "import prefect.context\n\n\ndef flow(fn):\n    return fn\n",
    "src/prefect/context.py": "X = 1\n",
    "src/prefect/cli.py": "import prefect\n\nif __name__ == '__main__':\n    prefect.main()\n",
    "src/prefect/airflow_bridge.py": "import airflow\n",
    "tests/test_flows.py": "import prefect\n\n\ndef test_flow():\n    assert prefect.flow\n",
    "examples/etl.py": _FLOW,
}


def _index(tmp_path: Path, files: dict[str, str]) -> FileIndex:
    return FileIndex(resolve_target(str(git_repo(tmp_path / "r", files))))


def test_the_repository_of_an_orchestrator_imports_itself(tmp_path: Path) -> None:
    ix = _index(tmp_path, {"pyproject.toml": '[project]\nname = "prefect"\n', **_FILES})
    assert own_packages(ix) == (("prefect", "src/prefect"),)
    w = wiring(ix)
    assert w.of("examples/etl.py") is None and w.of("tests/test_flows.py") is None
    assert w.of("src/prefect/cli.py").kind == ENTRYPOINT  # type: ignore[union-attr]  # a __main__ script stays a root
    # the package's own modules are reached through the imports of that script, not as pipeline definitions
    assert w.of("src/prefect/flows.py").chain == ("__main__ script src/prefect/cli.py", "src/prefect/__init__.py",  # type: ignore[union-attr]
                                                  "src/prefect/flows.py")
    assert w.of("src/prefect/airflow_bridge.py").kind == AUTOMATED  # type: ignore[union-attr]  # another orchestrator
    assert ("examples/etl.py", "python") not in ix.parse_counts  # named only its own package: not parsed for the graph
    assert ("tests/test_flows.py", "python") not in ix.parse_counts


def test_a_project_using_the_orchestrator_defines_pipelines(tmp_path: Path) -> None:
    files = {k.replace("src/prefect/", "src/etl/"): v for k, v in _FILES.items()}
    ix = _index(tmp_path, {"pyproject.toml": '[project]\nname = "etl"\n', **files})
    assert own_names(ix) == {"etl"}
    w = wiring(ix)
    for vp in ("examples/etl.py", "tests/test_flows.py", "src/etl/flows.py"):
        assert w.of(vp).kind == AUTOMATED and w.of(vp).chain == (f"pipeline definition {vp}",)  # type: ignore[union-attr]


def test_declarations_of_own_packages(tmp_path: Path) -> None:
    ix = _index(tmp_path, {
        "sdk/python/setup.py": "import setuptools\nsetuptools.setup(name='kfp', packages=setuptools.find_packages())\n",
        "sdk/python/kfp/__init__.py": "",
        "plugins/setup.cfg": "[metadata]\nname = kfp-plugin\n",
        "plugins/kfp_plugin/__init__.py": "",
        "lib/pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["src/dagster_ext"]\n',
        "lib/src/dagster_ext/__init__.py": "",
        "app/pyproject.toml": '[tool.poetry]\nname = "kedro"\n',  # declared, but no such package here
        "pipelines/kfp/__init__.py": "",  # a folder named like a tool that no manifest declares
    })
    assert own_packages(ix) == (("dagster_ext", "lib/src/dagster_ext"), ("kfp", "sdk/python/kfp"), ("kfp_plugin", "plugins/kfp_plugin"))


def test_training_census_reads_no_file_naming_only_its_own_package(tmp_path: Path) -> None:
    """training_entries' census takes as candidates only files that may be roots (wiring.may_be_root): a module naming
    nothing but the repository's own orchestrator package, nor ``__main__``, cannot be an entry and is not parsed for it.
    Near miss: a script of the same repository that guards ``__main__`` and trains is still an entry."""
    from mlscan.facts.training_entries import training_entries

    train = ("import mlflow\nimport prefect\nfrom sklearn.linear_model import LinearRegression\n\n"
             "if __name__ == '__main__':\n    mlflow.log_param('a', 1)\n    LinearRegression().fit([[1]], [1])\n")
    ix = _index(tmp_path, {"pyproject.toml": '[project]\nname = "prefect"\n', **_FILES, "scripts/train.py": train,
                           "src/prefect/utilities/fit.py": "import prefect\n\n\ndef fit(model, x, y):\n    return model.fit(x, y)\n"})
    assert [(t.path, t.tracked) for t in training_entries(ix)] == [("scripts/train.py", True)]
    assert ("src/prefect/utilities/fit.py", "python") not in ix.parse_counts
    assert ("examples/etl.py", "python") not in ix.parse_counts
