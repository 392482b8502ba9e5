"""acd: agents, queues and the queue log

Revision ID: acd_0001
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "acd_0001"
down_revision = "0005"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy on SQLite: it would drop the FTS triggers)
    op.add_column(
        "call_records", sa.Column("agent", _string(16), nullable=False, server_default="")
    )
    op.create_index("ix_call_records_agent", "call_records", ["agent"], unique=False)
    op.create_table(
        "acd_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension", _string(16), nullable=False),
        sa.Column("name", _string(128), nullable=False),
        sa.Column("sip_md5", _string(32), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_acd_agents_extension", "acd_agents", ["extension"], unique=True)
    op.create_table(
        "acd_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _string(64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("strategy", _string(32), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=True),
        sa.Column("overflow_queue", _string(64), nullable=True),
        sa.Column("wrapup_seconds", sa.Integer(), nullable=False),
        sa.Column("no_answer_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_acd_queues_name", "acd_queues", ["name"], unique=True)
    op.create_table(
        "acd_queue_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("queue", _string(64), nullable=False),
        sa.Column("event", _string(32), nullable=False),
        sa.Column("contact_id", _string(128), nullable=False),
        sa.Column("agent", _string(16), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("at", "queue", "event", "contact_id", "agent"):
        op.create_index(f"ix_acd_queue_log_{column}", "acd_queue_log", [column], unique=False)


def downgrade() -> None:
    op.drop_table("acd_queue_log")
    op.drop_table("acd_queues")
    op.drop_table("acd_agents")
    op.drop_index("ix_call_records_agent", table_name="call_records")
    op.drop_column("call_records", "agent")
