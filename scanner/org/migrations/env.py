"""Alembic environment: runs on the connection store.upgrade hands over (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from mlscan.org.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline/CLI use: build the engine from the configured URL
    from mlscan.org.store import normalise_url
    from sqlalchemy import create_engine

    engine = create_engine(normalise_url(context.config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
