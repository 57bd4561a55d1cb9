"""Files mlscan derives from its own code and keeps beside its ``.pyc`` files, with the same rules as they.

A value that depends only on mlscan's installed code (the compiled methods of its dataclasses, the scan vocabulary)
is worth computing once per installation. It lives in the ``__pycache__`` directory Python uses for the module's
bytecode (``cache_from_source``, so ``PYTHONPYCACHEPREFIX`` counts), is written atomically and never when bytecode
writing is off (``PYTHONDONTWRITEBYTECODE``, ``-B``) or the directory is read-only; whoever reads it checks it.

Such a file is trusted like the ``.pyc`` beside it (the compiled dataclass methods are marshalled code), so ``read``
takes it only as this user wrote it: a regular file (no symbolic link followed), owned by the effective user, writable
by nobody else, in a directory nobody else may write into (unless sticky). Nothing a scan reads ever lands here: the
files are derived from mlscan's own modules (and, for lazyre's, the patterns of the installed modules it imports) only,
never from a scanned repository or the facts cache.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys

MAX_BYTES = 16 << 20  # far above what mlscan stores (the dataclass code is ~200 KB)


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


def read(path: str | None) -> bytes | None:
    """The bytes of the stored file at ``path``, or None when it is absent or not trustworthy (see the module's text)."""
    if path is None:
        return None
    try:
        parent = os.stat(os.path.dirname(path) or ".")
        if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX or parent.st_mode & stat.S_IWGRP:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or st.st_size > MAX_BYTES:
            return None
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
