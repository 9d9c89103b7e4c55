"""The aggregator's tables on PostgreSQL: the SQLite store's schema (sqlite_schema.py) with the team view's
columns (team, device, token kinds, provider sums) from the start.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

F = sa.Float(precision=53)  # DOUBLE PRECISION: sums of token counts stay exact up to 2**53


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("idem_key", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("kid", sa.Text, nullable=False),
        sa.Column("license_id", sa.Text),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("received_at", F, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.UniqueConstraint("scope", "idem_key", name="uploads_scope_key"),
    )
    op.create_index("uploads_by_scope", "uploads", ["scope", "bytes"])
    op.create_index("uploads_by_time", "uploads", ["received_at"])
    op.create_table(
        "metrics",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("upload_id", sa.Text, sa.ForeignKey("uploads.id"), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("is_day", sa.Integer, nullable=False),
        sa.Column("sessions", F),
        sa.Column("turns", F),
        sa.Column("features_shipped", F),
        sa.Column("cost_usd", F),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("team", sa.Text),
        sa.Column("device", sa.Text),
    )
    op.create_index("metrics_by_day", "metrics", ["is_day", "period", "scope"])
    op.create_index("metrics_by_team", "metrics", ["is_day", "period", "team", "device"])
    op.create_index("metrics_by_upload", "metrics", ["upload_id"])
    op.create_table(
        "metrics_models",
        sa.Column("metric_id", sa.BigInteger, sa.ForeignKey("metrics.id"), primary_key=True),
        sa.Column("model", sa.Text, primary_key=True),
        sa.Column("tokens", F),
        sa.Column("cost_usd", F),
        sa.Column("input", F),
        sa.Column("output", F),
        sa.Column("cache_creation", F),
        sa.Column("cache_read", F),
    )
    op.create_table(
        "metrics_providers",
        sa.Column("metric_id", sa.BigInteger, sa.ForeignKey("metrics.id"), primary_key=True),
        sa.Column("provider", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text),
        sa.Column("features", F),
        sa.Column("capacity", F),
        sa.Column("quality_features", F),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("upload_id", sa.Text, sa.ForeignKey("uploads.id"), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("events_by_upload", "events", ["upload_id"])
    op.create_table(
        "invite_uses",
        sa.Column("invite_id", sa.Text, primary_key=True),
        sa.Column("uses", sa.Integer, nullable=False),
    )
    op.create_table(
        "health",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", F, nullable=False),
        sa.CheckConstraint("id = 1", name="health_one_row"),
    )
    op.create_table(
        "policies",
        sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kid", sa.Text, nullable=False),
        sa.Column("exp", sa.BigInteger, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "policies",
        "health",
        "invite_uses",
        "events",
        "metrics_providers",
        "metrics_models",
        "metrics",
        "uploads",
    ):
        op.drop_table(table)
