"""Property-based tests: every parser entry point of the index, the CI dialects, the detectors and the report
writers take any input (generated YAML with anchors, aliases and merge keys, TOML, JSON, notebooks, Python, HCL,
Dockerfiles, Markdown, arbitrary text) and give a result or a ValueError the index turns into a scan warning, never
another exception, within a time bound."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlscan.detection import detect_one, python_pass
from mlscan.facts import doc_blocks, hcl
from mlscan.index import FileIndex, formats
from mlscan.plugins import load_detectors
from mlscan.reporters import REPORTERS, get_reporter
from mlscan.target import Target

from .test_hostile_output import assert_valid

FAST = settings(max_examples=60, deadline=2000, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PER_CALL_SECONDS = 2.0

# words the parsers and detectors react to, so generated documents reach past the first check
WORDS = ("on", "jobs", "steps", "run", "uses", "script", "stages", "stage", "image", "cmd", "deps", "outs", "schedule", "cron",
         "pipeline", "trigger", "kind", "apiVersion", "spec", "template", "name", "env", "with", "if", "needs", "extends",
         "include", "workflow", "tasks", "mlflow", "dvc", "python train.py", "pytest", "docker push", "kubectl apply", "<<",
         "${{ x }}", "true", "false", "null", "0 3 * * 1", "-", "", "é", "\x00", "\t", "a: b", "[", "{", "*", "&", "!!python/object")
scalar = st.one_of(st.sampled_from(WORDS), st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=True))
data = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)), max_leaves=25)
text = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
                 st.lists(st.sampled_from(WORDS), max_size=40).map("\n".join))


@st.composite
def yaml_with_aliases(draw: st.DrawFn) -> str:
    """YAML text with anchors, aliases (some undefined), merge keys and odd indentation."""
    lines: list[str] = []
    anchors: list[str] = []
    for i in range(draw(st.integers(0, 12))):
        key = draw(st.sampled_from(WORDS[:30]))
        indent = "  " * draw(st.integers(0, 3))
        kind = draw(st.integers(0, 5))
        if kind == 0:
            anchors.append(f"a{i}")
            lines.append(f"{indent}{key}: &a{i} {draw(st.sampled_from(['[x, y]', '{k: v}', 'v', '']))}")
        elif kind == 1 and anchors:
            lines.append(f"{indent}{key}: *{draw(st.sampled_from(anchors))}")
        elif kind == 2:
            ref = draw(st.sampled_from(anchors)) if anchors and draw(st.booleans()) else "nope"
            lines.append(f"{indent}<<: *{ref}")
        elif kind == 3:
            lines.append(f"{indent}<<: [{', '.join('*' + a for a in anchors[:4])}]")
        elif kind == 4:
            lines.append(f"{indent}- {draw(st.sampled_from(WORDS))}")
        else:
            lines.append(f"{indent}{key}: {json.dumps(draw(st.text(max_size=10)))}")
        if draw(st.integers(0, 9)) == 0:
            lines.append("---")
    return "\n".join(lines) + "\n"


def _bounded(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        return fn(*args)
    except ValueError:
        return None  # the index records it as a parse-error warning
    finally:
        assert time.perf_counter() - started < PER_CALL_SECONDS, fn


# ---------------------------------------------------------------- the index's parsers


@FAST
@given(st.one_of(yaml_with_aliases(), data.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), text))
def test_yaml(doc: str) -> None:
    _bounded(formats.load_yaml_all, doc)


@FAST
@given(st.one_of(data.map(json.dumps), text, st.text(alphabet="[]{}\",:0a ", max_size=200)))
def test_json(doc: str) -> None:
    _bounded(formats.load_json, doc)


@FAST
@given(st.one_of(text, st.lists(st.sampled_from(["[tool.x]", "[[a]]", "a = 1", 'b = "x"', "c = [1, [2]]", "d = {e = 1}", "[",
                                                  "f = '''", "g = 1979-05-27", "= 3", "h.i = 2"]), max_size=15).map("\n".join)))
def test_toml(doc: str) -> None:
    _bounded(formats.load_toml, doc)


PY_BITS = ["import mlflow", "def f(x):", "    return x", "class A:", "    pass", "if __name__ == '__main__':", "    f(1)",
           "mlflow.log_metric('a', 1)", "with mlflow.start_run():", "lambda: (", ")", "x = [", "]", "@decorator", "async def g():",
           "    await h()", "%matplotlib inline", "!pip install x", "a a a", "\t\tx", "'''", "f'{x!r:>{y}}'", "match x:", "  case 1: pass"]


@FAST
@given(st.one_of(text, st.lists(st.sampled_from(PY_BITS), max_size=30).map("\n".join)))
def test_python(src: str) -> None:
    _bounded(formats.parse_python, src, "x.py")


@FAST
@given(st.one_of(text, st.lists(st.one_of(st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
                                                                   "source": st.one_of(st.lists(st.sampled_from(PY_BITS)), st.text(), st.integers())}),
                                          data), max_size=6).map(lambda cells: json.dumps({"cells": cells})),
                 data.map(json.dumps)))
def test_notebook(doc: str) -> None:
    _bounded(formats.notebook_code, doc, "x.ipynb")


@FAST
@given(st.one_of(text, st.lists(st.sampled_from(["FROM python:3.11", "RUN pip install -r requirements.txt \\", "  && make", "ENV A=1",
                                                  'CMD ["python", "train.py"]', "ENTRYPOINT [", "# c", "\\", "ARG X", "COPY . ."]),
                                 max_size=12).map("\n".join)))
def test_dockerfile_and_requirements(doc: str) -> None:
    _bounded(formats.parse_dockerfile, doc)
    _bounded(formats.parse_requirements, doc)


@FAST
@given(st.one_of(text, st.lists(st.sampled_from(['resource "aws_x" "y" {', "}", 'name = "a"', "count = 1", "tags = {", "x = [1, 2",
                                                  "# c", "/*", "*/", 'module "m" {', "source = var.x", "<<EOF", "EOF", '"${a}"']),
                                 max_size=20).map("\n".join)))
def test_hcl(doc: str) -> None:
    _bounded(hcl.parse, doc)


@FAST
@given(st.one_of(text, st.lists(st.sampled_from(["# Setup", "## Run", "```sh", "```", "$ make train", "    indented", "Title",
                                                  "=====", ".. code-block:: bash", "   pip install x", "- item", "> quote", "<!--",
                                                  "-->", "| a | b |"]), max_size=25).map("\n".join)),
       st.sampled_from(["README.md", "docs/index.rst"]))
def test_markdown_and_rst(doc: str, path: str) -> None:
    _bounded(doc_blocks.parse, doc, path)


# ---------------------------------------------------------------- CI dialects and detectors, through the index

CI_FILES = (".github/workflows/ci.yml", ".gitlab-ci.yml", "azure-pipelines.yml", ".circleci/config.yml", "bitbucket-pipelines.yml",
            "cloudbuild.yaml", ".buildkite/pipeline.yml", "buildspec.yml", "tekton/pipeline.yaml", "dvc.yaml", "params.yaml",
            "k8s/deploy.yaml", "argo/wf.yaml", ".mlscan-not-config.yml")
OTHER_FILES = ("Jenkinsfile", "main.tf", "Dockerfile", "requirements.txt", "pyproject.toml", "README.md", "train.py",
               "notebooks/nb.ipynb", "Makefile", "conf/job.json")
DETECTORS = load_detectors()


def _scan_files(root: Path, files: dict[str, str]) -> list[str]:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8", errors="surrogateescape")
    index = FileIndex(Target(root, "", False, None, None))
    started = time.perf_counter()
    python_pass(index, DETECTORS)
    for det in DETECTORS:
        detect_one(index, det)
    assert time.perf_counter() - started < 20
    return [f"{w.path}: {w.message}" for w in index.warnings if w.code == "detector-error"]


@SLOW
@given(st.dictionaries(st.sampled_from(CI_FILES), st.one_of(yaml_with_aliases(), data.map(lambda d: yaml.safe_dump(d)), text),
                       min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(OTHER_FILES), st.one_of(text, st.lists(st.sampled_from(PY_BITS), max_size=20).map("\n".join)),
                       max_size=3))
def test_ci_dialects_and_detectors_never_fail(tmp_path_factory, ci: dict[str, str], other: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    errors = _scan_files(tmp_path_factory.mktemp("p"), {**ci, **other})
    assert errors == []


# ---------------------------------------------------------------- report writers

_RESULT = None


@SLOW
@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.text(max_size=300)), min_size=1, max_size=5))
def test_report_writers_take_any_names_and_contents(tmp_path_factory, files: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    from mlscan.engine import ScanOptions, scan

    root = tmp_path_factory.mktemp("w")
    for i, (name, content) in enumerate(files):
        safe = "".join(c for c in name if c not in "/\x00") or "x"
        p = root / f"d{i}" / f"{safe[:50]}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            p.write_text("import mlflow\nmlflow.log_metric('a', 1)\n# " + content.replace("\n", " ") + "\n", encoding="utf-8",
                         errors="surrogateescape")
        except (OSError, UnicodeEncodeError):
            continue
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / f"{files[0][0].replace('/', '_').replace(chr(0), '')[:40] or 'x'}.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: " + json.dumps(files[0][1]) + "\n", encoding="utf-8",
        errors="surrogateescape")
    result = scan(str(root), ScanOptions(jobs=1))
    for fmt in REPORTERS:
        out = get_reporter(fmt)(result).encode("utf-8")
        assert len(out) < 4 << 20
        assert_valid(fmt, out)
