"""Pinned dependencies: which requirement specs pin a version (``==``, ``===``, a URL, a patch-level ``~=``), the pinned
share of a requirements file, and where requirements files are."""

from __future__ import annotations

import re

from mlscan.index.formats import Requirement

REQ_GLOBS = ("**/requirements*.txt", "**/requirements/*.txt", "**/*requirements.txt", "**/*-requirements.txt", "**/*.requirements.txt")


def pinned(spec: str, raw: str = "") -> bool:
    """``==``/``===``/URL pins, and ``~=X.Y.Z`` (patch-level compatible release)."""
    spec = spec.strip()
    return spec.startswith(("==", "===")) or "@" in raw.split(";")[0] or bool(re.match(r"~=\s*\d+\.\d+\.\d+", spec))


def share(reqs: list[Requirement]) -> tuple[int, int]:
    """(pinned, all) requirements."""
    return sum(pinned(r.spec, r.raw) for r in reqs), len(reqs)
