"""Mage pipelines: ``<project>/pipelines/<name>/metadata.yaml`` lists the pipeline's blocks (``data_loader``,
``transformer``, ``data_exporter``, ``custom`` ...) with their ``upstream_blocks``/``downstream_blocks``; Mage runs a
block when its upstream blocks are done and hands it their outputs, so every edge passes data. A block's code is the
file its ``configuration.file_source.path`` names (relative to the folder that holds the project), else
``<project>/<type>s/<uuid>.<ext>``. A pipeline declares lineage (D3) when a data loader block (the raw input) feeds,
through the edges, a block that trains; the edge into the training block is cited. Blocks that pass no loaded data
into training (an ETL pipeline, a training block that loads its own data) are a weak DAG. Feeds D3."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator
from typing import Any

from mlscan.detector import Detector
from mlscan.facts.graph import reachable
from mlscan.facts.orchestration import fits_model, training_code, trainingish
from mlscan.index import FileEntry, FileIndex
from mlscan.model import Finding, Strength
from mlscan.valueclass import replace

_EXT = {"python": "py", "sql": "sql", "r": "r", "yaml": "yaml"}
_RUN_TYPES = frozenset({"data_loader", "transformer", "data_exporter", "custom", "dbt", "sensor"})  # not charts, markdown, scratchpads


def _blocks(doc: Any) -> list[Any]:
    """The pipeline's blocks that run (dicts with a uuid and a type Mage runs)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("blocks"), list):
        return []
    return [b for b in doc["blocks"] if isinstance(b, dict) and isinstance(b.get("uuid"), str) and b.get("type") in _RUN_TYPES]


def _block_file(index: FileIndex, e: FileEntry, block: Any) -> FileEntry | None:
    """The block's code file: ``configuration.file_source.path`` (relative to the folder holding the project, Mage's
    repository root, or to the repository), else the default ``<project>/<type>s/<uuid>.<ext>``."""
    project = posixpath.dirname(posixpath.dirname(posixpath.dirname(e.vpath)))  # <project>/pipelines/<name>/metadata.yaml
    conf = block.get("configuration")
    source = conf.get("file_source") if isinstance(conf, dict) else None
    rel = source.get("path") if isinstance(source, dict) and isinstance(source.get("path"), str) else None
    ext = _EXT.get(str(block.get("language") or "python"), "py")
    candidates = [posixpath.join(posixpath.dirname(project), rel), rel] if rel else []
    candidates.append(posixpath.join(project, f"{block['type']}s", f"{block['uuid']}.{ext}"))
    for cand in candidates:
        cand = posixpath.normpath(cand)
        hit = next((f for f in index.select((cand,)) if f.vpath == cand), None)
        if hit is not None:
            return hit
    return None


def _trains(index: FileIndex, e: FileEntry, block: Any) -> bool:
    """A block that trains: its code fits a model or calls training code, or (no code in the snapshot) its name says so."""
    f = _block_file(index, e, block)
    tree = index.python(f.path) if f is not None and f.suffix == ".py" else None
    if isinstance(tree, ast.Module):
        return fits_model(tree) or training_code(tree)
    return trainingish(str(block.get("uuid")), str(block.get("name") or ""))


class MagePipeline(Detector):
    """Mage pipeline metadata: blocks and their upstream/downstream edges, from a data loader into training; feeds D3."""

    id = "mage.pipeline"
    questions = ("D3",)
    globs = ("**/pipelines/*/metadata.yaml", "**/pipelines/*/metadata.yml")
    needs = globs
    needs_text = (b"upstream_blocks",)
    signals = ("pipeline.dag",)

    def detect(self, index: FileIndex) -> Iterator[Finding]:
        for e in index.select(self.globs):
            if e.test or not index.contains(e.path, (b"upstream_blocks",)):
                continue
            for doc in index.yaml(e.path):
                yield from self._pipeline(index, e, doc)

    def _pipeline(self, index: FileIndex, e: FileEntry, doc: Any) -> Iterator[Finding]:
        blocks = _blocks(doc)
        by_uuid = {b["uuid"]: b for b in blocks}
        upstream: dict[str, set[str]] = {u: set() for u in by_uuid}
        for b in blocks:
            ups = b.get("upstream_blocks")
            upstream[b["uuid"]] |= {u for u in ups if u in by_uuid} if isinstance(ups, list) else set()
            downs = b.get("downstream_blocks")
            for d in downs if isinstance(downs, list) else ():
                if d in by_uuid:
                    upstream[d].add(b["uuid"])
        edges = sum(len(v) for v in upstream.values())
        if len(blocks) < 2 or not edges:
            return

        def ancestors(u: str) -> set[str]:
            return reachable(upstream, (u,))

        training = [b for b in blocks if _trains(index, e, b)]
        # lineage from the raw data: a data loader block upstream of a training block
        fed = [b for b in training if upstream[b["uuid"]] and any(by_uuid[a]["type"] == "data_loader" for a in ancestors(b["uuid"]))]
        lead = fed[0] if fed else next((b for b in blocks if upstream[b["uuid"]]), blocks[0])
        line = lead.line_of("upstream_blocks") if hasattr(lead, "line_of") else None
        head = doc.line_of("blocks") if hasattr(doc, "line_of") else None
        extra = [replace(self.evidence(index, e.path, line), fact="lineage_edge")] if fed and line else []
        # blocks that never pass data from a loader into training order tasks only: weak (no lineage to the model's input)
        yield self.found("pipeline.dag", index, e.path, head, extra=extra, strength=Strength.MEDIUM if fed else Strength.WEAK,
                         attrs={"tool": "mage", "steps": len(blocks), "kind": "blocks", "training": bool(training),
                                "data_io": bool(fed), "edges": edges})
