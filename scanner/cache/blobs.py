"""What each listed file holds, as an id: Git's blob id where Git's index vouches for the work-tree file, else the
same SHA-1 computed from the bytes (a file larger than anything the index reads is identified by its size, the
only thing about it a scan uses). The listing itself (paths and file types) gets one key.

Git's index is read from the work tree's own ``.git/index`` (``git_index``: no process), else — a linked worktree,
a submodule, a split or sparse index, a SHA-256 repository — with ``git ls-files -s --debug`` (through ``safegit``:
no filters, no hooks): an entry is
trusted when the file's size, modification and change times and inode equal the ones recorded there and it was
not modified in the same instant the index was written (Git's "racy clean" rule); anything else is hashed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..digest import sha256
from ..safegit import finish, start
from ..safegit import run as git_run
from .git_index import read_index, usable_index

INDEX_ARGS = ("ls-files", "-s", "--debug", "-z")
# Git's index up to this size (~50,000 entries) is listed beside the scan's start-up (``start_git_index``); a larger
# repository's facts cache may not be used at all (engine.CACHE_MAX_WORK_FILES), so it is listed only when needed.
START_MAX_INDEX_BYTES = 4 << 20


def start_git_index(root: Path) -> Any:
    """``git ls-files -s --debug`` (the files' blob ids, for the facts cache) started in the background when ``root``
    holds its own ``.git`` directory with a small index: it runs while the scan starts instead of in its middle. None
    otherwise (``ContentIds`` then runs it when first needed)."""
    own = os.path.join(str(root), ".git")
    try:
        if os.path.islink(own) or not os.path.isdir(own) or os.stat(os.path.join(own, "index")).st_size > START_MAX_INDEX_BYTES:
            return None
        if usable_index(own):
            return None  # ContentIds reads the index file itself (git_index), no process
        return start(root, *INDEX_ARGS)
    except OSError:
        return None


def discard(proc: Any) -> None:
    """End a ``start_git_index`` process whose answer is not needed."""
    if proc is not None and proc.poll() is None:
        proc.kill()
    if proc is not None:
        proc.communicate()

HASH_LIMIT = 16 << 20  # the index reads at most this much of any file (a notebook); larger ones are "too large" by size


class ContentIds:
    """Content ids of the files of one scan target, computed on first use."""

    def __init__(self, root: Path, is_git: bool, started: Any = None) -> None:
        self.root = str(root)
        self._started = started  # ``start_git_index``'s process, begun with the scan (by this process: a forked worker
        self._owner = os.getpid()  # runs git itself, as before)
        self._trusted: dict[str, tuple[str, int, int, int, int]] = {}  # path -> (sha, size, mtime_ns, ctime_ns, ino)
        self._racy_ns = 0
        self._ids: dict[str, str] = {}
        self._git = is_git  # Git's index is read on the first ``get`` (a cold scan needs it only when it stores)

    def _read_git_index(self) -> None:
        own = os.path.join(self.root, ".git")
        if self._started is None and not os.path.islink(own) and os.path.isdir(own):
            direct = read_index(own)  # the work tree's own index, read without a git process
            if direct is not None:
                self._trusted, self._racy_ns = direct
                return
        try:
            if self._started is not None and os.getpid() == self._owner:
                proc, self._started = self._started, None
                cp = finish(proc)
            else:
                cp = git_run(Path(self.root), *INDEX_ARGS, check=False)
            # a work tree's own .git directory holds its index (safegit drops GIT_INDEX_FILE); else (a linked
            # worktree, a submodule's .git file, a symlink) git says where
            own = os.path.join(self.root, ".git")
            if os.path.isdir(own) and not os.path.islink(own):
                index_file: str | None = os.path.join(".git", "index")
            else:
                where = git_run(Path(self.root), "rev-parse", "--git-path", "index", check=False)
                index_file = where.stdout.decode("utf-8", "surrogateescape").strip() if where.returncode == 0 else None
        except OSError:
            return
        if cp.returncode != 0:
            return
        if index_file is not None:
            try:
                self._racy_ns = os.stat(os.path.join(self.root, index_file)).st_mtime_ns
            except OSError:
                return  # no index file to compare with: trust nothing
        chunks = cp.stdout.split(b"\0")
        debug_of: dict[str, bytes] = {}
        prev: str | None = None
        heads: list[tuple[str, str, str]] = []
        for chunk in chunks:
            debug, _, head = chunk.rpartition(b"\n") if b"\t" not in chunk.split(b"\n", 1)[0] else (b"", b"", chunk)
            if prev is not None:
                debug_of[prev] = debug
            meta, tab, raw_path = head.partition(b"\t")
            if not tab:
                prev = None
                continue
            parts = meta.split()
            if len(parts) != 3:
                prev = None
                continue
            path = raw_path.decode("utf-8", "surrogateescape")
            heads.append((path, parts[1].decode(), parts[2].decode()))
            prev = path
        for path, sha, stage in heads:
            if stage != "0":
                continue
            fields = _debug_fields(debug_of.get(path, b""))
            try:
                mtime = _ns(fields["mtime"])
                ctime = _ns(fields["ctime"])
                self._trusted[path] = (sha, int(fields["size"]), mtime, ctime, int(fields["ino"]))
            except (KeyError, ValueError):
                continue

    def close(self) -> None:
        """End the started listing if it was never needed."""
        if os.getpid() == self._owner:
            proc, self._started = self._started, None
            discard(proc)

    def seed(self, ids: dict[str, str]) -> None:
        """Content ids known without the disk (the files a notebook writes, which exist only in the notebook)."""
        self._ids.update(ids)

    def lstat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(os.path.join(self.root, path))
        except OSError:
            return None

    def listing_key(self, paths: Iterable[str]) -> str:
        """One hash of the listed paths and their file types (regular, symlink, other, missing)."""
        h = sha256()
        for p in sorted(paths):
            st = self.lstat(p)
            kind = "-" if st is None else "f" if stat.S_ISREG(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "o"
            h.update(p.encode("utf-8", "surrogateescape") + b"\0" + kind.encode() + b"\n")
        return h.hexdigest()

    def get(self, path: str) -> str:
        """The file's content id ('' for a missing file, ``l`` a symlink, ``o`` anything but a regular file)."""
        hit = self._ids.get(path)
        if hit is not None:
            return hit
        if self._git:
            self._git = False
            self._read_git_index()
        st = self.lstat(path)
        if st is None:
            out = ""
        elif stat.S_ISLNK(st.st_mode):
            out = "l"
        elif not stat.S_ISREG(st.st_mode):
            out = "o"
        elif st.st_size > HASH_LIMIT:
            out = f"big:{st.st_size}"
        else:
            known = self._trusted.get(path)
            if (known is not None and known[1] == st.st_size and known[2] == st.st_mtime_ns and known[3] == st.st_ctime_ns
                    and known[4] == st.st_ino and st.st_mtime_ns < self._racy_ns):
                out = known[0]
            else:
                out = self._hash(path, st.st_size)
        self._ids[path] = out
        return out

    def _hash(self, path: str, size: int) -> str:
        try:
            fd = os.open(os.path.join(self.root, path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return ""
        try:
            data = b""
            while len(data) <= HASH_LIMIT:
                more = os.read(fd, max(size + 1 - len(data), 1 << 16))
                if not more:
                    break
                data += more
        except OSError:
            return ""
        finally:
            os.close(fd)
        if len(data) > HASH_LIMIT:
            return f"big:{len(data)}"
        import hashlib  # OpenSSL: faster per byte than the builtin digests (mlscan.digest)

        return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _debug_fields(debug: bytes) -> dict[str, str]:
    """``ctime: 1:2``, ``mtime: 3:4``, ``dev: 5\\tino: 6``, ``size: 7\\tflags: 0`` -> {name: value}."""
    out: dict[str, str] = {}
    for part in debug.replace(b"\t", b"\n").split(b"\n"):
        name, sep, value = part.strip().partition(b":")
        if sep:
            out[name.decode()] = value.strip().decode()
    return out


def _ns(value: str) -> int:
    sec, _, nsec = value.partition(":")
    return int(sec) * 1_000_000_000 + int(nsec or 0)
