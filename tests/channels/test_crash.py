"""The process is killed (SIGKILL) while a mail is being received: whether it died before
or after acknowledging, the sender's retry leaves exactly one message and one entry."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from channels.models import ChannelInbound, InboundStatus
from switchboard.db import Database
from tests.channels.conftest import eventually
from tests.channels.mail import deliver, mail
from tests.harness import ROOT
from ticketing.models import TicketEntry


@asynccontextmanager
async def channel_process(
    url: str, tmp: Path
) -> AsyncIterator[tuple[int, asyncio.subprocess.Process]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.channels.channel_process",
        url,
        str(tmp / "files"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        yield int(line), process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        inbound = (await session.exec(select(func.count()).select_from(ChannelInbound))).one()
        threaded = (
            await session.exec(
                select(func.count()).where(ChannelInbound.status == InboundStatus.THREADED)
            )
        ).one()
        entries = (await session.exec(select(func.count()).select_from(TicketEntry))).one()
    return inbound, threaded, entries


async def test_killed_between_receive_and_acknowledge_loses_and_doubles_nothing(
    fresh_database: str, tmp_path: Path
) -> None:
    db = Database(fresh_database)
    try:
        for round_ in range(1, 4):
            message = mail(message_id=f"<crash{round_}@example.fi>", subject=f"Crash {round_}")
            async with channel_process(fresh_database, tmp_path) as (port, process):
                sending = asyncio.create_task(deliver(port, message))
                # Kill the moment the message is durable: before or just after the 250.
                await eventually(
                    lambda r=round_: _stored(db, r), timeout=10, what="the stored message"
                )
                process.send_signal(signal.SIGKILL)
                await process.wait()
                outcome = await asyncio.gather(sending, return_exceptions=True)
                assert outcome  # 250, or a dropped connection: the sender cannot know
            async with channel_process(fresh_database, tmp_path) as (port, _):
                code, _text = await deliver(port, message)  # the sender's retry
                assert code == 250
                await eventually(
                    lambda r=round_: _all_threaded(db, r), timeout=10, what="threading"
                )
        assert await counts(db) == (3, 3, 3)
    finally:
        await db.close()


async def _stored(db: Database, expected: int) -> bool:
    return (await counts(db))[0] >= expected


async def _all_threaded(db: Database, expected: int) -> bool:
    inbound, threaded, entries = await counts(db)
    assert inbound == expected and entries <= expected
    return threaded == expected and entries == expected
