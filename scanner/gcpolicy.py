"""The cyclic garbage collector's thresholds while mlscan builds many objects and little cyclic garbage.

Imports (every detector module, the shared facts modules, click) and a scan's detectors allocate far more than the
default 700 objects between collections: on an 11-file repository the default thresholds ran ~55 collections (~10 ms
of a ~150 ms process), on large repositories over half the detectors' time (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def rare_collections(freeze: bool = False) -> Iterator[None]:
    """Collect rarely inside the block; the thresholds in force before it are restored after it (nesting is safe).

    ``freeze`` (the command line's imports only): the objects made so far, modules, classes and tables that live as
    long as the process, are then set aside for good (``gc.freeze``) instead of being traversed by the next
    collections (restoring the thresholds alone only moved that cost to the next collection, ~15 ms). Not for a
    library's scans: garbage frozen there would never be collected."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), max(old[1], 20), max(old[2], 100))
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.set_threshold(*old)
