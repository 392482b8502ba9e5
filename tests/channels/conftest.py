"""Channels over the in-process desk (a fresh migrated database per test), a real SMTP
sink (aiosmtpd) that replies go to, and the built-in SMTP server for inbound mail."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, TypeVar

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.chat.session import ChatService
from channels.service import Channels, build_channels
from channels.settings import ChannelSettings, EmailSettings
from tests.ticketing.conftest import (  # noqa: F401  (fixtures)
    Desk,
    desk,
    fresh_database,
    schema_template,
)

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 5.0, what: str = ""
) -> T:
    """Poll an async probe until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or probe}: {last!r}")


@dataclass
class SmtpSink:
    """A real SMTP server keeping what it is sent; ``refuse`` makes it answer with a code."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: str = ""
    server: asyncio.Server | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    loop = asyncio.get_running_loop()
    sink.server = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0)
    sink.port = sink.server.sockets[0].getsockname()[1]
    try:
        yield sink
    finally:
        sink.server.close()
        await sink.server.wait_closed()


def channel_settings(sink_port: int, **email: Any) -> ChannelSettings:
    return ChannelSettings(
        email=EmailSettings(
            enabled=True,
            address="help@desk.example",
            organisation="Example Water",
            smtp_listen_port=0,
            relay_port=sink_port,
            max_message_bytes=256 * 1024,
            **email,
        ),
        sender_limit_per_hour=5,
        backoff_seconds=0.05,
        max_attempts=3,
    )


@pytest.fixture
async def channels(desk: Desk, sink: SmtpSink) -> AsyncIterator[Channels]:  # noqa: F811
    built = build_channels(
        channel_settings(sink.port), desk.db, desk.bus, desk.services.attachments.store
    )
    assert built.smtp is not None
    await built.smtp.start()
    try:
        yield built
    finally:
        await built.smtp.close()


@asynccontextmanager
async def chat_workers(chat: ChatService | None) -> AsyncIterator[None]:
    """The chat's workers running, as ``Channels.run_workers`` runs them: replies relayed
    to this process's widgets, and agents' comings and goings told to them."""
    assert chat is not None
    tasks = [
        asyncio.create_task(chat.adapter.hub.relay()),
        asyncio.create_task(chat.presence_feed.run()),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
