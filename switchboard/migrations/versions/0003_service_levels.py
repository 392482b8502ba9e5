"""service levels: business calendars, SLA policies, deadline extensions, scheduled jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Ticket columns are added in place (plain ALTER TABLE), never by a batch copy: on SQLite
# that would drop the full-text triggers of migration 0002.
TICKET_COLUMNS = (
    "first_response_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "sla_paused_minutes",
    "sla_extension_minutes",
    "sla_warned_at",
    "sla_breached_at",
)


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "calendar_holidays",
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
        ),
        sa.PrimaryKeyConstraint("calendar_id", "day"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "low", "normal", "high", "urgent", name="priority", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("warn_before_minutes", sa.Integer(), nullable=False),
        sa.Column("raise_priority", sa.Boolean(), nullable=False),
        sa.Column("escalate_team_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["escalate_team_id"],
            ["teams.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="extensionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_extensions_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deadline_extensions_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("due_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ticket_id"),
    )
    with op.batch_alter_table("scheduled_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduled_jobs_done_at"), ["done_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduled_jobs_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_jobs_ticket_id"), ["ticket_id"], unique=False
        )

    op.add_column(
        "tickets",
        sa.Column(
            "first_response_due_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "tickets",
        sa.Column(
            "resolution_due_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "tickets",
        sa.Column("sla_paused_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "tickets", sa.Column("sla_paused_minutes", sa.Float(), nullable=False, server_default="0")
    )
    op.add_column(
        "tickets",
        sa.Column("sla_extension_minutes", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "tickets",
        sa.Column("sla_warned_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "tickets",
        sa.Column(
            "sla_breached_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=True
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("tickets")}
        if "sla_policy_id" not in present:  # left by a downgrade (see there)
            op.execute(
                "ALTER TABLE tickets ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies (id)"
            )
    else:
        op.add_column("tickets", sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_tickets_sla_policy_id", "tickets", "sla_policies", ["sla_policy_id"], ["id"]
        )
    op.create_index("ix_tickets_resolution_due_at", "tickets", ["resolution_due_at"], unique=False)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_tickets_resolution_due_at", table_name="tickets")
    for column in TICKET_COLUMNS:
        if sqlite:
            op.execute(f"ALTER TABLE tickets DROP COLUMN {column}")
        else:
            op.drop_column("tickets", column)
    if not sqlite:  # on SQLite a column with REFERENCES cannot be dropped in place; it stays
        op.drop_constraint("fk_tickets_sla_policy_id", "tickets", type_="foreignkey")
        op.drop_column("tickets", "sla_policy_id")
    with op.batch_alter_table("scheduled_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_jobs_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_jobs_due_at"))
        batch_op.drop_index(batch_op.f("ix_scheduled_jobs_done_at"))

    op.drop_table("scheduled_jobs")
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_status"))

    op.drop_table("deadline_extensions")
    op.drop_table("sla_policies")
    op.drop_table("calendar_holidays")
    op.drop_table("calendars")
    # ### end Alembic commands ###
