"""acd: an agent's web user (who may control their calls), recording per queue

Revision ID: acd_0002_call_control
Revises: acd_0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "acd_0002_call_control"
down_revision = "acd_0001"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # plain ALTER TABLE; no foreign key, so SQLite can drop the column again
    op.add_column("acd_agents", sa.Column("user_id", sa.Integer(), nullable=True))
    op.create_index("ix_acd_agents_user_id", "acd_agents", ["user_id"], unique=True)
    op.add_column(
        "acd_queues",
        sa.Column("record", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "acd_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", _string(128), nullable=False),
        sa.Column("asterisk_node", _string(64), nullable=False),
        sa.Column("queue", _string(64), nullable=False),
        sa.Column("agent", _string(16), nullable=False),
        sa.Column("recording", _string(300), nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("ticket_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_entry_id"], ["ticket_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_acd_recordings_channel_id", "acd_recordings", ["channel_id"])
    op.create_index("ix_acd_recordings_status", "acd_recordings", ["status"])


def downgrade() -> None:
    op.drop_index("ix_acd_recordings_status", table_name="acd_recordings")
    op.drop_index("ix_acd_recordings_channel_id", table_name="acd_recordings")
    op.drop_table("acd_recordings")
    op.drop_column("acd_queues", "record")
    op.drop_index("ix_acd_agents_user_id", table_name="acd_agents")
    op.drop_column("acd_agents", "user_id")
