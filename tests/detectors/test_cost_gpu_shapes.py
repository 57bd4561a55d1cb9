"""cost.gpu reads any YAML shape: a ``key:`` whose value is a mapping or a list (a Helm values file, a JSON schema) is
not a node-affinity label, and reading it is no detector error."""

from __future__ import annotations

from pathlib import Path

from mlscan.detection import detect_one
from mlscan.index import FileIndex
from mlscan.plugins import load_detectors
from mlscan.target import Target

SHAPES = """\
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - key: {name: lifecycle}
                operator: In
                values: [spot]
              - key: [a, b]
                values: [true]
"""
SPOT = SHAPES.replace("key: {name: lifecycle}", "key: eks.amazonaws.com/capacityType").replace("values: [spot]", "values: [SPOT]")


def _cost(root: Path) -> tuple[list[str], list[str]]:
    index = FileIndex(Target(root, "", False, None, None))
    det = next(d for d in load_detectors() if d.id == "cost.gpu")
    found = detect_one(index, det)
    return [f.signal for f in found], [w.message for w in index.warnings if w.code == "detector-error"]


def test_a_mapping_or_list_under_key_is_read_without_error(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(SHAPES)
    kinds, errors = _cost(tmp_path)
    assert errors == []
    assert "cost.spot" not in kinds


def test_a_spot_label_key_is_still_seen(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(SPOT)
    kinds, errors = _cost(tmp_path)
    assert errors == []
    assert "cost.spot" in kinds
