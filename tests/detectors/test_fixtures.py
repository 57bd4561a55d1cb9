"""Every detector's positive and near-miss fixture: exact (signal, path, line) sets, not counts.

Layout: fixtures/detectors/<detector-id>/{positive,near_miss}/<tree> and expected.yaml:

    positive:
      - [tracking.run, src/train.py, 12]                 # signal, path, line
      - [tracking.run, src/train.py, 12, {in_training: true}]   # plus a subset of attrs
    near_miss: []
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from mlscan.engine import run_detectors
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import resolve_target

from tests.conftest import FIXTURES, make_repo

CASES = sorted(p.parent for p in (FIXTURES / "detectors").glob("*/expected.yaml"))


def _found(repo: Path, detector_id: str) -> list[tuple[str, str, int | None, dict]]:
    index = FileIndex(resolve_target(str(repo)))
    dets = load_detectors({detector_id})
    assert dets, f"detector {detector_id} is not registered"
    return [(f.signal, f.evidence[0].path, f.evidence[0].line, dict(f.attrs)) for f in run_detectors(index, dets)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("kind", ["positive", "near_miss"])
def test_detector_fixture(case: Path, kind: str, tmp_path: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text()) or {}
    if kind == "near_miss":
        assert (case / "near_miss").is_dir(), f"{case.name}: every detector needs a near-miss fixture"
    src = case / kind
    if not src.is_dir():
        pytest.skip(f"no {kind} tree")
    repo = make_repo(src, tmp_path / kind)
    found = _found(repo, case.name)
    want = expected.get(kind) or []
    got_keys = sorted({(s, p, ln) for s, p, ln, _ in found}, key=str)
    want_keys = sorted({(w[0], w[1], w[2]) for w in want}, key=str)
    assert got_keys == want_keys
    for w in want:
        if len(w) > 3:
            attrs = [a for s, p, ln, a in found if (s, p, ln) == (w[0], w[1], w[2])]
            assert any(all(a.get(k) == v for k, v in w[3].items()) for a in attrs), f"{w}: attrs {attrs}"
    if kind == "positive":
        assert want, f"{case.name}: the positive fixture must produce findings"
