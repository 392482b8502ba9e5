"""acd: a queue's length limit, and leaving a queue nobody serves

Revision ID: acd_0005_queue_limits
Revises: acd_0004_queued_callbacks
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "acd_0005_queue_limits"
down_revision = "acd_0004_queued_callbacks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acd_queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_callers", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("leave_when_empty", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("acd_queues", schema=None) as batch_op:
        batch_op.drop_column("leave_when_empty")
        batch_op.drop_column("max_callers")
