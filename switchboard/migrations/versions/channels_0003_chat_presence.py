"""channels: agents' chat presence, shared by every web process

Revision ID: channels_0003
Revises: channels_0002
Create Date: 2026-11-22 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import switchboard.db_types

revision = "channels_0003"
down_revision = "channels_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_presence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("until", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("chat_presence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_presence_until"), ["until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_presence_until"))
    op.drop_table("chat_presence")
