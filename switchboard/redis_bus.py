"""The event bus between processes: Redis publish/subscribe.

Several Switchboard processes (controllers on several Asterisk nodes, web workers) share
one Redis; an event published by any of them reaches every subscriber in all of them.
Pub/sub is at-most-once by design: the bus carries notifications (screen pops, wallboard
updates, typing indicators). Everything that must survive (call records, queue log,
messages, tickets) is written to the database before its event is published, so a
subscriber that missed events reads the current state from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from switchboard.bus import BusEvent, BusUnavailable

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "switchboard:"
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)


class RedisBus:
    """``EventBus`` over Redis; topics are channels under ``switchboard:``."""

    def __init__(self, url: str, *, prefix: str = CHANNEL_PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=3)

    async def check(self) -> None:
        """Fail early, with the address, when Redis cannot be reached."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise BusUnavailable(f"cannot reach the event bus at {self.url}: {exc}") from exc

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Publish; a Redis outage is logged and never fails the caller (see module doc)."""
        event = BusEvent(topic, data)
        payload = json.dumps({"topic": event.topic, "data": event.data, "at": event.at})
        try:
            await self._redis.publish(self.prefix + topic, payload)
        except (RedisError, OSError) as exc:
            log.warning("event %s not published, the bus at %s failed: %s", topic, self.url, exc)

    @asynccontextmanager
    async def subscribe(self, pattern: str) -> AsyncIterator[AsyncIterator[BusEvent]]:
        """Events whose topic matches the glob ``pattern``; resubscribes after an outage."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(self.prefix + pattern)
        try:
            yield self._events(pubsub, pattern)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.punsubscribe()
            await pubsub.aclose()

    async def _events(self, pubsub: Any, pattern: str) -> AsyncIterator[BusEvent]:
        failures = 0
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except (RedisError, OSError) as exc:
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning("event bus subscription lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.psubscribe(self.prefix + pattern)
                continue
            failures = 0
            if message is None or message.get("type") != "pmessage":
                continue
            event = _decode(message["data"])
            if event is not None and fnmatch.fnmatchcase(event.topic, pattern):
                yield event

    async def close(self) -> None:
        await self._redis.aclose()


def _decode(raw: bytes | str) -> BusEvent | None:
    try:
        body = json.loads(raw)
        return BusEvent(str(body["topic"]), dict(body["data"]), str(body["at"]))
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed event on the bus: %.200r", raw)
        return None


__all__ = ["RedisBus"]
