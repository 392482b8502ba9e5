"""tickets: street registry, custom fields per category, registry flag on addresses

Revision ID: tickets_0005
Revises: 0005
Create Date: 2026-11-22

Only new tables, and one column added to ``addresses`` in place: ``tickets`` and
``ticket_entries`` are never touched (a batch recreate on SQLite drops the FTS triggers).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "tickets_0005"
down_revision = "0005"
branch_labels = None
depends_on = None

FIELD_TYPES = sa.Enum(
    "text", "number", "date", "choice", name="fieldtype", native_enum=False, length=32
)


def upgrade() -> None:
    op.create_table(
        "streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("postal_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "postal_code", "city"),
    )
    # Prefix completion: LIKE 'key%' on PostgreSQL needs pattern ops under any collation.
    op.create_index(
        "ix_streets_name_key",
        "streets",
        ["name_key", "postal_code"],
        postgresql_ops={"name_key": "varchar_pattern_ops"},
    )
    op.create_table(
        "category_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("type", FIELD_TYPES, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category_id", "name"),
    )
    op.create_index("ix_category_fields_category_id", "category_fields", ["category_id"])
    op.create_table(
        "ticket_field_values",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("ticket_id", "name"),
    )
    op.create_index("ix_ticket_field_values_name_value", "ticket_field_values", ["name", "value"])
    # Plain ADD COLUMN (no batch): SQLite supports it for a nullable column.
    op.add_column("addresses", sa.Column("street_registered", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("addresses", "street_registered")
    op.drop_index("ix_ticket_field_values_name_value", table_name="ticket_field_values")
    op.drop_table("ticket_field_values")
    op.drop_index("ix_category_fields_category_id", table_name="category_fields")
    op.drop_table("category_fields")
    op.drop_index("ix_streets_name_key", table_name="streets")
    op.drop_table("streets")
