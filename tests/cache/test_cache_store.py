"""The facts cache's storage: SQLite entries as JSON, bounded, safe to share; content ids; exact codecs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
from pathlib import Path
from types import MappingProxyType

import pytest
from mlscan.cache import codec
from mlscan.cache.blobs import ContentIds
from mlscan.cache.store import DB_NAME, Store, default_dir
from mlscan.model import Evidence, Finding, Source, Strength

from tests.conftest import GIT_ENV, git_init


def test_default_dir_follows_env_then_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLSCAN_CACHE_DIR", str(tmp_path / "c"))
    assert default_dir() == tmp_path / "c"
    monkeypatch.delenv("MLSCAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "mlscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # not absolute: ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home" / ".cache" / "mlscan"


def test_put_flush_get_and_private_files(tmp_path: Path) -> None:
    s = Store(tmp_path / "c")
    s.put("fact", "k1", {"a": [1, "x", None]})
    assert s.get("fact", "k1") == {"a": [1, "x", None]}  # pending entries are visible before the flush
    s.close()
    assert (tmp_path / "c" / DB_NAME).stat().st_mode & 0o777 == 0o600
    s2 = Store(tmp_path / "c")
    assert s2.get("fact", "k1") == {"a": [1, "x", None]}
    assert s2.get_many("fact", ["k1", "nope"]) == {"k1": {"a": [1, "x", None]}}
    assert s2.get("run", "k1") is None
    s2.close()


def test_values_are_json_never_pickle(tmp_path: Path) -> None:
    import sqlite3
    import zlib

    s = Store(tmp_path)
    s.put("fact", "k", ["v"])
    s.close()
    db = sqlite3.connect(str(tmp_path / DB_NAME))
    (blob,) = db.execute("SELECT value FROM entries").fetchone()
    assert json.loads(zlib.decompress(blob)) == ["v"]
    db.execute("UPDATE entries SET value=?", (b"\x80\x04garbage",))  # a damaged or planted entry is a miss
    db.commit()
    db.close()
    assert Store(tmp_path).get("fact", "k") is None


def test_bounded_least_recently_used_out(tmp_path: Path) -> None:
    s = Store(tmp_path, max_bytes=40_000)
    noise = os.urandom(6000).hex()  # incompressible
    for i in range(10):
        s.put("fact", f"k{i}", noise + str(i))
        s.flush()
    assert s.size() <= 40_000
    assert s.get("fact", "k9") is not None and s.get("fact", "k0") is None
    s.close()


def test_unusable_directory_turns_the_cache_off(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    s = Store(tmp_path / "file" / "sub")
    s.put("fact", "k", 1)
    assert s.get("fact", "nope") is None and s.broken
    s.close()  # no exception


def test_concurrent_writers(tmp_path: Path) -> None:
    def write(n: int) -> None:
        s = Store(tmp_path)
        for i in range(20):
            s.put("fact", f"{n}-{i}", i)
            s.flush()
        s.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = Store(tmp_path)
    assert all(s.get("fact", f"{n}-19") == 19 for n in range(4)) and not s.broken


def test_content_ids_trust_git_only_for_untouched_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    git_init(tmp_path, commit=False)
    blob = subprocess.run(["git", "hash-object", "a.py"], cwd=tmp_path, check=True, env=GIT_ENV, capture_output=True).stdout.decode().strip()
    ids = ContentIds(tmp_path, True)
    assert ids.get("a.py") == blob
    (tmp_path / "b.py").write_text("y = 3\n")  # changed after `git add`: hashed, not the index's id
    (tmp_path / "c.py").write_text("z = 1\n")  # untracked
    ids = ContentIds(tmp_path, True)
    want = subprocess.run(["git", "hash-object", "b.py", "c.py"], cwd=tmp_path, check=True, env=GIT_ENV,
                          capture_output=True).stdout.decode().split()
    assert [ids.get("b.py"), ids.get("c.py")] == want
    os.symlink("/etc/passwd", tmp_path / "link.py")
    assert ids.get("link.py") == "l" and ids.get("missing.py") == ""
    key = ids.listing_key(["a.py", "b.py"])
    assert ContentIds(tmp_path, False).listing_key(["b.py", "a.py"]) == key
    assert ContentIds(tmp_path, False).get("a.py") == blob  # outside Git: the same id from the bytes


def test_finding_codec_is_exact() -> None:
    f = Finding("s", "d", (Evidence("p.py", 3, "token = abc", "d", Strength.STRONG, Source.DECLARED, 5),),
                MappingProxyType({"t": (1, "a"), "l": [True, None, 1.5], "m": {"k": frozenset({"x"})}, "e": Strength.WEAK}),
                Strength.WEAK)
    g = codec.unfinding(json.loads(json.dumps(codec.finding(f))))
    assert g.to_json() == f.to_json() and dict(g.attrs) == dict(f.attrs) and g.evidence == f.evidence
    assert type(g.attrs["t"]) is tuple and type(g.attrs["e"]) is Strength
    with pytest.raises(codec.Uncacheable):
        codec.finding(Finding("s", "d", (), MappingProxyType({"x": object()})))


def test_evidence_codec_keeps_every_field() -> None:
    """Every Evidence field survives the cache (a field left out changed which dvc.lock line a warm scan cited)."""
    from mlscan.valueclass import fields

    e = Evidence("dvc.lock", 6, "- path: data/raw.csv", "dvc.data", Strength.STRONG, Source.OBSERVED, 7, "stages.a.deps.path",
                 ("run by x.sh:3",), ("optional: runs only when enabled or installed",), "data_deps")
    bare = Evidence("", None, "")
    assert all(getattr(e, f) != getattr(bare, f) for f in fields(Evidence))  # the sample sets each field
    assert codec.unevidence(json.loads(json.dumps(codec.evidence(e)))) == e


def test_a_damaged_database_is_replaced(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"not SQLite at all, " * 400)  # what a power cut can leave without syncs
    s = Store(tmp_path)
    assert s.get("fact", "k") is None and s.broken  # this scan runs uncached
    assert not (tmp_path / DB_NAME).exists()
    s2 = Store(tmp_path)  # the next one starts a new cache
    s2.put("fact", "k", [1])
    s2.close()
    s3 = Store(tmp_path)
    assert s3.get("fact", "k") == [1] and not s3.broken
    assert s3._conn().execute("PRAGMA synchronous").fetchone()[0] == 0  # type: ignore[union-attr]  # no fsync
    s3.close()


def _kept_and_summed(tmp_path: Path) -> tuple[int, int]:
    db = sqlite3.connect(str(tmp_path / "facts.sqlite3"))
    try:
        kept = int(db.execute("SELECT value FROM meta WHERE name='total'").fetchone()[0])
        return kept, int(db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0])
    finally:
        db.close()


def test_the_kept_total_follows_writes_replacements_and_evictions(tmp_path: Path) -> None:
    """flush moves the total kept in ``meta`` instead of summing every entry (a full cache: ~0.5 s a scan)."""
    s = Store(tmp_path, max_bytes=20_000)
    noise = os.urandom(3000).hex()
    for i in range(12):
        s.put("fact", f"k{i % 8}", noise + str(i))  # k0..k3 written again: replaced, not added
        s.put("unit", f"u{i}", i)
        s.flush()
        kept, summed = _kept_and_summed(tmp_path)
        assert kept == summed
    assert summed <= 20_000 and s.get("fact", "k3") is not None and s.get("fact", "k4") is None  # evicted by the kept total
    s.close()
    writers = [Store(tmp_path) for _ in range(3)]  # scans open at once, each flushing at its end
    for n, w in enumerate(writers):
        w.put("fact", f"w{n}", noise)
    for w in writers:
        w.close()
    kept, summed = _kept_and_summed(tmp_path)
    assert kept == summed
