"""scanner/facts/doc_blocks.py: the Markdown/RST block reader, shell command extraction and classification."""

from __future__ import annotations

import pytest
from mlscan.facts import doc_blocks as md

README = """\
---
title: front matter is skipped
---
# Churn <!-- omit in toc -->

Intro paragraph
spanning two lines.

Installation
------------

```bash
# install deps
pip install -r requirements.txt \\
    --no-cache-dir
```

<!--
## Hidden
```bash
make deploy
```
-->

## Usage

1. Train:

   ```console
   $ python train.py --epochs 3
   Epoch 1 done
   ```

2. Serve the model

    uvicorn app:app

Indented code after a paragraph:

    docker compose up

~~~python
# not a heading
x = 1
~~~
"""


def test_headings_sections_and_trail() -> None:
    doc = md.parse(README, "README.md")
    heads = [(b.level, b.text, b.line) for b in doc.blocks if b.kind == md.HEADING]
    assert heads == [(1, "Churn", 4), (2, "Installation", 9), (2, "Usage", 25)]
    assert doc.title == "Churn"
    assert doc.sections[0].level == 0  # preamble
    assert [s.trail for s in doc.sections[1:]] == [("Churn",), ("Churn", "Installation"), ("Churn", "Usage")]
    assert [s.title for s in doc.subtree(1)] == ["Churn", "Installation", "Usage"]
    assert [s.title for s in doc.subtree(2)] == ["Installation"]


def test_fenced_code_comments_and_continuations() -> None:
    doc = md.parse(README, "README.md")
    code = [b for b in doc.blocks if b.kind == md.CODE]
    assert [(b.lang, b.line, b.body_line) for b in code][:2] == [("bash", 12, 13), ("console", 29, 30)]
    assert md.commands(code[0]) == [(14, "pip install -r requirements.txt --no-cache-dir")]
    assert md.comments(code[0]) == [(13, "install deps")]
    # prompts: output lines are not commands
    assert md.commands(code[1]) == [(30, "python train.py --epochs 3")]


def test_html_comments_hide_content() -> None:
    doc = md.parse(README, "README.md")
    assert not any("make deploy" in b.text for b in doc.blocks)
    assert not any(b.kind == md.HEADING and b.text == "Hidden" for b in doc.blocks)


def test_lists_and_indented_code() -> None:
    doc = md.parse(README, "README.md")
    items = [b for b in doc.blocks if b.kind == md.LIST]
    assert [(b.line, b.ordered) for b in items] == [(27, True), (34, True)]
    # 4 spaces inside a list item is a paragraph continuation (CommonMark), not code
    assert "uvicorn app:app" in items[1].text
    indented = [b for b in doc.blocks if b.kind == md.CODE and b.lang == ""]
    assert [(b.line, b.text) for b in indented] == [(40, "docker compose up")]
    python = [b for b in doc.blocks if b.lang == "python"]
    assert python and not python[0].is_shell
    assert not any(b.kind == md.HEADING and "not a heading" in b.text for b in doc.blocks)


def test_unclosed_fence_runs_to_end() -> None:
    doc = md.parse("# T\n\n```sh\nmake train\n", "x.md")
    code = [b for b in doc.blocks if b.kind == md.CODE]
    assert md.commands(code[0]) == [(4, "make train")]


RST = """\
=======
Project
=======

Install
=======

Create the environment::

    conda env create -f environment.yml

.. code-block:: bash
   :caption: run it

   python -m churn.train

.. this is a comment
   pip install hidden

Details
-------

- first step
- second step
"""


def test_rst_blocks() -> None:
    doc = md.parse(RST, "docs/index.rst")
    heads = [(b.level, b.text, b.line) for b in doc.blocks if b.kind == md.HEADING]
    assert heads == [(1, "Project", 2), (2, "Install", 5), (3, "Details", 20)]
    code = [b for b in doc.blocks if b.kind == md.CODE]
    assert [md.commands(b) for b in code] == [[(10, "conda env create -f environment.yml")], [(15, "python -m churn.train")]]
    assert code[1].lang == "bash"
    assert not any("hidden" in b.text for b in doc.blocks)
    assert [b.text for b in doc.blocks if b.kind == md.LIST] == ["first step", "second step"]


def test_windows_and_venv_prompts() -> None:
    block = md.Block(md.CODE, 1, 4, "(venv) $ pip install -e .\nPS C:\\repo> python train.py\nok", lang="console", body_line=2)
    assert md.commands(block) == [(2, "pip install -e ."), (3, "python train.py")]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pip install -r requirements.txt", md.INSTALL),
        ("python3 -m pip install -U pip", md.INSTALL),
        ("poetry install --with dev", md.INSTALL),
        ("conda env create -f environment.yml", md.INSTALL),
        ("conda create -n churn python=3.10 scikit-learn", md.INSTALL),
        ("conda create -p venv python==3.7 -y", md.ENV),
        ("dvc pull", md.INSTALL),
        ("make setup", md.INSTALL),
        ("make train", md.RUN),
        ("./scripts/bootstrap.sh", md.INSTALL),
        ("bash scripts/run_pipeline.sh", md.RUN),
        ("CUDA_VISIBLE_DEVICES=0 python train.py -c config.json", md.RUN),
        ("docker compose up -d", md.RUN),
        ("uv run churn train", md.RUN),
        ("dvc exp run", md.RUN),
        ("python -m venv .venv", md.ENV),
        ("source .venv/bin/activate", md.ENV),
        ("git clone https://github.com/acme/churn", md.ENV),
        ("curl -X POST localhost:8000/predict", md.ENV),
        ("dvc remote list", md.ENV),
        # converting a notebook is a file chore; executing it runs the project
        ("jupyter nbconvert --to script starter.ipynb", md.ENV),
        ("jupyter nbconvert --to notebook --execute train.ipynb", md.RUN),
        ("jupyter notebook", md.RUN),
        # a volume or network for a container is a chore; running the container runs the project
        ("docker volume create mlflow_data", md.ENV),
        ("docker network create backend", md.ENV),
        ("docker run -p 5000:5000 churn", md.RUN),
        ("storage https://remote.dvc.org/get-started", None),
        ("├── train.py", None),
    ],
)
def test_classify(command: str, kind: str | None) -> None:
    assert md.classify(command) == kind


def test_an_unlabelled_yaml_listing_is_no_shell_block() -> None:
    doc = md.parse("# CI\n\n```\nname: Deploy\non:\n  push: {}\njobs:\n  a:\n    steps:\n      - run: pip install x\n```\n\n"
                   "```\npip install -r requirements.txt\nmlflow ui --port 5000\n```\n")
    code = [b for b in doc.blocks if b.kind == md.CODE]
    assert [b.is_shell for b in code] == [False, True]
