"""What an agent's desktop or a wallboard hears of the event bus.

A desktop asks for topic patterns (``call.*`` for screen pops, ``acd.*`` for queues and
agents, ``ticket.*`` for SLA warnings, ``channel.*`` for new messages); each topic family
needs a permission of the asking user, and only staff get a feed at all (partners and
customers see their tickets through the API, scoped, never the whole organisation's
traffic). The feed works the same over ``LocalBus`` and ``RedisBus``: with Redis, a desktop
connected to any web process hears calls handled by any controller.
"""

from __future__ import annotations

import fnmatch
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from switchboard.bus import BusEvent, EventBus
from ticketing.access.roles import Permission, Principal
from ticketing.errors import Forbidden, InvalidInput

FAMILIES: dict[str, Permission] = {
    "call": Permission.CALLS_READ,
    "acd": Permission.CALLS_READ,
    "ticket": Permission.TICKETS_READ,
    "channel": Permission.TICKETS_READ,
}
MAX_PATTERNS = 16


def allowed_patterns(principal: Principal, requested: Sequence[str]) -> list[str]:
    """The requested patterns, each checked; ``InvalidInput``/``Forbidden`` name the first
    pattern that is malformed or not allowed."""
    if not principal.is_staff:
        raise Forbidden(f"the {principal.role.value} role has no live event feed")
    patterns = [p.strip() for p in requested if p.strip()]
    if not patterns:
        raise InvalidInput("ask for at least one topic, e.g. topics=call.*,acd.*")
    if len(patterns) > MAX_PATTERNS:
        raise InvalidInput(f"at most {MAX_PATTERNS} topic patterns at once")
    for pattern in patterns:
        family = pattern.split(".", 1)[0]
        permission = FAMILIES.get(family)
        if permission is None or "." not in pattern:
            known = ", ".join(f"{name}.*" for name in FAMILIES)
            raise InvalidInput(f"unknown topic '{pattern[:64]}': the feed offers {known}")
        if not principal.can(permission):
            raise Forbidden(f"the {principal.role.value} role may not follow {family}.* events")
    return patterns


@asynccontextmanager
async def desktop_feed(
    bus: EventBus, patterns: Sequence[str]
) -> AsyncIterator[AsyncIterator[BusEvent]]:
    """One subscription carrying every event that matches any of ``patterns``."""
    async with bus.subscribe("*") as events:

        async def matching() -> AsyncIterator[BusEvent]:
            async for event in events:
                if any(fnmatch.fnmatchcase(event.topic, p) for p in patterns):
                    yield event

        yield matching()


__all__ = ["FAMILIES", "allowed_patterns", "desktop_feed"]
