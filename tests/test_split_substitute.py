"""A monitoring or gate script that, finding its input missing, measures another data split in its place (a sample
of the test set as "current" data) carries the ``test-set substitute`` caveat beside its evidence in every human
report; the same script that stops when its input is missing carries none. The fact function is checked on the
shapes it reads (an existence test, ``is None``, ``except FileNotFoundError``) and on look-alikes it must not take."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mlscan.engine import ScanOptions, scan
from mlscan.facts.placeholders import split_substitute
from mlscan.report import build_report
from mlscan.reporters import html, markdown, terminal

from .conftest import git_repo

CAVEAT = "test-set substitute: reads another data split when its input is absent"

DRIFT = """\
import argparse
import sys
from pathlib import Path

import pandas as pd
from evidently import ColumnMapping
from evidently.metric_preset import DataDriftPreset, TargetDriftPreset
from evidently.report import Report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--current", type=Path, default=Path("data/production/current.csv"))
    parser.add_argument("--use-holdout", action="store_true")
    args = parser.parse_args()
    reference = pd.read_csv("data/processed/reference.csv")
    if not args.current.exists():
{missing}
    else:
        current = pd.read_csv(args.current)
    report = Report(metrics=[DataDriftPreset(), TargetDriftPreset()])
    report.run(reference_data=reference, current_data=current, column_mapping=ColumnMapping(prediction="prediction"))
    report.save_html("reports/drift.html")


if __name__ == "__main__":
    main()
"""
FALLBACK = """\
        if not args.use_holdout:
            sys.exit("no production data")
        current = pd.read_csv("data/processed/test.csv").sample(n=1000, random_state=42)"""
STOP = """\
        sys.exit("no production data")"""
WORKFLOW = """\
name: drift
on:
  schedule:
    - cron: "0 6 * * *"
jobs:
  drift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: python monitoring/drift.py --use-holdout
"""


def _report(root: Path, body: str) -> tuple[dict[str, Any], Any]:
    files = {"monitoring/drift.py": DRIFT.replace("{missing}", body), ".github/workflows/drift.yml": WORKFLOW,
             "requirements.txt": "evidently==0.4.33\npandas==2.2.2\n"}
    result = scan(str(git_repo(root, files)), ScanOptions(jobs=1))
    return build_report(result), result


def _lead(report: dict[str, Any], qid: str) -> dict[str, Any]:
    q = next(q for q in report["questions"] if q["id"] == qid)
    assert q["evidence"], q
    return q


def test_a_monitor_falling_back_to_the_test_set_carries_the_caveat_in_every_format(tmp_path: Path) -> None:
    report, result = _report(tmp_path / "fallback", FALLBACK)
    q = _lead(report, "O1")
    assert q["evidence"][0]["path"] == "monitoring/drift.py"
    assert CAVEAT in q["evidence"][0]["caveats"]
    assert q["answer"] == "yes" and "capped_by" not in q  # shown, not capping: the script monitors real data when it has it
    for render in (terminal.render, markdown.render, html.render):
        assert CAVEAT in render(result, color=False, width=400), render.__module__
    assert CAVEAT in json.dumps(report)


def test_the_same_monitor_stopping_without_input_has_no_caveat(tmp_path: Path) -> None:
    report, _ = _report(tmp_path / "stop", STOP)
    q = _lead(report, "O1")
    assert all(CAVEAT not in e["caveats"] for e in q["evidence"])


def _line(src: str) -> int:
    return split_substitute(ast.parse(textwrap.dedent(src)))


@pytest.mark.parametrize("src, line", [
    ("""\
     if not os.path.exists(current_path):
         current = pd.read_csv(test_path)
     """, 2),
    ("""\
     if args.current is None:
         x_eval, y_eval = load("data/val.parquet")
     """, 2),
    ("""\
     try:
         current = pd.read_csv("data/live/current.csv")
     except FileNotFoundError:
         current = holdout_df.sample(500)
     """, 4),
])
def test_substitute_shapes(src: str, line: int) -> None:
    assert _line(src) == line


@pytest.mark.parametrize("src", [
    # downloading the missing test set is no substitute
    """\
    if not os.path.exists(test_path):
        urlretrieve(TEST_URL, test_path)
    """,
    # reading the test set itself when present
    """\
    if os.path.exists("data/test.csv"):
        current = pd.read_csv("data/test.csv")
    """,
    # a missing model trained on the training split
    """\
    if not model_path.exists():
        model = train(pd.read_csv("data/train.csv"))
    """,
    # a missing input that stops the script
    """\
    if not Path("data/current.csv").exists():
        raise SystemExit("run the export first")
    """,
])
def test_not_substitutes(src: str) -> None:
    assert _line(src) == 0


def test_reads_of_training_split_files_only_are_training_splits() -> None:
    """A module reading only the training pipeline's split files (two or more, each a literal path naming a split) compares
    training data; one read of production-named data, or a computed path, makes it something else."""
    import ast

    from mlscan.facts.placeholders import training_splits_only

    both = "import pandas as pd\na = pd.read_csv('data/X_train.csv')\nb = pd.read_csv('data/X_test.csv')\n"
    assert training_splits_only(ast.parse(both)) == 2
    live = "import pandas as pd\na = pd.read_csv('data/X_train.csv')\nb = pd.read_parquet('data/production_batch.parquet')\n"
    assert training_splits_only(ast.parse(live)) == 0
    computed = "import pandas as pd\na = pd.read_csv('data/train.csv')\nb = pd.read_csv(current_path)\n"
    assert training_splits_only(ast.parse(computed)) == 0
    one = "import pandas as pd\na = pd.read_csv('data/train.csv')\n"
    assert training_splits_only(ast.parse(one)) == 0
