"""The ticketing API in-process (no Asterisk) over a fresh, migrated database per test.

The schema is migrated once per session into a template (a SQLite file, or a PostgreSQL
template database); each test gets a copy, so every test starts empty and migrations
are what built it.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from pbx.call_log import CallLog
from switchboard import migrate
from switchboard.bus import LocalBus
from switchboard.db import Database
from switchboard.settings import TicketSettings, async_database_url
from ticketing.calls import CallFiler
from ticketing.services import Ticketing, build_ticketing
from web.app import create_app
from web.context import WebContext

SYSTEM_TOKEN = "system-token-for-tests"
PASSWORD = "correct horse battery"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def schema_template(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, copied for each test."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate.upgrade(async_database_url(f"sqlite:///{path}"))
        yield str(path)
        return
    name = f"{url.database}_tmpl"
    asyncio.run(_postgres(database_url, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_postgres(database_url, f'CREATE DATABASE "{name}"'))
    template = url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(async_database_url(template))
    try:
        yield name
    finally:
        asyncio.run(_postgres(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _postgres(database_url: str, statement: str) -> None:
    import asyncpg

    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def fresh_database(database_url: str, schema_template: str, tmp_path: Path) -> Iterator[str]:
    """The async URL of an empty, migrated database of this test only."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = tmp_path / "switchboard.db"
        shutil.copyfile(schema_template, path)
        yield async_database_url(f"sqlite:///{path}")
        return
    name = f"sbt_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres(database_url, f'CREATE DATABASE "{name}" TEMPLATE "{schema_template}"'))
    try:
        yield async_database_url(url.set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(_postgres(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Desk:
    """The running app and clients acting as different people."""

    app: Any
    db: Database
    services: Ticketing
    bus: LocalBus
    system: httpx.AsyncClient
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://desk", headers=headers
        )
        self.clients.append(client)
        return client

    async def user(
        self, role: str, email: str | None = None, **extra: Any
    ) -> tuple[dict[str, Any], httpx.AsyncClient]:
        """A new user of ``role`` and a client using an API token of theirs."""
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        created = await self.system.post(
            "/api/users",
            json={
                "email": email,
                "name": f"{role.title()} {email[:6]}",
                "role": role,
                "password": PASSWORD,
                **extra,
            },
        )
        assert created.status_code == 201, created.text
        user = created.json()
        token = await self.system.post(
            "/api/tokens", json={"user_id": user["id"], "name": f"{role} token"}
        )
        assert token.status_code == 201, token.text
        return user, self.client(token.json()["token"])

    async def organisation(self, name: str) -> dict[str, Any]:
        made = await self.system.post(
            "/api/contacts", json={"display_name": name, "kind": "organisation"}
        )
        assert made.status_code == 201, made.text
        result: dict[str, Any] = made.json()
        return result

    async def ticket(
        self, client: httpx.AsyncClient | None = None, **fields: Any
    ) -> dict[str, Any]:
        made = await (client or self.system).post(
            "/api/tickets", json={"subject": "Street light out", **fields}
        )
        assert made.status_code == 201, made.text
        result: dict[str, Any] = made.json()
        return result


@pytest.fixture
async def desk(fresh_database: str, tmp_path: Path) -> AsyncIterator[Desk]:
    db = Database(fresh_database)
    limits = TicketSettings(attachment_max_bytes=64 * 1024)
    bus = LocalBus()
    services = build_ticketing(
        db,
        api_token=SYSTEM_TOKEN,
        session_key="session-key-for-tests",
        default_region="FI",
        attachments_dir=tmp_path / "attachments",
        attachment_max_bytes=limits.attachment_max_bytes,
        attachment_types=limits.attachment_types,
        bus=bus,
    )
    context = WebContext(
        db=db,
        api_token=SYSTEM_TOKEN,
        calls=CallLog(db, node="test", on_ended=CallFiler("FI")),
        tickets=services.queries,
        ticketing=services,
    )
    app = create_app(context)
    system = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://desk",
        headers={"Authorization": f"Bearer {SYSTEM_TOKEN}"},
    )
    desk = Desk(app=app, db=db, services=services, bus=bus, system=system)
    try:
        yield desk
    finally:
        for client in [system, *desk.clients]:
            await client.aclose()
        await db.close()
