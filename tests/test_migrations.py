"""The migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL: a model changed without its migration would fail here, not in production.
Full-text search structures are made by hand-written SQL in the migrations (FTS5 tables,
tsvector columns and their triggers) and are not models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import channels.models  # noqa: F401  (registers tables)
import knowledge.models  # noqa: F401
import notices.models  # noqa: F401
import pbx.acd.models
import pbx.models  # noqa: F401
import ticketing.tables  # noqa: F401
from tests.ticketing.conftest import fresh_database, schema_template  # noqa: F401  (fixtures)


def _by_hand(change: Any) -> bool:
    """Search structures the migrations make in SQL of their own."""
    kind = change[0]
    if kind == "remove_table":  # SQLite's FTS5 tables and their shadow tables
        return "_fts" in change[1].name
    if kind == "remove_column":  # PostgreSQL's generated tsvector columns...
        return _tsvector(change[3])
    if kind == "remove_index":  # and their GIN indexes
        return all(_tsvector(column) for column in change[1].columns)
    return False


def _tsvector(column: Any) -> bool:
    return type(column.type).__name__ == "TSVECTOR"


def _differences(connection: Connection) -> list[Any]:
    found = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    return [change for change in found if not _by_hand(change)]


async def test_the_migrated_schema_is_the_models_schema(fresh_database: str) -> None:  # noqa: F811
    engine = create_async_engine(fresh_database)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []
