"""The durable half of the inbound path: store a verified message once, then acknowledge.

``receive`` commits the message (or finds it already stored) before it returns; only then
does a channel acknowledge to its provider. A crash before the commit leaves nothing, so
the provider retries; a crash after it leaves the row, and the retry is a duplicate.
Attachments are written to the content-addressed store first: bytes without a row are
harmless, a row without its bytes would not be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from channels.adapter import Inbound
from channels.models import ChannelInbound, InboundStatus
from switchboard.db import Database
from switchboard.db_types import utcnow
from ticketing.attachments import AttachmentStore, safe_filename
from ticketing.errors import InvalidInput, TooLarge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    inbound_id: int
    duplicate: bool


class Inbox:
    def __init__(
        self, db: Database, store: AttachmentStore, *, sender_limit_per_hour: int = 30
    ) -> None:
        self.db = db
        self.store = store
        self.sender_limit_per_hour = sender_limit_per_hour
        self.wake = asyncio.Event()  # set after every new message: the threader's cue

    async def receive(self, message: Inbound) -> Received:
        existing = await self.find(message.channel, message.provider_id)
        if existing is not None:
            return Received(existing, duplicate=True)
        files, refused = await self._store_files(message)
        reason = message.ignore_reason or await self._rate_limited(message)
        row = ChannelInbound(
            channel=message.channel,
            provider_id=message.provider_id[:255],
            sender=message.sender[:320],
            sender_name=message.sender_name[:200],
            subject=message.subject[:300],
            body=message.body,
            html=message.html,
            refs=[r[:255] for r in message.refs],
            meta=_with_refused(message.meta, refused),
            attachments=files,
            status=InboundStatus.IGNORED if reason else InboundStatus.RECEIVED,
            reason=reason[:200],
        )
        try:
            async with self.db.transaction() as session:
                session.add(row)
        except IntegrityError:  # the same message arriving twice at once: one row wins
            winner = await self.find(message.channel, message.provider_id)
            if winner is None:
                raise
            return Received(winner, duplicate=True)
        assert row.id is not None
        if reason:
            log.info("%s message %s kept but not threaded: %s", row.channel, row.id, reason)
        self.wake.set()
        return Received(row.id, duplicate=False)

    async def find(self, channel: str, provider_id: str) -> int | None:
        """The stored message with this provider id, if there is one."""
        async with self.db.session() as session:
            found = await session.exec(
                select(ChannelInbound.id).where(
                    ChannelInbound.channel == channel,
                    ChannelInbound.provider_id == provider_id[:255],
                )
            )
            return found.first()

    async def _rate_limited(self, message: Inbound) -> str:
        since = utcnow() - timedelta(hours=1)
        async with self.db.session() as session:
            count = await session.exec(
                select(func.count()).where(
                    ChannelInbound.channel == message.channel,
                    ChannelInbound.sender == message.sender,
                    ChannelInbound.received_at >= since,
                )
            )
            if count.one() >= self.sender_limit_per_hour:
                return f"rate limit: over {self.sender_limit_per_hour} messages an hour"
        return ""

    async def _store_files(self, message: Inbound) -> tuple[list[dict[str, object]], list[str]]:
        """Store what the attachment rules accept; the names and reasons of what they don't."""
        kept: list[dict[str, object]] = []
        refused: list[str] = []
        for file in message.attachments:
            try:
                name = safe_filename(file.filename)
                content_type = self.store.content_type(name)
                sha256, size = await self.store.put(_chunks(file.data), content_type)
            except (InvalidInput, TooLarge) as exc:
                refused.append(f"{file.filename}: {exc}")
                continue
            kept.append(
                {"sha256": sha256, "size": size, "filename": name, "content_type": content_type}
            )
        return kept, refused


def _with_refused(meta: dict[str, object], refused: list[str]) -> dict[str, object]:
    """The message's meta with the files refused here added to those refused before
    (a messaging app's media too large to download)."""
    if not refused:
        return meta
    earlier = meta.get("refused_files")
    return {**meta, "refused_files": [*(earlier if isinstance(earlier, list) else []), *refused]}


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
