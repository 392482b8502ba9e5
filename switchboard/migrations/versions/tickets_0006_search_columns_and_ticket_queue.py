"""tickets: stored search vectors on PostgreSQL, and the queue a ticket waits in

Revision ID: tickets_0006
Revises: tickets_0005
Create Date: 2026-11-22

PostgreSQL: ``tickets.search`` and ``ticket_entries.search`` are stored generated
``tsvector`` columns with GIN indexes; they replace the expression indexes of migration
0002, so a row is checked against a query without parsing its text again (an ordered scan
that stops after a page stays cheap). SQLite keeps its FTS5 tables.

Both: ``tickets.queue``, the name of an ACD queue, added in place (never a batch recreate
of ``tickets`` on SQLite: the FTS triggers would go).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "tickets_0006"
down_revision = "tickets_0005"
branch_labels = None
depends_on = None

SEARCH = {
    "tickets": "to_tsvector('simple', subject || ' ' || description)",
    "ticket_entries": "to_tsvector('simple', body)",
}


def upgrade() -> None:
    op.add_column(
        "tickets", sa.Column("queue", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.create_index("ix_tickets_queue", "tickets", ["queue"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, vector in SEARCH.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search tsvector GENERATED ALWAYS AS ({vector}) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search_fulltext ON {table} USING GIN (search)")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_fulltext")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, vector in SEARCH.items():
            op.execute(f"CREATE INDEX ix_{table}_fulltext ON {table} USING GIN ({vector})")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_fulltext")
            op.execute(f"ALTER TABLE {table} DROP COLUMN search")
    op.drop_index("ix_tickets_queue", table_name="tickets")
    op.drop_column("tickets", "queue")
