"""A curated list ("awesome-…", "best-of-…": a README of ``- [name](link) - description`` entries) is no set-up guide
for T1: an install command inside an entry (inline, ``install with `pip install mlflow```, or a code block nested under
the entry as best-of lists write it) installs the project the entry links to. A real README whose Setup section installs
the project, beside a few link bullets, still counts."""

from __future__ import annotations

from pathlib import Path

from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import git_repo

_ENTRIES = "\n".join(f"- [Tool{i}](https://github.com/org/tool{i}) - A library for step {i} of the ML lifecycle." for i in range(12))

AWESOME = f"""# Awesome MLOps [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)

A curated list of tools for machine learning operations.

## Experiment Tracking

- [MLflow](https://github.com/mlflow/mlflow) - Open source platform for the ML lifecycle, install with `pip install mlflow`.
- [Aim](https://github.com/aimhubio/aim) - Easy-to-use experiment tracker. Run `aim up` to start its UI.
* **[DVC](https://dvc.org)**: data versioning, `pip install dvc`.

## Training

{_ENTRIES}

## Deployment

<details><summary><b><a href="https://github.com/bentoml/BentoML">BentoML</a></b> - Model serving.</summary>

- [GitHub](https://github.com/bentoml/BentoML) (👨‍💻 200)
- [PyPi](https://pypi.org/project/bentoml):
\t```
\tpip install bentoml
\t```
</details>

## Contributing

Contributions welcome! Read the contribution guidelines first.
"""

REAL = """# Churn model

Useful links:

- [MLflow](https://mlflow.org) - the tracking server we log to
- [DVC](https://dvc.org) - data versioning
- [Great Expectations](https://greatexpectations.io) - data checks

## Setup

- [Python 3.11](https://www.python.org/downloads/) or later

```bash
pip install -r requirements.txt
python train.py
```
"""


def _setup(root: Path) -> list[tuple[str, int | None, dict]]:
    index = FileIndex(resolve_target(str(root)))
    return [(f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, load_detectors({"docs.setup"}))]


def test_install_commands_inside_curated_list_entries_are_no_setup(tmp_path: Path) -> None:
    assert _setup(git_repo(tmp_path / "repo", {"README.md": AWESOME})) == []


def test_curated_section_in_a_short_page_is_no_setup(tmp_path: Path) -> None:
    # a page too short to be a catalogue as a whole, whose "Tools" section is one
    page = ("# Notes\n\n## Install tools\n\n- [MLflow](https://mlflow.org) - tracking, `pip install mlflow`\n"
            "- [DVC](https://dvc.org) - data, `pip install dvc`\n- [Aim](https://aimstack.io) - UI, `aim up`\n")
    assert _setup(git_repo(tmp_path / "repo", {"README.md": page})) == []


def test_real_setup_section_beside_link_bullets_still_counts(tmp_path: Path) -> None:
    got = _setup(git_repo(tmp_path / "repo", {"README.md": REAL, "requirements.txt": "pandas\n", "train.py": "print(1)\n"}))
    assert [(p, ln) for p, ln, _ in got] == [("README.md", 14)]
    assert got[0][2]["install"] is True and got[0][2]["run"] is True and got[0][2]["commands"] == 2
