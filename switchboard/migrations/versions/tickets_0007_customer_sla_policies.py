"""tickets: SLA policies for one customer organisation

Revision ID: tickets_0007
Revises: tickets_0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tickets_0007"
down_revision = "tickets_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_sla_policies_organisation_id_contacts", "contacts", ["organisation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sla_policies_organisation_id_contacts", type_="foreignkey")
        batch_op.drop_column("organisation_id")
