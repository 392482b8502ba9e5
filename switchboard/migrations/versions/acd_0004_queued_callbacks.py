"""acd: queue callbacks kept in the database; queues' caller ID for calls placed for them

Revision ID: acd_0004_queued_callbacks
Revises: acd_0003_teams_callbacks_webrtc
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "acd_0004_queued_callbacks"
down_revision = "acd_0003_teams_callbacks_webrtc"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    when = switchboard.db_types.UtcDateTime(timezone=True)
    op.create_table(
        "acd_queued_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", _string(160), nullable=False),
        sa.Column("asterisk_node", _string(64), nullable=False),
        sa.Column("queue", _string(64), nullable=False),
        sa.Column("number", _string(64), nullable=False),
        sa.Column("call_id", _string(128), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("entered_at", when, nullable=False),
        sa.Column("requested_at", when, nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("outcome", _string(32), nullable=True),
        sa.Column("completed_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_acd_queued_callbacks_contact_id", "acd_queued_callbacks", ["contact_id"], unique=True
    )
    op.create_index(
        "ix_acd_queued_callbacks_asterisk_node", "acd_queued_callbacks", ["asterisk_node"]
    )
    op.create_index("ix_acd_queued_callbacks_status", "acd_queued_callbacks", ["status"])
    op.add_column(
        "acd_queues",
        sa.Column("caller_id", _string(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("acd_queues", "caller_id")
    op.drop_index("ix_acd_queued_callbacks_status", table_name="acd_queued_callbacks")
    op.drop_index("ix_acd_queued_callbacks_asterisk_node", table_name="acd_queued_callbacks")
    op.drop_index("ix_acd_queued_callbacks_contact_id", table_name="acd_queued_callbacks")
    op.drop_table("acd_queued_callbacks")
