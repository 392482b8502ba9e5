"""Whether any agent can take a chat now, behind one small interface.

Two sources: the ACD's live agent states (an agent who is ready and has chat capacity
left; ``pbx.acd.routing`` counts chats against a per-channel capacity), when the ACD runs
in this process; and a simple presence the agent desktop sets through the API (an agent
says "available for chat" and renews it; it lapses when not renewed, so a closed desk
does not leave visitors waiting)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from pbx.acd.agent_state import AgentState

CHAT = "chat"
LEASE_SECONDS = 120.0


class ChatPresence(Protocol):
    def available(self) -> bool: ...


class DeskPresence:
    """Agents (by user id) who said they are available, until their lease runs out."""

    def __init__(
        self, lease: float = LEASE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lease = lease
        self.clock = clock
        self._until: dict[int, float] = {}

    def set(self, user_id: int, available: bool) -> None:
        if available:
            self._until[user_id] = self.clock() + self.lease
        else:
            self._until.pop(user_id, None)

    def agents(self) -> list[int]:
        now = self.clock()
        return sorted(u for u, until in self._until.items() if until > now)

    def available(self) -> bool:
        return bool(self.agents())


class AcdPresence:
    """Ready ACD agents with room for another chat (the router's live states)."""

    def __init__(self, agents: Callable[[], Iterable[Any]]) -> None:
        self._agents = agents  # the router's AgentStatus values

    def available(self) -> bool:
        return any(
            status.state is AgentState.READY
            and status.load.get(CHAT, 0) < status.spec.capacity.get(CHAT, 0)
            for status in self._agents()
        )


class AnyPresence:
    def __init__(self, *sources: ChatPresence) -> None:
        self.sources = sources

    def available(self) -> bool:
        return any(source.available() for source in self.sources)
