"""How many processes a scan uses (``--jobs 0``: auto) and which files count as work: the engine asks this before it
knows whether workers start, so it lives apart from ``parallel`` (pickle, signals, the worker protocol), which only a
scan that forks imports."""

from __future__ import annotations

import os

from .index import WORD_SUFFIXES as _WORD_SUFFIXES
from .index import FileIndex

# Below this many Python, notebook, YAML and JSON files in scope (the files the detectors read and parse), starting
# workers costs more than it saves: on this project's 2-core machine a 660-file SDK repository scanned 1.5x faster
# with 2 processes, a labelled corpus repository of 185 such files no faster.
AUTO_MIN_FILES = 500
MAX_AUTO_JOBS = 8
WORD_SUFFIXES = frozenset(_WORD_SUFFIXES)  # what detectors ask ``mentions`` about (index.WORD_SUFFIXES)
def available() -> bool:
    import multiprocessing  # here, not at module level: small scans never pay for it

    return "fork" in multiprocessing.get_all_start_methods()


def work_files(index: FileIndex) -> int:
    """How many files in scope the detectors will read and parse (WORD_SUFFIXES)."""
    return len(_word_paths(index))


def _word_paths(index: FileIndex) -> list[str]:
    return [e.path for e in index.entries if e.suffix in WORD_SUFFIXES]


def auto_jobs(files: int) -> int:
    """Processes for ``--jobs 0`` (auto), given work_files: one per CPU (at most MAX_AUTO_JOBS) from AUTO_MIN_FILES
    files, else 1."""
    if files < AUTO_MIN_FILES or not available():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS))
