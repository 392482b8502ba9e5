"""Whether any agent can take a chat now, behind one small interface, and telling open
widgets when that changes.

Two sources: a presence the agent desktop sets through the API (an agent says "available
for chat" and renews it; it lapses when not renewed, so a closed desk does not leave
visitors waiting), kept in the database so every web process answers alike; and the
ACD's live agent states (an agent who is ready and has chat capacity left;
``pbx.acd.routing`` counts chats against a per-channel capacity), when the ACD runs in
this process.

``PresenceFeed`` pushes ``{"type": "agents", "available": bool}`` to every open widget
of this process when the answer changes: on a desk change (the ``chat.presence`` event,
which crosses processes on a Redis bus), on an ACD agent's state change, and when a
lease lapses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func
from sqlmodel import col, select

from channels.chat.hub import ChatHub
from channels.models import ChatPresenceLease
from pbx.acd.agent_state import AgentState
from switchboard.bus import BusEvent, EventBus
from switchboard.db import Database
from switchboard.db_types import utcnow

CHAT = "chat"
LEASE_SECONDS = 120.0
PRESENCE_TOPIC = "chat.presence"
AGENT_STATE_TOPIC = "acd.agent_state"


class ChatPresence(Protocol):
    async def available(self) -> bool: ...


class DeskPresence:
    """Agents (by user id) who said they are available, until their lease runs out."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        lease: float = LEASE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.bus = bus
        self.lease = timedelta(seconds=lease)
        self.clock = clock

    async def set(self, user_id: int, available: bool) -> None:
        async with self.db.transaction() as session:
            row = await session.get(ChatPresenceLease, user_id)
            if available:
                until = self.clock() + self.lease
                if row is None:
                    row = ChatPresenceLease(user_id=user_id, until=until)
                row.until = until
                session.add(row)
            elif row is not None:
                await session.delete(row)
        await self.bus.publish(PRESENCE_TOPIC, {"user_id": user_id, "available": available})

    async def agents(self) -> list[int]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(ChatPresenceLease.user_id)
                .where(col(ChatPresenceLease.until) > self.clock())
                .order_by(col(ChatPresenceLease.user_id))
            )
            return list(rows.all())

    async def available(self) -> bool:
        return bool(await self.agents())

    async def next_lapse(self) -> datetime | None:
        """When the next lease still running runs out."""
        async with self.db.session() as session:
            soonest = await session.exec(
                select(func.min(ChatPresenceLease.until)).where(
                    col(ChatPresenceLease.until) > self.clock()
                )
            )
            return soonest.one()

    async def forget_lapsed(self) -> None:
        async with self.db.transaction() as session:
            lapsed = delete(ChatPresenceLease).where(col(ChatPresenceLease.until) <= self.clock())
            await session.exec(lapsed)  # type: ignore[call-overload]


class AcdPresence:
    """Ready ACD agents with room for another chat (the router's live states)."""

    def __init__(self, agents: Callable[[], Iterable[Any]]) -> None:
        self._agents = agents  # the router's AgentStatus values

    async def available(self) -> bool:
        return any(
            status.state is AgentState.READY
            and status.load.get(CHAT, 0) < status.spec.capacity.get(CHAT, 0)
            for status in self._agents()
        )


class AnyPresence:
    def __init__(self, *sources: ChatPresence) -> None:
        self.sources = sources

    async def available(self) -> bool:
        for source in self.sources:
            if await source.available():
                return True
        return False


class PresenceFeed:
    """Pushes the change to this process's open widgets whenever availability flips."""

    def __init__(
        self,
        presence: Callable[[], ChatPresence],
        desk: DeskPresence,
        hub: ChatHub,
        bus: EventBus,
    ) -> None:
        self._presence = presence  # the chat's current source (the bot may widen it)
        self.desk = desk
        self.hub = hub
        self.bus = bus

    async def run(self) -> None:
        changes: asyncio.Queue[None] = asyncio.Queue()
        async with contextlib.AsyncExitStack() as stack:
            streams = [
                await stack.enter_async_context(self.bus.subscribe(topic))
                for topic in (PRESENCE_TOPIC, AGENT_STATE_TOPIC)
            ]
            listeners = [asyncio.create_task(_forward(s, changes)) for s in streams]
            try:
                await self._watch(changes)
            finally:
                for task in listeners:
                    task.cancel()
                await asyncio.gather(*listeners, return_exceptions=True)

    async def _watch(self, changes: asyncio.Queue[None]) -> None:
        told = await self._presence().available()
        while True:
            lapse = await self.desk.next_lapse()
            wait = (
                None
                if lapse is None
                else max((lapse - self.desk.clock()).total_seconds(), 0) + 0.05
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changes.get(), wait)
            while not changes.empty():  # a burst of changes: one look
                changes.get_nowait()
            if lapse is not None and lapse <= self.desk.clock():
                await self.desk.forget_lapsed()
            now = await self._presence().available()
            if now != told:
                told = now
                await self.hub.broadcast({"type": "agents", "available": now})


async def _forward(events: AsyncIterator[BusEvent], changes: asyncio.Queue[None]) -> None:
    async for _event in events:
        changes.put_nowait(None)
