"""The results database: SQLAlchemy 2 Core tables, SQLite by default, PostgreSQL by URL.

The schema is created and upgraded by the Alembic migrations shipped in ``mlscan.org.migrations``, applied
automatically when a store is opened (under an advisory lock on PostgreSQL, so that workers starting together
migrate once). One ``scans`` row per project per job keeps the level, answers and the full JSON report;
rows are never updated or deleted, so the history stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from .interface import OrgError

DEFAULT_DB = "sqlite:///mlscan-org.sqlite"
metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("source_hash", String(64), nullable=False, index=True),
    Column("sources", Text, nullable=False),  # JSON list: github:ORG, list:FILE, ... (never a token)
    Column("settings", Text, nullable=False),  # JSON: frameworks, rules, excludes, use_attestations
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("total", Integer, nullable=False, default=0),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("subdir", String(500), nullable=False, default=""),
    Column("source", String(300), nullable=False, default=""),
    Column("auth_host", String(300), nullable=False, default=""),
    Column("status", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200)),
    Column("lease_until", DateTime),
    Column("head", String(64)),
    Column("fingerprint", String(64)),
    Column("reason", Text, nullable=False, default=""),
    Column("seconds", Float),
    Column("updated_at", DateTime),
    UniqueConstraint("run_id", "url", "subdir", name="uq_jobs_run_repo"),
    Index("ix_jobs_run_status", "run_id", "status", "id"),
    Index("ix_jobs_repo_done", "url", "subdir", "status", "id"),
)

scans = Table(
    "scans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False),
    Column("repo", String(500), nullable=False),
    Column("url", Text, nullable=False),
    Column("subdir", String(500), nullable=False, default=""),
    Column("head", String(64)),
    Column("fingerprint", String(64)),
    Column("scanned_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False),  # ok | failed
    Column("framework", String(100)),
    Column("level", Integer),
    Column("level_name", String(100)),
    Column("yes_count", Integer),
    Column("answers", Text),  # JSON {question id: answer}
    Column("radar", Text),  # JSON [{dimension, level}]
    Column("pitfalls", Text),  # JSON [pitfall id]
    Column("report", Text),  # the full JSON report
    Column("reason", Text, nullable=False, default=""),
    Column("seconds", Float),
    UniqueConstraint("job_id", "subdir", name="uq_scans_job_project"),
    Index("ix_scans_target", "url", "subdir", "scanned_at"),
)


def now() -> datetime:
    """UTC, naive (the same on SQLite and PostgreSQL columns without a time zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_setup(engine: Engine) -> None:
    """WAL, a busy timeout and ``BEGIN IMMEDIATE``: several processes may share one SQLite file safely.

    ``synchronous=NORMAL``: a commit is not flushed to disk on its own (the WAL is, at each checkpoint). A killed
    process loses nothing (its commits are in the operating system's hands); a power cut may undo the last
    commits, each whole: a job's scans and its final state commit together, so an undone job is simply scanned
    again by the rerun, never stored twice. It saves two flushes per repository in the worker (its claim and
    its completion), which bounded how fast it could feed its slots with small repositories."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3; a bare path is a SQLite file."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redact_db_url(url: str) -> str:
    """The database URL without its password, for messages."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, at, host = rest.rpartition("@")
    if not at:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


@dataclass
class Store:
    engine: Engine
    url: str

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str = DEFAULT_DB, *, migrate: bool = True) -> Store:
    """Connect and bring the schema to the newest migration."""
    full = normalise_url(url)
    try:
        engine = create_engine(full, pool_pre_ping=True, future=True)
        if engine.dialect.name == "sqlite":
            _sqlite_setup(engine)
        store = Store(engine, redact_db_url(url))
        if migrate:
            upgrade(store)
        return store
    except ModuleNotFoundError as e:
        raise OrgError(f"database driver missing for {redact_db_url(url)}: {e.name} (pip install 'mlscan[org]')") from None
    except SQLAlchemyError as e:
        raise OrgError(f"cannot open database {redact_db_url(url)}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    msg = str(getattr(e, "orig", None) or e).strip().splitlines()
    return msg[0] if msg else type(e).__name__


MIGRATION_LOCK = 0x6D6C7363  # "mlsc": the advisory lock id held while migrating on PostgreSQL


def upgrade(store: Store) -> None:
    """Apply the shipped Alembic migrations up to head."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        if store.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def loads(value: str | None) -> Any:
    return json.loads(value) if value else None
