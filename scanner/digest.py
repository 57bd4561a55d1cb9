"""SHA-256 of short texts (cache keys, fingerprints, the rule-pack bundle's digests) without ``hashlib``.

``import hashlib`` loads OpenSSL's ``_hashlib`` (3-10 ms of a small scan's start-up); CPython's own ``_sha256`` module
gives the same digests and loads in a fraction of that. Bulk hashing of file contents keeps ``hashlib`` (OpenSSL is
faster per byte), imported where it is used. Where the builtin module is missing, ``hashlib`` answers.
"""

from __future__ import annotations

from typing import Any

sha256: Any

try:  # CPython 3.11
    from _sha256 import sha256
except ImportError:  # pragma: no cover - CPython 3.12+ or a build without it
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        from hashlib import sha256  # type: ignore[no-redef]


def sha256_hex(data: bytes) -> str:
    return sha256(data).hexdigest()  # type: ignore[no-any-return]
