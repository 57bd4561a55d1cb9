"""Files mlscan derives from its own code and keeps beside its ``.pyc`` files, with the same rules as they.

A value that depends only on mlscan's installed code (the compiled methods of its dataclasses, the scan vocabulary)
is worth computing once per installation. It lives in the ``__pycache__`` directory Python uses for the module's
bytecode (``cache_from_source``, so ``PYTHONPYCACHEPREFIX`` counts), is written atomically and never when bytecode
writing is off (``PYTHONDONTWRITEBYTECODE``, ``-B``) or the directory is read-only; whoever reads it checks it.
"""

from __future__ import annotations

import contextlib
import os
import sys


def stored_path(module_file: str, suffix: str) -> str | None:
    """``.../__pycache__/<module>.<tag><suffix>`` for the module at ``module_file``; None without a cache tag."""
    try:
        import _frozen_importlib_external as bootstrap

        pyc = bootstrap.cache_from_source(module_file)
    except (ImportError, NotImplementedError, ValueError, TypeError):
        return None
    return pyc[: -len(".pyc")] + suffix if pyc.endswith(".pyc") else None


def write(path: str | None, data: bytes) -> bool:
    """Replace the file at ``path`` with ``data`` (True when written)."""
    if path is None or sys.dont_write_bytecode:
        return False
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
