"""Where scan facts persist between scans: one SQLite database in the user's cache directory.

Values are JSON (zlib-compressed), never pickle: a cache directory another user or a tampered file could write
must not be able to run code. The database is opened in WAL mode with a busy timeout, so concurrent scans read
while one writes; each scan writes its new entries in one transaction at the end. The total size is bounded:
past ``max_bytes`` the least recently used entries go. Any database error turns the cache off for that scan
(the scan goes on, uncached): a cache never makes a scan fail. Nothing is synced to disk (a cache needs no
durability); a database a power cut damaged is removed and the next scan starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from pathlib import Path
from typing import Any

try:  # the C module alone: the ``sqlite3`` package imports ``datetime`` for adapters this cache never uses (~1-2 ms)
    import _sqlite3 as sqlite3
except ImportError:  # pragma: no cover - an interpreter that only has the package
    import sqlite3  # type: ignore[no-redef]

SCHEMA = 2  # 2: size and last use before the value in a row, the total size kept in ``meta`` (flush)
DB_NAME = "facts.sqlite3"
DEFAULT_MAX_BYTES = 512 << 20
ENV_DIR = "MLSCAN_CACHE_DIR"
ENV_MAX_MB = "MLSCAN_CACHE_MAX_MB"
# SQLite's words for a file that is not (or no longer) a sound database
DAMAGED = ("file is not a database", "database disk image is malformed")


def default_dir() -> Path:
    """``$MLSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlscan``, else ``~/.cache/mlscan``."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and os.path.isabs(os.path.expanduser(xdg)) else Path.home() / ".cache"
    return base / "mlscan"


def _max_bytes() -> int:
    try:
        return max(1, int(os.environ.get(ENV_MAX_MB, ""))) << 20
    except ValueError:
        return DEFAULT_MAX_BYTES


def encode(value: Any) -> bytes:
    # ASCII escapes: file names that are not UTF-8 (surrogate-escaped by the index) survive the round trip
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode("ascii"), 1)


def decode(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("ascii"))


class Store:
    """Entries (kind, key) -> JSON value. ``get`` reads at once; ``put`` is buffered until ``flush``."""

    def __init__(self, directory: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.dir = Path(directory) if directory is not None else default_dir()
        self.max_bytes = max_bytes or _max_bytes()
        self._db: sqlite3.Connection | None = None
        self._pending: dict[tuple[str, str], bytes] = {}
        self._used: set[tuple[str, str]] = set()
        self.broken = False
        self.error = ""
        self._pid = os.getpid()  # a forked worker never uses the scanning process's connection

    # ------------------------------------------------------------ connection
    def _conn(self) -> sqlite3.Connection | None:
        if os.getpid() != self._pid:
            return None
        if self._db is not None or self.broken:
            return self._db
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.dir / DB_NAME
            if path.is_symlink():
                raise OSError(f"{path} is a symlink")
            db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
            # A cache needs no durability: without fsync a new database costs no 8 fdatasync calls (~20-60 ms of a
            # small scan's wall time here) and each scan's closing checkpoint none. A crash of the process loses
            # nothing (the OS holds the writes); a power cut may damage the file, which is then replaced (_off).
            db.execute("PRAGMA synchronous=OFF")
            for attempt in range(50):  # switching a new file to WAL can meet another opener's lock without the busy wait
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError:
                    if attempt == 49:
                        raise
                    time.sleep(0.02)
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
            if row is None or row[0] != str(SCHEMA):
                db.execute("BEGIN IMMEDIATE")
                # another scan may have created the table (and written to it) since the unlocked look: check again
                row = db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
            if row is None or row[0] != str(SCHEMA):
                db.execute("DROP TABLE IF EXISTS entries")
                db.execute("CREATE TABLE entries (kind TEXT, key TEXT, size INTEGER, used REAL, value BLOB, PRIMARY KEY (kind, key))")
                db.execute("CREATE INDEX IF NOT EXISTS entries_used ON entries (used)")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('total', '0')")
            if db.in_transaction:
                db.execute("COMMIT")
            self._db = db
        except (OSError, sqlite3.Error) as e:
            self._off(e)
        return self._db

    def _off(self, e: BaseException) -> None:
        self.broken = True
        self.error = f"{type(e).__name__}: {e}"
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        if isinstance(e, sqlite3.DatabaseError) and any(m in str(e) for m in DAMAGED):
            self._discard()

    def _discard(self) -> None:
        """Remove a damaged database (and its WAL): this scan runs uncached, the next one starts a new cache. A scan
        that has it open keeps its own handle."""
        for suffix in ("", "-wal", "-shm"):
            path = self.dir / (DB_NAME + suffix)
            with contextlib.suppress(OSError):
                if not path.is_symlink():
                    path.unlink()

    # ------------------------------------------------------------ entries
    def get(self, kind: str, key: str) -> Any:
        """The stored value, or None (absent, unreadable, cache off)."""
        pending = self._pending.get((kind, key))
        if pending is not None:
            return decode(pending)
        db = self._conn()
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE kind=? AND key=?", (kind, key)).fetchone()
        except sqlite3.Error as e:
            self._off(e)
            return None
        if row is None:
            return None
        try:
            value = decode(row[0])
        except (ValueError, zlib.error):
            return None  # a damaged entry is a miss; the next put replaces it
        self._used.add((kind, key))
        return value

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]:
        """Values of those keys that are stored."""
        out: dict[str, Any] = {}
        db = self._conn()
        if db is None:
            return out
        try:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT key, value FROM entries WHERE kind=? AND key IN ({marks})", (kind, *part)):  # noqa: S608 - only placeholders
                    try:
                        out[key] = decode(blob)
                    except (ValueError, zlib.error):
                        continue
                    self._used.add((kind, key))
        except sqlite3.Error as e:
            self._off(e)
        return out

    def put(self, kind: str, key: str, value: Any) -> None:
        if not self.broken and os.getpid() == self._pid:
            self._pending[(kind, key)] = encode(value)

    def flush(self) -> None:
        """Write the buffered entries and mark the read ones as used, in one transaction; then evict past the bound.
        The total size is kept in ``meta`` and moved by what is written, replaced and evicted: summing the sizes of every
        entry at each flush read the whole table (a full default cache, 1.2 M entries: 0.5-0.8 s of every scan, however
        small, with the write lock held)."""
        db = self._conn()
        if db is None or (not self._pending and not self._used):
            self._pending.clear()
            return
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            total = self._total(db)
            for kind, key in self._pending:
                row = db.execute("SELECT size FROM entries WHERE kind=? AND key=?", (kind, key)).fetchone()
                if row is not None:
                    total -= row[0]  # replaced
            db.executemany("INSERT OR REPLACE INTO entries (kind, key, size, used, value) VALUES (?, ?, ?, ?, ?)",
                           [(k, key, len(blob), now, blob) for (k, key), blob in self._pending.items()])
            total += sum(len(blob) for blob in self._pending.values())
            db.executemany("UPDATE entries SET used=? WHERE kind=? AND key=?", [(now, k, key) for k, key in self._used - self._pending.keys()])
            if total > self.max_bytes:
                total = self._evict(db, total)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('total', ?)", (str(total),))
            db.execute("COMMIT")
        except sqlite3.Error as e:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self._off(e)
        self._pending.clear()
        self._used.clear()

    @staticmethod
    def _total(db: sqlite3.Connection) -> int:
        """The entries' total size as kept in ``meta`` (summed once if it is not there)."""
        row = db.execute("SELECT value FROM meta WHERE name='total'").fetchone()
        try:
            return int(row[0]) if row is not None else int(db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0])
        except ValueError:
            return int(db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0])

    def _evict(self, db: sqlite3.Connection, total: int) -> int:
        """Least recently used entries out until the cache holds at most 80 % of its bound; the total left."""
        goal = int(self.max_bytes * 0.8)
        doomed: list[tuple[str, str]] = []
        for kind, key, size in db.execute("SELECT kind, key, size FROM entries ORDER BY used"):
            if total <= goal:
                break
            doomed.append((kind, key))
            total -= size
        db.executemany("DELETE FROM entries WHERE kind=? AND key=?", doomed)
        return total

    def size(self) -> int:
        db = self._conn()
        if db is None:
            return 0
        try:
            return int(db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0])
        except sqlite3.Error:
            return 0

    def close(self) -> None:
        if os.getpid() != self._pid:
            return
        self.flush()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
