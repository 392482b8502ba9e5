"""What the benchmark scripts share: a fresh database per backend (SQLite in a temporary
folder, or a new PostgreSQL database dropped afterwards), and the ticketing services and
web context the web app needs, built the way the composition root builds them."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

import pbx.models  # noqa: F401  (every table, as the composition root has them)
import ticketing.tables  # noqa: F401
from channels.service import Channels
from pbx.call_log import CallLog
from switchboard import migrate
from switchboard.db import Database
from switchboard.settings import async_database_url
from ticketing.calls import CallFiler
from ticketing.services import Ticketing, build_ticketing
from web.context import WebContext

BACKENDS = ("sqlite", "postgresql")


async def admin(server_url: str, statement: str) -> None:
    """Run ``statement`` (CREATE / DROP DATABASE) on the PostgreSQL server."""
    url = make_url(server_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(
    backend: str, postgres: str, prefix: str
) -> AsyncIterator[tuple[str, Path]]:
    """(async URL of a migrated, empty database; a scratch folder), announced on stdout."""
    folder = Path(tempfile.mkdtemp(prefix=f"sb-bench-{prefix}-"))
    if backend == "sqlite":
        print(f"== SQLite ({folder}/bench.db)", flush=True)
        url = async_database_url(f"sqlite:///{folder}/bench.db")
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, folder
        return
    name = f"sb_bench_{prefix}_{os.getpid()}"
    await admin(postgres, f'CREATE DATABASE "{name}"')
    print(f"== PostgreSQL ({make_url(postgres).host or 'socket'}, database {name})", flush=True)
    try:
        server = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        url = async_database_url(server)
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, folder
    finally:
        await admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backends(choice: str) -> Sequence[str]:
    return BACKENDS if choice == "both" else (choice,)


def ticketing_services(db: Database, folder: Path, types: list[str]) -> Ticketing:
    return build_ticketing(
        db,
        api_token="bench",
        session_key="bench",
        default_region="FI",
        attachments_dir=folder / "files",
        attachment_max_bytes=1 << 20,
        attachment_types=types,
    )


def web_context(db: Database, services: Ticketing, channels: Channels) -> WebContext:
    return WebContext(
        db=db,
        api_token="bench",
        calls=CallLog(db, node="bench", on_ended=CallFiler("FI")),
        tickets=services.queries,
        ticketing=services,
        channels=channels,
    )
