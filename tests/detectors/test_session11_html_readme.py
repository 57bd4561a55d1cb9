"""T1: a README written in HTML block tags (``<h3>``, ``<ol><li>``, ``<pre>``, ``<code>``) gives its setup steps like a
Markdown one. Near misses: an HTML list of features in italics, HTML shown inside a fenced code block."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.facts.doc_blocks import CODE, HEADING, LIST, parse
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

HTML_README = """<h2 style="text-align:center;"> Spam Detector</h2>

<h3>Project Description</h3>
<p>
A classifier of e-mails, trained with <i>model_training/training.py</i>.
</p>

<h2>Pipeline Steps Execution</h2>
<h3>Model Training</h3>
<p>For Prefect 2, these are the steps to create a deployment:</p>
<ol>
  <li>Make sure terminal directory is at root.</li>
  <li>Run <i>pip install -r requirements.txt</i></li>
  <li>Run <i>prefect deploy</i> and follow the UI instructions</li>
  <li>Run <code>prefect worker start --pool 'capstone'</code> to start a worker</li>
</ol>
<h3>Serving</h3>
<pre>
docker build -t spam-api:v1 -f deployment/Dockerfile .
docker run -p 8000:8000 spam-api:v1
</pre>
"""
FEATURES = """<h1 align="center">Churn service</h1>
<h3>Features</h3>
<ul>
  <li>Tracks runs with <i>MLflow</i></li>
  <li>Serves the model with <i>FastAPI</i></li>
</ul>

```html
<h3>Setup</h3>
<ol><li>Run <code>pip install churn</code></li></ol>
```
"""


def test_html_blocks_parse_as_markdown_on_the_same_lines() -> None:
    doc = parse(HTML_README, "README.md")
    heads = [(b.line, b.level, b.text) for b in doc.blocks if b.kind == HEADING]
    assert heads == [(1, 2, "Spam Detector"), (3, 3, "Project Description"), (8, 2, "Pipeline Steps Execution"),
                     (9, 3, "Model Training"), (17, 3, "Serving")]
    items = [(b.line, b.ordered, b.text) for b in doc.blocks if b.kind == LIST]
    assert items[1] == (13, True, "Run `pip install -r requirements.txt`")
    assert items[3] == (15, True, "Run `prefect worker start --pool 'capstone'` to start a worker")
    code = [b for b in doc.blocks if b.kind == CODE]
    assert [(b.line, b.text.splitlines()[0]) for b in code] == [(18, "docker build -t spam-api:v1 -f deployment/Dockerfile .")]
    # the italic file name of a paragraph stays prose
    assert not any("`" in b.text for b in doc.blocks if b.kind != LIST)


def test_html_in_a_fenced_block_stays_code() -> None:
    doc = parse(FEATURES, "README.md")
    assert [b.text for b in doc.blocks if b.kind == HEADING] == ["Churn service", "Features"]
    assert [b.text for b in doc.blocks if b.kind == LIST] == ["Tracks runs with `MLflow`", "Serves the model with `FastAPI`"]
    assert "<ol><li>Run <code>pip install churn</code></li></ol>" in next(b.text for b in doc.blocks if b.kind == CODE)


def _setup(tmp: Path, readme: str) -> list[dict]:
    repo = git_repo(tmp, {"README.md": readme, "requirements.txt": "prefect==2.11.0\n", "deployment/Dockerfile": "FROM python:3.11\n"},
                    commit=False)  # type: ignore[arg-type]
    index = FileIndex(resolve_target(str(repo)))
    return [{**f.attrs, "line": f.evidence[0].line, "strength": f.strength.name}
            for f in run_detectors(index, load_detectors({"docs.setup"})) if f.signal == "docs.setup"]


def test_html_step_lists_are_setup_steps(tmp_path: Path) -> None:
    found = _setup(tmp_path, HTML_README)
    assert len(found) == 1 and found[0]["install"] and found[0]["run"] and found[0]["strength"] == "MEDIUM"
    assert found[0]["line"] == 13


def test_an_html_feature_list_is_no_setup(tmp_path: Path) -> None:
    assert _setup(tmp_path, FEATURES) == []


def test_code_spans_and_entities_survive() -> None:
    doc = parse("<ol>\n<li>Run `docker run <image>` then <code>pip install x</code> &amp; <i>make &lt;target&gt;</i></li>\n</ol>\n", "README.md")
    assert [b.text for b in doc.blocks] == ["Run `docker run <image>` then `pip install x` & `make <target>`"]


def test_html_in_an_indented_code_block_stays_code() -> None:
    doc = parse("# Page\n\nThe template:\n\n    <h3>Setup</h3>\n    <pre>\n    make all\n    </pre>\n", "README.md")
    assert [b.text for b in doc.blocks if b.kind == HEADING] == ["Page"]
    assert next(b.text for b in doc.blocks if b.kind == CODE).startswith("<h3>Setup</h3>")
