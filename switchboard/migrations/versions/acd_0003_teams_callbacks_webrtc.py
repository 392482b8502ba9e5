"""acd: teams, agents' team and WebRTC phones, queues' announcements and callback key

Revision ID: acd_0003_teams_callbacks_webrtc
Revises: acd_0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "acd_0003_teams_callbacks_webrtc"
down_revision = "acd_0001"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "acd_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _string(64), nullable=False),
        sa.Column("description", _string(256), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_acd_teams_name", "acd_teams", ["name"], unique=True)
    # plain ALTER TABLE (no batch copy on SQLite); no foreign keys, so they drop again
    op.add_column("acd_agents", sa.Column("team", _string(64), nullable=True))
    op.create_index("ix_acd_agents_team", "acd_agents", ["team"], unique=False)
    op.add_column(
        "acd_agents",
        sa.Column("webrtc", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("acd_queues", sa.Column("announce_every_seconds", sa.Integer(), nullable=True))
    op.add_column("acd_queues", sa.Column("callback_key", _string(1), nullable=True))


def downgrade() -> None:
    op.drop_column("acd_queues", "callback_key")
    op.drop_column("acd_queues", "announce_every_seconds")
    op.drop_column("acd_agents", "webrtc")
    op.drop_index("ix_acd_agents_team", table_name="acd_agents")
    op.drop_column("acd_agents", "team")
    op.drop_index("ix_acd_teams_name", table_name="acd_teams")
    op.drop_table("acd_teams")
