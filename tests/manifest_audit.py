"""What each detector reads on a repository, for the detector manifest's checks (tests/test_manifest.py).

One index per repository, recording (as the facts cache does, mlscan.cache.record): each detector runs as one unit
(its Python-pass visits, then its own pass); what it read is the content it read or parsed, the files whose words it
asked about (``mentions``/``contains``), and the same of every derived model (CI model, wiring graph) it used,
transitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mlscan.cache.record import Recorder
from mlscan.detection import detect_one, python_pass
from mlscan.detector import Detector
from mlscan.index import FileIndex
from mlscan.model import Finding


@dataclass
class Reads:
    """One detector's unit on one repository."""

    content: set[str] = field(default_factory=set)  # read or parsed
    asked: set[str] = field(default_factory=set)  # word/substring pre-checks only
    findings: list[Finding] = field(default_factory=list)
    warnings: int = 0


def _closure(index: FileIndex, rec: Recorder) -> tuple[set[str], set[str]]:
    nodes = index.memo_nodes()
    content, asked = set(rec.content), {k[0] for k in rec.answers}
    seen: set[str] = set()
    todo = list(rec.memos)
    while todo:
        key = todo.pop()
        if key in seen or key not in nodes:
            continue
        seen.add(key)
        node = nodes[key]
        content |= node.content
        asked |= {k[0] for k in node.answers}
        todo.extend(node.memos)
    return content, asked


def audit(index: FileIndex, detectors: Sequence[Detector]) -> dict[str, Reads]:
    """Run each detector as one recorded unit on ``index`` (vocabulary registered as the engine does)."""
    from mlscan.vocabulary import harvest

    index.register_vocabulary(sorted(harvest(detectors)))
    for det in detectors:
        index.register_vocabulary(det.vocabulary(index))
    index.recording(True)
    out: dict[str, Reads] = {}
    for det in detectors:
        rec = Recorder()
        prev = index.record_into(rec)
        warned = len(index.warnings)
        try:
            found = list(python_pass(index, [det]).get(det.id, ()))
            found += detect_one(index, det)
        finally:
            index.record_into(prev)
        content, asked = _closure(index, rec)
        out[det.id] = Reads(content, asked - content, found, len(index.warnings) - warned)
    return out
