"""The chatbot's conversations in the database (``chat_conversations``): read when a
visitor's message, file or reconnect arrives and written back when it is handled, so
nothing about a dialogue lives only in one web process. Conversations not touched for
``KEEP_DAYS`` are removed when new ones begin."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from channels.chat.conversation import Conversation, dump, load
from channels.models import ChatConversation
from switchboard.db import Database
from switchboard.db_types import utcnow

KEEP_DAYS = 30
LOCKS = 64  # conversations handled one message at a time, in a fixed set of stripes


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._locks = [asyncio.Lock() for _ in range(LOCKS)]

    @asynccontextmanager
    async def turn(self, conversation: str) -> AsyncIterator[None]:
        """One change at a time to a conversation in this process (a visitor with two
        tabs open): load, handle and save without another handler in between."""
        async with self._locks[zlib.crc32(conversation.encode()) % LOCKS]:
            yield

    async def get(self, conversation: str) -> Conversation | None:
        async with self.db.session() as session:
            row = await session.get(ChatConversation, conversation)
            return load(row.state) if row is not None else None

    async def put(self, conversation: str, state: Conversation) -> None:
        data = dump(state)
        try:
            await self._write(conversation, data)
        except IntegrityError:  # another process began the same conversation just now
            await self._write(conversation, data)

    async def _write(self, conversation: str, data: dict[str, object]) -> None:
        async with self.db.transaction() as session:
            row = await session.get(ChatConversation, conversation)
            if row is None:
                cutoff = utcnow() - timedelta(days=KEEP_DAYS)
                stale = delete(ChatConversation).where(col(ChatConversation.updated_at) < cutoff)
                await session.exec(stale)  # type: ignore[call-overload]
                row = ChatConversation(conversation=conversation)
            row.state, row.updated_at = data, utcnow()
            session.add(row)
