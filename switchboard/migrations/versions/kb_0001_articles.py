"""knowledge base: articles and FAQ entries, with full-text search

Revision ID: kb_0001
Revises: 0005
Create Date: 2026-11-22

Full text as for tickets: external-content FTS5 tables kept in step by triggers on
SQLite; on PostgreSQL a stored generated ``search`` column of ``to_tsvector('simple', ...)``
with a GIN index (as tickets_0006 gives tickets).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import switchboard.db_types

revision = "kb_0001"
down_revision = "0005"
branch_labels = None
depends_on = None

ARTICLE_TSVECTOR = "to_tsvector('simple', title || ' ' || plain)"
FAQ_TSVECTOR = "to_tsvector('simple', questions_text || ' ' || answer)"
TOKENIZE = "tokenize = 'unicode61 remove_diacritics 0'"
VISIBILITY = sa.Enum("public", "internal", name="visibility", native_enum=False, length=32)
SQLITE_SEARCH = (
    f"CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, plain, content='kb_articles', content_rowid='id', {TOKENIZE})",
    f"CREATE VIRTUAL TABLE kb_faq_fts USING fts5(questions_text, answer, content='kb_faqs', content_rowid='id', {TOKENIZE})",
    """CREATE TRIGGER kb_articles_fts_insert AFTER INSERT ON kb_articles BEGIN
        INSERT INTO kb_article_fts(rowid, title, plain) VALUES (new.id, new.title, new.plain);
    END""",
    """CREATE TRIGGER kb_articles_fts_update AFTER UPDATE OF title, plain ON kb_articles BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, title, plain) VALUES ('delete', old.id, old.title, old.plain);
        INSERT INTO kb_article_fts(rowid, title, plain) VALUES (new.id, new.title, new.plain);
    END""",
    """CREATE TRIGGER kb_articles_fts_delete AFTER DELETE ON kb_articles BEGIN
        INSERT INTO kb_article_fts(kb_article_fts, rowid, title, plain) VALUES ('delete', old.id, old.title, old.plain);
    END""",
    """CREATE TRIGGER kb_faqs_fts_insert AFTER INSERT ON kb_faqs BEGIN
        INSERT INTO kb_faq_fts(rowid, questions_text, answer) VALUES (new.id, new.questions_text, new.answer);
    END""",
    """CREATE TRIGGER kb_faqs_fts_update AFTER UPDATE OF questions_text, answer ON kb_faqs BEGIN
        INSERT INTO kb_faq_fts(kb_faq_fts, rowid, questions_text, answer) VALUES ('delete', old.id, old.questions_text, old.answer);
        INSERT INTO kb_faq_fts(rowid, questions_text, answer) VALUES (new.id, new.questions_text, new.answer);
    END""",
    """CREATE TRIGGER kb_faqs_fts_delete AFTER DELETE ON kb_faqs BEGIN
        INSERT INTO kb_faq_fts(kb_faq_fts, rowid, questions_text, answer) VALUES ('delete', old.id, old.questions_text, old.answer);
    END""",
)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", switchboard.db_types.UtcDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "body_format",
            sa.Enum("markdown", "html", name="bodyformat", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("plain", sa.Text(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("visibility", VISIBILITY, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_articles_language", "kb_articles", ["language"])
    op.create_table(
        "kb_faqs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("questions_text", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("visibility", VISIBILITY, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["article_id"], ["kb_articles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_faqs_language", "kb_faqs", ["language"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        # A stored vector: ranking reads it instead of re-parsing every candidate's text.
        for table, vector in (("kb_articles", ARTICLE_TSVECTOR), ("kb_faqs", FAQ_TSVECTOR)):
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search tsvector "
                f"GENERATED ALWAYS AS ({vector}) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING GIN (search)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("kb_articles", "kb_faqs"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
        op.execute("DROP TABLE IF EXISTS kb_article_fts")
        op.execute("DROP TABLE IF EXISTS kb_faq_fts")
    op.drop_table("kb_faqs")
    op.drop_table("kb_articles")
