"""The first schema: runs, jobs (the work queue) and scans (one row per project per job).

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("total", sa.Integer, nullable=False),
        sa.UniqueConstraint("key", name="uq_runs_key"),
    )
    op.create_index("ix_runs_source_hash", "runs", ["source_hash"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subdir", sa.String(500), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("auth_host", sa.String(300), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(200)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("head", sa.String(64)),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("seconds", sa.Float),
        sa.Column("updated_at", sa.DateTime),
        sa.UniqueConstraint("run_id", "url", "subdir", name="uq_jobs_run_repo"),
    )
    op.create_index("ix_jobs_run_status", "jobs", ["run_id", "status", "id"])
    op.create_index("ix_jobs_repo_done", "jobs", ["url", "subdir", "status", "id"])
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("repo", sa.String(500), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("subdir", sa.String(500), nullable=False),
        sa.Column("head", sa.String(64)),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("scanned_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("framework", sa.String(100)),
        sa.Column("level", sa.Integer),
        sa.Column("level_name", sa.String(100)),
        sa.Column("yes_count", sa.Integer),
        sa.Column("answers", sa.Text),
        sa.Column("radar", sa.Text),
        sa.Column("pitfalls", sa.Text),
        sa.Column("report", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("seconds", sa.Float),
        sa.UniqueConstraint("job_id", "subdir", name="uq_scans_job_project"),
    )
    op.create_index("ix_scans_target", "scans", ["url", "subdir", "scanned_at"])


def downgrade() -> None:
    op.drop_table("scans")
    op.drop_table("jobs")
    op.drop_table("runs")
