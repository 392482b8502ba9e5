"""Schema migrations (Alembic), applied by ``switchboard db upgrade`` and on start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from switchboard.db import Database, DatabaseError

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


__all__ = ["DatabaseError", "alembic_config", "upgrade"]
