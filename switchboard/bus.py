"""The event bus: every event leaving a domain service (desktop, wallboard, webhooks) goes
through here. ``LocalBus`` serves one process; a Redis implementation of the same
interface carries events between processes when Switchboard runs on several.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.db_types import utcnow

log = logging.getLogger(__name__)


class BusUnavailable(ConnectionError):
    """The configured event bus cannot be reached."""


@dataclass(frozen=True)
class BusEvent:
    topic: str  # e.g. "call.started", "agent.state"
    data: dict[str, Any]
    at: str = field(default_factory=lambda: utcnow().isoformat())


class EventBus(Protocol):
    async def publish(self, topic: str, data: dict[str, Any]) -> None: ...

    def subscribe(self, pattern: str) -> Any:
        """An async context manager yielding an async iterator of matching events."""
        ...

    async def check(self) -> None:
        """Raise ``BusUnavailable`` naming the bus when it cannot be reached."""
        ...

    async def close(self) -> None: ...


class LocalBus:
    """In-process fan-out; a slow subscriber loses its oldest events, never blocks others."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: list[tuple[str, asyncio.Queue[BusEvent]]] = []
        self._queue_size = queue_size

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        event = BusEvent(topic, data)
        for pattern, queue in list(self._subscribers):
            if fnmatch.fnmatchcase(topic, pattern):
                if queue.full():
                    queue.get_nowait()
                    log.warning("subscriber to %s is behind; dropped its oldest event", pattern)
                queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, pattern: str) -> AsyncIterator[AsyncIterator[BusEvent]]:
        queue: asyncio.Queue[BusEvent] = asyncio.Queue(self._queue_size)
        entry = (pattern, queue)
        self._subscribers.append(entry)

        async def events() -> AsyncIterator[BusEvent]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._subscribers.remove(entry)

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()


def make_bus(url: str | None) -> EventBus:
    """Redis when ``bus_url`` is configured (several processes), else in-process."""
    if not url:
        return LocalBus()
    from switchboard.redis_bus import RedisBus

    return RedisBus(url)
