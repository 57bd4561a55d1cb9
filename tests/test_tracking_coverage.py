"""E1 asks for a tracker on *every* training run (labelling conventions): independent training entry points left
untracked beside a tracked one make the answer partial, while a hand-run baseline beside tracked flows, a training
module a tracked flow imports and an exploration notebook do not. Both fixture trees of ``tracking.coverage``,
scanned end to end and read from the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from mlscan.cli import main

from tests.conftest import FIXTURES, make_repo

CASE = FIXTURES / "detectors" / "tracking.coverage"


def _e1(repo: Path) -> dict:
    res = CliRunner().invoke(main, ["scan", str(repo), "--format", "json"])
    assert res.exit_code == 0, res.output
    return next(q for q in json.loads(res.output)["questions"] if q["id"] == "E1")


def test_untracked_flows_beside_a_tracked_one_are_partial(tmp_path: Path) -> None:
    e1 = _e1(make_repo(CASE / "positive", tmp_path / "repo"))
    assert e1["answer"] == "partial"
    assert "flows/boosted_flow.py" in {e["path"] for e in e1["evidence"]}


def test_every_flow_tracked_is_yes(tmp_path: Path) -> None:
    e1 = _e1(make_repo(CASE / "near_miss", tmp_path / "repo"))
    assert e1["answer"] == "yes"
    assert "tracking.coverage" not in e1["signals"]
