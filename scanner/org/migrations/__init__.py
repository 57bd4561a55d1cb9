"""Alembic migrations of the org-scan results database (applied automatically by store.open_store)."""
