"""Schema migrations (Alembic), applied by ``switchboard db upgrade`` and on start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from switchboard.db import Database, DatabaseError, redacted

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database to the newest schema; DatabaseError when it is unreachable."""
    asyncio.run(_check(url))
    command.upgrade(alembic_config(url), "heads")


async def _check(url: str) -> None:
    db = Database(url)
    try:
        await db.check()
    finally:
        await db.close()


async def require_current(db: Database) -> None:
    """DatabaseError unless every branch of the schema is at its newest revision, so a
    command on a database nobody upgraded says what to run instead of failing midway."""
    heads = set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
    try:
        async with db.engine.connect() as conn:
            applied = set(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
    except Exception:  # no alembic_version table: nothing was ever applied
        applied = set()
    if not heads <= applied:
        state = "has no schema yet" if not applied else "has an older schema"
        raise DatabaseError(
            f"the database {redacted(db.url)} {state}: run `switchboard db upgrade` first"
        )


__all__ = ["DatabaseError", "alembic_config", "require_current", "upgrade"]
