"""Git's index file read directly (format versions 2-4): each stage-0 entry's blob id and the stat data Git recorded
for it, the same values ``git ls-files -s --debug`` prints, without a ``git`` process (its fork and run were ~5-10 ms
of CPU of every small cached scan). Anything this reader does not follow — a split or sparse index, a SHA-256
repository, an unknown version, a truncated file — answers None, and the caller asks ``git`` as before."""

from __future__ import annotations

import os
import struct

# ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size (32-bit each, as Git stores them), SHA-1, flags
_ENTRY = struct.Struct(">10I20sH")
_EXTENDED = 0x4000
_UNSUPPORTED_EXTENSIONS = (b"link", b"sdir")  # split index (entries elsewhere), sparse index (directory entries)
MAX_INDEX_BYTES = 64 << 20


# path -> (sha, size, mtime_ns, ctime_ns, ino), as blobs.ContentIds trusts them
Trusted = dict[str, tuple[str, int, int, int, int]]


def usable_index(git_dir: str) -> bool:
    """Is ``git_dir``'s index likely readable here (a SHA-1 repository)? A split or sparse index is found only when
    read (then git reads it)."""
    try:  # (no symlink followed out of the repository)
        fd = os.open(os.path.join(git_dir, "config"), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        return b"objectformat" not in os.read(fd, 1 << 20).lower()  # extensions.objectFormat (SHA-256 ids)
    except OSError:
        return False
    finally:
        os.close(fd)


def read_index(git_dir: str) -> tuple[Trusted, int] | None:
    """The stage-0 entries of ``git_dir``'s index and the index file's modification time (ns), or None (read by git)."""
    if not usable_index(git_dir):
        return None
    try:
        fd = os.open(os.path.join(git_dir, "index"), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_size > MAX_INDEX_BYTES:
            return None
        data = b""
        while True:
            more = os.read(fd, max(st.st_size + 1 - len(data), 1 << 16))
            if not more:
                break
            data += more
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        entries = _parse(data)
    except (struct.error, ValueError, IndexError):
        return None
    return None if entries is None else (entries, st.st_mtime_ns)


def _parse(data: bytes) -> Trusted | None:
    if len(data) < 32 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        return None
    out: Trusted = {}
    pos, prev = 12, b""
    unpack, size = _ENTRY.unpack_from, _ENTRY.size
    for _ in range(count):
        start = pos
        cs, cn, ms, mn, _dev, ino, _mode, _uid, _gid, fsize, sha, flags = unpack(data, pos)
        pos += size
        if flags & _EXTENDED:
            if version < 3:
                return None
            pos += 2
        if version == 4:
            byte = data[pos]  # how many bytes of the previous path to drop (Git's offset varint)
            pos += 1
            strip = byte & 0x7F
            while byte & 0x80:
                byte = data[pos]
                pos += 1
                strip = ((strip + 1) << 7) | (byte & 0x7F)
            end = data.index(b"\0", pos)
            if strip > len(prev):
                return None
            name = prev[: len(prev) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.index(b"\0", pos)
            name = data[pos:end]
            pos = start + ((end - start) // 8 + 1) * 8  # NUL-padded to a multiple of 8 bytes
        prev = name
        if (flags >> 12) & 3:
            continue  # a conflict's stages: not a work-tree file Git vouches for
        path = name.decode("utf-8", "surrogateescape")
        out[path] = (sha.hex(), fsize, ms * 1_000_000_000 + mn, cs * 1_000_000_000 + cn, ino)
    trailer = len(data) - 20
    while pos + 8 <= trailer:  # extensions: 4-byte signature, 4-byte size
        sig = data[pos : pos + 4]
        if sig in _UNSUPPORTED_EXTENSIONS:
            return None
        pos += 8 + struct.unpack_from(">I", data, pos + 4)[0]
    return out if pos == trailer else None
